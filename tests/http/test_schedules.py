"""Scheduled calls: added as due callbacks, listed, removed by number and time range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient

from tests.helpers import bearer, user_token


async def test_schedule_list_and_remove(client: TestClient) -> None:
    admin = bearer(await user_token(client, "root", "admin"))
    db = await (
        await client.post(
            "/v1/contact-databases",
            json={"name": "d", "fields": ["phone"], "main_phone_field": "phone"},
            headers=admin,
        )
    ).json()
    campaign = await (
        await client.post(
            "/v1/campaigns", json={"name": "c", "contact_database_id": db["id"]}, headers=admin
        )
    ).json()
    base = f"/v1/campaigns/{campaign['id']}/scheduled-calls"
    start = datetime(2030, 1, 1, 9, tzinfo=UTC)
    for hours, number in ((0, "2025550101"), (2, "2025550101"), (5, "2025550102")):
        created = await client.post(
            base,
            json={"number": number, "at": (start + timedelta(hours=hours)).isoformat()},
            headers=admin,
        )
        assert created.status == 201, await created.text()
    listed = await (await client.get(base, headers=admin)).json()
    assert [s["number"] for s in listed["items"]] == ["+12025550101"] * 2 + ["+12025550102"]
    lead = listed["items"][0]["lead_id"]
    why = await (await client.get(f"/v1/leads/{lead}/why", headers=admin)).json()
    assert "not_due" in {r["rule"] for r in why["reasons"]}

    everything = await client.delete(base, headers=admin)
    assert everything.status == 422
    window = f"?number=2025550101&since={(start + timedelta(hours=1)).isoformat()}"
    removed = await client.delete(base + window.replace("+", "%2B"), headers=admin)
    assert await removed.json() == {"cancelled": 1}
    left = await (await client.get(base, headers=admin)).json()
    assert [s["call_at"][:13] for s in left["items"]] == ["2030-01-01T09", "2030-01-01T14"]
