"""The registry of implemented ARI operations, keyed by `resource.nickname`.

Handlers receive arguments already checked against the declarations; the
`missing` / `invalid` messages replace the generic ones with the words the
Asterisk implementation uses for that operation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from engine.sim.declarations import RequestError
from engine.sim.pbx import Pbx
from engine.sim.state import Bridge, Channel


@dataclass
class Reply:
    status: int = 204
    body: Any = None
    raw: bytes | None = None
    content_type: str = "application/json"


Handler = Callable[[Pbx, dict[str, Any]], Awaitable[Reply]]


@dataclass(frozen=True)
class RouteSpec:
    handler: Handler
    missing: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)


ROUTES: dict[str, RouteSpec] = {}


def route(
    key: str, missing: dict[str, str] | None = None, invalid: dict[str, str] | None = None
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if key in ROUTES:
            raise ValueError(f"duplicate handler for {key}")
        ROUTES[key] = RouteSpec(handler, missing or {}, invalid or {})
        return handler

    return register


def ok(body: Any, status: int = 200) -> Reply:
    return Reply(status, body)


NO_CONTENT = Reply(204)


def channel(pbx: Pbx, channel_id: str, stasis: bool = True) -> Channel:
    ch = pbx.find_channel(channel_id)
    if ch is None:
        raise RequestError(404, "Channel not found")
    if stasis and not ch.in_stasis:
        raise RequestError(409, "Channel not in Stasis application")
    return ch


def bridge(pbx: Pbx, bridge_id: str) -> Bridge:
    br = pbx.state.bridges.get(bridge_id)
    if br is None:
        raise RequestError(404, "Bridge not found")
    return br


def variables_object(body: Any, key: str = "variables") -> dict[str, str]:
    """The `variables` object of a JSON body, values as Asterisk accepts them."""
    if not isinstance(body, dict) or body.get(key) is None:
        return {}
    raw = body[key]
    if not isinstance(raw, dict):
        raise RequestError(400, f"The '{key}' field must be a JSON object")
    out: dict[str, str] = {}
    for name, value in raw.items():
        if isinstance(value, dict):
            if not isinstance(value.get("value"), str):
                raise RequestError(
                    400, "Each object value in 'variables' must include string field 'value'"
                )
            out[name] = value["value"]
        elif isinstance(value, str):
            out[name] = value
        else:
            raise RequestError(
                400,
                "Each value in 'variables' must be a string or an object with "
                "'value' and optional 'report_events'",
            )
    return out
