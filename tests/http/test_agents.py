"""Agents, skills and pause reasons over the native API."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.helpers import add_user, bearer, error_of, user_token


async def test_agents_skills_and_campaign_assignment(client: TestClient) -> None:
    admin = bearer(await user_token(client, "root", "admin"))
    await add_user(client, "anna", "agent")
    created = await client.post(
        "/v1/agents",
        json={"name": "Anna", "endpoint": "PJSIP/1001", "username": "anna"},
        headers=admin,
    )
    assert created.status == 201, await created.text()
    agent = await created.json()
    assert agent == {
        "id": agent["id"],
        "name": "Anna",
        "endpoint": "PJSIP/1001",
        "active": True,
        "username": "anna",
    }

    bad = await client.post(
        "/v1/agents",
        json={"name": "B", "endpoint": "PJSIP/1002;rm -rf", "username": "ghost"},
        headers=admin,
    )
    assert bad.status == 422
    assert {d["field"] for d in (await error_of(bad))["details"]} == {"endpoint"}
    ghost = await client.post(
        "/v1/agents",
        json={"name": "B", "endpoint": "PJSIP/1002", "username": "ghost"},
        headers=admin,
    )
    assert ghost.status == 422

    skill = await (await client.post("/v1/skills", json={"name": "spanish"}, headers=admin)).json()
    skills = await client.put(
        f"/v1/agents/{agent['id']}/skills/{skill['id']}", json={"capacity": 70}, headers=admin
    )
    assert (await skills.json())["items"] == [
        {"skill_id": skill["id"], "name": "spanish", "capacity": 70, "enabled": True}
    ]
    over = await client.put(
        f"/v1/agents/{agent['id']}/skills/{skill['id']}", json={"capacity": 101}, headers=admin
    )
    assert over.status == 422

    patched = await client.patch(
        f"/v1/agents/{agent['id']}", json={"endpoint": "PJSIP/2001"}, headers=admin
    )
    assert (await patched.json())["endpoint"] == "PJSIP/2001"

    db = await client.post(
        "/v1/contact-databases",
        json={"name": "d", "fields": ["phone"], "main_phone_field": "phone"},
        headers=admin,
    )
    campaign = await (
        await client.post(
            "/v1/campaigns",
            json={"name": "c", "contact_database_id": (await db.json())["id"]},
            headers=admin,
        )
    ).json()
    assigned = await client.put(
        f"/v1/campaigns/{campaign['id']}/agents", json={"agent_ids": [agent["id"]]}, headers=admin
    )
    assert (await assigned.json()) == {"agent_ids": [agent["id"]]}
    unknown = await client.put(
        f"/v1/campaigns/{campaign['id']}/agents",
        json={"agent_ids": [agent["id"], 999]},
        headers=admin,
    )
    assert unknown.status == 422


async def test_pause_reasons_visible_to_agents(client: TestClient) -> None:
    admin = bearer(await user_token(client, "root", "admin"))
    agent = bearer(await user_token(client, "anna", "agent"))
    created = await client.post("/v1/pause-reasons", json={"name": "lunch"}, headers=admin)
    assert created.status == 201
    assert (
        await client.post("/v1/pause-reasons", json={"name": "lunch"}, headers=admin)
    ).status == 409
    listing = await (await client.get("/v1/pause-reasons", headers=agent)).json()
    assert [r["name"] for r in listing["items"]] == ["lunch"]
    assert (await client.post("/v1/pause-reasons", json={"name": "x"}, headers=agent)).status == 403
