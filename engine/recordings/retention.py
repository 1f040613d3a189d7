"""Retention: recordings older than `retention_days` lose their file, then their row.

The file goes first: a crash in between leaves a row without a file (which the
next sweep removes), never a file nobody can find.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.clock import Clock, utc_datetime
from engine.recordings.layout import UnsafePath, inside
from engine.store import recordings as store

log = logging.getLogger(__name__)

BATCH = 500


def _remove(root: Path, relatives: list[str]) -> None:
    for relative in relatives:
        try:
            inside(root, relative).unlink(missing_ok=True)
        except UnsafePath:
            log.error("retention: refusing to delete %r, outside the store", relative)


class RetentionSweeper:
    def __init__(
        self,
        db: AsyncEngine,
        root: Path,
        clock: Clock,
        retention_days: int,
        *,
        interval_seconds: float = 3600.0,
    ) -> None:
        self._db = db
        self._root = root
        self._clock = clock
        self.retention_days = retention_days
        self.interval_seconds = interval_seconds
        self.rounds = 0  # sweeps finished by `run`, for whoever waits on its schedule

    @property
    def enabled(self) -> bool:
        return self.retention_days > 0

    async def sweep(self) -> int:
        """Delete what is due now; how many recordings went."""
        if not self.enabled:
            return 0
        cutoff = utc_datetime(self._clock.now()) - timedelta(days=self.retention_days)
        loop = asyncio.get_running_loop()
        total = 0
        while True:
            async with self._db.connect() as conn:
                due = await store.expired(conn, cutoff, BATCH)
            if not due:
                break
            await loop.run_in_executor(None, _remove, self._root, [r["path"] for r in due])
            async with self._db.begin() as conn:
                total += await store.delete_rows(conn, [r["id"] for r in due])
            if len(due) < BATCH:
                break
        if total:
            log.info(
                "retention: %d recordings older than %d days deleted", total, self.retention_days
            )
        return total

    async def run(self) -> None:
        """Sweep now and then every `interval_seconds` of the clock, until cancelled."""
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("retention sweep failed; trying again next round")
            self.rounds += 1
            await self._clock.sleep(self.interval_seconds)
