"""Fixtures for the PBX simulator's tests: a live simulator on loopback, a
minimal ARI client over real HTTP / WebSocket, and the shared declarations.

Every event the simulator delivers during a test is checked against
events.json when the test ends.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.sim import RunningSim, start_sim
from engine.sim.declarations import Declarations, declarations_dir, load_declarations
from engine.sim.profiles import lab_profile

USER, PASSWORD = "dialspool", "dialspool"
TIME_SCALE = 20.0
TRACES_DIR = declarations_dir().parent / "asterisk-traces"


def auth_header(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": aiohttp.encode_basic_auth(user, password)}


class Reply:
    def __init__(self, status: int, content_type: str, raw: bytes) -> None:
        self.status = status
        self.content_type = content_type
        self.raw = raw

    @property
    def body(self) -> Any:
        if self.content_type == "application/json" and self.raw:
            return json.loads(self.raw)
        return self.raw.decode(errors="replace") if self.raw else ""


class Ari:
    """Just enough of an ARI client to drive the simulator in tests."""

    def __init__(self, session: aiohttp.ClientSession, sim: RunningSim) -> None:
        self.session = session
        self.sim = sim

    async def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        async with self.session.request(
            method,
            self.sim.ari_url + path,
            params=params,
            json=body,
            headers=headers if headers is not None else auth_header(),
        ) as resp:
            return Reply(resp.status, resp.content_type, await resp.read())

    async def control(self, method: str, path: str, body: Any = None) -> Reply:
        async with self.session.request(
            method, self.sim.url + "/_sim" + path, json=body, headers=auth_header()
        ) as resp:
            return Reply(resp.status, resp.content_type, await resp.read())

    async def events(self, app: str = "trace", subscribe_all: bool = False) -> EventLog:
        query = f"app={app}&subscribeAll={'true' if subscribe_all else 'false'}"
        ws = await self.session.ws_connect(
            f"{self.sim.ari_url}/events?{query}", headers=auth_header()
        )
        return EventLog(ws)


class EventLog:
    """Collects the events of one WebSocket as they arrive."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self.closed = asyncio.Event()
        self._changed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.events.append(json.loads(msg.data))
                self._changed.set()
        self.closed.set()
        self._changed.set()

    async def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], within: float = 5.0
    ) -> list[dict[str, Any]]:
        async with asyncio.timeout(within):
            while not predicate(self.events):
                self._changed.clear()
                await self._changed.wait()
        return self.events

    async def wait_type(self, kind: str, count: int = 1, within: float = 5.0) -> dict[str, Any]:
        await self.wait_for(lambda evs: sum(e["type"] == kind for e in evs) >= count, within)
        return [e for e in self.events if e["type"] == kind][count - 1]

    def of(self, channel_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events if owner(e) == channel_id]

    async def close(self) -> None:
        await self.ws.close()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def owner(event: dict[str, Any]) -> str | None:
    """The id of the channel an event is about (Dial: its peer)."""
    for key in ("channel", "peer"):
        if isinstance(event.get(key), dict):
            return str(event[key]["id"])
    return None


def load_trace(name: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = json.loads((TRACES_DIR / name).read_text())
    return steps


@pytest.fixture(scope="session")
def declarations() -> Declarations:
    return load_declarations()


@pytest.fixture
async def sim(tmp_path: Path, declarations: Declarations) -> AsyncIterator[RunningSim]:
    running = await start_sim(
        profile=lab_profile(), time_scale=TIME_SCALE, recordings_dir=tmp_path / "recordings"
    )
    try:
        yield running
    finally:
        history = list(running.pbx.bus.history)
        await running.close()
    problems = [
        f"{event['type']}: {problem}"
        for _app, event in history
        for problem in declarations.validate_event(event)
    ]
    assert not problems, "\n".join(problems[:20])


@pytest.fixture
async def ari(sim: RunningSim) -> AsyncIterator[Ari]:
    async with aiohttp.ClientSession() as session:
        yield Ari(session, sim)
