"""Typed models of the objects ARI's REST resources return.

Field names and optionality follow the declarations in
`../shared/asterisk-ari/*.json` (a test checks that they agree). Unknown
fields are kept (`model_extra`) so a newer Asterisk never breaks decoding.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AriModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)


def split_target_uri(uri: str) -> tuple[str, str]:
    """`"channel:abc"` -> `("channel", "abc")`; what a playback or recording acts on."""
    kind, _, ident = uri.partition(":")
    return kind, ident


# --- channels.json ---------------------------------------------------------


class CallerID(AriModel):
    name: str
    number: str


class DialplanCEP(AriModel):
    context: str
    exten: str
    priority: int
    app_name: str
    app_data: str


class Dialed(AriModel):
    pass


class Channel(AriModel):
    id: str
    protocol_id: str
    name: str
    state: str
    caller: CallerID
    connected: CallerID
    accountcode: str
    dialplan: DialplanCEP
    creationtime: datetime
    language: str
    channelvars: dict[str, Any] | None = None
    caller_rdnis: str | None = None
    tenantid: str | None = None

    def in_application(self, app: str) -> bool:
        """Whether the channel sits in the Stasis application `app` right now."""
        return self.dialplan.app_name == "Stasis" and self.dialplan.app_data.split(",")[0] == app


class RTPstat(AriModel):
    txcount: int
    rxcount: int
    txploss: int
    rxploss: int
    local_ssrc: int
    remote_ssrc: int
    txoctetcount: int
    rxoctetcount: int
    channel_uniqueid: str
    txjitter: float | None = None
    rxjitter: float | None = None
    remote_maxjitter: float | None = None
    remote_minjitter: float | None = None
    remote_normdevjitter: float | None = None
    remote_stdevjitter: float | None = None
    local_maxjitter: float | None = None
    local_minjitter: float | None = None
    local_normdevjitter: float | None = None
    local_stdevjitter: float | None = None
    remote_maxrxploss: float | None = None
    remote_minrxploss: float | None = None
    remote_normdevrxploss: float | None = None
    remote_stdevrxploss: float | None = None
    local_maxrxploss: float | None = None
    local_minrxploss: float | None = None
    local_normdevrxploss: float | None = None
    local_stdevrxploss: float | None = None
    rtt: float | None = None
    maxrtt: float | None = None
    minrtt: float | None = None
    normdevrtt: float | None = None
    stdevrtt: float | None = None


# --- bridges.json ----------------------------------------------------------


class Bridge(AriModel):
    id: str
    technology: str
    bridge_type: str
    bridge_class: str
    creator: str
    name: str
    channels: tuple[str, ...]
    creationtime: datetime
    video_mode: str | None = None
    video_source_id: str | None = None
    bridgevars: dict[str, Any] | None = None


# --- recordings.json, playbacks.json ---------------------------------------


class StoredRecording(AriModel):
    name: str
    format: str


class LiveRecording(AriModel):
    name: str
    format: str
    target_uri: str
    state: str
    duration: int | None = None
    talking_duration: int | None = None
    silence_duration: int | None = None
    cause: str | None = None

    @property
    def target(self) -> tuple[str, str]:
        return split_target_uri(self.target_uri)


class StoredFile(AriModel):
    """A stored recording's audio, as `GET /recordings/stored/{name}/file` answers it."""

    content: bytes
    content_type: str


class Playback(AriModel):
    id: str
    media_uri: str
    target_uri: str
    state: str
    next_media_uri: str | None = None
    language: str | None = None

    @property
    def target(self) -> tuple[str, str]:
        return split_target_uri(self.target_uri)


# --- endpoints.json, applications.json -------------------------------------


class Endpoint(AriModel):
    technology: str
    resource: str
    channel_ids: tuple[str, ...]
    state: str | None = None


class TextMessage(AriModel):
    from_: str = Field(alias="from")
    to: str
    body: str
    variables: dict[str, Any] | None = None


class Application(AriModel):
    name: str
    channel_ids: tuple[str, ...]
    bridge_ids: tuple[str, ...]
    endpoint_ids: tuple[str, ...]
    device_names: tuple[str, ...]
    events_allowed: tuple[dict[str, Any], ...]
    events_disallowed: tuple[dict[str, Any], ...]


# --- asterisk.json ---------------------------------------------------------


class BuildInfo(AriModel):
    os: str
    kernel: str
    options: str
    machine: str
    date: str
    user: str


class SystemInfo(AriModel):
    version: str
    entity_id: str


class SetId(AriModel):
    user: str
    group: str


class ConfigInfo(AriModel):
    name: str
    default_language: str
    setid: SetId
    max_channels: int | None = None
    max_open_files: int | None = None
    max_load: float | None = None


class StatusInfo(AriModel):
    startup_time: datetime
    last_reload_time: datetime


class AsteriskInfo(AriModel):
    build: BuildInfo | None = None
    system: SystemInfo | None = None
    config: ConfigInfo | None = None
    status: StatusInfo | None = None


class AsteriskPing(AriModel):
    asterisk_id: str
    ping: str
    timestamp: str


class Module(AriModel):
    name: str
    description: str
    use_count: int
    status: str
    support_level: str


class LogChannel(AriModel):
    channel: str
    type: str
    status: str
    configuration: str


class Variable(AriModel):
    value: str


class Variables(AriModel):
    variables: dict[str, Any]


class ConfigTuple(AriModel):
    attribute: str
    value: str


# --- deviceStates.json, mailboxes.json, sounds.json ------------------------


class DeviceState(AriModel):
    name: str
    state: str


class Mailbox(AriModel):
    name: str
    old_messages: int
    new_messages: int


class FormatLangPair(AriModel):
    language: str
    format: str


class Sound(AriModel):
    id: str
    formats: tuple[FormatLangPair, ...]
    text: str | None = None


# Declaration model id -> class, for the contract tests and for decoding.
REST_MODELS: dict[str, type[AriModel]] = {
    cls.__name__: cls
    for cls in (
        CallerID,
        DialplanCEP,
        Dialed,
        Channel,
        RTPstat,
        Bridge,
        StoredRecording,
        LiveRecording,
        Playback,
        Endpoint,
        TextMessage,
        Application,
        BuildInfo,
        SystemInfo,
        SetId,
        ConfigInfo,
        StatusInfo,
        AsteriskInfo,
        AsteriskPing,
        Module,
        LogChannel,
        Variable,
        Variables,
        ConfigTuple,
        DeviceState,
        Mailbox,
        FormatLangPair,
        Sound,
    )
}
