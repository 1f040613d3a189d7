"""The simulated PBX's in-memory objects: channels, bridges, recordings, apps.

Plain data, no I/O and no timers: `pbx.py` changes these and emits events.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.sim.world import CallPlan

ChannelKind = Literal["local1", "local2", "pjsip", "snoop", "recorder", "announcer", "media"]


@dataclass
class CallerId:
    name: str = ""
    number: str = ""


@dataclass
class Dialplan:
    context: str = "default"
    exten: str = "s"
    priority: int = 1
    app_name: str = ""
    app_data: str = ""


@dataclass
class Channel:
    id: str
    name: str
    kind: ChannelKind
    creationtime: float
    state: str = "Down"
    caller: CallerId = field(default_factory=CallerId)
    connected: CallerId = field(default_factory=CallerId)
    dialplan: Dialplan = field(default_factory=Dialplan)
    # The dialplan application shown again once the channel is destroyed:
    # AppDial2 for originated channels, nothing for the others.
    resting_app: tuple[str, str] = ("", "")
    language: str = "en"
    accountcode: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    stasis_app: str | None = None
    stasis_args: list[str] = field(default_factory=list)
    home_app: str | None = None  # the app it returns to after AMD
    bridge_id: str | None = None
    partner_id: str | None = None  # the other half of a Local pair
    endpoint: str = ""  # tech/resource dialled
    dialstring: str = ""
    number: str = ""
    plan: CallPlan | None = None
    created_by: Literal["originate", "create", "snoop", "internal"] = "internal"
    dialed: bool = False
    answered_at: float | None = None
    hangup_requested: bool = False
    muted: set[str] = field(default_factory=set)
    on_hold: bool = False
    moh: bool = False
    silence: bool = False

    @property
    def in_stasis(self) -> bool:
        return self.stasis_app is not None


@dataclass
class Bridge:
    id: str
    bridge_type: str
    name: str
    creationtime: float
    technology: str = "simple_bridge"
    channels: list[str] = field(default_factory=list)  # in join order
    internal: set[str] = field(default_factory=set)  # recorder / announcer members
    creator_app: str | None = None
    moh: bool = False
    video_source_id: str | None = None
    variables: dict[str, str] = field(default_factory=dict)


@dataclass
class LiveRecording:
    name: str
    format: str
    target_uri: str
    started_at: float
    max_duration: int = 0
    if_exists: str = "fail"
    state: str = "queued"
    paused_at: float | None = None
    paused_total: float = 0.0
    muted: bool = False
    recorder_channel_id: str | None = None
    duration: int | None = None


@dataclass
class StoredRecording:
    name: str
    format: str
    path: str
    duration: float


@dataclass
class Playback:
    id: str
    media: list[str]
    target_uri: str
    language: str = "en"
    state: str = "queued"
    index: int = 0

    @property
    def media_uri(self) -> str:
        return self.media[min(self.index, len(self.media) - 1)]


@dataclass
class Application:
    name: str
    channel_ids: set[str] = field(default_factory=set)
    bridge_ids: set[str] = field(default_factory=set)
    endpoint_ids: set[str] = field(default_factory=set)
    device_names: set[str] = field(default_factory=set)
    events_allowed: list[dict[str, Any]] = field(default_factory=list)
    events_disallowed: list[dict[str, Any]] = field(default_factory=list)
    subscribe_all: bool = False
    active: bool = False

    def wants(self, event_type: str) -> bool:
        if self.events_allowed and not any(
            f.get("type") == event_type for f in self.events_allowed
        ):
            return False
        return not any(f.get("type") == event_type for f in self.events_disallowed)


@dataclass
class PbxState:
    """Every object the simulated Asterisk holds, and its id counters."""

    started_at: float
    channels: dict[str, Channel] = field(default_factory=dict)
    bridges: dict[str, Bridge] = field(default_factory=dict)
    live_recordings: dict[str, LiveRecording] = field(default_factory=dict)
    stored_recordings: dict[str, StoredRecording] = field(default_factory=dict)
    playbacks: dict[str, Playback] = field(default_factory=dict)
    apps: dict[str, Application] = field(default_factory=dict)
    global_vars: dict[str, str] = field(default_factory=dict)
    # configClass -> objectType -> id -> fields
    config: dict[str, dict[str, dict[str, list[dict[str, str]]]]] = field(default_factory=dict)
    device_states: dict[str, str] = field(default_factory=dict)
    mailboxes: dict[str, tuple[int, int]] = field(default_factory=dict)
    log_channels: dict[str, str] = field(default_factory=dict)
    unique_seq: Iterator[int] = field(default_factory=itertools.count)
    channel_seq: Iterator[int] = field(default_factory=itertools.count)
    snoop_seq: Iterator[int] = field(default_factory=itertools.count)

    def new_uniqueid(self, now: float) -> str:
        return f"{int(now)}.{next(self.unique_seq)}"

    def next_channel_suffix(self) -> str:
        return f"{next(self.channel_seq):08x}"

    def next_snoop_suffix(self) -> str:
        return f"{next(self.snoop_seq):08x}"

    def app(self, name: str) -> Application:
        if name not in self.apps:
            self.apps[name] = Application(name)
        return self.apps[name]

    def bridge_of(self, channel: Channel) -> Bridge | None:
        return self.bridges.get(channel.bridge_id) if channel.bridge_id else None
