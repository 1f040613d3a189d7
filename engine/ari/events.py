"""Typed ARI events and their pure decoder.

Every event model that `events.json` derives from `Event` has a class here,
named as the event `type` (a test holds the two sets equal). `decode_message`
turns one decoded WebSocket frame (a dict) into a typed object and never
raises: an event type this module does not know becomes an `UnknownEvent`
and a frame that does not validate becomes a `MalformedMessage`, both keeping
the original dict, so a newer or odd Asterisk cannot kill the reader.

`AriEvent` carries optional typed accessors (`channel`, `bridge`, `playback`,
`recording`, `endpoint`) that the specific classes narrow to required where
the declaration requires them; `channel_ids()` / `bridge_ids()` name every
channel and bridge an event concerns, which is what dispatch routes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, get_args

from pydantic import ValidationError

from engine.ari.models import (
    AriModel,
    Bridge,
    Channel,
    DeviceState,
    Endpoint,
    LiveRecording,
    Playback,
    TextMessage,
)

# --- nested models of events.json ------------------------------------------


class ContactInfo(AriModel):
    uri: str
    contact_status: str
    aor: str
    roundtrip_usec: str | None = None


class Peer(AriModel):
    peer_status: str
    cause: str | None = None
    address: str | None = None
    port: str | None = None
    time: str | None = None


class AdditionalParam(AriModel):
    parameter_name: str
    parameter_value: str


class RequiredDestination(AriModel):
    protocol_id: str | None = None
    destination: str | None = None
    additional_protocol_params: tuple[AdditionalParam, ...] | None = None


class ReferTo(AriModel):
    requested_destination: RequiredDestination
    destination_channel: Channel | None = None
    connected_channel: Channel | None = None
    bridge: Bridge | None = None


class ReferredBy(AriModel):
    source_channel: Channel
    connected_channel: Channel | None = None
    bridge: Bridge | None = None


class RESTHeader(AriModel):
    name: str
    value: str


class RESTQueryStringParameter(AriModel):
    name: str
    value: str


class RESTRequest(AriModel):
    type: str
    transaction_id: str
    request_id: str
    method: str
    uri: str
    content_type: str | None = None
    query_strings: tuple[RESTQueryStringParameter, ...] | None = None
    message_body: str | None = None


# --- messages --------------------------------------------------------------


class AriMessage(AriModel):
    """Anything that arrives on the event WebSocket."""

    type: str
    asterisk_id: str | None = None

    def channel_ids(self) -> frozenset[str]:
        return frozenset()

    def bridge_ids(self) -> frozenset[str]:
        return frozenset()

    def target_ids(self) -> tuple[frozenset[str], frozenset[str]]:
        return self.channel_ids(), self.bridge_ids()


class MissingParams(AriMessage):
    """Asterisk's answer to a WebSocket request missing parameters."""

    params: tuple[str, ...]


class MalformedMessage(AriMessage):
    """A frame that is not valid JSON, has no type, or does not fit its type's model."""

    error: str
    raw: dict[str, Any]


class AriEvent(AriMessage):
    """Base of every event; the generic form of event types unknown to this module."""

    application: str
    timestamp: datetime
    channel: Channel | None = None
    bridge: Bridge | None = None
    playback: Playback | None = None
    recording: LiveRecording | None = None
    endpoint: Endpoint | None = None

    def channel_ids(self) -> frozenset[str]:
        return self.target_ids()[0]

    def bridge_ids(self) -> frozenset[str]:
        return self.target_ids()[1]

    def target_ids(self) -> tuple[frozenset[str], frozenset[str]]:
        """`(channel_ids(), bridge_ids())` in one walk, over the fields that can hold a model."""
        channels: set[str] = set()
        bridges: set[str] = set()
        for name in _model_fields(type(self)):
            value = getattr(self, name)
            if value is None:
                continue
            for kind, ident in _targets_of(value, depth=2):
                if kind == "channel":
                    channels.add(ident)
                elif kind == "bridge":
                    bridges.add(ident)
        return frozenset(channels), frozenset(bridges)


_MODEL_FIELDS: dict[type[AriModel], tuple[str, ...]] = {}


def _model_fields(cls: type[AriModel]) -> tuple[str, ...]:
    """The fields of `cls` whose declared type may hold a model (where targets can be)."""
    names = _MODEL_FIELDS.get(cls)
    if names is None:
        names = tuple(
            name for name, info in cls.model_fields.items() if _may_hold_model(info.annotation)
        )
        _MODEL_FIELDS[cls] = names
    return names


def _may_hold_model(annotation: object) -> bool:
    if annotation is Any:
        return True
    if isinstance(annotation, type) and issubclass(annotation, AriModel):
        return True
    return any(_may_hold_model(arg) for arg in get_args(annotation))


def _targets_of(value: object, depth: int) -> Iterator[tuple[str, str]]:
    if isinstance(value, Channel):
        yield "channel", value.id
    elif isinstance(value, Bridge):
        yield "bridge", value.id
    elif isinstance(value, (Playback, LiveRecording)):
        yield value.target
    elif isinstance(value, AriModel) and depth > 0:
        for name in _model_fields(type(value)):
            yield from _targets_of(getattr(value, name), depth - 1)


class UnknownEvent(AriEvent):
    """An event type this module does not model; its fields stay in `model_extra`."""


# --- events.json, Event subtypes -------------------------------------------


class DeviceStateChanged(AriEvent):
    device_state: DeviceState


class PlaybackStarted(AriEvent):
    playback: Playback


class PlaybackContinuing(AriEvent):
    playback: Playback


class PlaybackFinished(AriEvent):
    playback: Playback


class RecordingStarted(AriEvent):
    recording: LiveRecording


class RecordingFinished(AriEvent):
    recording: LiveRecording


class RecordingFailed(AriEvent):
    recording: LiveRecording


class ApplicationMoveFailed(AriEvent):
    channel: Channel
    destination: str
    args: tuple[str, ...]


class ApplicationRegistered(AriEvent):
    pass


class ApplicationUnregistered(AriEvent):
    pass


class ApplicationReplaced(AriEvent):
    """Another WebSocket subscribed to this application; this one gets no more events."""


class BridgeCreated(AriEvent):
    bridge: Bridge


class BridgeDestroyed(AriEvent):
    bridge: Bridge


class BridgeMerged(AriEvent):
    bridge: Bridge
    bridge_from: Bridge


class BridgeVideoSourceChanged(AriEvent):
    bridge: Bridge
    old_video_source_id: str | None = None


class BridgeBlindTransfer(AriEvent):
    channel: Channel
    exten: str
    context: str
    result: str
    is_external: bool
    replace_channel: Channel | None = None
    transferee: Channel | None = None


class BridgeAttendedTransfer(AriEvent):
    transferer_first_leg: Channel
    transferer_second_leg: Channel
    result: str
    is_external: bool
    destination_type: str
    replace_channel: Channel | None = None
    transferee: Channel | None = None
    transfer_target: Channel | None = None
    transferer_first_leg_bridge: Bridge | None = None
    transferer_second_leg_bridge: Bridge | None = None
    destination_bridge: str | None = None
    destination_application: str | None = None
    destination_link_first_leg: Channel | None = None
    destination_link_second_leg: Channel | None = None
    destination_threeway_channel: Channel | None = None
    destination_threeway_bridge: Bridge | None = None


class ChannelCreated(AriEvent):
    channel: Channel


class ChannelDestroyed(AriEvent):
    channel: Channel
    cause: int
    cause_txt: str
    tech_cause: int | None = None


class ChannelEnteredBridge(AriEvent):
    bridge: Bridge


class ChannelLeftBridge(AriEvent):
    bridge: Bridge
    channel: Channel


class ChannelStateChange(AriEvent):
    channel: Channel


class ChannelDtmfReceived(AriEvent):
    channel: Channel
    digit: str
    duration_ms: int


class ChannelDialplan(AriEvent):
    channel: Channel
    dialplan_app: str
    dialplan_app_data: str


class ChannelCallerId(AriEvent):
    channel: Channel
    caller_presentation: int
    caller_presentation_txt: str


class ChannelUserevent(AriEvent):
    eventname: str
    userevent: dict[str, Any]


class ChannelHangupRequest(AriEvent):
    channel: Channel
    cause: int | None = None
    tech_cause: int | None = None
    soft: bool | None = None


class ChannelVarset(AriEvent):
    """`channel` is None for a global variable."""

    variable: str
    value: str


class ChannelHold(AriEvent):
    channel: Channel
    musicclass: str | None = None


class ChannelUnhold(AriEvent):
    channel: Channel


class ChannelToneDetected(AriEvent):
    channel: Channel


class ChannelTalkingStarted(AriEvent):
    channel: Channel


class ChannelTalkingFinished(AriEvent):
    channel: Channel
    duration: int


class ChannelConnectedLine(AriEvent):
    channel: Channel


class ChannelTransfer(AriEvent):
    refer_to: ReferTo
    referred_by: ReferredBy
    state: str | None = None


class ContactStatusChange(AriEvent):
    endpoint: Endpoint
    contact_info: ContactInfo


class PeerStatusChange(AriEvent):
    endpoint: Endpoint
    peer: Peer


class EndpointStateChange(AriEvent):
    endpoint: Endpoint


class Dial(AriEvent):
    """`peer` is the channel being dialled; `caller` is absent for an originate."""

    peer: Channel
    dialstatus: str
    caller: Channel | None = None
    forward: str | None = None
    forwarded: Channel | None = None
    dialstring: str | None = None


class StasisStart(AriEvent):
    channel: Channel
    args: tuple[str, ...]
    replace_channel: Channel | None = None


class StasisEnd(AriEvent):
    channel: Channel


class TextMessageReceived(AriEvent):
    message: TextMessage


class RESTResponse(AriEvent):
    transaction_id: str
    request_id: str
    status_code: int
    reason_phrase: str
    uri: str
    content_type: str | None = None
    message_body: str | None = None


class CallBroadcast(AriEvent):
    channel: Channel
    caller: str | None = None
    called: str | None = None


class CallClaimed(AriEvent):
    channel: Channel
    winner_app: str


EVENT_TYPES: dict[str, type[AriEvent]] = {
    cls.__name__: cls
    for cls in (
        DeviceStateChanged,
        PlaybackStarted,
        PlaybackContinuing,
        PlaybackFinished,
        RecordingStarted,
        RecordingFinished,
        RecordingFailed,
        ApplicationMoveFailed,
        ApplicationRegistered,
        ApplicationUnregistered,
        ApplicationReplaced,
        BridgeCreated,
        BridgeDestroyed,
        BridgeMerged,
        BridgeBlindTransfer,
        BridgeAttendedTransfer,
        BridgeVideoSourceChanged,
        ChannelCreated,
        ChannelDestroyed,
        ChannelEnteredBridge,
        ChannelLeftBridge,
        ChannelStateChange,
        ChannelDtmfReceived,
        ChannelDialplan,
        ChannelCallerId,
        ChannelUserevent,
        ChannelHangupRequest,
        ChannelVarset,
        ChannelToneDetected,
        ChannelTalkingStarted,
        ChannelTalkingFinished,
        ChannelHold,
        ChannelUnhold,
        ContactStatusChange,
        EndpointStateChange,
        Dial,
        StasisEnd,
        StasisStart,
        TextMessageReceived,
        ChannelConnectedLine,
        PeerStatusChange,
        ChannelTransfer,
        RESTResponse,
        CallBroadcast,
        CallClaimed,
    )
}

_MESSAGE_TYPES: dict[str, type[AriMessage]] = {**EVENT_TYPES, "MissingParams": MissingParams}


def decode_message(data: object) -> AriMessage:
    """One WebSocket message (already JSON-decoded) as a typed object; never raises."""
    if not isinstance(data, Mapping):
        return MalformedMessage(type="", error="not a JSON object", raw={})
    raw = dict(data)
    type_ = raw.get("type")
    if not isinstance(type_, str) or not type_:
        return MalformedMessage(type="", error="no event type", raw=raw)
    cls = _MESSAGE_TYPES.get(type_, UnknownEvent)
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        return MalformedMessage(type=type_, error=_summary(exc), raw=raw)


def decode_frame(payload: str | bytes) -> AriMessage:
    """One WebSocket text frame as a typed object; never raises."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        return MalformedMessage(type="", error=f"invalid JSON: {exc}", raw={})
    return decode_message(data)


def _summary(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]]
    return "; ".join(parts)
