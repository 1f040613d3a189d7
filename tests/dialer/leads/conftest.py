"""A campaign with a contact database, on each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.store.db import create_engine
from engine.store.tables import agents, campaigns, contact_databases

FIELDS = ["crm_id", "name", "phone", "mobile", "work"]


@dataclass(frozen=True)
class Setup:
    engine: AsyncEngine
    campaign_id: int
    database_id: int
    agent_id: int


async def make_setup(engine: AsyncEngine, name: str = "Ventas") -> Setup:
    async with engine.begin() as conn:
        database_id = (
            await conn.execute(
                insert(contact_databases)
                .values(
                    name=f"{name} contacts",
                    fields=FIELDS,
                    phone_fields=["phone", "mobile", "work"],
                    main_phone_field="phone",
                    external_id_field="crm_id",
                )
                .returning(contact_databases.c.id)
            )
        ).scalar_one()
        campaign_id = (
            await conn.execute(
                insert(campaigns)
                .values(
                    name=name,
                    mode="progressive",
                    contact_database_id=database_id,
                    timezone="America/New_York",
                )
                .returning(campaigns.c.id)
            )
        ).scalar_one()
        agent_id = (
            await conn.execute(
                insert(agents)
                .values(name=f"{name.lower()}-agent", endpoint="PJSIP/1001")
                .returning(agents.c.id)
            )
        ).scalar_one()
    return Setup(engine, int(campaign_id), int(database_id), int(agent_id))


@pytest.fixture
async def setup(db_url: str) -> AsyncIterator[Setup]:
    engine = create_engine(db_url)
    try:
        yield await make_setup(engine)
    finally:
        await engine.dispose()
