"""The recordings API on the real server, on SQLite and PostgreSQL: search, tags,
downloads with Range, signed URLs, who sees what, retention."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import insert, select, text
from yarl import URL

from engine.clock import VirtualClock
from engine.recordings.retention import RetentionSweeper
from engine.store.tables import (
    agents,
    campaigns,
    contact_databases,
    contacts,
    disposition_options,
    dispositions,
    recordings,
)
from tests.helpers import add_user, bearer, error_of, login, user_token
from tests.recordings.support import (
    Seed,
    add_call,
    add_recording,
    db_of,
    eventually,
    recordings_app,
    seed,
    service_of,
)

Client = TestClient  # type: ignore[type-arg]


@pytest.fixture
async def app_client(
    aiohttp_client: Callable[..., Any], db_url: str, tmp_path: Path, clock: VirtualClock
) -> AsyncIterator[Client]:
    app = recordings_app(
        db_url, tmp_path / "store", clock, convert_to_mp3="false", retention_days=30
    )
    yield await aiohttp_client(app)


async def _people(client: Client) -> dict[str, dict[str, str]]:
    admin = bearer(await user_token(client, "root", "admin"))
    supervisor = bearer(await user_token(client, "sue", "supervisor"))
    await add_user(client, "anna", "agent")
    await add_user(client, "bob", "agent")
    return {
        "admin": admin,
        "supervisor": supervisor,
        "anna": bearer(await login(client, "anna")),
        "bob": bearer(await login(client, "bob")),
    }


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, minute, tzinfo=UTC)


async def _catalogue(client: Client, people: Seed) -> dict[str, int]:
    """Four recorded calls over three days, two campaigns, two agents, one disposition."""
    service = service_of(client)
    db = db_of(client)
    async with db.begin() as conn:
        second = await conn.execute(
            insert(campaigns).values(name="service", mode="preview").returning(campaigns.c.id)
        )
        c2 = second.scalar_one()
        database = (
            await conn.execute(
                insert(contact_databases)
                .values(
                    name="crm",
                    fields=["phone", "customer"],
                    phone_fields=["phone"],
                    main_phone_field="phone",
                )
                .returning(contact_databases.c.id)
            )
        ).scalar_one()
        acme = (
            await conn.execute(
                insert(contacts)
                .values(database_id=database, phone="5550103", data={"customer": "ACME"})
                .returning(contacts.c.id)
            )
        ).scalar_one()
        buyer = (
            await conn.execute(
                insert(contacts)
                .values(database_id=database, phone="5550101", data={"customer": "Initech"})
                .returning(contacts.c.id)
            )
        ).scalar_one()
        sale = (
            await conn.execute(
                insert(disposition_options)
                .values(campaign_id=people.campaign_id, name="Sale")
                .returning(disposition_options.c.id)
            )
        ).scalar_one()
    c1, anna, bob = people.campaign_id, people.agent_id, people.other_agent_id
    ids = {
        "r1": await add_recording(
            service,
            "rec1",
            _at(1, 9, 15),
            seconds=1.0,
            duration=2.0,
            tags=("vip",),
            agent_id=anna,
            campaign_id=c1,
            number="5550101",
            source="100",
            contact_id=buyer,
            variables={"crm_id": "X1"},
        ),
        "r2": await add_recording(
            service,
            "rec2",
            _at(1, 22, 30),
            seconds=1.0,
            duration=5.0,
            agent_id=bob,
            campaign_id=c1,
            number="5550102",
            source="100",
        ),
        "r3": await add_recording(
            service,
            "rec3",
            _at(2, 10),
            seconds=1.0,
            duration=3.0,
            agent_id=anna,
            campaign_id=c2,
            number="5550101",
            source="200",
        ),
        "r4": await add_recording(
            service,
            "rec4",
            _at(3, 1),
            seconds=1.0,
            duration=8.0,
            agent_id=bob,
            campaign_id=c2,
            number="5550103",
            source="200",
            contact_id=acme,
        ),
    }
    await add_call(db, "unrecorded", _at(5, 12), number="5550103")
    async with db.begin() as conn:
        rec1_call = (
            await conn.execute(select(recordings.c.call_id).where(recordings.c.id == ids["r1"]))
        ).scalar_one()
        await conn.execute(
            insert(dispositions).values(
                campaign_id=c1, contact_id=buyer, call_id=rec1_call, agent_id=anna, option_id=sale
            )
        )
    ids["c2"] = c2
    return ids


async def _sessions_in_new_york(client: Client) -> None:
    """PostgreSQL sessions in another zone than UTC: hour filters must still mean UTC."""
    db = db_of(client)
    if db.dialect.name != "postgresql":
        return
    async with db.begin() as conn:
        name = (await conn.execute(text("SELECT current_database()"))).scalar_one()
        await conn.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO 'America/New_York'"))
    await db.dispose()
    async with db.connect() as conn:
        assert (await conn.execute(text("SHOW timezone"))).scalar_one() == "America/New_York"


async def test_search_filters_paging_and_agents_seeing_their_own(app_client: Client) -> None:
    await _sessions_in_new_york(app_client)
    people = await _people(app_client)
    ids = await _catalogue(app_client, await seed(db_of(app_client)))
    r1, r2, r3, r4 = ids["r1"], ids["r2"], ids["r3"], ids["r4"]
    agents = {a: i for a, i in zip(("anna", "bob"), (await seed_ids(app_client)), strict=True)}

    async def found(query: dict[str, Any], who: str = "admin") -> list[int]:
        response = await app_client.get("/v1/recordings", params=query, headers=people[who])
        assert response.status == 200, await response.text()
        return [item["id"] for item in (await response.json())["items"]]

    assert await found({}) == [r4, r3, r2, r1]
    assert await found({"date_from": "2025-06-02T00:00:00Z"}) == [r4, r3]
    assert await found({"date_to": "2025-06-02T00:00:00"}) == [r2, r1]
    assert await found({"agent_id": agents["anna"]}) == [r3, r1]
    assert await found({"campaign_id": ids["c2"]}) == [r4, r3]
    assert await found({"source": "200"}) == [r4, r3]
    assert await found({"number": "5550101"}) == [r3, r1]
    assert await found({"exclude_number": "5550101, 5550103"}) == [r2]
    assert await found({"tag": "vip"}) == [r1]
    assert await found({"call_data": "crm_id=X1"}) == [r1]
    assert await found({"call_data": "customer=ACME"}) == [r4]
    assert await found({"hour_from": 22, "hour_to": 2}) == [r4, r2]
    assert await found({"hour_from": 9, "hour_to": 10}) == [r3, r1]
    assert await found({"disposition": "Sale"}) == [r1]
    assert await found({"min_duration": 4.5}) == [r4, r2]
    assert await found({"min_calls_to_number": 2}) == [r4, r3, r1]
    assert await found({"min_calls_to_number": 2, "date_to": "2025-06-04T00:00:00Z"}) == [r3, r1]
    assert await found({"number": "5550101", "tag": "vip", "source": "100"}) == [r1]

    page = await (
        await app_client.get("/v1/recordings", params={"limit": 3}, headers=people["admin"])
    ).json()
    assert [i["id"] for i in page["items"]] == [r4, r3, r2] and page["next_cursor"]
    rest = await (
        await app_client.get(
            "/v1/recordings",
            headers=people["admin"],
            params={"limit": 3, "cursor": page["next_cursor"]},
        )
    ).json()
    assert [i["id"] for i in rest["items"]] == [r1] and rest["next_cursor"] is None
    assert await found({"limit": 2, "offset": 1}) == [r3, r2]
    first = page["items"][0]
    assert first["call_id"] == "rec4" and first["number"] == "5550103"
    assert first["file_url"] == f"/v1/recordings/{r4}/file" and "path" not in first
    described = await (
        await app_client.get(f"/v1/recordings/{r1}", headers=people["supervisor"])
    ).json()
    assert described["disposition"] == "Sale" and described["tags"] == ["vip"]

    # Agents see their own calls' recordings, whatever they ask for.
    assert await found({}, "anna") == [r3, r1]
    assert await found({"agent_id": agents["bob"]}, "anna") == []
    assert await found({}, "supervisor") == [r4, r3, r2, r1]
    assert (await app_client.get(f"/v1/recordings/{r2}", headers=people["anna"])).status == 403

    for bad in (
        {"hour_from": 25},
        {"limit": 0},
        {"cursor": "bm9wZQ"},
        {"nonsense": 1},
        {"call_data": "no equals"},
        {"exclude_number": "12;DROP"},
        {"date_from": "2025-06-03T00:00:00Z", "date_to": "2025-06-01T00:00:00Z"},
    ):
        response = await app_client.get("/v1/recordings", params=bad, headers=people["admin"])
        assert response.status == 422, bad
        assert (await error_of(response))["id"] == "validation-failed"
    assert (await app_client.get("/v1/recordings")).status == 401


async def seed_ids(client: Client) -> tuple[int, int]:
    async with db_of(client).connect() as conn:
        rows = (await conn.execute(select(agents.c.name, agents.c.id))).all()
    by_name = {row.name: row.id for row in rows}
    return by_name["Anna"], by_name["Bob"]


async def test_tags_are_replaced_checked_and_searchable(app_client: Client) -> None:
    people = await _people(app_client)
    seeded = await seed(db_of(app_client))
    mine = await add_recording(
        service_of(app_client), "tag1", _at(1, 9), seconds=1.0, agent_id=seeded.agent_id
    )
    theirs = await add_recording(
        service_of(app_client), "tag2", _at(1, 9), seconds=1.0, agent_id=seeded.other_agent_id
    )

    response = await app_client.put(
        f"/v1/recordings/{mine}/tags",
        headers=people["anna"],
        json={"tags": ["callback", " vip", "vip", "QA: 2025/06"]},
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["tags"] == ["callback", "vip", "QA: 2025/06"]
    forbidden = await app_client.put(
        f"/v1/recordings/{theirs}/tags", headers=people["anna"], json={"tags": ["x"]}
    )
    assert forbidden.status == 403
    for bad in (["<script>"], [""], ["x" * 51], ["a"] * 51):
        response = await app_client.put(
            f"/v1/recordings/{mine}/tags", headers=people["admin"], json={"tags": bad}
        )
        assert response.status == 422, bad
    missing = await app_client.put(
        "/v1/recordings/999999/tags", headers=people["admin"], json={"tags": []}
    )
    assert missing.status == 404
    search = await app_client.get(
        "/v1/recordings", params={"tag": "QA: 2025/06"}, headers=people["supervisor"]
    )
    assert [i["id"] for i in (await search.json())["items"]] == [mine]


async def test_downloads_support_ranges_and_never_take_a_path_from_the_request(
    app_client: Client,
) -> None:
    people = await _people(app_client)
    seeded = await seed(db_of(app_client))
    recording_id = await add_recording(
        service_of(app_client), "dl1", _at(1, 9), seconds=1.0, agent_id=seeded.agent_id
    )
    path = service_of(app_client).root / "20250601" / "dl1.wav"
    audio = path.read_bytes()
    url = f"/v1/recordings/{recording_id}/file"

    whole = await app_client.get(url, headers=people["anna"])
    assert whole.status == 200 and await whole.read() == audio
    assert whole.headers["Content-Type"] == "audio/wav"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert 'filename="dl1.wav"' in whole.headers["Content-Disposition"]

    part = await app_client.get(url, headers={**people["anna"], "Range": "bytes=0-99"})
    assert part.status == 206 and await part.read() == audio[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(audio)}"
    tail = await app_client.get(url, headers={**people["admin"], "Range": "bytes=-44"})
    assert tail.status == 206 and await tail.read() == audio[-44:]
    beyond = await app_client.get(
        url, headers={**people["admin"], "Range": f"bytes={len(audio) + 10}-"}
    )
    assert beyond.status == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(audio)}"

    assert (await app_client.get(url)).status == 401
    assert (await app_client.get(url, headers=people["bob"])).status == 403
    for sneaky in (
        "/v1/recordings/..%2F..%2Fetc%2Fpasswd/file",
        "/v1/recordings/1.wav/file",
        "/v1/recordings/-1/file",
    ):
        response = await app_client.get(sneaky, headers=people["admin"])
        assert response.status in (400, 404), sneaky
    assert (
        await app_client.get("/v1/recordings/424242/file", headers=people["admin"])
    ).status == 404
    path.unlink()  # the row stays; the file went missing
    gone = await app_client.get(url, headers=people["admin"])
    assert gone.status == 404 and (await error_of(gone))["id"] == "not-found"


async def test_signed_urls_open_one_recording_until_they_expire(
    app_client: Client, clock: VirtualClock
) -> None:
    people = await _people(app_client)
    seeded = await seed(db_of(app_client))
    service = service_of(app_client)
    mine = await add_recording(service, "sig1", _at(1, 9), seconds=1.0, agent_id=seeded.agent_id)
    other = await add_recording(
        service, "sig2", _at(1, 9), seconds=1.0, agent_id=seeded.other_agent_id
    )

    response = await app_client.post(
        f"/v1/recordings/{mine}/signed-url", params={"ttl_seconds": 120}, headers=people["anna"]
    )
    assert response.status == 200, await response.text()
    signed = await response.json()
    link = URL(signed["url"])
    assert link.path == f"/v1/recordings/{mine}/file" and set(link.query) == {"access_token"}
    expires = datetime.fromisoformat(signed["expires_at"])
    assert abs(expires.timestamp() - (clock.now() + 120)) < 1.5
    relative = link.path_qs

    ok = await app_client.get(relative)  # no Authorization header
    assert ok.status == 200
    assert await ok.read() == (service.root / "20250601" / "sig1.wav").read_bytes()
    ranged = await app_client.get(relative, headers={"Range": "bytes=10-19"})
    assert ranged.status == 206 and len(await ranged.read()) == 10
    borrowed = f"/v1/recordings/{other}/file?access_token={link.query['access_token']}"
    assert (await app_client.get(borrowed)).status == 401
    forged = relative[:-2] + ("AA" if not relative.endswith("AA") else "BB")
    assert (await app_client.get(forged)).status == 401

    await clock.advance(121)
    expired = await app_client.get(relative)
    assert expired.status == 401
    assert (await error_of(expired))["id"] == "not-authenticated"

    refused = await app_client.post(f"/v1/recordings/{other}/signed-url", headers=people["anna"])
    assert refused.status == 403
    too_long = await app_client.post(
        f"/v1/recordings/{mine}/signed-url", params={"ttl_seconds": 10**6}, headers=people["admin"]
    )
    assert too_long.status == 422


async def test_retention_sweeps_old_files_and_rows_on_its_schedule(
    app_client: Client, clock: VirtualClock
) -> None:
    await seed(db_of(app_client))
    service = service_of(app_client)
    # The sweep at start-up is over before the files it must not see yet are added.
    await eventually(lambda: service.sweeper.rounds == 1, within=10)
    now = datetime.fromtimestamp(clock.now(), tz=UTC)
    old = await add_recording(
        service, "old1", _at(1, 9), seconds=1.0, created_at=now - timedelta(days=31)
    )
    recent = await add_recording(
        service, "new1", _at(1, 9), seconds=1.0, created_at=now - timedelta(days=29)
    )
    folder = service.root / "20250601"
    assert sorted(p.name for p in folder.iterdir()) == ["new1.wav", "old1.wav"]

    async def remaining() -> list[int]:
        async with db_of(app_client).connect() as conn:
            return list((await conn.execute(select(recordings.c.id))).scalars())

    await clock.advance(61)  # the sweeper's next round
    await eventually(lambda: service.sweeper.rounds == 2, within=10)
    await eventually(lambda: not (folder / "old1.wav").exists(), within=10)
    await eventually(lambda: _equal(remaining(), [recent]), within=10)
    assert old not in await remaining()
    assert [p.name for p in folder.iterdir()] == ["new1.wav"]

    keep_forever = RetentionSweeper(db_of(app_client), service.root, clock, 0)
    await clock.advance(0)
    assert not keep_forever.enabled and await keep_forever.sweep() == 0
    later = RetentionSweeper(db_of(app_client), service.root, clock, 28)
    assert await later.sweep() == 1
    assert await remaining() == [] and not folder.joinpath("new1.wav").exists()


async def _equal(value: Any, expected: Any) -> bool:
    return bool(await value == expected)
