"""DNC lists, "why is this lead not dialled?" and compliance figures over the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient
from sqlalchemy import insert

from engine.http.keys import DB
from engine.store.tables import calls
from tests.e2e.support import add_leads
from tests.helpers import bearer, error_of, user_token


async def test_dnc_lists_block_and_explain(client: TestClient, db_url: str) -> None:
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
            "/v1/campaigns",
            # Open around the clock: the test runs at any hour, whatever the callee's zone.
            json={
                "name": "c",
                "contact_database_id": db["id"],
                "rule_pack": "custom",
                "custom_rule_pack": {
                    "windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}]
                },
            },
            headers=admin,
        )
    ).json()
    blocked_lead, free_lead = await add_leads(
        db_url, campaign["id"], db["id"], [["+12025550111"], ["+12025550122", "+12025550133"]]
    )

    listing = await client.post("/v1/dnc-lists", json={"name": "national"}, headers=admin)
    assert listing.status == 201
    dnc = await listing.json()
    bad = await client.post(
        f"/v1/dnc-lists/{dnc['id']}/numbers",
        json={"numbers": ["(202) 555-0111", "not a phone"]},
        headers=admin,
    )
    assert bad.status == 422
    assert [d["field"] for d in (await error_of(bad))["details"]] == ["numbers.1"]
    added = await client.post(
        f"/v1/dnc-lists/{dnc['id']}/numbers",
        json={"numbers": ["(202) 555-0111", "+1 202 555 0122"]},
        headers=admin,
    )
    assert await added.json() == {"added": 2, "already_listed": 0}
    check = await (await client.get("/v1/dnc/check?number=2025550111", headers=admin)).json()
    assert check["blocked"] is True and check["number"] == "+12025550111"

    why = await (await client.get(f"/v1/leads/{blocked_lead}/why", headers=admin)).json()
    assert why["eligible"] is False
    rules = {r["rule"] for r in why["reasons"]}
    assert {"campaign_not_running", "dnc"} <= rules

    await client.post(f"/v1/campaigns/{campaign['id']}/start", headers=admin)
    # The second lead's main number is on the list: its alternate is the one to dial.
    free = await (await client.get(f"/v1/leads/{free_lead}/why", headers=admin)).json()
    assert free["eligible"] is True and free["number"] == "+12025550133"
    tally = await (await client.get(f"/v1/campaigns/{campaign['id']}/why", headers=admin)).json()
    assert tally["waiting"] == 2 and tally["eligible_now"] == 1
    assert tally["blocked"]["dnc"] >= 1

    removed = await client.delete(
        f"/v1/dnc-lists/{dnc['id']}/numbers/%2B12025550111", headers=admin
    )
    assert removed.status == 204
    check = await (await client.get("/v1/dnc/check?number=%2B12025550111", headers=admin)).json()
    assert check["blocked"] is False


async def test_compliance_report_counts_live_answers(client: TestClient, db_url: str) -> None:
    admin = bearer(await user_token(client, "root", "admin"))
    campaign = await (await client.post("/v1/campaigns", json={"name": "c"}, headers=admin)).json()
    now = datetime.now(UTC)
    outcomes = ["answered"] * 30 + ["abandoned"] + ["no_answer"] * 10
    async with client.app[DB].begin() as conn:
        await conn.execute(
            insert(calls),
            [
                {
                    "uuid": f"c{i}",
                    "campaign_id": campaign["id"],
                    "direction": "outbound",
                    "number": f"+1202555{i:04d}",
                    "outcome": outcome,
                    "created_at": now - timedelta(minutes=i),
                    "ended_at": now,
                }
                for i, outcome in enumerate(outcomes)
            ],
        )
    report = await (
        await client.get(f"/v1/campaigns/{campaign['id']}/compliance", headers=admin)
    ).json()
    assert report["abandon_24h"] == {"live_answered": 31, "abandoned": 1, "percent": 3.226}
    assert sum(report["attempts_by_hour"].values()) == len(outcomes)
