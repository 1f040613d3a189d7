"""Answered with nobody free: the caller waits the drop time, hears the safe-harbour
message and is abandoned; the dialler keeps dialling meanwhile."""

from __future__ import annotations

from sqlalchemy import select

from engine.store.db import create_engine
from engine.store.tables import calls
from tests.e2e.support import add_leads, engine_with_sim, eventually


async def test_callers_nobody_takes_hear_the_safe_harbour_message(db_url: str) -> None:
    async with engine_with_sim(db_url) as stack:
        campaign = await stack.campaign(
            {
                "name": "power",
                "mode": "power",
                "power_ratio": 3.0,
                "drop_time_seconds": 0.5,
                "safe_harbour_sound": "sound:please-hold",
            }
        )
        agent = await stack.api(
            "POST", "/v1/agents", {"name": "solo", "endpoint": "PJSIP/9001"}, status=201
        )
        await stack.api(
            "PUT", f"/v1/campaigns/{campaign['id']}/agents", {"agent_ids": [agent["id"]]}
        )
        assert (await stack.api("POST", f"/v1/agents/{agent['id']}/login", {}))["state"] == "idle"
        # 5xxx answer after 1 s (0.1 s here) and stay up: one reaches the agent, the
        # other two wait for nobody.
        await add_leads(
            db_url, campaign["id"], campaign["contact_database_id"], [["5001"], ["5002"], ["5003"]]
        )
        await stack.api("POST", f"/v1/campaigns/{campaign['id']}/start")

        async def settled() -> bool:
            live = (await stack.api("GET", "/v1/live/campaigns"))["items"]
            return bool(live) and live[0]["connected"] == 1 and live[0]["abandoned"] == 2

        await eventually(settled, within=20)

        async def hung_up() -> bool:
            outcomes = (await stack.api("GET", "/v1/live/campaigns"))["items"][0]["outcomes"]
            return bool(outcomes.get("abandoned") == 2)

        await eventually(hung_up, within=20)
        played = [
            event
            for _, event in stack.sim.pbx.bus.history
            if event["type"] == "PlaybackStarted"
            and event["playback"]["media_uri"] == "sound:please-hold"
        ]
        assert len(played) == 2
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        calls.c.outcome, calls.c.answered_at, calls.c.bridged_at, calls.c.agent_id
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    abandoned = [r for r in rows if r.outcome == "abandoned"]
    assert len(abandoned) == 2
    assert all(r.answered_at and r.bridged_at is None and r.agent_id is None for r in abandoned)
    # The connected call was still up at the stop: its bridging was written all the same.
    (connected,) = [r for r in rows if r.outcome != "abandoned"]
    assert connected.answered_at and connected.bridged_at and connected.agent_id == agent["id"]
