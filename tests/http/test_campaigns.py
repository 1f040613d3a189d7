"""Campaign CRUD, status changes and role checks over the native API."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.helpers import bearer, error_of, user_token

DATABASE = {
    "name": "leads",
    "fields": ["phone", "mobile", "name", "crm_id"],
    "main_phone_field": "phone",
    "phone_fields": ["mobile"],
    "external_id_field": "crm_id",
}


async def _admin(client: TestClient) -> dict[str, str]:
    return bearer(await user_token(client, "root", "admin"))


async def _campaign(client: TestClient, admin: dict[str, str], **extra: Any) -> dict[str, Any]:
    db = await client.post("/v1/contact-databases", json=DATABASE, headers=admin)
    assert db.status == 201, await db.text()
    body = {"name": "spring", "mode": "predictive", "contact_database_id": (await db.json())["id"]}
    created = await client.post("/v1/campaigns", json=body | extra, headers=admin)
    assert created.status == 201, await created.text()
    return dict(await created.json())


async def test_create_get_list_and_defaults(client: TestClient) -> None:
    admin = await _admin(client)
    campaign = await _campaign(client, admin, external_id="crm-7")
    assert campaign["status"] == "draft"
    assert campaign["ring_timeout_seconds"] == 25
    assert campaign["drop_time_seconds"] == 2.0
    assert campaign["retry_policy"] == {}  # the policy's defaults apply
    assert campaign["rule_pack"] == "us_states"  # the TCPA and the stricter states
    fetched = await (await client.get(f"/v1/campaigns/{campaign['id']}", headers=admin)).json()
    assert fetched == campaign
    listing = await (await client.get("/v1/campaigns?status=draft", headers=admin)).json()
    assert [c["name"] for c in listing["items"]] == ["spring"]
    databases = await (await client.get("/v1/contact-databases", headers=admin)).json()
    assert databases["items"][0]["phone_fields"] == ["phone", "mobile"]


async def test_invalid_settings_are_422_and_change_nothing(client: TestClient) -> None:
    admin = await _admin(client)
    campaign = await _campaign(client, admin)
    bad = await client.post(
        "/v1/campaigns",
        json={
            "name": "x",
            "ring_timeout_seconds": 10,
            "dial_template": "PJSIP/trunk",
            "timezone": "Mars/Olympus",
            "retry_policy": {"busy": {"max": 0}},
        },
        headers=admin,
    )
    assert bad.status == 422
    fields = {d["field"] for d in (await error_of(bad))["details"]}
    assert fields == {"ring_timeout_seconds", "dial_template", "timezone", "retry_policy"}
    custom = await client.post(
        "/v1/campaigns", json={"name": "y", "rule_pack": "custom"}, headers=admin
    )
    assert custom.status == 422
    assert "custom rule pack" in (await error_of(custom))["details"][0]["message"]

    patch = await client.patch(
        f"/v1/campaigns/{campaign['id']}",
        json={"abandon_set_point_percent": 5.0},
        headers=admin,
    )
    assert patch.status == 422
    unchanged = await (await client.get(f"/v1/campaigns/{campaign['id']}", headers=admin)).json()
    assert unchanged == campaign

    unknown_db = await client.patch(
        f"/v1/campaigns/{campaign['id']}", json={"contact_database_id": 999}, headers=admin
    )
    assert unknown_db.status == 422


async def test_patch_changes_only_what_is_given(client: TestClient) -> None:
    admin = await _admin(client)
    campaign = await _campaign(client, admin)
    response = await client.patch(
        f"/v1/campaigns/{campaign['id']}",
        json={
            "power_ratio": 2.5,
            "hours": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}],
        },
        headers=admin,
    )
    assert response.status == 200
    changed = await response.json()
    assert changed["power_ratio"] == 2.5
    assert changed["hours"][0]["days"] == [0, 1, 2, 3, 4]
    assert {k: v for k, v in changed.items() if k not in ("power_ratio", "hours")} == {
        k: v for k, v in campaign.items() if k not in ("power_ratio", "hours")
    }


async def test_status_transitions_and_illegal_ones(client: TestClient) -> None:
    admin = await _admin(client)
    campaign = await _campaign(client, admin)
    base = f"/v1/campaigns/{campaign['id']}"
    illegal = await client.post(f"{base}/pause", headers=admin)
    assert illegal.status == 409
    assert (await error_of(illegal))["id"] == "illegal-transition"
    for action, status in (
        ("start", "running"),
        ("pause", "paused"),
        ("start", "running"),
        ("stop", "stopped"),
    ):
        response = await client.post(f"{base}/{action}", headers=admin)
        assert response.status == 200, await response.text()
        assert (await response.json())["status"] == status
    assert (await client.delete(base, headers=admin)).status == 204
    assert (await client.get(base, headers=admin)).status == 404


async def test_running_campaign_cannot_be_deleted_and_duplicates_conflict(
    client: TestClient,
) -> None:
    admin = await _admin(client)
    campaign = await _campaign(client, admin)
    await client.post(f"/v1/campaigns/{campaign['id']}/start", headers=admin)
    assert (await client.delete(f"/v1/campaigns/{campaign['id']}", headers=admin)).status == 409
    duplicate = await client.post("/v1/campaigns", json={"name": "spring"}, headers=admin)
    assert duplicate.status == 409


async def test_roles(client: TestClient) -> None:
    admin = await _admin(client)
    campaign = await _campaign(client, admin)
    supervisor = bearer(await user_token(client, "sup", "supervisor"))
    agent = bearer(await user_token(client, "ag", "agent"))
    assert (await client.get("/v1/campaigns", headers=supervisor)).status == 200
    assert (
        await client.post(f"/v1/campaigns/{campaign['id']}/start", headers=supervisor)
    ).status == 200
    assert (
        await client.post("/v1/campaigns", json={"name": "n"}, headers=supervisor)
    ).status == 403
    assert (await client.get("/v1/campaigns", headers=agent)).status == 403
    assert (await client.get("/v1/campaigns/abc", headers=admin)).status == 400
