"""Entries that can never be dialled again are closed, so the spool's counts add up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from engine.dialer.explain import close_finished
from engine.store.db import create_engine
from engine.store.tables import campaigns, contact_databases, spool_entries
from tests.e2e.support import add_leads


async def test_expired_entries_are_closed(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            database_id = (
                await conn.execute(
                    insert(contact_databases)
                    .values(
                        name="d", fields=["phone"], phone_fields=["phone"], main_phone_field="phone"
                    )
                    .returning(contact_databases.c.id)
                )
            ).scalar_one()
            campaign_id = (
                await conn.execute(
                    insert(campaigns)
                    .values(
                        name="c",
                        mode="progressive",
                        status="running",
                        contact_database_id=database_id,
                    )
                    .returning(campaigns.c.id)
                )
            ).scalar_one()
        expired, alive = await add_leads(
            db_url, campaign_id, database_id, [["+12025550101"], ["+12025550102"]]
        )
        now = datetime.now(UTC)
        async with engine.begin() as conn:
            await conn.execute(
                update(spool_entries)
                .where(spool_entries.c.id == expired)
                .values(expires_at=now - timedelta(hours=1))
            )
            assert await close_finished(conn, campaign_id, now) == {"expired": 1}
        async with engine.connect() as conn:
            states = dict(
                (await conn.execute(select(spool_entries.c.id, spool_entries.c.state))).all()
            )
    finally:
        await engine.dispose()
    assert states == {expired: "expired", alive: "pending"}
