"""Injected time.

Every scheduling decision asks a `Clock`, never `time.time()` or
`asyncio.sleep()` directly, so that the same code runs in real time in
production and in virtual time in simulations and unit tests.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock time, seconds since the epoch (UTC)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""


def utc_datetime(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


class LoopClock:
    """Real time: the wall clock for timestamps, the event loop for waiting."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


@dataclass(order=True)
class _Sleeper:
    wake_at: float
    seq: int
    future: asyncio.Future[None] = field(compare=False)


class VirtualClock:
    """Time that moves only when told to.

    `advance()` wakes every sleeper whose time has come, in time order, letting
    the loop run between wake-ups so that woken tasks can schedule new sleeps
    that fall inside the same advance.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._start = start
        self._sleepers: list[_Sleeper] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now - self._start

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, _Sleeper(self._now + seconds, next(self._seq), future))
        await future

    def next_wake(self) -> float | None:
        """When the earliest sleeper wakes, or None if nobody sleeps."""
        while self._sleepers and self._sleepers[0].future.done():
            heapq.heappop(self._sleepers)  # cancelled sleepers
        return self._sleepers[0].wake_at if self._sleepers else None

    async def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, waking sleepers on the way."""
        target = self._now + seconds
        while (wake := self.next_wake()) is not None and wake <= target:
            sleeper = heapq.heappop(self._sleepers)
            self._now = max(self._now, sleeper.wake_at)
            sleeper.future.set_result(None)
            # Let the woken task (and whatever it wakes) run at this instant.
            for _ in range(5):
                await asyncio.sleep(0)
        self._now = target
