"""The demo's data: a contact database, agents on simulated phones, a predictive
campaign and its leads (loaded through the real lead loader)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.clock import Clock
from engine.dialer.campaign_service import CampaignService
from engine.dialer.campaigns import NewCampaign
from engine.dialer.leads.loader import load_leads
from engine.store import agents as agent_store
from engine.store import campaigns as campaign_store
from engine.store.tables import agents, contact_databases

DATABASE = "demo contacts"
ALWAYS = {"windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}]}


@dataclass(frozen=True)
class DemoSetup:
    campaign_id: int
    campaign_name: str
    agent_ids: list[int]
    leads: int


def _csv_rows(count: int, seed: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    yield b"phone,name,crm_id\n"
    for index in range(count):
        # 555-01xx numbers are reserved for fiction; the simulator answers any of them.
        number = f"+1{rng.choice(['202', '312', '415', '617', '718'])}555{index:04d}"
        yield f"{number},Demo lead {index},demo-{index}\n".encode()


async def _contact_database(db: AsyncEngine) -> int:
    async with db.begin() as conn:
        found = (
            await conn.execute(
                select(contact_databases.c.id).where(contact_databases.c.name == DATABASE)
            )
        ).scalar_one_or_none()
        if found is not None:
            return int(found)
        return await campaign_store.create_contact_database(
            conn,
            {
                "name": DATABASE,
                "fields": ["phone", "name", "crm_id"],
                "phone_fields": ["phone"],
                "main_phone_field": "phone",
                "external_id_field": "crm_id",
            },
        )


async def _agents(db: AsyncEngine, count: int) -> list[int]:
    ids = []
    async with db.begin() as conn:
        for index in range(count):
            name = f"Demo agent {index + 1:02d}"
            found = (
                await conn.execute(select(agents.c.id).where(agents.c.name == name))
            ).scalar_one_or_none()
            if found is None:
                found = await agent_store.create_agent(
                    conn, {"name": name, "endpoint": f"PJSIP/{9001 + index}"}
                )
            ids.append(int(found))
    return ids


async def seed(db: AsyncEngine, clock: Clock, *, agents_count: int, leads: int) -> DemoSetup:
    campaigns = CampaignService(db, clock)
    database_id = await _contact_database(db)
    agent_ids = await _agents(db, agents_count)
    name = "Demo " + datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    campaign = await campaigns.create(
        NewCampaign(
            name=name,
            mode="predictive",
            contact_database_id=database_id,
            dial_template="PJSIP/{number}@trunk",
            caller_id="+12025550100",
            wrapup_seconds=1,
            drop_time_seconds=2.0,
            abandon_cap_percent=3.0,
            abandon_set_point_percent=2.75,
            rule_pack="custom",
            custom_rule_pack=ALWAYS,
            crm_url_template="https://crm.example/contacts/{external_id}",
        )
    )
    await campaigns.set_agents(campaign.id, agent_ids)
    report = await load_leads(
        db,
        campaign.id,
        _csv_rows(leads, seed=campaign.id),
        "csv",
        default_region="US",
        duplicate_policy="allow",
        now=datetime.now(UTC),
        source_name="demo.csv",
    )
    return DemoSetup(campaign.id, name, agent_ids, report.loaded)
