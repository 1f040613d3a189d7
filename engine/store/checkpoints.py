"""WAL checkpoints off a bulk writer's path (SQLite; nothing to do on PostgreSQL).

In WAL mode a commit appends the transaction's pages to the log, and once
the log holds more than `wal_autocheckpoint` pages (1,000) the committing
connection copies them into the database and syncs both files before its
commit returns. A lead load's batch commits tens of MB, so every batch paid
a checkpoint on the load's critical path: 1.3 of 6.4 s of SQLite's time for
300,000 leads. The bulk connection turns its own checkpoints off and a second
connection copies each committed batch (PASSIVE: it neither waits for nor
blocks the writer and readers) while the next one is written.

A log is rewound only by a write transaction that finds it wholly copied, and
the next batch begins as soon as the last commits, so the log grows while
the load runs. Past `max_log_frames` pages, the next batch waits for the
copy to finish before it begins, and so rewinds the log; at the end a
TRUNCATE checkpoint empties it (unless a reader still needs it), and the
writer's own setting is restored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# 64 Ki pages: 256 MB of log at SQLite's default 4 KiB page, a few batches.
MAX_LOG_FRAMES = 1 << 16
# How long the last checkpoint may hold other writers up (milliseconds).
FINAL_WAIT_MS = 200


class Checkpoints:
    """Checkpoints of a writer's commits, by a connection of their own.

    Call `ready()` before each write transaction and `committed()` after it.
    """

    def __init__(self, copier: Any, *, max_log_frames: int = MAX_LOG_FRAMES) -> None:
        # The aiosqlite connection under a pooled one: a PRAGMA sent through
        # SQLAlchemy would open a transaction (engine/store/db.py begins every
        # one IMMEDIATE, taking the write lock), and a checkpoint needs none.
        self._copier = copier
        self.max_log_frames = max_log_frames
        self.log_frames = 0  # pages in the log, as the last checkpoint found it
        self.runs = 0
        self._wanted = False
        self._task: asyncio.Task[None] | None = None

    def committed(self) -> None:
        """A transaction committed: copy its pages, now or once the copy running ends."""
        self._wanted = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._copy())

    async def ready(self) -> None:
        """Before a write transaction: wait for the copy if the log is past its bound."""
        if self.log_frames > self.max_log_frames:
            await self.settle()

    async def settle(self) -> None:
        """Until every commit so far is copied (as far as readers allow)."""
        if self._task is not None:
            await self._task

    async def abandon(self) -> None:
        """Let the copy running end, when the writer stops for a reason of its own.

        Its own failure is logged: the writer's error is the one that counts.
        """
        task = self._task
        if task is None:
            return
        await asyncio.wait([task])
        if not task.cancelled() and task.exception() is not None:
            log.error("a checkpoint after a bulk write failed", exc_info=task.exception())

    async def _copy(self) -> None:
        while self._wanted:
            self._wanted = False
            self.log_frames = (await self._checkpoint("PASSIVE"))[1]
            self.runs += 1

    async def _checkpoint(self, mode: str) -> tuple[int, int, int]:
        busy, frames, copied = await _pragma(self._copier, f"wal_checkpoint({mode})")
        return int(busy), int(frames), int(copied)

    async def finish(self) -> None:
        """Copy what is left and empty the log, if nobody needs it a moment longer."""
        await self.settle()
        # TRUNCATE holds the write lock while it waits for readers of older
        # snapshots, and the dialer's writes wait meanwhile: it waits a
        # moment, not the pool's busy timeout. Busy is no error: the log is
        # then rewound by a later write, only not truncated.
        (timeout,) = await _pragma(self._copier, "busy_timeout")
        await _pragma(self._copier, f"busy_timeout={FINAL_WAIT_MS}")
        try:
            busy, frames, _ = await self._checkpoint("TRUNCATE")
        finally:
            await _pragma(self._copier, f"busy_timeout={int(timeout)}")
        self.log_frames = frames
        if busy:
            log.info("the log was not emptied after a bulk write: readers were busy")


class _NoCheckpoints(Checkpoints):
    """PostgreSQL: the server checkpoints by itself."""

    def __init__(self) -> None:
        super().__init__(None)

    def committed(self) -> None:
        pass

    async def finish(self) -> None:
        pass


@asynccontextmanager
async def off_the_writer(
    engine: AsyncEngine, writer: AsyncConnection
) -> AsyncIterator[Checkpoints]:
    """Checkpoints for `writer`'s commits while the block runs; `writer` must
    not be in a transaction when it starts or ends."""
    if writer.dialect.name != "sqlite":
        yield _NoCheckpoints()
        return
    driver = (await writer.get_raw_connection()).driver_connection
    (own,) = await _pragma(driver, "wal_autocheckpoint")
    async with engine.connect() as other:
        checkpoints = Checkpoints((await other.get_raw_connection()).driver_connection)
        await _pragma(driver, "wal_autocheckpoint=0")
        try:
            yield checkpoints
            await checkpoints.finish()
        finally:
            await checkpoints.abandon()
            await _pragma(driver, f"wal_autocheckpoint={int(own)}")


async def _pragma(driver: Any, pragma: str) -> tuple[Any, ...]:
    async with driver.execute(f"PRAGMA {pragma}") as cursor:
        return tuple(await cursor.fetchone())
