"""Routing an answered customer to an agent: StasisStart -> ChannelEnteredBridge.

The simulator runs in another process (a world profile written to a temp dir:
agents 9xxx answer at once and stay up, customers 7xxxx answer after 1 s of
world time and stay up). The real engine (`create_app`, SQLite in a temp dir,
ARI pointed at the simulator) logs in N agents over its HTTP API and runs a
progressive campaign of N leads, so that N calls are up at once. A listener on
the engine's own AriClient stamps (perf_counter) each customer channel's
StasisStart and its ChannelEnteredBridge as the engine receives them.

Baseline, same run and same simulator: a bare AriClient with N bridges that
adds each customer to a bridge as soon as its StasisStart arrives (N
customers originated one after another, as the runner dials).
Target: p99 <= 50 ms with 500 calls up at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert

from bench._simproc import PASSWORD, USER, SimProcess, load_note, sim_process
from engine.app import create_app
from engine.ari.client import AriClient
from engine.ari.errors import AriError
from engine.ari.events import ChannelDestroyed, ChannelEnteredBridge, StasisStart
from engine.config import load_config
from engine.http.api import AUTH_SERVICE
from engine.store import migrate
from engine.store.db import create_engine
from engine.store.tables import contacts, spool_destinations, spool_entries
from engine.telephony import RUNTIME

PROFILE = """
[[numbers]]
match = "9*"
outcome = "person"
ring = 0.0

[[numbers]]
match = "7*"
outcome = "person"
ring = 1.0
talk = 36000.0
"""
TIME_SCALE = 20.0
CUSTOMER_PREFIX = "dsc-"


class Stamps:
    """StasisStart / ChannelEnteredBridge arrival times of customer channels."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.bridged: dict[str, float] = {}
        self.up: set[str] = set()
        self.max_up = 0
        self.all_bridged = asyncio.Event()
        self.expected = 0

    def on_start(self, event: StasisStart) -> None:
        if event.channel.id.startswith(CUSTOMER_PREFIX):
            self.started.setdefault(event.channel.id, time.perf_counter())

    def on_entered(self, event: ChannelEnteredBridge) -> None:
        channel = event.channel
        if channel is None or not channel.id.startswith(CUSTOMER_PREFIX):
            return
        self.bridged.setdefault(channel.id, time.perf_counter())
        self.up.add(channel.id)
        self.max_up = max(self.max_up, len(self.up))
        if len(self.bridged) >= self.expected:
            self.all_bridged.set()

    def on_destroyed(self, event: ChannelDestroyed) -> None:
        self.up.discard(event.channel.id)

    def latencies_ms(self) -> list[float]:
        return sorted(
            (self.bridged[ident] - started) * 1000
            for ident, started in self.started.items()
            if ident in self.bridged
        )


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(fraction * (len(values) - 1))))
    return sorted(values)[index]


async def _bounded(
    items: list[Any], limit: int, work: Callable[[Any], Awaitable[Any]]
) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def one(item: Any) -> Any:
        async with semaphore:
            return await work(item)

    return await asyncio.gather(*(one(item) for item in items))


# --- the engine ------------------------------------------------------------------------


def _config(db_url: str, ari_url: str) -> Any:
    env = {
        "DIALSPOOL_DATABASE_URL": db_url,
        "DIALSPOOL_ARI_ENABLED": "true",
        "DIALSPOOL_ARI_URL": ari_url,
        "DIALSPOOL_ARI_USERNAME": USER,
        "DIALSPOOL_ARI_PASSWORD": PASSWORD,
        "DIALSPOOL_HTTP_SHUTDOWN_GRACE_SECONDS": "5",
        # Cheap Argon2: one admin log-in, not what is measured.
        "DIALSPOOL_AUTH_PASSWORD_HASH_TIME_COST": "1",
        "DIALSPOOL_AUTH_PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    return load_config(None, env)


async def _add_leads(db_url: str, campaign_id: int, database_id: int, count: int) -> None:
    engine = create_engine(db_url)
    due = datetime.now(UTC) - timedelta(minutes=1)
    try:
        async with engine.begin() as conn:
            for index in range(count):
                phone = f"7{index:05d}"
                contact_id = (
                    await conn.execute(
                        insert(contacts)
                        .values(
                            database_id=database_id,
                            phone=phone,
                            data={"name": f"lead {index}"},
                            timezone="America/New_York",
                        )
                        .returning(contacts.c.id)
                    )
                ).scalar_one()
                entry_id = (
                    await conn.execute(
                        insert(spool_entries)
                        .values(
                            campaign_id=campaign_id,
                            contact_id=contact_id,
                            due_at=due,
                            timezone="America/New_York",
                        )
                        .returning(spool_entries.c.id)
                    )
                ).scalar_one()
                await conn.execute(
                    insert(spool_destinations).values(entry_id=entry_id, position=0, number=phone)
                )
    finally:
        await engine.dispose()


class Api:
    def __init__(self, client: TestClient) -> None:  # type: ignore[type-arg]
        self.client = client
        self.headers: dict[str, str] = {}

    async def __call__(self, method: str, path: str, json: Any = None) -> Any:
        response = await self.client.request(method, path, json=json, headers=self.headers)
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {await response.text()}")
        return None if response.status == 204 else await response.json()


async def _engine_run(sim: SimProcess, db_url: str, calls: int) -> tuple[Stamps, float]:
    client = TestClient(TestServer(create_app(_config(db_url, sim.ari_url))))
    await client.start_server()
    stamps = Stamps()
    stamps.expected = calls
    runtime = client.app[RUNTIME]
    try:
        async with asyncio.timeout(20):
            await runtime.ari.wait_connected()
        await client.app[AUTH_SERVICE].create_user("bench", "admin", "bench-password")
        api = Api(client)
        token = (
            await api("POST", "/v1/login", {"username": "bench", "password": "bench-password"})
        )["token"]
        api.headers = {"Authorization": f"Bearer {token}"}
        database = await api(
            "POST",
            "/v1/contact-databases",
            {"name": "bench", "fields": ["phone"], "main_phone_field": "phone"},
        )
        campaign = await api(
            "POST",
            "/v1/campaigns",
            {
                "name": "bench",
                "mode": "progressive",
                "contact_database_id": database["id"],
                "dial_template": "PJSIP/{number}@trunk",
                "wrapup_seconds": 0,
                "rule_pack": "custom",
                "custom_rule_pack": {
                    "windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}]
                },
            },
        )
        # One at a time: concurrent writes can hit SQLite's "database is locked".
        agents = await _bounded(
            list(range(calls)),
            1,
            lambda i: api("POST", "/v1/agents", {"name": f"a{i}", "endpoint": f"PJSIP/9{i:04d}"}),
        )
        await api(
            "PUT",
            f"/v1/campaigns/{campaign['id']}/agents",
            {"agent_ids": [a["id"] for a in agents]},
        )
        states = await _bounded(
            agents, 20, lambda a: api("POST", f"/v1/agents/{a['id']}/login", {})
        )
        idle = sum(1 for s in states if s["state"] == "idle")
        if idle < calls:
            raise RuntimeError(f"only {idle} of {calls} agents idle after log-in")
        await _add_leads(db_url, campaign["id"], database["id"], calls)

        ari = runtime.ari
        ari.on(StasisStart, stamps.on_start)
        ari.on(ChannelEnteredBridge, stamps.on_entered)
        ari.on(ChannelDestroyed, stamps.on_destroyed)
        started = time.perf_counter()
        await api("POST", f"/v1/campaigns/{campaign['id']}/start")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30 + calls * 0.1):
                await stamps.all_bridged.wait()
        seconds = time.perf_counter() - started
        await api("POST", f"/v1/campaigns/{campaign['id']}/stop")
        live = list(runtime.calls.live.values())
        await _bounded([c.plan.call_id for c in live], 20, runtime.calls.hangup)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(20):
                await asyncio.gather(*(c.ended.wait() for c in live))
        return stamps, seconds
    finally:
        # Bounded: a shutdown that hangs must not hang the bench (the sim is killed after).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                await client.close()


# --- the baseline: a bare client -----------------------------------------------------


async def _bare_run(sim: SimProcess, calls: int) -> Stamps:
    stamps = Stamps()
    stamps.expected = calls
    bridges = [f"bench-bridge-{i}" for i in range(calls)]
    pending: set[asyncio.Task[None]] = set()
    async with AriClient(sim.ari_url, USER, PASSWORD, app="bench-bare") as ari:
        async with asyncio.timeout(20):
            await ari.wait_connected()
        await _bounded(bridges, 20, lambda b: ari.bridges.create_with_id(b, "mixing"))
        free = iter(bridges)

        async def add(channel_id: str, bridge_id: str) -> None:
            with contextlib.suppress(AriError):
                await ari.bridges.add_channel(bridge_id, channel_id)

        def on_start(event: StasisStart) -> None:
            stamps.on_start(event)
            task = asyncio.create_task(add(event.channel.id, next(free)))
            pending.add(task)
            task.add_done_callback(pending.discard)

        ari.on(StasisStart, on_start)
        ari.on(ChannelEnteredBridge, stamps.on_entered)
        ari.on(ChannelDestroyed, stamps.on_destroyed)
        channels = [f"{CUSTOMER_PREFIX}bare-{i}" for i in range(calls)]
        try:
            for index, channel_id in enumerate(channels):
                await ari.channels.originate_with_id(
                    channel_id, f"PJSIP/7{index:05d}@trunk", app=ari.app, app_args="bench"
                )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(30 + calls * 0.1):
                    await stamps.all_bridged.wait()
        finally:
            await _bounded(channels, 20, lambda c: _quietly(ari.channels.hangup(c)))
            await _bounded(bridges, 20, lambda b: _quietly(ari.bridges.destroy(b)))
    return stamps


async def _quietly(request: Awaitable[None]) -> None:
    with contextlib.suppress(AriError):
        await request


# --- the run -----------------------------------------------------------------------------


async def _measure(sim: SimProcess, db_url: str, calls: int) -> tuple[Stamps, Stamps, float]:
    await sim.wait_ready()
    bare = await _bare_run(sim, calls)
    engine, seconds = await _engine_run(sim, db_url, calls)
    return engine, bare, seconds


def run(quick: bool = False) -> list[dict[str, Any]]:
    calls = 50 if quick else 500
    with tempfile.TemporaryDirectory(prefix="bench-routing-") as tmp:
        profile = Path(tmp) / "world.toml"
        profile.write_text(PROFILE)
        db_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(db_url)
        with sim_process(str(profile), TIME_SCALE) as sim:
            engine, bare, seconds = asyncio.run(_measure(sim, db_url, calls))
    got, base = engine.latencies_ms(), bare.latencies_ms()
    note = (
        f"{len(got)}/{calls} bridged, {engine.max_up} up at once, "
        f"dialled+routed in {seconds:.1f}s; {load_note()}"
    )
    rows = []
    for label, fraction in (("p50", 0.5), ("p99", 0.99), ("max", 1.0)):
        figure, baseline = _percentile(got, fraction), _percentile(base, fraction)
        target = " [target <= 50]" if label == "p99" else ""
        rows.append(
            {
                "benchmark": f"routing: customer StasisStart -> ChannelEnteredBridge {label}, "
                f"{calls} calls (baseline: bare AriClient adding to a bridge){target} ({note})",
                "figure": figure,
                "unit": "ms",
                "baseline": baseline,
                "ratio": figure / baseline if baseline else None,
            }
        )
    rows.append(
        {
            "benchmark": "routing: calls up at once (customer bridged to an agent), engine "
            "(baseline: bare client)",
            "figure": engine.max_up,
            "unit": "calls",
            "baseline": bare.max_up,
            "ratio": engine.max_up / bare.max_up if bare.max_up else None,
        }
    )
    return rows
