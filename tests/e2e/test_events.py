"""Live events over the WebSocket: an agent sees its own state changes and screen-pops."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientWebSocketResponse

from tests.e2e.support import Stack, add_leads, engine_with_sim
from tests.helpers import add_user, login

ALWAYS = {"windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}]}


async def _next(ws: ClientWebSocketResponse, kind: str, within: float = 15) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            message: dict[str, Any] = await ws.receive_json()
            if message["type"] == kind:
                return message


async def _campaign(stack: Stack, db_url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    db = await stack.api(
        "POST",
        "/v1/contact-databases",
        {
            "name": "leads",
            "fields": ["phone", "name", "crm_id"],
            "main_phone_field": "phone",
            "external_id_field": "crm_id",
        },
        status=201,
    )
    campaign = await stack.api(
        "POST",
        "/v1/campaigns",
        {
            "name": "events",
            "mode": "progressive",
            "contact_database_id": db["id"],
            "wrapup_seconds": 1,
            "rule_pack": "custom",
            "custom_rule_pack": ALWAYS,
            "crm_url_template": "https://crm.example/contacts/{external_id}?name={name}",
        },
        status=201,
    )
    agents = []
    for user, ext in (("anna", "9001"), ("bob", "9002")):
        await add_user(stack.client, user, "agent")
        agents.append(
            await stack.api(
                "POST",
                "/v1/agents",
                {"name": user, "endpoint": f"PJSIP/{ext}", "username": user},
                status=201,
            )
        )
    await stack.api(
        "PUT", f"/v1/campaigns/{campaign['id']}/agents", {"agent_ids": [agents[0]["id"]]}
    )
    return campaign, agents


async def test_agent_sees_own_state_and_screen_pop(db_url: str) -> None:
    async with engine_with_sim(db_url) as stack:
        campaign, (anna, _bob) = await _campaign(stack, db_url)
        anna_token = await login(stack.client, "anna")
        bob_token = await login(stack.client, "bob")
        anna_ws = await stack.client.ws_connect(f"/v1/events?access_token={anna_token}")
        bob_ws = await stack.client.ws_connect(f"/v1/events?access_token={bob_token}")
        assert (await _next(anna_ws, "hello"))["name"] == "anna"
        await _next(bob_ws, "hello")

        await stack.client.post(
            f"/v1/agents/{anna['id']}/login",
            json={},
            headers={"Authorization": f"Bearer {anna_token}"},
        )
        idle = await _next(anna_ws, "agent.state")
        assert idle["agent_id"] == anna["id"]

        [entry] = await add_leads(db_url, campaign["id"], 1, [["1001"]])
        await stack.api("POST", f"/v1/campaigns/{campaign['id']}/start")
        pop = await _next(anna_ws, "screen_pop")
        assert pop["agent_id"] == anna["id"] and pop["lead_id"] == entry
        assert pop["crm_url"].startswith("https://crm.example/contacts/")
        assert "name=lead%200" in pop["crm_url"]
        ended = await _next(anna_ws, "call.ended")
        assert ended["outcome"] == "answered"

        # Bob is not on this campaign and not that agent: nothing of Anna's reached him.
        with_bob: list[dict[str, Any]] = []
        while True:
            try:
                async with asyncio.timeout(0.3):
                    with_bob.append(await bob_ws.receive_json())
            except TimeoutError:
                break
        assert with_bob == []
        unauthenticated = await stack.client.get("/v1/events")
        assert unauthenticated.status == 401
        await anna_ws.close()
        await bob_ws.close()
