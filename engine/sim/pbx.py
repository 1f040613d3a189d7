"""The simulated Asterisk core: its state, clock, world, timers and event bus.

Call flows (calls.py), bridges (bridging.py) and media (media.py) are
functions over this object; REST handlers only translate HTTP onto them.
Every state change is synchronous and emits its events at once, so event
order is the order of the code; only world time (ringing, talking) passes
through timers, divided by `time_scale`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from engine.clock import Clock, LoopClock
from engine.sim import events as ev
from engine.sim.bus import EventBus
from engine.sim.state import Bridge, Channel, ChannelKind, PbxState
from engine.sim.world import Profile, World

log = logging.getLogger(__name__)

ASTERISK_ID = "02:fc:00:00:00:01"


class Pbx:
    def __init__(
        self,
        profile: Profile | None = None,
        seed: int = 0,
        time_scale: float = 1.0,
        clock: Clock | None = None,
        recordings_dir: Path | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.clock: Clock = clock or LoopClock()
        self.time_scale = time_scale
        self.seed = seed
        self.world = World(profile, seed)
        self.recordings_dir = recordings_dir or Path("recordings")
        self.state = PbxState(started_at=self.clock.now())
        self.bus = EventBus(self.state, ASTERISK_ID)
        self.counters: Counter[str] = Counter()
        self._timers: dict[str, set[asyncio.Task[None]]] = {}
        self.pending_writes: dict[str, asyncio.Task[None]] = {}

    @property
    def profile(self) -> Profile:
        return self.world.profile

    def set_profile(self, profile: Profile) -> None:
        self.world = World(profile, self.seed)

    def now(self) -> float:
        return self.clock.now()

    def world_elapsed(self, since: float) -> float:
        """World seconds between `since` and now."""
        return (self.now() - since) * self.time_scale

    # -- timers ------------------------------------------------------------

    def after(self, world_seconds: float, action: Callable[[], None], owner: str = "") -> None:
        """Run `action` after `world_seconds` of world time, unless `owner` goes first."""

        async def fire() -> None:
            await self.clock.sleep(world_seconds / self.time_scale)
            self._timers.get(owner, set()).discard(task)
            try:
                action()
            except Exception:
                log.exception("simulated timer for %r failed", owner)

        task = asyncio.get_running_loop().create_task(fire())
        self._timers.setdefault(owner, set()).add(task)

    def cancel_timers(self, owner: str) -> None:
        for task in self._timers.pop(owner, set()):
            task.cancel()

    def cancel_all_timers(self) -> None:
        for owner in list(self._timers):
            self.cancel_timers(owner)

    # -- events ------------------------------------------------------------

    def emit(
        self,
        event: dict[str, Any],
        channels: Iterable[Channel] = (),
        bridges: Iterable[Bridge] = (),
        apps: Iterable[str] = (),
    ) -> None:
        self.bus.publish(event, channels, bridges, apps)

    def emit_channel(self, event: dict[str, Any], ch: Channel) -> None:
        if ch.kind not in ("recorder", "announcer"):
            self.bus.publish(event, [ch])

    # -- channels ----------------------------------------------------------

    def new_channel(self, kind: ChannelKind, name: str, channel_id: str | None) -> Channel:
        uniqueid = self.state.new_uniqueid(self.now())
        ch = Channel(id=channel_id or uniqueid, name=name, kind=kind, creationtime=self.now())
        self.state.channels[ch.id] = ch
        self.counters["channels_created"] += 1
        created = self.state.apps.values()
        if any(a.subscribe_all and a.active for a in created):
            self.emit(ev.channel_event("ChannelCreated", self.now(), ch), [ch])
        return ch

    def channel_id_taken(self, channel_id: str | None) -> bool:
        return bool(channel_id) and channel_id in self.state.channels

    def set_state(self, ch: Channel, state: str) -> None:
        if ch.state != state:
            ch.state = state
            self.emit_channel(ev.channel_event("ChannelStateChange", self.now(), ch), ch)

    def dialplan_step(self, ch: Channel, app: str, data: str = "", advance: bool = True) -> None:
        if advance and (ch.dialplan.app_name or ch.dialplan.priority > 1):
            ch.dialplan.priority += 1
        ch.dialplan.app_name, ch.dialplan.app_data = app, data
        self.emit_channel(ev.channel_dialplan(self.now(), ch), ch)

    def set_var(self, ch: Channel, name: str, value: str, report: bool = True) -> None:
        ch.variables[name] = value
        if report:
            self.emit_channel(ev.channel_varset(self.now(), ch, name, value), ch)

    def enter_stasis(self, ch: Channel, app: str, args: list[str]) -> None:
        ch.dialplan.app_name = "Stasis"
        ch.dialplan.app_data = ",".join([app, *args])
        ch.stasis_app, ch.stasis_args, ch.home_app = app, list(args), app
        if ch.kind != "snoop":
            self.set_var(ch, "STASISSTATUS", "")
        self.emit(ev.stasis_start(self.now(), ch, args), [ch])

    def leave_stasis(self, ch: Channel) -> None:
        if ch.stasis_app is None:
            return
        self.emit(ev.channel_event("StasisEnd", self.now(), ch), [ch])
        ch.stasis_app = None
        if ch.kind != "snoop":
            self.set_var(ch, "STASISSTATUS", "SUCCESS")

    def hangup_request(self, ch: Channel, cause: int, soft: bool = False) -> None:
        self.emit_channel(ev.hangup_request(self.now(), ch, cause, soft), ch)

    def destroy(self, ch: Channel, cause: int) -> None:
        """Remove a channel for good; the caller has done bridge and Stasis exits."""
        if self.state.channels.get(ch.id) is not ch:
            return
        self.cancel_timers(ch.id)
        ch.dialplan.app_name, ch.dialplan.app_data = ch.resting_app
        self.emit_channel(ev.channel_destroyed(self.now(), ch, cause), ch)
        del self.state.channels[ch.id]
        for app in self.state.apps.values():
            app.channel_ids.discard(ch.id)
        self.counters["channels_destroyed"] += 1

    def find_channel(self, channel_id: str) -> Channel | None:
        return self.state.channels.get(channel_id)

    def partner(self, ch: Channel) -> Channel | None:
        return self.state.channels.get(ch.partner_id) if ch.partner_id else None

    # -- whole-PBX events ----------------------------------------------------

    def reset(self) -> None:
        """Forget every object, as a freshly started Asterisk would."""
        self.cancel_all_timers()
        self.bus.close_all()
        self.state = PbxState(started_at=self.now())
        self.bus.state = self.state
        self.world = World(self.profile, self.seed)
        self.counters.clear()
        self.bus.counts.clear()
