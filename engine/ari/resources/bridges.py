"""`/bridges`: mix channels together, play and record into the mix."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from engine.ari.models import Bridge, LiveRecording, Playback, Variable, Variables
from engine.ari.resources._base import (
    RecordIfExists,
    Resource,
    TerminateOn,
    variables_body,
)
from engine.ari.resources._base import Variables as VarMap
from engine.ari.rest import encode_path, parse, parse_list


def _path(template: str, bridge_id: str, **more: str) -> str:
    return encode_path(template, bridgeId=bridge_id, **more)


class Bridges(Resource):
    async def list(self) -> builtins.list[Bridge]:
        return parse_list(Bridge, await self._http.request("GET", "/bridges"))

    async def get(self, bridge_id: str) -> Bridge:
        return parse(
            Bridge, await self._http.request("GET", _path("/bridges/{bridgeId}", bridge_id))
        )

    async def create(
        self,
        type: str | Sequence[str] | None = None,
        *,
        bridge_id: str | None = None,
        name: str | None = None,
        variables: VarMap | None = None,
    ) -> Bridge:
        """`type` is a list of attributes: mixing, holding, dtmf_events, proxy_media, ..."""
        query = {"type": type, "bridgeId": bridge_id, "name": name}
        data = await self._http.request(
            "POST", "/bridges", query=query, body=variables_body(variables)
        )
        return self._created(parse(Bridge, data))

    async def create_with_id(
        self,
        bridge_id: str,
        type: str | Sequence[str] | None = None,
        *,
        name: str | None = None,
        variables: VarMap | None = None,
    ) -> Bridge:
        """Create the bridge, or update the type and name of an existing one."""
        data = await self._http.request(
            "POST",
            _path("/bridges/{bridgeId}", bridge_id),
            query={"type": type, "name": name},
            body=variables_body(variables),
        )
        return self._created(parse(Bridge, data))

    async def destroy(self, bridge_id: str) -> None:
        await self._http.request("DELETE", _path("/bridges/{bridgeId}", bridge_id))

    async def add_channel(
        self,
        bridge_id: str,
        channel: str | Sequence[str],
        *,
        role: str | None = None,
        absorb_dtmf: bool | None = None,
        mute: bool | None = None,
        inhibit_connected_line_updates: bool | None = None,
    ) -> None:
        query = {
            "channel": channel,
            "role": role,
            "absorbDTMF": absorb_dtmf,
            "mute": mute,
            "inhibitConnectedLineUpdates": inhibit_connected_line_updates,
        }
        await self._http.request(
            "POST", _path("/bridges/{bridgeId}/addChannel", bridge_id), query=query
        )

    async def remove_channel(self, bridge_id: str, channel: str | Sequence[str]) -> None:
        await self._http.request(
            "POST",
            _path("/bridges/{bridgeId}/removeChannel", bridge_id),
            query={"channel": channel},
        )

    async def set_video_source(self, bridge_id: str, channel_id: str) -> None:
        await self._http.request(
            "POST",
            _path("/bridges/{bridgeId}/videoSource/{channelId}", bridge_id, channelId=channel_id),
        )

    async def clear_video_source(self, bridge_id: str) -> None:
        await self._http.request("DELETE", _path("/bridges/{bridgeId}/videoSource", bridge_id))

    async def start_moh(self, bridge_id: str, moh_class: str | None = None) -> None:
        await self._http.request(
            "POST", _path("/bridges/{bridgeId}/moh", bridge_id), query={"mohClass": moh_class}
        )

    async def stop_moh(self, bridge_id: str) -> None:
        await self._http.request("DELETE", _path("/bridges/{bridgeId}/moh", bridge_id))

    async def play(
        self,
        bridge_id: str,
        media: str | Sequence[str],
        *,
        playback_id: str | None = None,
        announcer_format: str | None = None,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
    ) -> Playback:
        query = {
            "media": media,
            "announcer_format": announcer_format,
            "lang": lang,
            "offsetms": offsetms,
            "skipms": skipms,
            "playbackId": playback_id,
        }
        data = await self._http.request(
            "POST", _path("/bridges/{bridgeId}/play", bridge_id), query=query
        )
        return parse(Playback, data)

    async def play_with_id(
        self,
        bridge_id: str,
        playback_id: str,
        media: str | Sequence[str],
        *,
        announcer_format: str | None = None,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
    ) -> Playback:
        query = {
            "media": media,
            "announcer_format": announcer_format,
            "lang": lang,
            "offsetms": offsetms,
            "skipms": skipms,
        }
        data = await self._http.request(
            "POST",
            _path("/bridges/{bridgeId}/play/{playbackId}", bridge_id, playbackId=playback_id),
            query=query,
        )
        return parse(Playback, data)

    async def record(
        self,
        bridge_id: str,
        name: str,
        format: str,
        *,
        recorder_format: str | None = None,
        max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
        if_exists: RecordIfExists | None = None,
        beep: bool | None = None,
        terminate_on: TerminateOn | None = None,
    ) -> LiveRecording:
        query = {
            "name": name,
            "format": format,
            "recorder_format": recorder_format,
            "maxDurationSeconds": max_duration_seconds,
            "maxSilenceSeconds": max_silence_seconds,
            "ifExists": if_exists,
            "beep": beep,
            "terminateOn": terminate_on,
        }
        data = await self._http.request(
            "POST", _path("/bridges/{bridgeId}/record", bridge_id), query=query
        )
        return parse(LiveRecording, data)

    async def get_variable(self, bridge_id: str, variable: str) -> str:
        data = await self._http.request(
            "GET",
            _path("/bridges/{bridgeId}/variable", bridge_id),
            query={"variable": variable},
        )
        return parse(Variable, data).value

    async def set_variable(
        self,
        bridge_id: str,
        variable: str,
        value: str | None = None,
        *,
        report_events: bool | None = None,
    ) -> None:
        await self._http.request(
            "POST",
            _path("/bridges/{bridgeId}/variable", bridge_id),
            query={"variable": variable, "value": value, "report_events": report_events},
        )

    async def get_variables(self, bridge_id: str, names: Sequence[str]) -> dict[str, str]:
        data = await self._http.request(
            "GET",
            _path("/bridges/{bridgeId}/variables", bridge_id),
            query={"variables": names},
        )
        return {k: str(v) for k, v in parse(Variables, data).variables.items()}

    async def set_variables(self, bridge_id: str, variables: VarMap) -> None:
        await self._http.request(
            "POST",
            _path("/bridges/{bridgeId}/variables", bridge_id),
            body=variables_body(variables),
        )
