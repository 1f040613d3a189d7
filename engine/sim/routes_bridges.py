"""/bridges operations."""

from __future__ import annotations

import uuid
from typing import Any

from engine.sim import bridging, media
from engine.sim import events as ev
from engine.sim.declarations import RequestError
from engine.sim.pbx import Pbx
from engine.sim.routes import NO_CONTENT, Reply, ok, route, variables_object
from engine.sim.routes import bridge as find
from engine.sim.state import Channel

_CHANNEL = {"channel": "Missing parameter channel"}


@route("bridges.list")
async def list_bridges(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok([ev.bridge_json(b) for b in pbx.state.bridges.values()])


async def _create(pbx: Pbx, args: dict[str, Any]) -> Reply:
    bridge = bridging.create(pbx, args.get("type"), args.get("bridgeId"), args.get("name"))
    bridge.variables.update(variables_object(args.get("variables")))
    return ok(ev.bridge_json(bridge))


route("bridges.create")(_create)
route("bridges.createWithId")(_create)


@route("bridges.get")
async def get_bridge(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok(ev.bridge_json(find(pbx, args["bridgeId"])))


@route("bridges.destroy")
async def destroy(pbx: Pbx, args: dict[str, Any]) -> Reply:
    bridging.destroy(pbx, find(pbx, args["bridgeId"]))
    return NO_CONTENT


def _channels(pbx: Pbx, ids: list[str]) -> list[Channel]:
    if not ids:
        raise RequestError(400, "Missing parameter channel")
    found = []
    for cid in ids:
        ch = pbx.find_channel(cid)
        if ch is None:
            raise RequestError(400, "Channel not found")
        if not ch.in_stasis:
            raise RequestError(422, "Channel not in Stasis application")
        found.append(ch)
    return found


@route("bridges.addChannel", missing=_CHANNEL)
async def add_channel(pbx: Pbx, args: dict[str, Any]) -> Reply:
    bridge = find(pbx, args["bridgeId"])
    channels = _channels(pbx, args["channel"])
    for ch in channels:
        if media.recordings_on(pbx, f"channel:{ch.id}"):
            raise RequestError(409, f"Channel {ch.id} currently recording")
    for ch in channels:
        bridging.add(pbx, bridge, ch)
    return NO_CONTENT


@route("bridges.removeChannel", missing=_CHANNEL)
async def remove_channel(pbx: Pbx, args: dict[str, Any]) -> Reply:
    bridge = find(pbx, args["bridgeId"])
    channels = _channels(pbx, args["channel"])
    if any(ch.id not in bridge.channels for ch in channels):
        raise RequestError(422, "Channel not in this bridge")
    for ch in channels:
        bridging.remove(pbx, bridge, ch)
    return NO_CONTENT


@route("bridges.setVideoSource")
async def set_video_source(pbx: Pbx, args: dict[str, Any]) -> Reply:
    bridge = find(pbx, args["bridgeId"])
    ch = pbx.find_channel(args["channelId"])
    if ch is None:
        raise RequestError(404, "Channel not found")
    if ch.id not in bridge.channels:
        raise RequestError(422, "Channel not in this bridge")
    bridge.video_source_id = ch.id
    return NO_CONTENT


@route("bridges.clearVideoSource")
async def clear_video_source(pbx: Pbx, args: dict[str, Any]) -> Reply:
    find(pbx, args["bridgeId"]).video_source_id = None
    return NO_CONTENT


@route("bridges.startMoh")
async def start_moh(pbx: Pbx, args: dict[str, Any]) -> Reply:
    find(pbx, args["bridgeId"]).moh = True
    return NO_CONTENT


@route("bridges.stopMoh")
async def stop_moh(pbx: Pbx, args: dict[str, Any]) -> Reply:
    bridge = find(pbx, args["bridgeId"])
    if not bridge.moh:
        raise RequestError(409, "Bridge isn't playing music")
    bridge.moh = False
    return NO_CONTENT


async def _play(pbx: Pbx, args: dict[str, Any]) -> Reply:
    bridge = find(pbx, args["bridgeId"])
    playback_id = args.get("playbackId") or str(uuid.uuid4())
    pb = media.start_playback(pbx, bridge, args["media"], args.get("lang"), playback_id)
    return ok(ev.playback_json(pb), 201)


route("bridges.play")(_play)
route("bridges.playWithId")(_play)


@route(
    "bridges.record", invalid={"ifExists": "ifExists invalid", "terminateOn": "terminateOn invalid"}
)
async def record(pbx: Pbx, args: dict[str, Any]) -> Reply:
    bridge = find(pbx, args["bridgeId"])
    _, body = media.start_recording(
        pbx,
        bridge,
        name=args["name"],
        fmt=args["format"],
        max_duration=args["maxDurationSeconds"],
        if_exists=args["ifExists"],
    )
    return ok(body, 201)


@route("bridges.getBridgeVar", missing={"variable": "Variable name is required"})
async def get_var(pbx: Pbx, args: dict[str, Any]) -> Reply:
    bridge = find(pbx, args["bridgeId"])
    if args["variable"] not in bridge.variables:
        raise RequestError(404, "Provided variable was not found")
    return ok({"value": bridge.variables[args["variable"]]})


@route("bridges.setBridgeVar", missing={"variable": "Variable name is required"})
async def set_var(pbx: Pbx, args: dict[str, Any]) -> Reply:
    find(pbx, args["bridgeId"]).variables[args["variable"]] = args.get("value") or ""
    return NO_CONTENT


@route("bridges.getBridgeVars", missing={"variables": "At least one variable name is required"})
async def get_vars(pbx: Pbx, args: dict[str, Any]) -> Reply:
    bridge = pbx.state.bridges.get(args["bridgeId"])
    if bridge is None:
        raise RequestError(404, "Provided bridge was not found")
    missing = [n for n in args["variables"] if n not in bridge.variables]
    if missing:
        raise RequestError(404, "Provided variable was not found")
    return ok({"variables": {n: bridge.variables[n] for n in args["variables"]}})


@route("bridges.setBridgeVars", missing={"variables": "The 'variables' field is required"})
async def set_vars(pbx: Pbx, args: dict[str, Any]) -> Reply:
    body = args["variables"]
    if not isinstance(body, dict) or "variables" not in body:
        raise RequestError(400, "The 'variables' field is required")
    bridge = pbx.state.bridges.get(args["bridgeId"])
    if bridge is None:
        raise RequestError(404, "Provided bridge was not found")
    bridge.variables.update(variables_object(body))
    return NO_CONTENT
