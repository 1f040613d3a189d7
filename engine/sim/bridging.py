"""Bridges: creation, channels entering and leaving, BRIDGEPEER, destruction."""

from __future__ import annotations

import uuid

from engine.sim import events as ev
from engine.sim.declarations import RequestError
from engine.sim.pbx import Pbx
from engine.sim.state import Bridge, Channel

BRIDGE_TYPES = frozenset(
    {"mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single", "sdp_label"}
)


def create(pbx: Pbx, types: str | None, bridge_id: str | None, name: str | None) -> Bridge:
    if bridge_id and bridge_id in pbx.state.bridges:
        raise RequestError(409, f"Bridge with id '{bridge_id}' already exists")
    wanted = [t.strip() for t in (types or "mixing").split(",") if t.strip()]
    if not wanted or any(t not in BRIDGE_TYPES for t in wanted):
        raise RequestError(
            500, f"Unable to create bridge. Possible duplicate bridge id '{bridge_id or '(null)'}'"
        )
    holding = "holding" in wanted
    bridge = Bridge(
        id=bridge_id or str(uuid.uuid4()),
        bridge_type="holding" if holding else "mixing",
        technology="holding_bridge" if holding else "simple_bridge",
        name=name or "",
        creationtime=pbx.now(),
    )
    pbx.state.bridges[bridge.id] = bridge
    if any(a.subscribe_all and a.active for a in pbx.state.apps.values()):
        pbx.emit(ev.bridge_event("BridgeCreated", pbx.now(), bridge), bridges=[bridge])
    return bridge


def _peers(pbx: Pbx, bridge: Bridge, ch: Channel) -> str:
    """BRIDGEPEER: the other members' names, the latest to join first."""
    names = []
    for cid in reversed(bridge.channels):
        other = pbx.find_channel(cid)
        if other is not None and other is not ch:
            names.append(other.name)
    return ",".join(names)


def _update_peers(pbx: Pbx, bridge: Bridge) -> None:
    if bridge.bridge_type != "mixing" or len(bridge.channels) < 2:
        return
    for cid in list(bridge.channels):
        ch = pbx.find_channel(cid)
        if ch is not None and cid not in bridge.internal:
            pbx.set_var(ch, "BRIDGEPEER", _peers(pbx, bridge, ch))


def add(pbx: Pbx, bridge: Bridge, ch: Channel, internal: bool = False) -> None:
    if ch.bridge_id == bridge.id:
        return
    leave_current(pbx, ch)
    ch.bridge_id = bridge.id
    bridge.channels.append(ch.id)
    if internal:
        bridge.internal.add(ch.id)
        _update_peers(pbx, bridge)
        return
    if ch.stasis_app:
        pbx.state.app(ch.stasis_app).bridge_ids.add(bridge.id)
    pbx.emit(ev.bridge_event("ChannelEnteredBridge", pbx.now(), bridge, ch), [ch], [bridge])
    _update_peers(pbx, bridge)
    members = [pbx.find_channel(c) for c in bridge.channels if c not in bridge.internal]
    if bridge.bridge_type == "mixing" and len(members) >= 2:
        for other in [ch, *(m for m in members if m is not None and m is not ch)]:
            pbx.emit_channel(ev.channel_event("ChannelConnectedLine", pbx.now(), other), other)


def remove(pbx: Pbx, bridge: Bridge, ch: Channel) -> None:
    if ch.id not in bridge.channels:
        return
    bridge.channels.remove(ch.id)
    ch.bridge_id = None
    if ch.id in bridge.internal:
        bridge.internal.discard(ch.id)
        _update_peers(pbx, bridge)
        return
    if bridge.bridge_type == "mixing" and "BRIDGEPEER" in ch.variables:
        pbx.set_var(ch, "BRIDGEPEER", "")
    pbx.emit(ev.bridge_event("ChannelLeftBridge", pbx.now(), bridge, ch), [ch], [bridge])
    _update_peers(pbx, bridge)


def leave_current(pbx: Pbx, ch: Channel) -> None:
    bridge = pbx.state.bridge_of(ch)
    if bridge is not None:
        remove(pbx, bridge, ch)


def destroy(pbx: Pbx, bridge: Bridge) -> None:
    from engine.sim import media  # media stops bridge recordings through this module

    media.bridge_gone(pbx, bridge)
    for cid in list(bridge.channels):
        ch = pbx.find_channel(cid)
        if ch is not None:
            remove(pbx, bridge, ch)
    pbx.emit(ev.bridge_event("BridgeDestroyed", pbx.now(), bridge), bridges=[bridge])
    pbx.state.bridges.pop(bridge.id, None)
    for app in pbx.state.apps.values():
        app.bridge_ids.discard(bridge.id)
