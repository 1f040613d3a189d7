"""From Asterisk to the store: fetch a finished recording over ARI, file it, record it.

The file comes over ARI (`GET /recordings/stored/{name}/file`), so Asterisk may
run on another host. It is streamed to disk chunk by chunk (an hour of audio is
never held in memory) under a temporary name in its day folder, checked (size
and a duration ffprobe can read), moved to `YYYYMMDD/<call uuid>[-take].<ext>`
and given a `recordings` row; only then is Asterisk's copy deleted. Whatever
fails before that removes the partial file and leaves Asterisk's copy in place
for `recover()` to pick up later.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.ari import errors as ari_errors
from engine.ari.client import AriClient
from engine.clock import Clock, utc_datetime
from engine.recordings.layout import (
    MAX_TAKES,
    RECORDABLE,
    converted_path,
    day_folder,
    inside,
    name_candidates,
    relative_path,
)
from engine.recordings.media import DEFAULT_TOOLS, MediaError, Tools, probe_duration
from engine.store import recordings as store

log = logging.getLogger(__name__)

# A WAV header and no audio: a recording stopped as soon as it started.
EMPTY_BYTES = 64


@dataclass(frozen=True)
class IngestSettings:
    download_timeout: float = 300.0
    probe_timeout: float = 30.0
    tools: Tools = DEFAULT_TOOLS


def _create(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "xb")  # closed by _close


def _close(out: BinaryIO, keep: bool) -> int:
    """Close the file, flushed to disk when it is to be kept; its size on disk."""
    with out:
        if keep:
            out.flush()
            os.fsync(out.fileno())
    return os.stat(out.name).st_size


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


class Ingestor:
    def __init__(
        self,
        ari: AriClient,
        db: AsyncEngine,
        root: Path,
        clock: Clock,
        *,
        stored: Callable[[int], None] | None = None,
        settings: IngestSettings = IngestSettings(),
    ) -> None:
        self._ari = ari
        self._db = db
        self._root = root
        self._clock = clock
        # Told the id of every new row (the converter queues it).
        self._stored = stored
        self._settings = settings
        # Choosing a free path and inserting its row happen as one step.
        self._claim = asyncio.Lock()

    async def ingest(self, name: str, call_uuid: str, fmt: str, take: int = 1) -> int | None:
        """Store the recording `name` of call `call_uuid`; the new row's id, or None."""
        if fmt not in RECORDABLE:
            log.error("recording %s: unexpected format %r; left on Asterisk", name, fmt)
            return None
        async with self._db.connect() as conn:
            call = await store.call_by_uuid(conn, call_uuid)
        if call is None:
            log.error("recording %s: no call %s in the database; left on Asterisk", name, call_uuid)
            return None
        loop = asyncio.get_running_loop()
        folder = inside(self._root, day_folder(call["created_at"]))
        part = folder / f".{call_uuid}.{secrets.token_hex(6)}.part"
        try:
            size = await self._download(name, part)
            if size <= EMPTY_BYTES:
                log.info("recording %s of call %s is empty: discarded", name, call_uuid)
                await self._discard(name)
                return None
            duration = await probe_duration(
                part, limit_seconds=self._settings.probe_timeout, tools=self._settings.tools
            )
            recording_id = await self._file(
                part, call, fmt=fmt, take=take, duration=duration, size=size
            )
        except ari_errors.AriError as exc:
            log.error("recording %s: download failed, left on Asterisk: %s", name, exc)
            return None
        except (MediaError, OSError) as exc:
            log.error("recording %s: not stored, left on Asterisk: %s", name, exc)
            return None
        finally:
            # Gone once filed (moved) and whenever anything failed (a partial download).
            await loop.run_in_executor(None, _unlink, part)
        await self._discard(name)
        log.info("recording %s of call %s stored as #%d", name, call_uuid, recording_id)
        if self._stored is not None:
            self._stored(recording_id)
        return recording_id

    async def _download(self, name: str, part: Path) -> int:
        """Stream Asterisk's file into `part` as it arrives; the bytes written."""
        loop = asyncio.get_running_loop()
        out = await loop.run_in_executor(None, _create, part)
        complete = False
        try:
            async with self._ari.recordings.open_stored_file(
                name, request_timeout=self._settings.download_timeout
            ) as download:
                async for chunk in download:
                    await loop.run_in_executor(None, out.write, chunk)
                received = download.received
            complete = True
        finally:
            size = await loop.run_in_executor(None, _close, out, complete)
        if size != received:
            raise MediaError(f"wrote {size} of {received} bytes")
        return size

    async def _discard(self, name: str) -> None:
        try:
            await self._ari.recordings.delete_stored(name)
        except ari_errors.NotFound:
            pass
        except ari_errors.AriError as exc:
            log.warning("recording %s: Asterisk's copy stays: %s", name, exc)

    async def _file(
        self, part: Path, call: RowMapping, *, fmt: str, take: int, duration: float, size: int
    ) -> int:
        """Move the checked file to the first free take's path and insert its row."""
        loop = asyncio.get_running_loop()
        async with self._claim, self._db.begin() as conn:
            for candidate in range(take, MAX_TAKES + 1):
                relative = relative_path(call["uuid"], call["created_at"], fmt, candidate)
                # A take converted to MP3 holds the .mp3 path, not the original's.
                siblings = [relative, converted_path(relative)]
                if await store.paths_taken(conn, siblings):
                    continue
                target = inside(self._root, relative)
                recording_id = await store.insert_recording(
                    conn,
                    call_id=call["id"],
                    path=relative,
                    fmt=fmt,
                    duration=round(duration, 3),
                    size=size,
                    created_at=utc_datetime(self._clock.now()),
                )
                if recording_id is None:
                    continue  # another node took this path first
                # Moved before the commit: a failed move rolls the row back.
                await loop.run_in_executor(None, os.replace, part, target)
                return recording_id
        raise MediaError(f"no free take left for call {call['uuid']}")

    async def adopt(self, name: str, fmt: str) -> int | None:
        """A recording this process did not start (it restarted): find its call, store it."""
        async with self._db.connect() as conn:
            for call_uuid, take in name_candidates(name):  # noqa: B007 (used after the loop)
                if await store.call_by_uuid(conn, call_uuid) is not None:
                    break
            else:
                log.info("recording %s belongs to no call of ours; left alone", name)
                return None
        return await self.ingest(name, call_uuid, fmt, take)

    async def recover(self) -> int:
        """Store what Asterisk kept while we were away: finished recordings of our calls."""
        try:
            listed = await self._ari.recordings.list_stored()
        except ari_errors.AriError as exc:
            log.warning("cannot list Asterisk's stored recordings: %s", exc)
            return 0
        count = 0
        for recording in listed:
            if recording.format not in RECORDABLE or not await self._finished(recording.name):
                continue
            if await self._already_stored(recording.name, recording.format):
                continue
            if await self.adopt(recording.name, recording.format) is not None:
                count += 1
        return count

    async def _finished(self, name: str) -> bool:
        """Asterisk lists a recording's file while it is still being written."""
        try:
            await self._ari.recordings.get_live(name)
        except ari_errors.NotFound:
            return True
        except ari_errors.AriError:
            return False
        return False

    async def _already_stored(self, name: str, fmt: str) -> bool:
        async with self._db.connect() as conn:
            for call_uuid, take in name_candidates(name):
                call = await store.call_by_uuid(conn, call_uuid)
                if call is None:
                    continue
                relative = relative_path(call_uuid, call["created_at"], fmt, take)
                # Taken: probably ours, kept on Asterisk after a failed delete. Leave it be
                # rather than risk deleting a take we never stored.
                return bool(await store.paths_taken(conn, [relative, converted_path(relative)]))
        return False
