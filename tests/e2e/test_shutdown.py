"""Stopping the engine in the middle of a dialling round leaves nothing half-done."""

from __future__ import annotations

import aiohttp
from sqlalchemy import select

from engine.store.db import create_engine
from engine.store.tables import calls, spool_entries
from tests.ari.peer import basic
from tests.e2e.support import add_leads, engine_with_sim, eventually


async def _slow_pbx(url: str, seconds: float, count: int) -> None:
    """The simulator answers the next `count` ARI requests `seconds` late."""
    headers = {"Authorization": basic("dialspool", "dialspool")}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(
            f"{url}/_sim/faults/rest", json={"delay_seconds": seconds, "count": count}
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()


async def test_a_call_originated_as_the_engine_stops_is_drained_not_left_dialling(
    db_url: str,
) -> None:
    db = create_engine(db_url)

    async def entry_states() -> list[str]:
        async with db.connect() as conn:
            return list((await conn.execute(select(spool_entries.c.state))).scalars())

    async def dialling() -> bool:
        return await entry_states() == ["dialling"]

    try:
        async with engine_with_sim(db_url) as stack:
            campaign = await stack.campaign(
                {
                    "name": "stop",
                    "mode": "progressive",
                    "wrapup_seconds": 0,
                    "ring_timeout_seconds": 120,  # 12 s at the simulator's pace
                }
            )
            agent = await stack.api(
                "POST", "/v1/agents", {"name": "agent", "endpoint": "PJSIP/9001"}, status=201
            )
            await stack.api(
                "PUT", f"/v1/campaigns/{campaign['id']}/agents", {"agent_ids": [agent["id"]]}
            )
            await stack.api("POST", f"/v1/agents/{agent['id']}/login", {})
            # 3xxx rings and never answers: only the drain's hang-up ends the call.
            await add_leads(db_url, campaign["id"], campaign["contact_database_id"], [["3001"]])
            # The PBX takes its time over the originate: the runner is still in
            # its round, waiting for it, when the engine is told to stop.
            await _slow_pbx(stack.sim.url, seconds=2.0, count=1)
            await stack.api("POST", f"/v1/campaigns/{campaign['id']}/start")
            await eventually(dialling, within=10)
            await stack.client.close()  # the app's cleanup: what SIGTERM runs

        # The call was hung up after the grace and its outcome reached the
        # spool: nothing is left for the next start to repair.
        states = await entry_states()
        assert states and set(states) <= {"done", "waiting_retry"}, states
        async with db.connect() as conn:
            rows = (await conn.execute(select(calls.c.ended_at, calls.c.outcome))).all()
        assert len(rows) == 1 and rows[0].ended_at is not None and rows[0].outcome, rows
    finally:
        await db.dispose()
