"""The reference policies: progressive, power, and a VICIdial ADAPT_AVERAGE port."""

from __future__ import annotations

from collections import deque

from engine.dialer.pacing.snapshot import AgentState, Snapshot


class Progressive:
    """One call per available agent: never abandons while agents stay logged in."""

    name = "progressive"

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval

    def decide(self, snapshot: Snapshot) -> int:
        return snapshot.progressive_lines()


class Power:
    """A fixed number of calls in flight per available agent."""

    def __init__(self, ratio: float = 2.0, interval: float = 1.0) -> None:
        self.ratio = ratio
        self.interval = interval
        self.name = f"power:{ratio:g}"

    def decide(self, snapshot: Snapshot) -> int:
        available = snapshot.count(AgentState.AVAILABLE)
        want = round(self.ratio * available) - snapshot.in_flight
        return max(0, min(want, snapshot.line_room()))


class VicidialAdaptAverage:
    """VICIdial's ADAPT_AVERAGE dial method, as PACING.md states it.

    lines = round(L x (ready + in-call agents)) - (ringing + held + in-call),
    every 2.5 s; every 15 s L is multiplied by 1 + (mean ready - mean waiting
    callers) / mean agents over the last 15 one-second samples, clamped to
    [1, 3]; L is halved when the day's drop rate passes the cap (after 50
    calls) or the last minute's passes 50 % (after 20 calls).
    """

    name = "vicidial"
    interval = 0.5

    def __init__(self, level: float = 1.0, cap: float = 0.03) -> None:
        self.level = level
        self.cap = cap
        self._samples: deque[tuple[int, int, int]] = deque(maxlen=15)
        self._next_sample: float | None = None
        self._next_dial: float | None = None
        self._next_adapt: float | None = None

    def decide(self, snapshot: Snapshot) -> int:
        now = snapshot.now
        if self._next_sample is None:
            self._next_sample = self._next_dial = now
            self._next_adapt = now + 15.0
        ready = snapshot.count(AgentState.AVAILABLE)
        in_call = snapshot.count(AgentState.TALKING) + snapshot.count(AgentState.RESERVED)
        if now >= self._next_sample:
            self._next_sample += 1.0
            self._samples.append((ready, len(snapshot.waiting), snapshot.active_agents))
        assert self._next_adapt is not None and self._next_dial is not None
        if now >= self._next_adapt:
            self._next_adapt += 15.0
            self._adapt(snapshot)
        if now < self._next_dial:
            return 0
        self._next_dial += 2.5
        want = round(self.level * (ready + in_call)) - (snapshot.in_flight + in_call)
        return max(0, min(want, snapshot.line_room()))

    def _adapt(self, snapshot: Snapshot) -> None:
        if self._samples:
            n = len(self._samples)
            ready = sum(s[0] for s in self._samples) / n
            waiting = sum(s[1] for s in self._samples) / n
            agents = sum(s[2] for s in self._samples) / n
            if agents > 0:
                self.level *= 1.0 + (ready - waiting) / agents
        ledger = snapshot.stats.ledger
        recent_live, recent_dropped = ledger.recent(snapshot.now, 60.0)
        if (ledger.day_live >= 50 and ledger.day_abandoned > self.cap * ledger.day_live) or (
            recent_live >= 20 and recent_dropped > 0.5 * recent_live
        ):
            self.level /= 2.0
        self.level = min(3.0, max(1.0, self.level))
