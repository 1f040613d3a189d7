"""A supervisor assigned to campaigns works within them; agents act on their own calls."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from engine.store import calls as call_store
from engine.store import recordings as recording_store
from engine.store.db import create_engine
from tests.e2e.support import Stack, engine_with_sim
from tests.helpers import add_user, bearer, error_of, login, user_token

ALWAYS = {"windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}]}


async def _floor(stack: Stack) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two running campaigns, each with one logged-in agent of its own."""
    db = await stack.api(
        "POST",
        "/v1/contact-databases",
        {"name": "leads", "fields": ["phone"], "main_phone_field": "phone"},
        status=201,
    )
    campaigns, agents = [], []
    for name, ext in (("north", "9001"), ("south", "9002")):
        campaign = await stack.api(
            "POST",
            "/v1/campaigns",
            {
                "name": name,
                "mode": "progressive",
                "contact_database_id": db["id"],
                "rule_pack": "custom",
                "custom_rule_pack": ALWAYS,
            },
            status=201,
        )
        await add_user(stack.client, f"agent-{name}", "agent")
        agent = await stack.api(
            "POST",
            "/v1/agents",
            {"name": name, "endpoint": f"PJSIP/{ext}", "username": f"agent-{name}"},
            status=201,
        )
        await stack.api(
            "PUT", f"/v1/campaigns/{campaign['id']}/agents", {"agent_ids": [agent["id"]]}
        )
        await stack.api("POST", f"/v1/campaigns/{campaign['id']}/start")
        await stack.api("POST", f"/v1/agents/{agent['id']}/login", {})
        campaigns.append(campaign)
        agents.append(agent)
    return campaigns, agents


async def _calls(
    db_url: str, campaigns: list[dict[str, Any]], agents: list[dict[str, Any]]
) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            for uuid, campaign, agent in (
                ("call-north", campaigns[0]["id"], agents[0]["id"]),
                ("call-south", campaigns[1]["id"], agents[1]["id"]),
                ("call-none", None, None),
            ):
                call_id = await call_store.create_call(
                    conn,
                    uuid=uuid,
                    campaign_id=campaign,
                    agent_id=agent,
                    direction="manual",
                    number="+12025550100",
                    created_at=datetime.now(UTC),
                )
                await recording_store.insert_recording(
                    conn,
                    call_id=call_id,
                    path=f"20261206/{uuid}.mp3",
                    fmt="mp3",
                    duration=1.0,
                    size=1,
                    created_at=datetime.now(UTC),
                )
    finally:
        await engine.dispose()


async def test_assigned_supervisor_sees_and_acts_within_their_campaigns(db_url: str) -> None:
    async with engine_with_sim(db_url) as stack:
        (north, south), (north_agent, south_agent) = await _floor(stack)
        await _calls(db_url, [north, south], [north_agent, south_agent])
        await add_user(stack.client, "sue", "supervisor")
        users = await stack.api("GET", "/v1/users")
        sue_id = next(u["id"] for u in users["items"] if u["username"] == "sue")
        await stack.api("PUT", f"/v1/campaigns/{north['id']}/supervisors", {"user_ids": [sue_id]})
        sue = bearer(await login(stack.client, "sue"))
        client = stack.client

        async def get(path: str, status: int = 200) -> Any:
            response = await client.get(path, headers=sue)
            assert response.status == status, await response.text()
            return await (response.json() if status == 200 else error_of(response))

        live_agents = await get("/v1/live/agents")
        assert [a["agent_id"] for a in live_agents["items"]] == [north_agent["id"]]
        live = await get("/v1/live/campaigns")
        assert [c["campaign_id"] for c in live["items"]] == [north["id"]]
        listed = await get("/v1/campaigns")
        assert [c["id"] for c in listed["items"]] == [north["id"]]
        assert (await get(f"/v1/campaigns/{south['id']}", 403))["id"] == "forbidden"
        for resource in ("why", "compliance", "loads", "scheduled-calls"):
            assert (await get(f"/v1/campaigns/{south['id']}/{resource}", 403))["id"] == "forbidden"
            await get(f"/v1/campaigns/{north['id']}/{resource}")
        calls = await get("/v1/calls")
        assert {c["call_id"] for c in calls["items"]} == {"call-north", "call-none"}
        assert (await get("/v1/calls/call-south", 403))["id"] == "forbidden"
        assert (await get("/v1/calls/call-north"))["call_id"] == "call-north"

        recordings = await get("/v1/recordings")
        assert {r["call_id"] for r in recordings["items"]} == {"call-north", "call-none"}
        south_recording = await stack.api("GET", "/v1/recordings")
        south_id = next(r["id"] for r in south_recording["items"] if r["call_id"] == "call-south")
        assert (await get(f"/v1/recordings/{south_id}", 403))["id"] == "forbidden"

        pause = await client.post(f"/v1/campaigns/{south['id']}/pause", headers=sue)
        assert pause.status == 403
        assert (await stack.api("GET", f"/v1/campaigns/{south['id']}"))["status"] == "running"
        barge = {"mode": "listen", "endpoint": "PJSIP/9100"}
        refused = await client.post(
            f"/v1/agents/{south_agent['id']}/supervise", json=barge, headers=sue
        )
        assert refused.status == 403, await refused.text()
        assert not stack.runtime.supervision.active
        allowed = await client.post(
            f"/v1/agents/{north_agent['id']}/supervise", json=barge, headers=sue
        )
        assert allowed.status == 201, await allowed.text()

        # The admin is never narrowed; nor is a supervisor assigned to nothing.
        everyone = await stack.api("GET", "/v1/live/agents")
        assert len(everyone["items"]) == 2
        floor = bearer(await user_token(client, "flo", "supervisor"))
        response = await client.get("/v1/live/campaigns", headers=floor)
        assert len((await response.json())["items"]) == 2


async def test_agents_hang_up_and_transfer_only_their_own_calls(db_url: str) -> None:
    async with engine_with_sim(db_url) as stack:
        (north, south), (north_agent, south_agent) = await _floor(stack)
        await _calls(db_url, [north, south], [north_agent, south_agent])
        anna = bearer(await login(stack.client, "agent-north"))
        for path, body in (
            ("/v1/calls/call-south/hangup", None),
            ("/v1/calls/call-south/transfer", {"agent_id": north_agent["id"]}),
        ):
            response = await stack.client.post(path, json=body, headers=anna)
            assert response.status == 403, await response.text()
            assert (await error_of(response))["id"] == "forbidden"
        # Its own (no longer live) call gets past the check and is simply not found.
        own = await stack.client.post("/v1/calls/call-north/hangup", headers=anna)
        assert own.status == 404
