"""Inbound calls: a DID's campaign queues callers for its agents, then overflows."""

from __future__ import annotations

from typing import Any

from tests.e2e.support import Stack, engine_with_sim, eventually


async def _ring(stack: Stack, did: str, caller: str, hangup_after: float | None) -> None:
    body: dict[str, Any] = {"did": did, "caller": caller}
    if hangup_after is not None:
        body["hangup_after"] = hangup_after
    response = await stack.client.session.post(
        stack.sim.url + "/_sim/inbound",
        json=body,
        auth=None,
        headers={"Authorization": "Basic ZGlhbHNwb29sOmRpYWxzcG9vbA=="},
    )
    assert response.status == 200, await response.text()


async def _outcome(stack: Stack, caller: str) -> str | None:
    number = caller.replace("+", "%2B")
    found = await stack.api("GET", f"/v1/calls?direction=inbound&destination={number}")
    items = found["items"]
    return items[0]["outcome"] if items and items[0]["ended_at"] else None


async def test_queue_answer_abandon_and_overflow(db_url: str) -> None:
    async with engine_with_sim(db_url, time_scale=5.0) as stack:
        campaign = await stack.api(
            "POST",
            "/v1/campaigns",
            {
                "name": "support",
                "mode": "inbound",
                "inbound_did": "5550100",
                "inbound_max_wait_seconds": 5,
                "inbound_announce_seconds": 2,
                "wrapup_seconds": 0,
            },
            status=201,
        )
        agent = await stack.api(
            "POST", "/v1/agents", {"name": "a", "endpoint": "PJSIP/9001"}, status=201
        )
        await stack.api(
            "PUT", f"/v1/campaigns/{campaign['id']}/agents", {"agent_ids": [agent["id"]]}
        )
        await stack.api("POST", f"/v1/campaigns/{campaign['id']}/start")
        await stack.api("POST", f"/v1/agents/{agent['id']}/login", {})

        # The agent takes the first caller; it talks for 15 world seconds (3 s here).
        await _ring(stack, "5550100", "+12025550111", hangup_after=15)

        async def talking() -> bool:
            status = await stack.api("GET", f"/v1/agents/{agent['id']}/status")
            return bool(status["state"] == "talking")

        await eventually(talking)
        # While the agent talks: one caller gives up, another waits past the maximum.
        await _ring(stack, "5550100", "+12025550122", hangup_after=5)
        await _ring(stack, "5550100", "+12025550133", hangup_after=None)
        await eventually(lambda: _outcome(stack, "+12025550111"), within=20)
        assert await _outcome(stack, "+12025550111") == "answered"
        # The freed agent took the caller still waiting (the other had left).
        await eventually(lambda: _outcome(stack, "+12025550122"), within=20)
        assert await _outcome(stack, "+12025550122") == "abandoned"
        record = (await stack.api("GET", "/v1/calls?destination=%2B12025550133"))["items"][0]
        assert record["agent_id"] == agent["id"]

        await stack.api("POST", f"/v1/calls/{record['call_id']}/hangup", status=204)
        await eventually(lambda: _outcome(stack, "+12025550133"), within=20)
        await stack.api("POST", f"/v1/agents/{agent['id']}/pause", {"reason": "break"})
        await _ring(stack, "5550100", "+12025550144", hangup_after=None)
        await eventually(lambda: _outcome(stack, "+12025550144"), within=20)
        assert await _outcome(stack, "+12025550144") == "no_agent"
        await _ring(stack, "5559999", "+12025550155", hangup_after=None)
        await eventually(lambda: _outcome(stack, "+12025550155"), within=20)
        assert await _outcome(stack, "+12025550155") == "unknown_number"
