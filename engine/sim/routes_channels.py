"""/channels operations."""

from __future__ import annotations

import uuid
from typing import Any

from engine.sim import calls, media
from engine.sim import events as ev
from engine.sim.declarations import RequestError
from engine.sim.pbx import Pbx
from engine.sim.routes import NO_CONTENT, Reply, ok, route, variables_object
from engine.sim.routes import channel as find
from engine.sim.state import CallerId, Channel
from engine.sim.world import CAUSE_NORMAL

MAX_UNIQUEID = 127  # AST_MAX_PUBLIC_UNIQUEID


@route("channels.list")
async def list_channels(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok([ev.channel_json(ch) for ch in pbx.state.channels.values()])


def _check_ids(*ids: str | None) -> None:
    if any(i and len(i) > MAX_UNIQUEID for i in ids):
        raise RequestError(400, f"Uniqueid length exceeds maximum of {MAX_UNIQUEID}")


def _check_originator(pbx: Pbx, args: dict[str, Any]) -> None:
    if args.get("originator") and args.get("formats"):
        raise RequestError(400, "Originator and formats can't both be specified")
    if args.get("originator") and pbx.find_channel(args["originator"]) is None:
        raise RequestError(400, "Provided originator channel was not found")


def _app_args(args: dict[str, Any]) -> list[str]:
    text = args.get("appArgs") or ""
    return text.split(",") if text else []


async def _originate(pbx: Pbx, args: dict[str, Any]) -> Reply:
    _check_ids(args.get("channelId"), args.get("otherChannelId"))
    if not args.get("endpoint"):
        raise RequestError(400, "Endpoint must be specified")
    _check_originator(pbx, args)
    calls.split_endpoint(args["endpoint"])
    if not args.get("app") and not args.get("extension"):
        raise RequestError(400, "Application or extension must be specified")
    variables = variables_object(args.get("variables"))
    ch = calls.new_call(
        pbx,
        args["endpoint"],
        channel_id=args.get("channelId"),
        other_id=args.get("otherChannelId"),
        caller=calls.parse_callerid(args.get("callerId")),
        created_by="originate",
    )
    body = ev.channel_json(ch)
    calls.originate(
        pbx,
        ch,
        app=args.get("app"),
        app_args=_app_args(args),
        variables=variables,
        timeout=args["timeout"],
    )
    pbx.counters["originates"] += 1
    return ok(body)


route("channels.originate", missing={"endpoint": "Endpoint must be specified"})(_originate)
route("channels.originateWithId", missing={"endpoint": "Endpoint must be specified"})(_originate)


@route("channels.create", missing={"endpoint": "Endpoint must be specified"})
async def create_channel(pbx: Pbx, args: dict[str, Any]) -> Reply:
    _check_ids(args.get("channelId"), args.get("otherChannelId"))
    _check_originator(pbx, args)
    variables = variables_object(args.get("variables"))
    ch = calls.new_call(
        pbx,
        args["endpoint"],
        channel_id=args.get("channelId"),
        other_id=args.get("otherChannelId"),
        caller=CallerId(),
        created_by="create",
    )
    body = ev.channel_json(ch)
    calls.create(pbx, ch, args["app"], _app_args(args), variables)
    return ok(body)


@route("channels.get")
async def get_channel(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok(ev.channel_json(find(pbx, args["channelId"], stasis=False)))


@route("channels.hangup", invalid={"reason": "Invalid reason for hangup reason provided"})
async def hangup(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"], stasis=False)
    code, reason = args.get("reason_code"), args.get("reason")
    if code and reason:
        raise RequestError(400, "The reason and reason_code can't both be specified")
    cause = CAUSE_NORMAL
    if code:
        try:
            cause = int(code)
        except ValueError:
            raise RequestError(400, "Invalid reason for hangup reason code provided") from None
    elif reason:
        cause = calls.REASON_CAUSES[reason]
    calls.client_hangup(pbx, ch, cause)
    return NO_CONTENT


@route("channels.continueInDialplan")
async def continue_in_dialplan(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"])
    calls.continue_in_dialplan(
        pbx, ch, args.get("context"), args.get("extension"), args.get("priority")
    )
    return NO_CONTENT


@route("channels.move", missing={"app": "Application name is required"})
async def move(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"])
    target, app_args = args["app"], _app_args(args)
    destination = pbx.state.apps.get(target)
    if destination is None or not destination.active:
        pbx.emit(
            ev.plain_event(
                "ApplicationMoveFailed",
                pbx.now(),
                destination=target,
                args=app_args,
                channel=ev.channel_json(ch),
            ),
            [ch],
        )
        return NO_CONTENT
    pbx.emit(ev.channel_event("StasisEnd", pbx.now(), ch), [ch])
    ch.stasis_app, ch.stasis_args, ch.home_app = target, app_args, target
    ch.dialplan.app_data = ",".join([target, *app_args])
    pbx.emit(ev.stasis_start(pbx.now(), ch, app_args), [ch])
    return NO_CONTENT


@route("channels.redirect", missing={"endpoint": "Required parameter 'endpoint' not provided."})
async def redirect(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"])
    endpoint = args["endpoint"]
    tech, _, resource = endpoint.partition("/")
    if not resource:
        raise RequestError(422, f"Endpoint parameter '{endpoint}' does not contain tech/resource")
    if not ch.name.startswith(tech + "/"):
        kind = ch.name.split("/", 1)[0]
        raise RequestError(
            422, f"Endpoint technology '{tech}' does not match channel technology '{kind}'"
        )
    # The far end is transferred away: for the application the channel is gone.
    pbx.after(0, lambda: calls.remote_hangup(pbx, ch, CAUSE_NORMAL), ch.id)
    return NO_CONTENT


@route("channels.answer")
async def answer(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"])
    if ch.answered_at is None:
        ch.answered_at = pbx.now()
    pbx.set_state(ch, "Up")
    return NO_CONTENT


async def _noop(pbx: Pbx, args: dict[str, Any]) -> Reply:
    find(pbx, args["channelId"])
    return NO_CONTENT


for _key in ("ring", "ringStop", "progress", "startSilence", "stopSilence", "transfer_progress"):
    route(f"channels.{_key}")(_noop)


@route("channels.sendDTMF")
async def send_dtmf(pbx: Pbx, args: dict[str, Any]) -> Reply:
    find(pbx, args["channelId"])
    if not args.get("dtmf"):
        raise RequestError(400, "DTMF is required")
    return NO_CONTENT


@route("channels.mute")
async def mute(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"])
    ch.muted.add(args["direction"])
    return NO_CONTENT


@route("channels.unmute")
async def unmute(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"])
    ch.muted.discard(args["direction"])
    return NO_CONTENT


@route("channels.hold")
async def hold(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"])
    ch.on_hold = True
    pbx.emit(ev.channel_event("ChannelHold", pbx.now(), ch), [ch])
    return NO_CONTENT


@route("channels.unhold")
async def unhold(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"])
    ch.on_hold = False
    pbx.emit(ev.channel_event("ChannelUnhold", pbx.now(), ch), [ch])
    return NO_CONTENT


@route("channels.startMoh")
async def start_moh(pbx: Pbx, args: dict[str, Any]) -> Reply:
    find(pbx, args["channelId"]).moh = True
    return NO_CONTENT


@route("channels.stopMoh")
async def stop_moh(pbx: Pbx, args: dict[str, Any]) -> Reply:
    find(pbx, args["channelId"]).moh = False
    return NO_CONTENT


async def _play(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"])
    if (args.get("skipms") or 0) < 0:
        raise RequestError(400, "skipms cannot be negative")
    if (args.get("offsetms") or 0) < 0:
        raise RequestError(400, "offsetms cannot be negative")
    playback_id = args.get("playbackId") or str(uuid.uuid4())
    pb = media.start_playback(pbx, ch, args["media"], args.get("lang"), playback_id)
    return ok(ev.playback_json(pb), 201)


route("channels.play")(_play)
route("channels.playWithId")(_play)


@route(
    "channels.record",
    invalid={"ifExists": "ifExists invalid", "terminateOn": "terminateOn invalid"},
)
async def record(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"])
    _, body = media.start_recording(
        pbx,
        ch,
        name=args["name"],
        fmt=args["format"],
        max_duration=args["maxDurationSeconds"],
        if_exists=args["ifExists"],
    )
    return ok(body, 201)


def _read_var(ch: Channel, name: str) -> str:
    functions = {
        "CALLERID(num)": ch.caller.number,
        "CALLERID(name)": ch.caller.name,
        "CHANNEL(name)": ch.name,
        "UNIQUEID": ch.id,
    }
    if name in functions:
        return str(functions[name])
    if name in ch.variables:
        return str(ch.variables[name])
    if "(" in name:
        raise RequestError(500, "Unable to read provided function")
    raise RequestError(404, "Provided variable was not found")


@route("channels.getChannelVar", missing={"variable": "Variable name is required"})
async def get_var(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"], stasis=False)
    return ok({"value": _read_var(ch, args["variable"])})


@route("channels.setChannelVar", missing={"variable": "Variable name is required"})
async def set_var(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"], stasis=False)
    pbx.set_var(ch, args["variable"], args.get("value") or "")
    return NO_CONTENT


@route("channels.getChannelVars", missing={"variables": "At least one variable name is required"})
async def get_vars(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = find(pbx, args["channelId"], stasis=False)
    return ok({"variables": {name: _read_var(ch, name) for name in args["variables"]}})


@route("channels.setChannelVars", missing={"variables": "The 'variables' field is required"})
async def set_vars(pbx: Pbx, args: dict[str, Any]) -> Reply:
    body = args["variables"]
    if not isinstance(body, dict) or "variables" not in body:
        raise RequestError(400, "The 'variables' field is required")
    ch = pbx.find_channel(args["channelId"])
    if ch is None:
        raise RequestError(404, "Provided channel was not found")
    for name, value in variables_object(body).items():
        pbx.set_var(ch, name, value)
    return NO_CONTENT


async def _snoop(pbx: Pbx, args: dict[str, Any]) -> Reply:
    spy, whisper = args["spy"] or "none", args["whisper"] or "none"
    if spy == "none" and whisper == "none":
        raise RequestError(400, "Direction must be specified for at least spy or whisper")
    target = pbx.find_channel(args["channelId"])
    if target is None:
        raise RequestError(404, "Provided channel was not found")
    snoop_id = args.get("snoopId")
    if pbx.channel_id_taken(snoop_id):
        raise RequestError(409, "Channel with given unique ID already exists")
    name = f"Snoop/{target.id}-{pbx.state.next_snoop_suffix()}"
    snoop = pbx.new_channel("snoop", name, snoop_id)
    snoop.state, snoop.partner_id, snoop.created_by = "Up", target.id, "snoop"
    snoop.answered_at = pbx.now()
    body = ev.channel_json(snoop)
    pbx.enter_stasis(snoop, args["app"], _app_args(args))
    return ok(body)


_SNOOP_MESSAGES = {"app": "Application name is required"}
_SNOOP_INVALID = {
    "spy": "Invalid direction specified for spy",
    "whisper": "Invalid direction specified for whisper",
}
route("channels.snoopChannel", _SNOOP_MESSAGES, _SNOOP_INVALID)(_snoop)
route("channels.snoopChannelWithId", _SNOOP_MESSAGES, _SNOOP_INVALID)(_snoop)


@route("channels.dial")
async def dial(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = pbx.find_channel(args["channelId"])
    if ch is None:
        raise RequestError(404, "Callee not found")
    caller = pbx.find_channel(args["caller"]) if args.get("caller") else None
    if args.get("caller") and caller is None:
        raise RequestError(404, "Caller not found")
    calls.dial(pbx, ch, caller, args.get("timeout"))
    return NO_CONTENT


@route("channels.rtpstatistics")
async def rtp_statistics(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ch = pbx.find_channel(args["channelId"])
    if ch is None:
        raise RequestError(404, "Channel not found")
    if ch.kind != "pjsip":
        raise RequestError(404, "RTP info not found")
    seconds = pbx.world_elapsed(ch.answered_at or ch.creationtime)
    packets = int(seconds * 50)
    return ok(
        {
            "txcount": packets,
            "rxcount": packets,
            "txploss": 0,
            "rxploss": 0,
            "local_ssrc": 0x1234,
            "remote_ssrc": 0x4321,
            "txoctetcount": packets * 160,
            "rxoctetcount": packets * 160,
            "channel_uniqueid": ch.id,
        }
    )


@route(
    "channels.externalMedia",
    missing={"app": "app cannot be empty", "format": "format cannot be empty"},
)
async def external_media(pbx: Pbx, args: dict[str, Any]) -> Reply:
    transport = args.get("transport") or "udp"
    server = transport == "websocket" and args.get("connection_type") == "server"
    host = args.get("external_host")
    if not host and not server:
        raise RequestError(
            400, "external_host is required for all but websocket server connections"
        )
    if pbx.channel_id_taken(args.get("channelId")):
        raise RequestError(409, "Channel with given unique ID already exists")
    tech = "WebSocket" if transport == "websocket" else "UnicastRTP"
    name = f"{tech}/{host or 'server'}-{pbx.state.next_channel_suffix()}"
    ch = pbx.new_channel("media", name, args.get("channelId"))
    ch.state, ch.answered_at = "Up", pbx.now()
    ch.variables.update(variables_object(args.get("variables")))
    body = ev.channel_json(ch)
    pbx.enter_stasis(ch, args["app"], [])
    return ok(body)
