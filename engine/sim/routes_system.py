"""/asterisk, /applications, /endpoints, /deviceStates, /mailboxes, /events (REST)."""

from __future__ import annotations

import platform
from typing import Any

from engine.sim import events as ev
from engine.sim.declarations import RequestError
from engine.sim.pbx import ASTERISK_ID, Pbx
from engine.sim.routes import NO_CONTENT, Reply, ok, route
from engine.sim.state import Application

# Sorcery classes and object types `/asterisk/config/dynamic` can store.
CONFIG_TYPES = {
    "res_pjsip": {"endpoint", "aor", "auth", "contact", "identify", "transport", "domain_alias"},
    "res_pjsip_outbound_registration": {"registration"},
    "res_pjsip_outbound_publish": {"outbound-publish"},
}
MODULES = {
    "res_ari.so": "Asterisk RESTful Interface",
    "res_stasis.so": "Stasis application support",
    "chan_pjsip.so": "PJSIP Channel Driver",
    "core_local": "Local Proxy Channel Driver",
    "app_amd.so": "Answering Machine Detection Application",
    "res_stasis_recording.so": "Stasis application recording support",
    "res_stasis_playback.so": "Stasis application playback support",
    "res_stasis_snoop.so": "Stasis application snoop support",
}


@route("asterisk.getInfo")
async def get_info(pbx: Pbx, args: dict[str, Any]) -> Reply:
    started = ev.timestamp(pbx.state.started_at)
    info = {
        "build": {
            "os": platform.system(),
            "kernel": platform.release(),
            "machine": platform.machine(),
            "options": "OPTIONAL_API",
            "date": started[:10] + " " + started[11:19] + " UTC",
            "user": "dialspool",
        },
        "system": {"version": "22.0.0-dialspool-sim", "entity_id": ASTERISK_ID},
        "config": {
            "name": "",
            "default_language": "en",
            "setid": {"user": "", "group": ""},
        },
        "status": {"startup_time": started, "last_reload_time": started},
    }
    only = args.get("only") or []
    return ok({k: v for k, v in info.items() if not only or k in only})


@route("asterisk.ping")
async def ping(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok({"asterisk_id": ASTERISK_ID, "ping": "pong", "timestamp": ev.timestamp(pbx.now())})


def _module(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": MODULES[name],
        "use_count": 0,
        "status": "Running",
        "support_level": "core",
    }


@route("asterisk.listModules")
async def list_modules(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok([_module(name) for name in MODULES])


@route("asterisk.getModule")
async def get_module(pbx: Pbx, args: dict[str, Any]) -> Reply:
    if args["moduleName"] not in MODULES:
        raise RequestError(404, "Module could not be found in running modules")
    return ok(_module(args["moduleName"]))


@route("asterisk.loadModule")
async def load_module(pbx: Pbx, args: dict[str, Any]) -> Reply:
    if args["moduleName"] in MODULES:
        raise RequestError(409, "Module is already loaded")
    raise RequestError(409, "Module could not be loaded properly")


@route("asterisk.unloadModule")
async def unload_module(pbx: Pbx, args: dict[str, Any]) -> Reply:
    if args["moduleName"] not in MODULES:
        raise RequestError(404, "Module not found in running modules")
    raise RequestError(409, "Module could not be unloaded")


@route("asterisk.reloadModule")
async def reload_module(pbx: Pbx, args: dict[str, Any]) -> Reply:
    if args["moduleName"] not in MODULES:
        raise RequestError(404, "Module not found in running modules")
    return NO_CONTENT


@route("asterisk.listLogChannels")
async def list_log_channels(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok(
        [
            {"channel": name, "type": "File", "status": "Enabled", "configuration": conf}
            for name, conf in pbx.state.log_channels.items()
        ]
    )


@route("asterisk.addLog", missing={"configuration": "Configuration levels are required"})
async def add_log(pbx: Pbx, args: dict[str, Any]) -> Reply:
    if args["logChannelName"] in pbx.state.log_channels:
        raise RequestError(409, "Log channel already exists")
    pbx.state.log_channels[args["logChannelName"]] = args["configuration"]
    return NO_CONTENT


@route("asterisk.deleteLog")
async def delete_log(pbx: Pbx, args: dict[str, Any]) -> Reply:
    if pbx.state.log_channels.pop(args["logChannelName"], None) is None:
        raise RequestError(404, "Log channel does not exist")
    return NO_CONTENT


@route("asterisk.rotateLog")
async def rotate_log(pbx: Pbx, args: dict[str, Any]) -> Reply:
    if args["logChannelName"] not in pbx.state.log_channels:
        raise RequestError(404, "Log channel does not exist")
    return NO_CONTENT


@route("asterisk.getGlobalVar", missing={"variable": "Variable name is required"})
async def get_global(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok({"value": pbx.state.global_vars.get(args["variable"], "")})


@route("asterisk.setGlobalVar", missing={"variable": "Variable name is required"})
async def set_global(pbx: Pbx, args: dict[str, Any]) -> Reply:
    pbx.state.global_vars[args["variable"]] = args.get("value") or ""
    return NO_CONTENT


def _config_type(pbx: Pbx, args: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    cls, kind = args["configClass"], args["objectType"]
    if cls not in CONFIG_TYPES:
        raise RequestError(404, f"configClass '{cls}' not found")
    if kind not in CONFIG_TYPES[cls]:
        raise RequestError(404, f"objectType '{kind}' not found")
    return pbx.state.config.setdefault(cls, {}).setdefault(kind, {})


@route("asterisk.getObject")
async def get_object(pbx: Pbx, args: dict[str, Any]) -> Reply:
    objects = _config_type(pbx, args)
    if args["id"] not in objects:
        raise RequestError(404, f"Object with id '{args['id']}' not found")
    return ok(objects[args["id"]])


@route("asterisk.updateObject")
async def update_object(pbx: Pbx, args: dict[str, Any]) -> Reply:
    objects = _config_type(pbx, args)
    body = args.get("fields")
    fields = body.get("fields") if isinstance(body, dict) else None
    if fields is None and args["id"] not in objects:
        raise RequestError(400, f"Fields must be provided to update object '{args['id']}'")
    current = {t["attribute"]: t["value"] for t in objects.get(args["id"], [])}
    for item in fields or []:
        if not isinstance(item, dict) or not isinstance(item.get("attribute"), str):
            raise RequestError(400, "Bad request body")
        current[item["attribute"]] = str(item.get("value", ""))
    objects[args["id"]] = [{"attribute": k, "value": v} for k, v in current.items()]
    return ok(objects[args["id"]])


@route("asterisk.deleteObject")
async def delete_object(pbx: Pbx, args: dict[str, Any]) -> Reply:
    objects = _config_type(pbx, args)
    if objects.pop(args["id"], None) is None:
        raise RequestError(404, f"Object with id '{args['id']}' not found")
    return NO_CONTENT


# -- applications --------------------------------------------------------------------


def application_json(app: Application) -> dict[str, Any]:
    return {
        "name": app.name,
        "channel_ids": sorted(app.channel_ids),
        "bridge_ids": sorted(app.bridge_ids),
        "endpoint_ids": sorted(app.endpoint_ids),
        "device_names": sorted(app.device_names),
        "events_allowed": list(app.events_allowed),
        "events_disallowed": list(app.events_disallowed),
    }


def _app(pbx: Pbx, name: str) -> Application:
    app = pbx.state.apps.get(name)
    if app is None or not app.active:
        raise RequestError(404, "Application not found")
    return app


@route("applications.list")
async def list_apps(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok([application_json(a) for a in pbx.state.apps.values() if a.active])


@route("applications.get")
async def get_app(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok(application_json(_app(pbx, args["applicationName"])))


def _source_exists(pbx: Pbx, scheme: str, ident: str) -> bool:
    if scheme == "channel":
        return ident in pbx.state.channels
    if scheme == "bridge":
        return ident in pbx.state.bridges
    if scheme == "endpoint":
        return ident in endpoint_ids(pbx) or ident.endswith("/")
    if scheme == "deviceState":
        return True
    raise RequestError(400, "Invalid event source URI scheme")


def _sources(pbx: Pbx, sources: list[str]) -> list[tuple[str, str]]:
    parsed = []
    for source in sources:
        scheme, _, ident = source.partition(":")
        if not _source_exists(pbx, scheme, ident):
            raise RequestError(422, "Event source does not exist")
        parsed.append((scheme, ident))
    return parsed


def _subscriptions(app: Application, scheme: str) -> set[str]:
    return {
        "channel": app.channel_ids,
        "bridge": app.bridge_ids,
        "endpoint": app.endpoint_ids,
        "deviceState": app.device_names,
    }[scheme]


@route("applications.subscribe", missing={"eventSource": "Missing parameter eventSource"})
async def subscribe(pbx: Pbx, args: dict[str, Any]) -> Reply:
    app = _app(pbx, args["applicationName"])
    for scheme, ident in _sources(pbx, args["eventSource"]):
        _subscriptions(app, scheme).add(ident)
    return ok(application_json(app))


@route("applications.unsubscribe", missing={"eventSource": "Missing parameter eventSource"})
async def unsubscribe(pbx: Pbx, args: dict[str, Any]) -> Reply:
    app = _app(pbx, args["applicationName"])
    sources = _sources(pbx, args["eventSource"])
    if any(ident not in _subscriptions(app, scheme) for scheme, ident in sources):
        raise RequestError(422, "Event source was not subscribed to")
    for scheme, ident in sources:
        _subscriptions(app, scheme).discard(ident)
    return ok(application_json(app))


@route("applications.filter")
async def event_filter(pbx: Pbx, args: dict[str, Any]) -> Reply:
    app = _app(pbx, args["applicationName"])
    body = args.get("filter") or {}
    allowed, disallowed = body.get("allowed", []), body.get("disallowed", [])
    if not isinstance(allowed, list) or not isinstance(disallowed, list):
        raise RequestError(400, "Invalid format definition")
    if any(not isinstance(f, dict) or "type" not in f for f in [*allowed, *disallowed]):
        raise RequestError(400, "Invalid format definition")
    app.events_allowed, app.events_disallowed = allowed, disallowed
    return ok(application_json(app))


# -- endpoints ---------------------------------------------------------------------


def endpoint_ids(pbx: Pbx) -> list[str]:
    dynamic = pbx.state.config.get("res_pjsip", {}).get("endpoint", {})
    return list(dict.fromkeys([*pbx.profile.endpoints, *(f"PJSIP/{e}" for e in dynamic)]))


def endpoint_json(pbx: Pbx, ident: str) -> dict[str, Any]:
    tech, _, resource = ident.partition("/")
    prefix = f"{tech}/{resource}-"
    return {
        "technology": tech,
        "resource": resource,
        "state": "online",
        "channel_ids": [c.id for c in pbx.state.channels.values() if c.name.startswith(prefix)],
    }


@route("endpoints.list")
async def list_endpoints(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok([endpoint_json(pbx, e) for e in endpoint_ids(pbx)])


@route("endpoints.listByTech")
async def list_by_tech(pbx: Pbx, args: dict[str, Any]) -> Reply:
    tech = args["tech"]
    if tech not in ("PJSIP", "Local"):
        raise RequestError(404, f"No Endpoints found - invalid tech {tech}")
    return ok([endpoint_json(pbx, e) for e in endpoint_ids(pbx) if e.startswith(tech + "/")])


@route("endpoints.get")
async def get_endpoint(pbx: Pbx, args: dict[str, Any]) -> Reply:
    ident = f"{args['tech']}/{args['resource']}"
    if ident not in endpoint_ids(pbx):
        raise RequestError(404, "Endpoint not found")
    return ok(endpoint_json(pbx, ident))


async def _message(pbx: Pbx, args: dict[str, Any]) -> Reply:
    target = args.get("to") or f"{args.get('tech')}/{args.get('resource')}"
    if not target:
        raise RequestError(400, "To must be specified")
    return Reply(202)


for _key in ("sendMessage", "sendMessageToEndpoint", "refer", "referToEndpoint"):
    route(f"endpoints.{_key}")(_message)


# -- device states, mailboxes ------------------------------------------------------


def _device(args: dict[str, Any]) -> str:
    name = str(args["deviceName"])
    if not name.startswith("Stasis:"):
        raise RequestError(409, "Uncontrolled device specified")
    return name


@route("deviceStates.list")
async def list_devices(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok([{"name": n, "state": s} for n, s in pbx.state.device_states.items()])


@route("deviceStates.get")
async def get_device(pbx: Pbx, args: dict[str, Any]) -> Reply:
    name = args["deviceName"]
    return ok({"name": name, "state": pbx.state.device_states.get(name, "UNKNOWN")})


@route("deviceStates.update")
async def update_device(pbx: Pbx, args: dict[str, Any]) -> Reply:
    name = _device(args)
    pbx.state.device_states[name] = args["deviceState"]
    listeners = [a.name for a in pbx.state.apps.values() if name in a.device_names]
    state = {"name": name, "state": args["deviceState"]}
    pbx.emit(ev.plain_event("DeviceStateChanged", pbx.now(), device_state=state), apps=listeners)
    return NO_CONTENT


@route("deviceStates.delete")
async def delete_device(pbx: Pbx, args: dict[str, Any]) -> Reply:
    if pbx.state.device_states.pop(_device(args), None) is None:
        raise RequestError(404, "Device name is missing")
    return NO_CONTENT


def _mailbox(name: str, counts: tuple[int, int]) -> dict[str, Any]:
    return {"name": name, "old_messages": counts[0], "new_messages": counts[1]}


@route("mailboxes.list")
async def list_mailboxes(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok([_mailbox(n, c) for n, c in pbx.state.mailboxes.items()])


@route("mailboxes.get")
async def get_mailbox(pbx: Pbx, args: dict[str, Any]) -> Reply:
    counts = pbx.state.mailboxes.get(args["mailboxName"])
    if counts is None:
        raise RequestError(404, "Mailbox not found")
    return ok(_mailbox(args["mailboxName"], counts))


@route("mailboxes.update")
async def update_mailbox(pbx: Pbx, args: dict[str, Any]) -> Reply:
    pbx.state.mailboxes[args["mailboxName"]] = (args["oldMessages"], args["newMessages"])
    return NO_CONTENT


@route("mailboxes.delete")
async def delete_mailbox(pbx: Pbx, args: dict[str, Any]) -> Reply:
    if pbx.state.mailboxes.pop(args["mailboxName"], None) is None:
        raise RequestError(404, "Mailbox not found")
    return NO_CONTENT


# -- events (REST) --------------------------------------------------------------------


@route("events.userEvent", missing={"application": "Missing parameter application"})
async def user_event(pbx: Pbx, args: dict[str, Any]) -> Reply:
    app = pbx.state.apps.get(args["application"])
    if app is None or not app.active:
        raise RequestError(404, "Application not found")
    fields: dict[str, Any] = {"eventname": args["eventName"]}
    for scheme, ident in _sources(pbx, args.get("source") or []):
        if scheme == "channel":
            fields["channel"] = ev.channel_json(pbx.state.channels[ident])
        elif scheme == "bridge":
            fields["bridge"] = ev.bridge_json(pbx.state.bridges[ident])
        elif scheme == "endpoint":
            fields["endpoint"] = endpoint_json(pbx, ident)
    body = args.get("variables")
    variables = body.get("variables", {}) if isinstance(body, dict) else {}
    if not isinstance(variables, dict):
        raise RequestError(400, "Invalid userevent data")
    fields["userevent"] = variables
    pbx.emit(ev.plain_event("ChannelUserevent", pbx.now(), **fields), apps=[app.name])
    return NO_CONTENT


@route(
    "events.claimChannel",
    missing={
        "channelId": "channelId parameter is required",
        "application": "application parameter is required",
    },
)
async def claim_channel(pbx: Pbx, args: dict[str, Any]) -> Reply:
    raise RequestError(404, "Channel not found or not in broadcast state")
