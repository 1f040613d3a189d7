"""`/recordings`: control live recordings, fetch and delete stored ones."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from engine.ari.models import LiveRecording, StoredFile, StoredRecording
from engine.ari.resources._base import Resource
from engine.ari.rest import DOWNLOAD_CHUNK_BYTES, Download, encode_path, parse, parse_list


def _stored(template: str, name: str) -> str:
    return encode_path("/recordings/stored/{recordingName}" + template, recordingName=name)


def _live(template: str, name: str) -> str:
    return encode_path("/recordings/live/{recordingName}" + template, recordingName=name)


class Recordings(Resource):
    async def list_stored(self) -> list[StoredRecording]:
        return parse_list(StoredRecording, await self._http.request("GET", "/recordings/stored"))

    async def get_stored(self, name: str) -> StoredRecording:
        return parse(StoredRecording, await self._http.request("GET", _stored("", name)))

    async def get_stored_file(
        self, name: str, *, request_timeout: float | None = None
    ) -> StoredFile:
        """The audio of a stored recording; long recordings may want a longer `request_timeout`."""
        return await self._http.request_file(
            _stored("/file", name), request_timeout=request_timeout
        )

    def open_stored_file(
        self,
        name: str,
        *,
        request_timeout: float | None = None,
        chunk_size: int = DOWNLOAD_CHUNK_BYTES,
    ) -> AbstractAsyncContextManager[Download]:
        """The same audio as it arrives, never whole in memory (for long recordings):

        async with ari.recordings.open_stored_file(name) as download:
            async for chunk in download:
                out.write(chunk)
        """
        return self._http.download(
            _stored("/file", name), request_timeout=request_timeout, chunk_size=chunk_size
        )

    async def copy_stored(self, name: str, destination: str) -> StoredRecording:
        data = await self._http.request(
            "POST",
            _stored("/copy", name),
            query={"destinationRecordingName": destination},
        )
        return parse(StoredRecording, data)

    async def delete_stored(self, name: str) -> None:
        await self._http.request("DELETE", _stored("", name))

    async def get_live(self, name: str) -> LiveRecording:
        return parse(LiveRecording, await self._http.request("GET", _live("", name)))

    async def cancel(self, name: str) -> None:
        """Stop and discard a live recording."""
        await self._http.request("DELETE", _live("", name))

    async def stop(self, name: str) -> None:
        """Stop a live recording and store it."""
        await self._http.request("POST", _live("/stop", name))

    async def pause(self, name: str) -> None:
        await self._http.request("POST", _live("/pause", name))

    async def unpause(self, name: str) -> None:
        await self._http.request("DELETE", _live("/pause", name))

    async def mute(self, name: str) -> None:
        await self._http.request("POST", _live("/mute", name))

    async def unmute(self, name: str) -> None:
        await self._http.request("DELETE", _live("/mute", name))
