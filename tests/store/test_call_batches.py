"""A dialling round's writes in one statement each: claims, call records, bridging facts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select, update

from engine.dialer.claims import Claim
from engine.dialer.spool import SpoolState
from engine.store import calls as call_store
from engine.store import spool as spool_store
from engine.store.db import create_engine
from engine.store.tables import calls, campaigns, contact_databases, spool_entries
from tests.e2e.support import add_leads


async def _campaign(db_url: str) -> tuple[int, int]:
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
                    .values(name="c", mode="progressive", contact_database_id=database_id)
                    .returning(campaigns.c.id)
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    return campaign_id, database_id


async def test_a_round_claims_only_entries_still_waiting(db_url: str) -> None:
    campaign_id, database_id = await _campaign(db_url)
    first, taken_meanwhile, third = await add_leads(
        db_url, campaign_id, database_id, [["5001"], ["5002"], ["5003"]]
    )
    now = datetime.now(UTC)
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(spool_entries)
                .where(spool_entries.c.id == taken_meanwhile)
                .values(state=SpoolState.CLAIMED.value, claimed_by="other")
            )
        wanted = [
            Claim(third, 0, "5003"),
            Claim(taken_meanwhile, 0, "5002"),
            Claim(first, 0, "5001"),
            Claim(third, 0, "5003"),  # never twice
        ]
        async with engine.begin() as conn:
            taken = await spool_store.claim(conn, wanted, "this", now)
            assert await spool_store.claim(conn, [], "this", now) == []
        assert taken == [Claim(third, 0, "5003"), Claim(first, 0, "5001")]
        async with engine.connect() as conn:
            rows = (
                await conn.execute(select(spool_entries.c.id, spool_entries.c.claimed_by))
            ).all()
        assert dict(rows) == {first: "this", taken_meanwhile: "other", third: "this"}
    finally:
        await engine.dispose()


async def test_call_records_of_a_round_and_their_bridging(db_url: str) -> None:
    campaign_id, database_id = await _campaign(db_url)
    entries = await add_leads(db_url, campaign_id, database_id, [["5001"], ["5002"]])
    now = datetime.now(UTC).replace(microsecond=0)
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            contacts = await spool_store.contacts_of_entries(conn, entries)
            assert await spool_store.contacts_of_entries(conn, []) == {}
            await call_store.create_calls(
                conn,
                [
                    {
                        "uuid": f"call-{entry_id}",
                        "campaign_id": campaign_id,
                        "contact_id": contacts[entry_id]["id"],
                        "spool_entry_id": entry_id,
                        "direction": "outbound",
                        "number": contacts[entry_id]["phone"],
                        "channel_id": f"dsc-call-{entry_id}",
                        "created_at": now,
                    }
                    for entry_id in entries
                ],
            )
            await spool_store.set_states(conn, entries, SpoolState.DIALLING, now)
        assert [contacts[e]["phone"] for e in entries] == ["5001", "5002"]
        assert contacts[entries[0]]["data"] == {"name": "lead 0"}
        assert set(contacts[entries[0]]) == {"id", "external_id", "data", "phone"}
        async with engine.begin() as conn:
            await call_store.record_bridged(
                conn,
                [
                    {
                        "uuid": f"call-{entries[1]}",
                        "answered_at": now,
                        "bridged_at": now,
                        "agent_id": None,
                    }
                ],
            )
            await call_store.record_bridged(conn, [])
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(calls.c.uuid, calls.c.answered_at, calls.c.bridged_at).order_by(
                        calls.c.uuid
                    )
                )
            ).all()
            states = (await conn.execute(select(spool_entries.c.state))).scalars().all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in rows] == [
        (f"call-{entries[0]}", None, None),
        (f"call-{entries[1]}", now, now),
    ]
    assert states == ["dialling", "dialling"]
