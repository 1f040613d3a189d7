"""/_sim: the operator's controls (reset, profile, faults) and what it observed."""

from __future__ import annotations

import json
import tomllib
from typing import Any

from aiohttp import WSCloseCode, web
from pydantic import ValidationError

from engine.sim.server import SIM_KEY, Sim, authorized, error, unauthorized
from engine.sim.world import Profile


def _sim(request: web.Request) -> Sim:
    return request.app[SIM_KEY]


@web.middleware
async def _guard(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.path.startswith("/_sim/") and not authorized(request, _sim(request)):
        return unauthorized()
    response: web.StreamResponse = await handler(request)
    return response


async def _json_body(request: web.Request) -> dict[str, Any]:
    text = await request.text()
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        raise web.HTTPBadRequest(text="body is not JSON") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return data


async def reset(request: web.Request) -> web.Response:
    sim = _sim(request)
    await _close_sockets(sim)
    sim.pbx.reset()
    sim.faults.clear()
    sim.requests.clear()
    return web.json_response({"reset": True})


async def load_profile(request: web.Request) -> web.Response:
    text = await request.text()
    try:
        if request.content_type == "application/json":
            profile = Profile.model_validate(json.loads(text))
        else:
            profile = Profile.model_validate(tomllib.loads(text))
    except (ValueError, ValidationError, tomllib.TOMLDecodeError) as exc:
        return error(400, f"Invalid profile: {exc}")
    _sim(request).pbx.set_profile(profile)
    return web.json_response(profile.model_dump(mode="json"))


async def _close_sockets(sim: Sim) -> None:
    sim.pbx.bus.close_all()
    for ws in list(sim.sockets):
        await ws.close(code=WSCloseCode.GOING_AWAY)


async def drop_websocket(request: web.Request) -> web.Response:
    sim = _sim(request)
    count = len(sim.sockets)
    await _close_sockets(sim)
    sim.pbx.counters["faults_websocket_dropped"] += count
    return web.json_response({"dropped": count})


async def restart(request: web.Request) -> web.Response:
    """Asterisk dies and comes back: sockets close, every channel and bridge is gone."""
    sim = _sim(request)
    await _close_sockets(sim)
    pbx = sim.pbx
    lost = len(pbx.state.channels)
    stored = pbx.state.stored_recordings
    pbx.reset()
    pbx.state.stored_recordings.update(stored)
    pbx.counters["faults_restarts"] += 1
    return web.json_response({"channels_lost": lost})


async def rest_faults(request: web.Request) -> web.Response:
    data = await _json_body(request)
    faults = _sim(request).faults
    try:
        if "fail" in data:
            faults.fail_left = int(data["fail"])
            faults.fail_status = int(data.get("status", 500))
        if "delay_seconds" in data:
            faults.delay_seconds = float(data["delay_seconds"])
            faults.delay_left = int(data.get("count", 1))
    except (TypeError, ValueError):
        return error(400, "fail/status/count must be integers, delay_seconds a number")
    return web.json_response(
        {
            "fail": faults.fail_left,
            "status": faults.fail_status,
            "delay_seconds": faults.delay_seconds,
            "count": faults.delay_left,
        }
    )


async def download_faults(request: web.Request) -> web.Response:
    """The next stored recordings' files stop part-way: {"after_bytes", "action"?,
    "stall_seconds"?, "count"?}; action "cut" (the connection drops, the default)
    or "stall" (the rest follows after stall_seconds)."""
    data = await _json_body(request)
    faults = _sim(request).faults
    try:
        after = int(data.get("after_bytes", 0))
        action = str(data.get("action", "cut"))
        stall = float(data.get("stall_seconds", 0.0))
        count = int(data.get("count", 1))
    except (TypeError, ValueError):
        return error(400, "after_bytes/count must be integers, stall_seconds a number")
    if action not in ("cut", "stall") or after < 0 or stall < 0 or count < 0:
        return error(400, 'action is "cut" or "stall"; numbers are not negative')
    faults.download_after_bytes, faults.download_action = after, action
    faults.download_stall_seconds, faults.download_left = stall, count
    return web.json_response(
        {"after_bytes": after, "action": action, "stall_seconds": stall, "count": count}
    )


async def counters(request: web.Request) -> web.Response:
    pbx = _sim(request).pbx
    state = pbx.state
    return web.json_response(
        {
            "counters": dict(pbx.counters),
            "events": dict(pbx.bus.counts),
            "channels": len(state.channels),
            "bridges": len(state.bridges),
            "live_recordings": len(state.live_recordings),
            "stored_recordings": len(state.stored_recordings),
            "websockets": len(_sim(request).sockets),
        }
    )


async def requests_log(request: web.Request) -> web.Response:
    return web.json_response(list(_sim(request).requests))


async def inbound_call(request: web.Request) -> web.Response:
    """A caller dials one of our numbers: {"did", "caller", "hangup_after"?, "app"?}."""
    from engine.sim import calls

    body = await _json_body(request)
    did, caller = str(body.get("did", "")), str(body.get("caller", ""))
    if not did or not caller:
        return error(400, "did and caller are required")
    after = body.get("hangup_after")
    if after is not None and (not isinstance(after, int | float) or after <= 0):
        return error(400, "hangup_after must be a positive number of seconds")
    pbx = _sim(request).pbx
    ch = calls.inbound(
        pbx,
        did,
        caller,
        app=str(body.get("app", "dialspool")),
        hangup_after=None if after is None else float(after),
        context="inbound",
    )
    return web.json_response({"channel_id": ch.id, "name": ch.name})


def add_routes(app: web.Application) -> None:
    app.middlewares.append(_guard)
    app.router.add_post("/_sim/reset", reset)
    app.router.add_post("/_sim/profile", load_profile)
    app.router.add_post("/_sim/faults/drop-websocket", drop_websocket)
    app.router.add_post("/_sim/faults/restart", restart)
    app.router.add_post("/_sim/faults/rest", rest_faults)
    app.router.add_post("/_sim/faults/download", download_faults)
    app.router.add_post("/_sim/inbound", inbound_call)
    app.router.add_get("/_sim/counters", counters)
    app.router.add_get("/_sim/requests", requests_log)
