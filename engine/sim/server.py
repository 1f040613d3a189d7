"""The simulator's HTTP face: /ari (REST, api-docs, events WebSocket) and /_sim.

Every /ari request is matched against the loaded declarations, its
parameters checked and typed, then handed to the operation's handler.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import shutil
import tempfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSCloseCode, WSMsgType, web

from engine.clock import Clock
from engine.sim import events as ev

# Registers every handler in ROUTES.
from engine.sim import routes_bridges, routes_channels, routes_media, routes_system  # noqa: F401
from engine.sim.bus import Session
from engine.sim.declarations import Declarations, Operation, RequestError, load_declarations
from engine.sim.pbx import Pbx
from engine.sim.routes import ROUTES, Reply, RouteSpec
from engine.sim.state import PbxState
from engine.sim.world import Profile

log = logging.getLogger(__name__)

REALM = "Asterisk REST Interface"


@dataclass
class Faults:
    """Injected REST failures and delays, consumed one request at a time."""

    fail_left: int = 0
    fail_status: int = 500
    delay_left: int = 0
    delay_seconds: float = 0.0
    # Stored recordings' files: after `download_after_bytes` the body stops, for
    # good ("cut": the connection drops) or for `download_stall_seconds` ("stall").
    download_left: int = 0
    download_after_bytes: int = 0
    download_action: str = "cut"
    download_stall_seconds: float = 0.0

    def clear(self) -> None:
        self.fail_left = self.delay_left = self.download_left = 0


@dataclass
class Sim:
    """What the HTTP layer needs: the PBX, the declarations and the operator's knobs."""

    pbx: Pbx
    declarations: Declarations
    username: str
    password: str
    faults: Faults = field(default_factory=Faults)
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=5000))
    sockets: set[web.WebSocketResponse] = field(default_factory=set)


SIM_KEY = web.AppKey("sim", Sim)


def error(status: int, message: str, key: str = "message") -> web.Response:
    return web.json_response({key: message}, status=status)


def _credentials(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        return user, password
    api_key = request.query.get("api_key")
    if api_key and ":" in api_key:
        user, _, password = api_key.partition(":")
        return user, password
    return None


def authorized(request: web.Request, sim: Sim) -> bool:
    return _credentials(request) == (sim.username, sim.password)


def unauthorized() -> web.Response:
    response = error(401, "Authentication required")
    response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return response


# -- /ari ------------------------------------------------------------------------


async def ari_entry(request: web.Request) -> web.StreamResponse:
    sim = request.app[SIM_KEY]
    if not authorized(request, sim):
        return unauthorized()
    path = "/" + request.match_info["tail"]
    if path.startswith("/api-docs/"):
        return api_docs(request, sim, path[len("/api-docs/") :])
    if len(path) > 1 and path.endswith("/"):
        return error(404, f"ARI URLs do not end with a slash. Try /ari{path.rstrip('/')}")
    try:
        op, path_args = sim.declarations.match(request.method, path)
    except RequestError as exc:
        return error(exc.status, exc.message)
    if op.upgrade == "websocket":
        return await events_socket(request, sim, op)
    response = await _rest(request, sim, op, path_args)
    sim.requests.append(
        {
            "t": sim.pbx.now(),
            "method": request.method,
            "path": path,
            "operation": op.key,
            "query": dict(request.query),
            "status": response.status,
        }
    )
    sim.pbx.counters[f"rest_{op.key}"] += 1
    return response


async def _injected_fault(sim: Sim) -> web.Response | None:
    faults = sim.faults
    if faults.delay_left > 0:
        faults.delay_left -= 1
        await asyncio.sleep(faults.delay_seconds)
    if faults.fail_left > 0:
        faults.fail_left -= 1
        sim.pbx.counters["faults_rest_failed"] += 1
        status = faults.fail_status
        return error(status, "Internal Server Error" if status == 500 else "Simulated fault")
    return None


async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, str]]]:
    """A JSON body, or form fields (which Asterisk treats as query parameters)."""
    text = await request.text() if request.can_read_body else ""
    if not text.strip():
        return None, []
    if request.content_type == "application/x-www-form-urlencoded":
        return None, parse_qsl(text, keep_blank_values=True)
    try:
        return json.loads(text), []
    except ValueError:
        raise RequestError(400, "Error parsing request body") from None


def _parse(sim: Sim, spec: RouteSpec | None, op: Operation, call: tuple[Any, ...]) -> Any:
    path_args, query, body = call
    try:
        return sim.declarations.parse_request(op, path_args, query, body)
    except RequestError as exc:
        if spec is not None:
            name = getattr(exc, "name", None) or exc.message.rsplit(" ", 1)[-1]
            table = spec.missing if exc.message.startswith("Missing") else spec.invalid
            override = table.get(name)
            if override:
                raise RequestError(exc.status, override) from None
        raise


async def _rest(
    request: web.Request, sim: Sim, op: Operation, path_args: dict[str, str]
) -> web.StreamResponse:
    fault = await _injected_fault(sim)
    if fault is not None:
        return fault
    spec = ROUTES.get(op.key)
    try:
        body, form = await _read_body(request)
        query = [*request.query.items(), *form]
        args = _parse(sim, spec, op, (path_args, query, body))
        if spec is None:
            return error(501, "Not implemented")
        reply = await spec.handler(sim.pbx, args)
    except RequestError as exc:
        return error(exc.status, exc.message, getattr(exc, "field", "message"))
    if op.key == "recordings.getStoredFile" and reply.raw is not None and sim.faults.download_left:
        return await _faulty_download(request, sim, reply.raw, reply.content_type)
    return _to_response(reply)


async def _faulty_download(
    request: web.Request, sim: Sim, raw: bytes, content_type: str
) -> web.StreamResponse:
    """The file's headers promise all of it; the body stops part-way (see `Faults`)."""
    faults = sim.faults
    faults.download_left -= 1
    sim.pbx.counters["faults_downloads"] += 1
    cut = min(faults.download_after_bytes, len(raw))
    response = web.StreamResponse(status=200)
    response.content_type = content_type
    response.content_length = len(raw)
    await response.prepare(request)
    await response.write(raw[:cut])
    if faults.download_action == "stall":
        await asyncio.sleep(faults.download_stall_seconds)
        with contextlib.suppress(ConnectionError):  # the client gave up meanwhile
            await response.write(raw[cut:])
    else:
        # The connection closes once this answer is out, short of its Content-Length.
        response.force_close()
    return response


def _to_response(reply: Reply) -> web.Response:
    if reply.raw is not None:
        return web.Response(status=reply.status, body=reply.raw, content_type=reply.content_type)
    if reply.body is None:
        return web.Response(status=reply.status)
    return web.json_response(reply.body, status=reply.status)


def api_docs(request: web.Request, sim: Sim, name: str) -> web.Response:
    decl = sim.declarations
    base = f"http://{request.host}/ari"
    if name == "resources.json":
        return web.json_response({**decl.listing, "basePath": base})
    stem = name.removesuffix(".json")
    if not name.endswith(".json") or stem not in decl.apis:
        return error(404, "Resource not found")
    return web.json_response({**decl.apis[stem], "basePath": base})


# -- /ari/events ---------------------------------------------------------------------


async def events_socket(request: web.Request, sim: Sim, op: Operation) -> web.StreamResponse:
    try:
        args = sim.declarations.parse_request(op, {}, request.query.items(), None)
    except RequestError as exc:
        return error(exc.status, exc.message)
    apps = [a for a in args["app"] if a]
    if not apps:
        return error(400, "Missing parameter app")
    ws = web.WebSocketResponse(protocols=("ari",), heartbeat=None)
    await ws.prepare(request)
    session = Session(apps, bool(args.get("subscribeAll")))
    pbx = sim.pbx
    pbx.bus.connect(session, ev.plain_event("ApplicationReplaced", pbx.now()))
    pbx.counters["websocket_connections"] += 1
    sim.sockets.add(ws)
    writer = asyncio.get_running_loop().create_task(_write(ws, session))
    try:
        async for msg in ws:
            if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        sim.sockets.discard(ws)
        session.close()
        sim.pbx.bus.disconnect(session)
        await writer
    return ws


async def _write(ws: web.WebSocketResponse, session: Session) -> None:
    while True:
        message = await session.queue.get()
        if message is None or ws.closed:
            break
        try:
            await ws.send_str(message)
        except ConnectionError:
            break
    if not ws.closed:
        await ws.close(code=WSCloseCode.GOING_AWAY)


# -- application ---------------------------------------------------------------------


def create_sim_app(
    *,
    username: str = "dialspool",
    password: str = "dialspool",
    profile: Profile | None = None,
    seed: int = 0,
    time_scale: float = 1.0,
    recordings_dir: Path | None = None,
    clock: Clock | None = None,
    declarations: Path | str | None = None,
) -> web.Application:
    from engine.sim import control

    pbx = Pbx(profile, seed, time_scale, clock, recordings_dir)
    sim = Sim(pbx, load_declarations(declarations), username, password)
    app = web.Application()
    app[SIM_KEY] = sim
    app.router.add_route("*", "/ari/{tail:.*}", ari_entry)
    control.add_routes(app)
    app.on_shutdown.append(_shutdown)
    return app


async def _shutdown(app: web.Application) -> None:
    sim = app[SIM_KEY]
    sim.pbx.cancel_all_timers()
    sim.pbx.bus.close_all()
    for ws in list(sim.sockets):
        await ws.close(code=WSCloseCode.GOING_AWAY)


class RunningSim:
    """A simulator serving on loopback; `state` is its live PBX state for tests."""

    def __init__(self, runner: web.AppRunner, url: str, temp_dir: Path | None) -> None:
        self._runner = runner
        self.url = url
        self.ari_url = url + "/ari"
        self._temp_dir = temp_dir

    @property
    def sim(self) -> Sim:
        app = self._runner.app
        assert app is not None
        return app[SIM_KEY]

    @property
    def pbx(self) -> Pbx:
        return self.sim.pbx

    @property
    def state(self) -> PbxState:
        return self.sim.pbx.state

    async def close(self) -> None:
        await self._runner.cleanup()
        for task in list(self.pbx.pending_writes.values()):
            await asyncio.gather(task, return_exceptions=True)
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)


async def start_sim(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    username: str = "dialspool",
    password: str = "dialspool",
    profile: Profile | None = None,
    seed: int = 0,
    time_scale: float = 1.0,
    recordings_dir: Path | None = None,
    clock: Clock | None = None,
    declarations: Path | str | None = None,
) -> RunningSim:
    temp_dir = None
    if recordings_dir is None:
        temp_dir = Path(tempfile.mkdtemp(prefix="dialspool-sim-"))
        recordings_dir = temp_dir
    app = create_sim_app(
        username=username,
        password=password,
        profile=profile,
        seed=seed,
        time_scale=time_scale,
        recordings_dir=recordings_dir,
        clock=clock,
        declarations=declarations,
    )
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0]
    url = f"http://{host}:{bound[1]}"
    log.info("PBX simulator listening on %s", url)
    return RunningSim(runner, url, temp_dir)
