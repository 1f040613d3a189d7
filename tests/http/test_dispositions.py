"""Dispositions over the API drive the spool: schedule, blacklist, respool, one per contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from engine.http.keys import DB
from engine.store.tables import dnc_entries, scheduled_calls, spool_entries
from tests.e2e.support import add_leads
from tests.helpers import add_user, bearer, error_of, login, user_token


async def _setup(client: TestClient, db_url: str) -> tuple[dict[str, str], dict[str, Any], int]:
    admin = bearer(await user_token(client, "root", "admin"))
    db = await (
        await client.post(
            "/v1/contact-databases",
            json={"name": "d", "fields": ["phone", "name"], "main_phone_field": "phone"},
            headers=admin,
        )
    ).json()
    campaign = await (
        await client.post(
            "/v1/campaigns", json={"name": "c", "contact_database_id": db["id"]}, headers=admin
        )
    ).json()
    [entry_id] = await add_leads(db_url, campaign["id"], db["id"], [["+12025550101"]])
    async with client.app[DB].connect() as conn:
        contact_id = (
            await conn.execute(
                select(spool_entries.c.contact_id).where(spool_entries.c.id == entry_id)
            )
        ).scalar_one()
    return admin, campaign, contact_id


async def _option(client: TestClient, admin: dict[str, str], campaign_id: int, **body: Any) -> int:
    response = await client.post(
        f"/v1/campaigns/{campaign_id}/disposition-options", json=body, headers=admin
    )
    assert response.status == 201, await response.text()
    return int((await response.json())["id"])


async def test_schedule_then_blacklist(client: TestClient, db_url: str) -> None:
    admin, campaign, contact_id = await _setup(client, db_url)
    callback = await _option(client, admin, campaign["id"], name="Call back", action="schedule")
    blacklist = await _option(client, admin, campaign["id"], name="DNC", action="blacklist")

    missing_time = await client.post(
        "/v1/dispositions",
        json={"campaign_id": campaign["id"], "contact_id": contact_id, "option_id": callback},
        headers=admin,
    )
    assert missing_time.status == 422
    assert "callback needs a time" in (await error_of(missing_time))["message"]

    at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    created = await client.post(
        "/v1/dispositions",
        json={
            "campaign_id": campaign["id"],
            "contact_id": contact_id,
            "option_id": callback,
            "callback_at": at.isoformat(),
            "comments": "after lunch",
        },
        headers=admin,
    )
    assert created.status == 201, await created.text()
    disposition = await created.json()
    assert disposition["spool_state"] == "pending"

    again = await client.post(
        "/v1/dispositions",
        json={
            "campaign_id": campaign["id"],
            "contact_id": contact_id,
            "option_id": callback,
            "callback_at": at.isoformat(),
        },
        headers=admin,
    )
    assert again.status == 409

    async with client.app[DB].connect() as conn:
        entry = (await conn.execute(select(spool_entries))).mappings().one()
        assert entry["is_callback"] is True and entry["due_at"] == at
        assert (await conn.execute(select(scheduled_calls.c.call_at))).scalar_one() == at

    changed = await client.patch(
        f"/v1/dispositions/{disposition['id']}", json={"option_id": blacklist}, headers=admin
    )
    assert changed.status == 200
    assert (await changed.json())["spool_state"] == "done"
    async with client.app[DB].connect() as conn:
        numbers = (await conn.execute(select(dnc_entries.c.number))).scalars().all()
    assert numbers == ["+12025550101"]


async def test_option_levels_and_agents_see_their_own(client: TestClient, db_url: str) -> None:
    admin, campaign, contact_id = await _setup(client, db_url)
    top = await _option(client, admin, campaign["id"], name="Sale")
    orphan = await client.post(
        f"/v1/campaigns/{campaign['id']}/disposition-options",
        json={"name": "Upsell", "level": 2},
        headers=admin,
    )
    assert orphan.status == 422
    await _option(client, admin, campaign["id"], name="Upsell", level=2, parent_id=top)

    await add_user(client, "anna", "agent")
    agent = await (
        await client.post(
            "/v1/agents",
            json={"name": "Anna", "endpoint": "PJSIP/9001", "username": "anna"},
            headers=admin,
        )
    ).json()
    anna = bearer(await login(client, "anna"))
    done = await client.post(
        "/v1/dispositions",
        json={"campaign_id": campaign["id"], "contact_id": contact_id, "option_id": top},
        headers=anna,
    )
    assert done.status == 201
    assert (await done.json())["agent_id"] == agent["id"]
    mine = await (await client.get("/v1/dispositions", headers=anna)).json()
    assert len(mine["items"]) == 1
    others = await client.get(f"/v1/dispositions?agent_id={agent['id'] + 1}", headers=anna)
    assert others.status == 403

    with_contact = await client.post(
        "/v1/dispositions/with-contact",
        json={
            "campaign_id": campaign["id"],
            "contact": {"phone": "+12025550199", "name": "New"},
            "option_id": top,
        },
        headers=admin,
    )
    assert with_contact.status == 201, await with_contact.text()
    bad_contact = await client.post(
        "/v1/dispositions/with-contact",
        json={"campaign_id": campaign["id"], "contact": {"fax": "1"}, "option_id": top},
        headers=admin,
    )
    assert bad_contact.status == 422
