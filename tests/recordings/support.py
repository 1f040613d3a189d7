"""Recordings' test support: real audio made by ffmpeg, an app with the feature installed."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.app import create_app
from engine.clock import Clock
from engine.http.api import Api
from engine.http.keys import DB
from engine.http.routes import recordings as recording_routes
from engine.recordings.layout import relative_path
from engine.recordings.service import RECORDINGS, Options, RecordingService, install
from engine.sim.profiles import lab_profile
from engine.sim.server import RunningSim, start_sim
from engine.store import recordings as store
from engine.store.tables import agents, calls, campaigns, recordings, users
from engine.telephony import RUNTIME, Runtime
from tests.conftest import make_config
from tests.e2e.support import sim_config
from tests.helpers import add_user, bearer, user_token

SECRET = "test-secret-0123456789abcdef"
SIM_AUTH = "Basic ZGlhbHNwb29sOmRpYWxzcG9vbA=="  # the simulator's dialspool:dialspool

_CODECS = {
    "gsm": ["-c:a", "libgsm", "-f", "gsm"],
    "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    "wav49": ["-c:a", "libgsm_ms", "-f", "wav"],
}


_MADE: dict[tuple[str, float], bytes] = {}


async def make_audio(path: Path, fmt: str, seconds: float) -> Path:
    """Real 8 kHz mono audio in `fmt`, made by ffmpeg from a test tone (once per kind)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    made = _MADE.get((fmt, seconds))
    if made is not None:
        await asyncio.get_running_loop().run_in_executor(None, path.write_bytes, made)
        return path
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=8000:duration={seconds}",
        "-ac", "1", *_CODECS[fmt], str(path),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    _MADE[fmt, seconds] = await asyncio.get_running_loop().run_in_executor(None, path.read_bytes)
    return path


def truncated_wav(path: Path, claimed_seconds: float, real_seconds: float) -> Path:
    """A WAV whose header promises more audio than the file holds (a cut-off copy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x10\x20" * int(8000 * claimed_seconds))
    with open(path, "r+b") as cut:
        cut.truncate(44 + 2 * int(8000 * real_seconds))
    return path


@dataclass
class Seed:
    campaign_id: int
    agent_id: int
    other_agent_id: int


async def seed(db: AsyncEngine, recording_mode: str = "always") -> Seed:
    """A campaign and two agents, one of them the user `anna`'s (created by the caller)."""
    async with db.begin() as conn:
        campaign = await conn.execute(
            insert(campaigns)
            .values(name="sales", mode="progressive", recording_mode=recording_mode)
            .returning(campaigns.c.id)
        )
        user_ids = {
            row.username: row.id
            for row in (
                await conn.execute(users.select().with_only_columns(users.c.id, users.c.username))
            )
        }
        ids = []
        for name, user in (("Anna", user_ids.get("anna")), ("Bob", user_ids.get("bob"))):
            result = await conn.execute(
                insert(agents)
                .values(name=name, endpoint=f"PJSIP/{name}", user_id=user)
                .returning(agents.c.id)
            )
            ids.append(result.scalar_one())
    return Seed(campaign.scalar_one(), ids[0], ids[1])


async def add_call(db: AsyncEngine, uuid: str, started: datetime, **values: Any) -> int:
    values.setdefault("direction", "outbound")
    values.setdefault("number", "5550100")
    async with db.begin() as conn:
        result = await conn.execute(
            insert(calls).values(uuid=uuid, created_at=started, **values).returning(calls.c.id)
        )
        return int(result.scalar_one())


async def add_recording(
    service: RecordingService,
    uuid: str,
    started: datetime,
    *,
    fmt: str = "wav",
    seconds: float = 2.0,
    tags: tuple[str, ...] = (),
    created_at: datetime | None = None,
    duration: float | None = None,
    **call: Any,
) -> int:
    """A call, its audio at the path ingestion would choose, and its row."""
    call_id = await add_call(service.db, uuid, started, **call)
    relative = relative_path(uuid, started, fmt)
    audio = await make_audio(service.root / relative, fmt, seconds)
    async with service.db.begin() as conn:
        recording_id = await store.insert_recording(
            conn,
            call_id=call_id,
            path=relative,
            fmt=fmt,
            duration=seconds if duration is None else duration,
            size=audio.stat().st_size,
            created_at=created_at or datetime.now(UTC),
            tags=tags,
        )
    assert recording_id is not None
    return recording_id


def recordings_app(
    config_db: str, root: Path, clock: Clock, **recordings: object
) -> web.Application:
    """The real app with the recordings feature wired as app.py is asked to wire it."""
    config = make_config(config_db, recordings={"path": root, **recordings})
    app = create_app(config, clock=clock)
    api = Api()
    recording_routes.register(api)
    api.install(app)
    install(app, url_secret=SECRET, options=Options(sweep_interval_seconds=60.0))
    return app


def service_of(client: TestClient) -> RecordingService:  # type: ignore[type-arg]
    return client.app[RECORDINGS]


def db_of(client: TestClient) -> AsyncEngine:  # type: ignore[type-arg]
    return client.app[DB]


@dataclass
class SimStack:
    sim: RunningSim
    client: TestClient  # type: ignore[type-arg]
    admin: dict[str, str]

    @property
    def runtime(self) -> Runtime:
        return self.client.app[RUNTIME]

    @property
    def service(self) -> RecordingService:
        return self.client.app[RECORDINGS]

    async def api(
        self,
        method: str,
        path: str,
        json: Any = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Any:
        response = await self.client.request(method, path, json=json, headers=headers or self.admin)
        assert response.status == status, f"{method} {path}: {await response.text()}"
        return None if response.status == 204 else await response.json()


@asynccontextmanager
async def engine_with_sim(db_url: str, root: Path, **recordings: object) -> AsyncIterator[SimStack]:
    """As tests/e2e/support.py, with the recordings feature installed."""
    sim = await start_sim(profile=lab_profile(), time_scale=10.0, seed=7)
    config = sim_config(db_url, sim, recordings={"path": root, **recordings})
    app = create_app(config)
    api = Api()
    recording_routes.register(api)
    api.install(app)
    install(app, url_secret=SECRET)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        async with asyncio.timeout(10):
            await client.app[RUNTIME].ari.wait_connected()
        admin = bearer(await user_token(client, "root", "admin"))
        yield SimStack(sim, client, admin)
    finally:
        await client.close()
        await sim.close()


async def eventually(check: Callable[[], Any], within: float = 20.0) -> Any:
    """Poll `check` (sync or async) until it returns a truthy value."""
    async with asyncio.timeout(within):
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(0.02)


async def add_agents(
    stack: SimStack, campaign_id: int, agents_: list[tuple[str, str]], *, log_in: bool = True
) -> list[int]:
    """Agents (username, endpoint) of the campaign, each the user of that name; logged in."""
    ids = []
    for username, endpoint in agents_:
        await add_user(stack.client, username, "agent")
        agent = await stack.api(
            "POST",
            "/v1/agents",
            {"name": username, "endpoint": endpoint, "username": username},
            status=201,
        )
        ids.append(int(agent["id"]))
    await stack.api("PUT", f"/v1/campaigns/{campaign_id}/agents", {"agent_ids": ids})
    if log_in:
        for agent_id in ids:
            await stack.api("POST", f"/v1/agents/{agent_id}/login", {})
    return ids


async def ring(stack: SimStack, did: str, caller: str, hangup_after: float | None = None) -> None:
    """Someone calls one of our numbers (the simulator's control, not ARI)."""
    body: dict[str, Any] = {"did": did, "caller": caller}
    if hangup_after is not None:
        body["hangup_after"] = hangup_after
    response = await stack.client.session.post(
        stack.sim.url + "/_sim/inbound",
        json=body,
        headers={"Authorization": SIM_AUTH},
    )
    assert response.status == 200, await response.text()


async def sim_fault(stack: SimStack, kind: str, body: dict[str, Any]) -> None:
    response = await stack.client.session.post(
        f"{stack.sim.url}/_sim/faults/{kind}", json=body, headers={"Authorization": SIM_AUTH}
    )
    assert response.status == 200, await response.text()


async def recording_rows(stack: SimStack) -> list[Any]:
    """Every stored recording with its call's uuid and start, oldest first."""
    async with stack.client.app[DB].connect() as conn:
        query = (
            select(recordings, calls.c.uuid, calls.c.created_at.label("started"))
            .join(calls, calls.c.id == recordings.c.call_id)
            .order_by(recordings.c.id)
        )
        return list((await conn.execute(query)).all())


async def stored_rows(stack: SimStack, count: int) -> list[Any] | None:
    """The rows once `count` recordings are stored and Asterisk holds no copy any more."""
    await stack.service.settle()
    rows = await recording_rows(stack)
    if len(rows) == count and not stack.sim.state.stored_recordings:
        return rows
    return None


def day_of(row: Any) -> str:
    return str(row.started.astimezone(UTC).strftime("%Y%m%d"))
