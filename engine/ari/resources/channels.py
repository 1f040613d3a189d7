"""`/channels`: originate, control and inspect calls."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Literal

from engine.ari.models import Channel, LiveRecording, Playback, RTPstat, Variable, Variables
from engine.ari.resources._base import (
    RecordIfExists,
    Resource,
    TerminateOn,
    variables_body,
)
from engine.ari.resources._base import Variables as VarMap
from engine.ari.rest import encode_path, parse, parse_list

HangupReason = Literal[
    "normal",
    "busy",
    "congestion",
    "no_answer",
    "timeout",
    "rejected",
    "unallocated",
    "normal_unspecified",
    "number_incomplete",
    "codec_mismatch",
    "interworking",
    "failure",
    "answered_elsewhere",
]
MuteDirection = Literal["both", "in", "out"]
SnoopDirection = Literal["none", "both", "out", "in"]


def _path(template: str, channel_id: str, **more: str) -> str:
    return encode_path(template, channelId=channel_id, **more)


class Channels(Resource):
    async def list(self) -> builtins.list[Channel]:
        return parse_list(Channel, await self._http.request("GET", "/channels"))

    async def get(self, channel_id: str) -> Channel:
        data = await self._http.request("GET", _path("/channels/{channelId}", channel_id))
        return parse(Channel, data)

    async def originate(
        self,
        endpoint: str,
        *,
        app: str | None = None,
        app_args: str | None = None,
        extension: str | None = None,
        context: str | None = None,
        priority: int | None = None,
        label: str | None = None,
        caller_id: str | None = None,
        ring_timeout: int | None = None,
        variables: VarMap | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: Sequence[str] | None = None,
    ) -> Channel:
        """Dial `endpoint`; the channel enters `app` (StasisStart) once answered."""
        query = {
            "endpoint": endpoint,
            "app": app,
            "appArgs": app_args,
            "extension": extension,
            "context": context,
            "priority": priority,
            "label": label,
            "callerId": caller_id,
            "timeout": ring_timeout,
            "channelId": channel_id,
            "otherChannelId": other_channel_id,
            "originator": originator,
            "formats": formats,
        }
        data = await self._http.request(
            "POST", "/channels", query=query, body=variables_body(variables)
        )
        return self._created(parse(Channel, data))

    async def originate_with_id(
        self,
        channel_id: str,
        endpoint: str,
        *,
        app: str | None = None,
        app_args: str | None = None,
        extension: str | None = None,
        context: str | None = None,
        priority: int | None = None,
        label: str | None = None,
        caller_id: str | None = None,
        ring_timeout: int | None = None,
        variables: VarMap | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: Sequence[str] | None = None,
    ) -> Channel:
        query = {
            "endpoint": endpoint,
            "app": app,
            "appArgs": app_args,
            "extension": extension,
            "context": context,
            "priority": priority,
            "label": label,
            "callerId": caller_id,
            "timeout": ring_timeout,
            "otherChannelId": other_channel_id,
            "originator": originator,
            "formats": formats,
        }
        data = await self._http.request(
            "POST",
            _path("/channels/{channelId}", channel_id),
            query=query,
            body=variables_body(variables),
        )
        return self._created(parse(Channel, data))

    async def create(
        self,
        endpoint: str,
        app: str,
        *,
        app_args: str | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: Sequence[str] | None = None,
        variables: VarMap | None = None,
    ) -> Channel:
        """Create a channel in `app` without dialling it; `dial()` places the call."""
        query = {
            "endpoint": endpoint,
            "app": app,
            "appArgs": app_args,
            "channelId": channel_id,
            "otherChannelId": other_channel_id,
            "originator": originator,
            "formats": formats,
        }
        data = await self._http.request(
            "POST", "/channels/create", query=query, body=variables_body(variables)
        )
        return self._created(parse(Channel, data))

    async def dial(
        self, channel_id: str, *, caller: str | None = None, ring_timeout: int | None = None
    ) -> None:
        await self._http.request(
            "POST",
            _path("/channels/{channelId}/dial", channel_id),
            query={"caller": caller, "timeout": ring_timeout},
        )

    async def hangup(
        self,
        channel_id: str,
        *,
        reason: HangupReason | None = None,
        reason_code: int | None = None,
    ) -> None:
        """Hang up; `reason_code` is a Q.850 cause, `reason` its ARI name (not both)."""
        await self._http.request(
            "DELETE",
            _path("/channels/{channelId}", channel_id),
            query={"reason": reason, "reason_code": reason_code},
        )

    async def continue_in_dialplan(
        self,
        channel_id: str,
        *,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> None:
        query = {"context": context, "extension": extension, "priority": priority, "label": label}
        await self._http.request(
            "POST", _path("/channels/{channelId}/continue", channel_id), query=query
        )

    async def move(self, channel_id: str, app: str, *, app_args: str | None = None) -> None:
        await self._http.request(
            "POST",
            _path("/channels/{channelId}/move", channel_id),
            query={"app": app, "appArgs": app_args},
        )

    async def redirect(self, channel_id: str, endpoint: str) -> None:
        await self._http.request(
            "POST",
            _path("/channels/{channelId}/redirect", channel_id),
            query={"endpoint": endpoint},
        )

    async def answer(self, channel_id: str) -> None:
        await self._http.request("POST", _path("/channels/{channelId}/answer", channel_id))

    async def ring(self, channel_id: str) -> None:
        await self._http.request("POST", _path("/channels/{channelId}/ring", channel_id))

    async def ring_stop(self, channel_id: str) -> None:
        await self._http.request("DELETE", _path("/channels/{channelId}/ring", channel_id))

    async def progress(self, channel_id: str) -> None:
        await self._http.request("POST", _path("/channels/{channelId}/progress", channel_id))

    async def send_dtmf(
        self,
        channel_id: str,
        dtmf: str,
        *,
        before: int | None = None,
        between: int | None = None,
        duration: int | None = None,
        after: int | None = None,
    ) -> None:
        query = {
            "dtmf": dtmf,
            "before": before,
            "between": between,
            "duration": duration,
            "after": after,
        }
        await self._http.request(
            "POST", _path("/channels/{channelId}/dtmf", channel_id), query=query
        )

    async def mute(self, channel_id: str, direction: MuteDirection = "both") -> None:
        await self._http.request(
            "POST",
            _path("/channels/{channelId}/mute", channel_id),
            query={"direction": direction},
        )

    async def unmute(self, channel_id: str, direction: MuteDirection = "both") -> None:
        await self._http.request(
            "DELETE",
            _path("/channels/{channelId}/mute", channel_id),
            query={"direction": direction},
        )

    async def hold(self, channel_id: str) -> None:
        await self._http.request("POST", _path("/channels/{channelId}/hold", channel_id))

    async def unhold(self, channel_id: str) -> None:
        await self._http.request("DELETE", _path("/channels/{channelId}/hold", channel_id))

    async def start_moh(self, channel_id: str, moh_class: str | None = None) -> None:
        await self._http.request(
            "POST",
            _path("/channels/{channelId}/moh", channel_id),
            query={"mohClass": moh_class},
        )

    async def stop_moh(self, channel_id: str) -> None:
        await self._http.request("DELETE", _path("/channels/{channelId}/moh", channel_id))

    async def start_silence(self, channel_id: str) -> None:
        await self._http.request("POST", _path("/channels/{channelId}/silence", channel_id))

    async def stop_silence(self, channel_id: str) -> None:
        await self._http.request("DELETE", _path("/channels/{channelId}/silence", channel_id))

    async def play(
        self,
        channel_id: str,
        media: str | Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
    ) -> Playback:
        """Play `media` (e.g. `sound:hello-world`, `tone:ring`); a list plays in turn."""
        query = {
            "media": media,
            "lang": lang,
            "offsetms": offsetms,
            "skipms": skipms,
            "playbackId": playback_id,
        }
        data = await self._http.request(
            "POST", _path("/channels/{channelId}/play", channel_id), query=query
        )
        return parse(Playback, data)

    async def play_with_id(
        self,
        channel_id: str,
        playback_id: str,
        media: str | Sequence[str],
        *,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
    ) -> Playback:
        query = {"media": media, "lang": lang, "offsetms": offsetms, "skipms": skipms}
        data = await self._http.request(
            "POST",
            _path("/channels/{channelId}/play/{playbackId}", channel_id, playbackId=playback_id),
            query=query,
        )
        return parse(Playback, data)

    async def record(
        self,
        channel_id: str,
        name: str,
        format: str,
        *,
        max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
        if_exists: RecordIfExists | None = None,
        beep: bool | None = None,
        terminate_on: TerminateOn | None = None,
    ) -> LiveRecording:
        query = {
            "name": name,
            "format": format,
            "maxDurationSeconds": max_duration_seconds,
            "maxSilenceSeconds": max_silence_seconds,
            "ifExists": if_exists,
            "beep": beep,
            "terminateOn": terminate_on,
        }
        data = await self._http.request(
            "POST", _path("/channels/{channelId}/record", channel_id), query=query
        )
        return parse(LiveRecording, data)

    async def get_variable(self, channel_id: str, variable: str) -> str:
        data = await self._http.request(
            "GET",
            _path("/channels/{channelId}/variable", channel_id),
            query={"variable": variable},
        )
        return parse(Variable, data).value

    async def set_variable(
        self,
        channel_id: str,
        variable: str,
        value: str | None = None,
        *,
        report_events: bool | None = None,
    ) -> None:
        """Set (or with `value=None`, unset) one variable or dialplan function."""
        await self._http.request(
            "POST",
            _path("/channels/{channelId}/variable", channel_id),
            query={"variable": variable, "value": value, "report_events": report_events},
        )

    async def get_variables(self, channel_id: str, names: Sequence[str]) -> dict[str, str]:
        data = await self._http.request(
            "GET",
            _path("/channels/{channelId}/variables", channel_id),
            query={"variables": names},
        )
        return {k: str(v) for k, v in parse(Variables, data).variables.items()}

    async def set_variables(self, channel_id: str, variables: VarMap) -> None:
        await self._http.request(
            "POST",
            _path("/channels/{channelId}/variables", channel_id),
            body=variables_body(variables),
        )

    async def snoop(
        self,
        channel_id: str,
        app: str,
        *,
        spy: SnoopDirection | None = None,
        whisper: SnoopDirection | None = None,
        app_args: str | None = None,
        snoop_id: str | None = None,
    ) -> Channel:
        """A channel that listens to (`spy`) or talks into (`whisper`) `channel_id`."""
        query = {
            "spy": spy,
            "whisper": whisper,
            "app": app,
            "appArgs": app_args,
            "snoopId": snoop_id,
        }
        data = await self._http.request(
            "POST", _path("/channels/{channelId}/snoop", channel_id), query=query
        )
        return self._created(parse(Channel, data))

    async def snoop_with_id(
        self,
        channel_id: str,
        snoop_id: str,
        app: str,
        *,
        spy: SnoopDirection | None = None,
        whisper: SnoopDirection | None = None,
        app_args: str | None = None,
    ) -> Channel:
        query = {"spy": spy, "whisper": whisper, "app": app, "appArgs": app_args}
        data = await self._http.request(
            "POST",
            _path("/channels/{channelId}/snoop/{snoopId}", channel_id, snoopId=snoop_id),
            query=query,
        )
        return self._created(parse(Channel, data))

    async def rtp_statistics(self, channel_id: str) -> RTPstat:
        data = await self._http.request(
            "GET", _path("/channels/{channelId}/rtp_statistics", channel_id)
        )
        return parse(RTPstat, data)

    async def external_media(
        self,
        app: str,
        format: str,
        *,
        channel_id: str | None = None,
        external_host: str | None = None,
        encapsulation: Literal["rtp", "audiosocket", "none"] | None = None,
        transport: Literal["udp", "tcp", "websocket"] | None = None,
        connection_type: Literal["client", "server"] | None = None,
        direction: Literal["both"] | None = None,
        data: str | None = None,
        transport_data: str | None = None,
        variables: VarMap | None = None,
    ) -> Channel:
        query = {
            "channelId": channel_id,
            "app": app,
            "external_host": external_host,
            "encapsulation": encapsulation,
            "transport": transport,
            "connection_type": connection_type,
            "format": format,
            "direction": direction,
            "data": data,
            "transport_data": transport_data,
        }
        answer = await self._http.request(
            "POST", "/channels/externalMedia", query=query, body=variables_body(variables)
        )
        return self._created(parse(Channel, answer))

    async def transfer_progress(self, channel_id: str, states: str) -> None:
        await self._http.request(
            "POST",
            _path("/channels/{channelId}/transfer_progress", channel_id),
            query={"states": states},
        )
