"""`/playbacks`: follow and control media being played."""

from __future__ import annotations

from typing import Literal

from engine.ari.models import Playback
from engine.ari.resources._base import Resource
from engine.ari.rest import encode_path, parse

PlaybackOperation = Literal["restart", "pause", "unpause", "reverse", "forward"]


class Playbacks(Resource):
    async def get(self, playback_id: str) -> Playback:
        data = await self._http.request(
            "GET", encode_path("/playbacks/{playbackId}", playbackId=playback_id)
        )
        return parse(Playback, data)

    async def stop(self, playback_id: str) -> None:
        await self._http.request(
            "DELETE", encode_path("/playbacks/{playbackId}", playbackId=playback_id)
        )

    async def control(self, playback_id: str, operation: PlaybackOperation) -> None:
        await self._http.request(
            "POST",
            encode_path("/playbacks/{playbackId}/control", playbackId=playback_id),
            query={"operation": operation},
        )
