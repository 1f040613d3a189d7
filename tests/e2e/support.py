"""An engine wired to the simulator over real HTTP / WebSocket, for end-to-end tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert

from engine.app import create_app
from engine.config import Config
from engine.sim.profiles import lab_profile
from engine.sim.server import RunningSim, start_sim
from engine.sim.world import Profile
from engine.store.db import create_engine
from engine.store.tables import contacts, spool_destinations, spool_entries
from engine.telephony import RUNTIME, Runtime
from tests.conftest import make_config
from tests.helpers import bearer, user_token

# Open around the clock: the tests run at any hour.
ALWAYS = {"windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}]}


@dataclass
class Stack:
    sim: RunningSim
    client: TestClient  # type: ignore[type-arg]
    admin: dict[str, str]

    @property
    def runtime(self) -> Runtime:
        return self.client.app[RUNTIME]

    async def api(self, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        response = await self.client.request(method, path, json=json, headers=self.admin)
        assert response.status == status, f"{method} {path}: {await response.text()}"
        return None if response.status == 204 else await response.json()

    async def campaign(self, settings: dict[str, Any]) -> Any:
        """A campaign with `settings` (a name at least) on a new contact database of
        one phone field, open around the clock unless `settings` say otherwise."""
        db = await self.api(
            "POST",
            "/v1/contact-databases",
            {"name": f"{settings['name']} leads", "fields": ["phone"], "main_phone_field": "phone"},
            status=201,
        )
        body = {"contact_database_id": db["id"], "rule_pack": "custom", "custom_rule_pack": ALWAYS}
        return await self.api("POST", "/v1/campaigns", body | settings, status=201)


def sim_config(db_url: str, sim: RunningSim, **sections: dict[str, object]) -> Config:
    """A test config with ARI pointed at `sim`; `sections` add to it or override it."""
    return make_config(
        db_url,
        **{
            "ari": {
                "enabled": "true",
                "url": sim.ari_url,
                "username": "dialspool",
                "password": "dialspool",
            },
            "http": {"shutdown_grace_seconds": 5},
            **sections,
        },
    )


@asynccontextmanager
async def engine_with_sim(
    db_url: str, *, time_scale: float = 10.0, profile: Profile | None = None
) -> AsyncIterator[Stack]:
    sim = await start_sim(profile=profile or lab_profile(), time_scale=time_scale, seed=7)
    config = sim_config(db_url, sim)
    client = TestClient(TestServer(create_app(config)))
    await client.start_server()
    try:
        async with asyncio.timeout(10):
            await client.app[RUNTIME].ari.wait_connected()
        admin = bearer(await user_token(client, "root", "admin"))
        yield Stack(sim, client, admin)
    finally:
        await client.close()
        await sim.close()


async def add_leads(
    db_url: str, campaign_id: int, database_id: int, numbers: Sequence[Sequence[str]]
) -> list[int]:
    """One lead per item: its numbers, main first. Returns the spool entry ids."""
    engine = create_engine(db_url)
    # Due a minute ago: tests on a virtual clock started just before are past it too.
    now = datetime.now(UTC) - timedelta(minutes=1)
    ids = []
    try:
        async with engine.begin() as conn:
            for index, phones in enumerate(numbers):
                contact = await conn.execute(
                    insert(contacts)
                    .values(
                        database_id=database_id,
                        phone=phones[0],
                        data={"name": f"lead {index}"},
                        timezone="America/New_York",
                    )
                    .returning(contacts.c.id)
                )
                entry = await conn.execute(
                    insert(spool_entries)
                    .values(
                        campaign_id=campaign_id,
                        contact_id=contact.scalar_one(),
                        due_at=now,
                        timezone="America/New_York",
                    )
                    .returning(spool_entries.c.id)
                )
                entry_id = entry.scalar_one()
                ids.append(entry_id)
                await conn.execute(
                    insert(spool_destinations),
                    [
                        {"entry_id": entry_id, "position": pos, "number": phone}
                        for pos, phone in enumerate(phones)
                    ],
                )
    finally:
        await engine.dispose()
    return ids


async def eventually(check: Callable[[], Any], within: float = 20.0) -> Any:
    """Poll `check` (sync or async) until it returns a truthy value."""
    async with asyncio.timeout(within):
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(0.05)
