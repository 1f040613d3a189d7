"""JSON bodies as Asterisk writes them: objects (Channel, Bridge, ...) and events.

Field order follows the recorded traces, since some clients and every diff
of a replay compare them as text. `asterisk_id` and `application` are added
per receiving application by the event bus.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from engine.sim.state import Bridge, Channel, LiveRecording, Playback

# Q.850 texts as Asterisk's ast_cause2str() prints them.
CAUSE_TEXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    3: "No route to destination",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    22: "Number changed",
    27: "Destination out of order",
    28: "Invalid number format",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    41: "Temporary failure",
    58: "Bearer capability not available",
    88: "Incompatible destination",
    127: "Interworking, unspecified",
}

Json = dict[str, Any]


def timestamp(epoch: float) -> str:
    """Asterisk's event time format: 2026-11-25T06:55:35.852+0000."""
    dt = datetime.fromtimestamp(epoch, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def channel_json(ch: Channel) -> Json:
    return {
        "id": ch.id,
        "name": ch.name,
        "state": ch.state,
        "protocol_id": "",
        "caller": {"name": ch.caller.name, "number": ch.caller.number},
        "connected": {"name": ch.connected.name, "number": ch.connected.number},
        "accountcode": ch.accountcode,
        "dialplan": {
            "context": ch.dialplan.context,
            "exten": ch.dialplan.exten,
            "priority": ch.dialplan.priority,
            "app_name": ch.dialplan.app_name,
            "app_data": ch.dialplan.app_data,
        },
        "creationtime": timestamp(ch.creationtime),
        "language": ch.language,
    }


def bridge_json(br: Bridge) -> Json:
    body: Json = {
        "id": br.id,
        "technology": br.technology,
        "bridge_type": br.bridge_type,
        "bridge_class": "stasis",
        "creator": "Stasis",
        "name": br.name,
        "channels": [c for c in br.channels if c not in br.internal],
        "creationtime": timestamp(br.creationtime),
        "video_mode": "talker",
    }
    if br.video_source_id:
        body["video_source_id"] = br.video_source_id
    return body


def recording_json(rec: LiveRecording) -> Json:
    body: Json = {
        "name": rec.name,
        "format": rec.format,
        "state": rec.state,
        "target_uri": rec.target_uri,
    }
    if rec.duration is not None:
        body["duration"] = rec.duration
    return body


def playback_json(pb: Playback) -> Json:
    body: Json = {
        "id": pb.id,
        "media_uri": pb.media_uri,
        "target_uri": pb.target_uri,
        "language": pb.language,
        "state": pb.state,
    }
    if pb.index + 1 < len(pb.media) and pb.state in ("playing", "paused", "continuing"):
        body["next_media_uri"] = pb.media[pb.index + 1]
    return body


# -- events -------------------------------------------------------------------


def _event(kind: str, now: float, **fields: Any) -> Json:
    return {"type": kind, "timestamp": timestamp(now), **fields}


def channel_event(kind: str, now: float, ch: Channel, **fields: Any) -> Json:
    """Events whose only payload is the channel (and a few scalars after it)."""
    return _event(kind, now, **fields, channel=channel_json(ch))


def stasis_start(now: float, ch: Channel, args: list[str]) -> Json:
    return _event("StasisStart", now, args=list(args), channel=channel_json(ch))


def channel_varset(now: float, ch: Channel, variable: str, value: str) -> Json:
    return {
        "variable": variable,
        "value": value,
        **_event("ChannelVarset", now, channel=channel_json(ch)),
    }


def hangup_request(now: float, ch: Channel, cause: int, soft: bool) -> Json:
    head: Json = {"cause": cause}
    if soft:
        head["soft"] = True
    return {**head, **_event("ChannelHangupRequest", now, channel=channel_json(ch))}


def channel_destroyed(now: float, ch: Channel, cause: int) -> Json:
    return _event(
        "ChannelDestroyed",
        now,
        cause=cause,
        cause_txt=CAUSE_TEXT.get(cause, "Unknown"),
        channel=channel_json(ch),
    )


def channel_dialplan(now: float, ch: Channel) -> Json:
    return _event(
        "ChannelDialplan",
        now,
        dialplan_app=ch.dialplan.app_name,
        dialplan_app_data=ch.dialplan.app_data,
        channel=channel_json(ch),
    )


def channel_callerid(now: float, ch: Channel, presentation: int = 0) -> Json:
    text = "Presentation Allowed, Not Screened" if presentation == 0 else "Number Unavailable"
    return _event(
        "ChannelCallerId",
        now,
        caller_presentation=presentation,
        caller_presentation_txt=text,
        channel=channel_json(ch),
    )


def dial(now: float, peer: Channel, status: str, dialstring: str) -> Json:
    return _event(
        "Dial",
        now,
        dialstatus=status,
        forward="",
        dialstring=dialstring,
        peer=channel_json(peer),
    )


def bridge_event(kind: str, now: float, br: Bridge, ch: Channel | None = None) -> Json:
    fields: Json = {"bridge": bridge_json(br)}
    if ch is not None:
        fields["channel"] = channel_json(ch)
    return _event(kind, now, **fields)


def recording_event(kind: str, now: float, rec: LiveRecording) -> Json:
    return _event(kind, now, recording=recording_json(rec))


def playback_event(kind: str, now: float, pb: Playback) -> Json:
    return _event(kind, now, playback=playback_json(pb))


def plain_event(kind: str, now: float, **fields: Any) -> Json:
    return _event(kind, now, **fields)
