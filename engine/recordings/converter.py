"""MP3 conversion in a bounded pool of ffmpeg subprocesses.

A fixed number of workers take recording ids from a queue, so no more than
`concurrency` ffmpeg processes ever run at once and the event loop only waits
on pipes. The MP3 is written under a temporary name and kept only if ffprobe
finds it as long as the original (within a tolerance); then the row points at
it and the original goes. Any failure keeps the original and its row as they
were. The queue lives in memory only: at start, `requeue()` finds the rows
still in a convertible format.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.errors import NotFound
from engine.recordings.layout import CONVERTIBLE, converted_path, inside
from engine.recordings.media import DEFAULT_TOOLS, MediaError, Tools, probe_duration, to_mp3
from engine.store import recordings as store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConversionSettings:
    concurrency: int = field(default_factory=lambda: os.cpu_count() or 1)
    # Per conversion: a fixed allowance plus a share of the audio's length.
    timeout_seconds: float = 60.0
    timeout_per_audio_second: float = 0.1
    # MP3 frames (72 ms at 8 kHz) and encoder padding make the copy a little longer.
    tolerance_seconds: float = 0.5
    tolerance_ratio: float = 0.01
    tools: Tools = DEFAULT_TOOLS

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("conversion concurrency must be at least 1")

    def timeout_for(self, seconds: float) -> float:
        return self.timeout_seconds + self.timeout_per_audio_second * seconds

    def matches(self, original: float, converted: float) -> bool:
        allowed = self.tolerance_seconds + self.tolerance_ratio * original
        return abs(converted - original) <= allowed


def _size(path: Path) -> int:
    return path.stat().st_size


def _exists(path: Path) -> bool:
    return path.is_file()


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


class Converter:
    def __init__(
        self, db: AsyncEngine, root: Path, settings: ConversionSettings | None = None
    ) -> None:
        self._db = db
        self._root = root
        self.settings = settings or ConversionSettings()
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._queued: set[int] = set()
        self._workers: list[asyncio.Task[None]] = []
        self.running = 0
        self.peak = 0
        self.converted = 0
        self.failed = 0

    def start(self) -> None:
        if self._workers:
            return
        self._workers = [
            asyncio.create_task(self._work(), name=f"mp3-converter-{n}")
            for n in range(self.settings.concurrency)
        ]

    async def close(self) -> None:
        """Stop at once: conversions under way are killed; their rows come back at `requeue`."""
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers = []

    def enqueue(self, recording_id: int) -> None:
        if recording_id not in self._queued:
            self._queued.add(recording_id)
            self._queue.put_nowait(recording_id)

    async def requeue(self) -> int:
        async with self._db.connect() as conn:
            ids = await store.conversion_candidates(conn, sorted(CONVERTIBLE))
        for recording_id in ids:
            self.enqueue(recording_id)
        return len(ids)

    async def drain(self) -> None:
        """Wait until everything queued so far has been tried."""
        await self._queue.join()

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    async def _work(self) -> None:
        while True:
            recording_id = await self._queue.get()
            try:
                if await self.convert(recording_id):
                    self.converted += 1
            except Exception:
                self.failed += 1
                log.exception("recording #%d: conversion crashed", recording_id)
            finally:
                self._queued.discard(recording_id)
                self._queue.task_done()

    async def convert(self, recording_id: int) -> bool:
        """Convert one recording to MP3; False (original kept) if it cannot be done."""
        try:
            async with self._db.connect() as conn:
                row = await store.get_recording(conn, recording_id)
        except NotFound:
            return False  # deleted since it was queued (retention)
        if row["format"] not in CONVERTIBLE:
            return False
        loop = asyncio.get_running_loop()
        source = inside(self._root, row["path"])
        relative = converted_path(row["path"])
        target = inside(self._root, relative)
        part = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        try:
            if not await loop.run_in_executor(None, _exists, source):
                raise MediaError(f"{row['path']} is missing")
            tools = self.settings.tools
            original = row["duration_seconds"]
            if original is None:
                original = await probe_duration(source, tools=tools)
            await self._ffmpeg(source, part, self.settings.timeout_for(original))
            duration = await probe_duration(part, tools=tools)
            if not self.settings.matches(original, duration):
                raise MediaError(f"MP3 lasts {duration:.2f} s, the original {original:.2f} s")
            size = await loop.run_in_executor(None, _size, part)
            await loop.run_in_executor(None, os.replace, part, target)
        except (MediaError, OSError) as exc:
            self.failed += 1
            log.error("recording #%d: not converted, original kept: %s", recording_id, exc)
            await loop.run_in_executor(None, _unlink, part)
            return False
        async with self._db.begin() as conn:
            moved = await store.converted(
                conn,
                recording_id,
                old_path=row["path"],
                path=relative,
                fmt="mp3",
                size=size,
                duration=round(duration, 3),
            )
        # Deleted or changed meanwhile (retention): the MP3 is the orphan then.
        await loop.run_in_executor(None, _unlink, source if moved else target)
        return moved

    async def _ffmpeg(self, source: Path, target: Path, limit_seconds: float) -> None:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await to_mp3(source, target, limit_seconds=limit_seconds, tools=self.settings.tools)
        finally:
            self.running -= 1
