"""A tiny real ARI-shaped server on loopback for the client's tests.

It is a test peer, not a mock of our code: it speaks HTTP and WebSocket,
records every request it receives (so tests can check them against the
declarations) and answers each declared operation with a body generated from
the declared response model, unless a test scripted another answer.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import WSMsgType, web

from engine.sim.declarations import Declarations, RequestError

SAMPLE_DATE = "2026-11-25T06:56:03.431+0000"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # relative to /ari, still percent-encoded
    query: tuple[tuple[str, str], ...]
    body: Any
    authorization: str | None

    @property
    def query_dict(self) -> dict[str, str]:
        return dict(self.query)


@dataclass
class Reply:
    status: int
    body: Any = None
    content_type: str = "application/json"
    delay: float = 0.0


@dataclass
class WsScript:
    """What one WebSocket connection does: send `events`, then close or hold open."""

    events: list[dict[str, Any]] = field(default_factory=list)
    close: bool = False


def sample_of(decl: Declarations, type_name: str) -> Any:
    """A value of a declared type, every optional field filled in."""
    if type_name.startswith("List[") and type_name.endswith("]"):
        return [sample_of(decl, type_name[5:-1])]
    simple = {
        "string": "x",
        "Date": SAMPLE_DATE,
        "int": 1,
        "long": 1,
        "double": 1.5,
        "boolean": True,
        "object": {},
    }
    if type_name in simple:
        return simple[type_name]
    out: dict[str, Any] = {}
    for name, spec in decl.model_properties(type_name).items():
        allowed = spec.get("allowableValues", {}).get("values")
        out[name] = allowed[0] if allowed else sample_of(decl, str(spec["type"]))
    return out


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class AriPeer:
    def __init__(self, decl: Declarations, *, username: str, password: str) -> None:
        self.decl = decl
        self.auth = basic(username, password)
        self.requests: list[Recorded] = []
        self.scripted: dict[tuple[str, str], list[Reply]] = {}
        self.channels: list[dict[str, Any]] = []
        self.bridges: list[dict[str, Any]] = []
        self.ws_scripts: list[WsScript] = []
        self.ws_queries: list[dict[str, str]] = []
        self.ws_reject: int | None = None
        self.current_ws: web.WebSocketResponse | None = None
        self.ws_connected = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ari"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/ari/events", self._events)
        app.router.add_route("*", "/ari/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        if self.current_ws is not None:
            await self.current_ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def script(self, method: str, path: str, *replies: Reply) -> None:
        self.scripted.setdefault((method, path), []).extend(replies)

    async def push(self, event: Mapping[str, Any]) -> None:
        assert self.current_ws is not None, "no WebSocket connected"
        await self.current_ws.send_json(dict(event))

    async def drop(self) -> None:
        """Close the current WebSocket from the server side."""
        ws = self.current_ws
        if ws is not None:
            self.ws_connected.clear()
            await ws.close()

    # -- handlers ---------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path.split("?", 1)[0].removeprefix("/ari")
        body = await request.json() if request.can_read_body else None
        self.requests.append(
            Recorded(
                request.method,
                raw_path,
                tuple(request.query.items()),
                body,
                request.headers.get("Authorization"),
            )
        )
        if request.headers.get("Authorization") != self.auth:
            return web.json_response({"message": "Authentication required"}, status=401)
        queue = self.scripted.get((request.method, raw_path))
        reply = queue.pop(0) if queue else self._default(request.method, raw_path)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status == 204:
            return web.Response(status=204)
        if isinstance(reply.body, bytes):
            return web.Response(
                status=reply.status, body=reply.body, content_type=reply.content_type
            )
        return web.Response(
            status=reply.status, text=json.dumps(reply.body), content_type=reply.content_type
        )

    def _default(self, method: str, raw_path: str) -> Reply:
        path = unquote(raw_path)
        if (method, path) == ("GET", "/channels"):
            return Reply(200, self.channels)
        if (method, path) == ("GET", "/bridges"):
            return Reply(200, self.bridges)
        try:
            op, _ = self.decl.match(method, raw_path)
        except RequestError as exc:
            return Reply(exc.status, {"message": exc.message})
        if op.response_class == "void":
            return Reply(204)
        if op.response_class == "binary":
            return Reply(200, b"RIFF\x00\x00\x00\x00WAVEfmt ", content_type="audio/wav")
        return Reply(200, sample_of(self.decl, op.response_class))

    async def _events(self, request: web.Request) -> web.StreamResponse:
        self.ws_queries.append(dict(request.query))
        if self.ws_reject is not None:
            return web.json_response({"message": "Authentication required"}, status=self.ws_reject)
        if request.headers.get("Authorization") != self.auth:
            return web.json_response({"message": "Authentication required"}, status=401)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.current_ws = ws
        self.ws_connected.set()
        script = self.ws_scripts.pop(0) if self.ws_scripts else WsScript()
        for event in script.events:
            await ws.send_json(event)
        if script.close:
            await ws.close()
        else:
            async for msg in ws:
                if msg.type == WSMsgType.ERROR:
                    break
        if self.current_ws is ws:
            self.current_ws = None
            self.ws_connected.clear()
        return ws
