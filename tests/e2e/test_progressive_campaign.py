"""A progressive campaign against the simulator: agents on live legs, calls, outcomes."""

from __future__ import annotations

from sqlalchemy import select

from engine.store.db import create_engine
from engine.store.tables import calls, spool_entries
from tests.e2e.support import add_leads, engine_with_sim, eventually


async def test_answered_calls_reach_agents_and_every_lead_is_accounted_for(db_url: str) -> None:
    async with engine_with_sim(db_url) as stack:
        campaign = await stack.campaign(
            {
                "name": "e2e",
                "mode": "progressive",
                "dial_template": "PJSIP/{number}@trunk",
                "wrapup_seconds": 0,
            }
        )
        agents = []
        for ext in ("9001", "9002"):
            agents.append(
                await stack.api(
                    "POST",
                    "/v1/agents",
                    {"name": f"agent {ext}", "endpoint": f"PJSIP/{ext}"},
                    status=201,
                )
            )
        await stack.api(
            "PUT",
            f"/v1/campaigns/{campaign['id']}/agents",
            {"agent_ids": [a["id"] for a in agents]},
        )
        for agent in agents:
            status = await stack.api("POST", f"/v1/agents/{agent['id']}/login", {})
            assert status["state"] == "idle", status
        # 1xxx answers and talks briefly, 2xxx is busy, 4xxx congested.
        numbers = [["1001"], ["1002"], ["1003"], ["2001"], ["4001"]]
        await add_leads(db_url, campaign["id"], campaign["contact_database_id"], numbers)
        await stack.api("POST", f"/v1/campaigns/{campaign['id']}/start")

        async def all_done() -> bool:
            live = await stack.api("GET", "/v1/live/campaigns")
            figures = live["items"][0] if live["items"] else {}
            return sum(figures.get("outcomes", {}).values()) >= 5

        await eventually(all_done, within=30)
        live = (await stack.api("GET", "/v1/live/campaigns"))["items"][0]
        assert live["outcomes"] == {"answered": 3, "busy": 1, "congestion": 1}
        assert live["abandoned"] == 0
        assert live["connected"] == 3
        assert live["completed"] == 3 and live["service_level_percent"] == 100.0
        assert live["average_talk_seconds"] > 0 and live["longest_hold_now_seconds"] == 0

    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(calls.c.number, calls.c.outcome, calls.c.agent_id, calls.c.bridged_at)
                )
            ).all()
            states = (await conn.execute(select(spool_entries.c.state))).scalars().all()
    finally:
        await engine.dispose()
    answered = [r for r in rows if r.outcome == "answered"]
    assert len(answered) == 3 and all(r.agent_id and r.bridged_at for r in answered)
    assert sorted(states) == ["done", "done", "done", "waiting_retry", "waiting_retry"]
