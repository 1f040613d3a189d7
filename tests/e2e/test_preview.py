"""Preview dialling: next lead, dial it on the live leg, skip another; outcomes reach the spool."""

from __future__ import annotations

from sqlalchemy import select

from engine.store.db import create_engine
from engine.store.tables import spool_entries
from tests.e2e.support import add_leads, engine_with_sim, eventually


async def test_next_dial_skip(db_url: str) -> None:
    async with engine_with_sim(db_url) as stack:
        campaign = await stack.campaign(
            {
                "name": "preview",
                "mode": "preview",
                "wrapup_seconds": 0,
            }
        )
        agent = await stack.api(
            "POST", "/v1/agents", {"name": "a", "endpoint": "PJSIP/9001"}, status=201
        )
        await stack.api(
            "PUT", f"/v1/campaigns/{campaign['id']}/agents", {"agent_ids": [agent["id"]]}
        )
        await stack.api("POST", f"/v1/agents/{agent['id']}/login", {})
        first, second = await add_leads(
            db_url, campaign["id"], campaign["contact_database_id"], [["1001"], ["1002"]]
        )
        base = f"/v1/agents/{agent['id']}/preview"
        not_running = await stack.client.post(
            f"{base}/next", json={"campaign_id": campaign["id"]}, headers=stack.admin
        )
        assert not_running.status == 409
        await stack.api("POST", f"/v1/campaigns/{campaign['id']}/start")

        async def runner_up() -> bool:
            return campaign["id"] in stack.runtime.dialer.runners

        await eventually(runner_up)
        lead = await stack.api("POST", f"{base}/next", {"campaign_id": campaign["id"]})
        assert lead["lead_id"] == first and lead["number"] == "1001"
        dialled = await stack.api("POST", f"{base}/{first}/dial", status=201)

        async def answered() -> bool:
            live = (await stack.api("GET", "/v1/live/campaigns"))["items"][0]
            return bool(live["outcomes"].get("answered"))

        await eventually(answered, within=30)
        record = await stack.api("GET", f"/v1/calls/{dialled['call_id']}")
        assert record["lead_id"] == first and record["outcome"] == "answered"

        other = await stack.api("POST", f"{base}/next", {"campaign_id": campaign["id"]})
        assert other["lead_id"] == second
        await stack.api("POST", f"{base}/{second}/skip", {"reason": "wrong person"}, status=204)
        nothing = await stack.client.post(
            f"{base}/next", json={"campaign_id": campaign["id"]}, headers=stack.admin
        )
        assert nothing.status == 204

    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            states = dict(
                (await conn.execute(select(spool_entries.c.id, spool_entries.c.state))).all()
            )
    finally:
        await engine.dispose()
    assert states == {first: "done", second: "waiting_retry"}
