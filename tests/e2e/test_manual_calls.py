"""Click-to-call on the live leg, two-step calls, transfer and hang-up, and call history."""

from __future__ import annotations

from typing import Any

from tests.e2e.support import Stack, engine_with_sim, eventually


async def _setup(stack: Stack) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    campaign = await stack.api(
        "POST",
        "/v1/campaigns",
        {
            "name": "manual",
            "mode": "preview",
            "dial_template": "PJSIP/{number}@trunk",
            "caller_id": "+12025550100",
            "wrapup_seconds": 30,
        },
        status=201,
    )
    agents = [
        await stack.api(
            "POST", "/v1/agents", {"name": f"a{ext}", "endpoint": f"PJSIP/{ext}"}, status=201
        )
        for ext in ("9001", "9002", "9003")
    ]
    await stack.api(
        "PUT", f"/v1/campaigns/{campaign['id']}/agents", {"agent_ids": [a["id"] for a in agents]}
    )
    return campaign, agents


async def test_click_to_call_transfer_and_history(db_url: str) -> None:
    async with engine_with_sim(db_url) as stack:
        campaign, (first, second, third) = await _setup(stack)
        for agent in (first, second):
            await stack.api("POST", f"/v1/agents/{agent['id']}/login", {})
        started = await stack.api(
            "POST",
            "/v1/calls",
            {"agent_id": first["id"], "number": "5001", "campaign_id": campaign["id"]},
            status=201,
        )
        assert started["mode"] == "live_leg"
        call_id = started["call_id"]

        async def talking(agent_id: int) -> bool:
            status = await stack.api("GET", f"/v1/agents/{agent_id}/status")
            return bool(status["state"] == "talking" and status["call_id"] == call_id)

        await eventually(lambda: talking(first["id"]))
        await stack.api(
            "POST", f"/v1/calls/{call_id}/transfer", {"agent_id": second["id"]}, status=204
        )
        assert (await stack.api("GET", f"/v1/agents/{first['id']}/status"))["state"] == "wrap_up"
        await eventually(lambda: talking(second["id"]))
        await stack.api("POST", f"/v1/calls/{call_id}/hangup", status=204)

        async def ended() -> bool:
            record = await stack.api("GET", f"/v1/calls/{call_id}")
            return record["ended_at"] is not None

        await eventually(ended)
        record = await stack.api("GET", f"/v1/calls/{call_id}")
        assert record["direction"] == "manual" and record["outcome"] == "answered"
        assert record["answered_at"] and record["bridged_at"]

        # A busy agent cannot click-to-call again; an agent not logged in gets two-step.
        await stack.api("POST", f"/v1/agents/{second['id']}/pause", {"reason": "lunch"})
        two_step = await stack.api(
            "POST",
            "/v1/calls",
            {"agent_id": third["id"], "number": "1002", "campaign_id": campaign["id"]},
            status=201,
        )
        assert two_step["mode"] == "two_step"

        async def two_step_done() -> bool:
            record = await stack.api("GET", f"/v1/calls/{two_step['call_id']}")
            return record["ended_at"] is not None

        await eventually(two_step_done, within=30)
        record = await stack.api("GET", f"/v1/calls/{two_step['call_id']}")
        assert record["outcome"] == "answered"

        history = await stack.api(
            "GET", f"/v1/calls?campaign_id={campaign['id']}&direction=manual&limit=1"
        )
        assert history["total"] == 2 and len(history["items"]) == 1
        by_number = await stack.api("GET", "/v1/calls?destination=5001")
        assert [c["call_id"] for c in by_number["items"]] == [call_id]
        bad = await stack.client.get("/v1/calls?colour=blue", headers=stack.admin)
        assert bad.status == 422


async def test_pause_reasons_once_configured_are_enforced(db_url: str) -> None:
    async with engine_with_sim(db_url) as stack:
        agent = await stack.api(
            "POST", "/v1/agents", {"name": "a", "endpoint": "PJSIP/9001"}, status=201
        )
        await stack.api("POST", f"/v1/agents/{agent['id']}/login", {})
        paused = await stack.api("POST", f"/v1/agents/{agent['id']}/pause", {"reason": "any"})
        assert paused["state"] == "paused" and paused["pause_reason"] == "any"
        await stack.api("POST", f"/v1/agents/{agent['id']}/unpause")
        await stack.api("POST", "/v1/pause-reasons", {"name": "lunch"}, status=201)
        await stack.api("POST", f"/v1/agents/{agent['id']}/pause", {"reason": "coffee"}, status=422)
        status = await stack.api("GET", f"/v1/agents/{agent['id']}/status")
        assert status["state"] == "idle"
        await stack.api("POST", f"/v1/agents/{agent['id']}/pause", {"reason": "lunch"})
        await stack.api("POST", f"/v1/agents/{agent['id']}/logout", status=204)
        await stack.api("GET", f"/v1/agents/{agent['id']}/status", status=404)


async def test_blind_transfer_to_a_number(db_url: str) -> None:
    async with engine_with_sim(db_url) as stack:
        campaign, (first, _second, _third) = await _setup(stack)
        await stack.api("POST", f"/v1/agents/{first['id']}/login", {})
        call = await stack.api(
            "POST",
            "/v1/calls",
            {"agent_id": first["id"], "number": "5001", "campaign_id": campaign["id"]},
            status=201,
        )
        call_id = call["call_id"]

        async def talking() -> bool:
            status = await stack.api("GET", f"/v1/agents/{first['id']}/status")
            return bool(status["state"] == "talking")

        await eventually(talking)
        both = await stack.client.post(
            f"/v1/calls/{call_id}/transfer",
            json={"agent_id": 1, "number": "5002"},
            headers=stack.admin,
        )
        assert both.status == 422
        await stack.api("POST", f"/v1/calls/{call_id}/transfer", {"number": "5002"}, status=204)
        assert (await stack.api("GET", f"/v1/agents/{first['id']}/status"))["state"] == "wrap_up"
        ari = stack.runtime.ari

        async def connected() -> bool:
            bridge = await ari.bridges.get(f"dst-{call_id}")
            return set(bridge.channels) == {f"dsc-{call_id}", f"dsx-{call_id}"}

        await eventually(connected)
        await stack.api("POST", f"/v1/calls/{call_id}/hangup", status=204)

        async def all_gone() -> bool:
            ids = {c.id for c in await ari.channels.list()}
            return not ids & {f"dsc-{call_id}", f"dsx-{call_id}"}

        await eventually(all_gone)
