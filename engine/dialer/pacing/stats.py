"""What a campaign has learnt from its own calls: the pacing policies' memory.

The shell (live runner or simulator) reports each outcome as it happens; the
policies read the estimates. Nothing here knows the world's true parameters:
everything starts from `Priors` (generic figures, or the campaign's history).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

from engine.dialer.pacing.estimators import AnswerRate, Histogram, Survival
from engine.dialer.pacing.snapshot import AgentState, Snapshot

HOUR = 3600.0
CLUSTER_GAP = 10.0
_DIAL_TAU = 60.0
_LIVE_TAU = 900.0


@dataclass(frozen=True, slots=True)
class Priors:
    """Starting beliefs. Generic by default; seed them from a campaign's history
    by raising the weights (e.g. answer_rate=0.31, answer_weight=2000)."""

    answer_rate: float = 0.25
    answer_weight: float = 12.0
    talk_mean: float = 150.0
    talk_weight: float = 4.0
    wrap_mean: float = 15.0
    wrap_weight: float = 4.0
    # Dial to live answer, dial to failure: spread over a typical ring window.
    answer_low: float = 4.0
    answer_high: float = 24.0
    failure_low: float = 2.0
    failure_high: float = 30.0
    timing_weight: float = 4.0


class AbandonLedger:
    """Live answers and abandons by the clock hour of the answer, for the day
    and for the campaign's first hour (which need not be a clock hour)."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.live: dict[int, int] = {}
        self.abandoned: dict[int, int] = {}
        self.day_live = 0
        self.day_abandoned = 0
        self.first_live = 0
        self.first_abandoned = 0
        self._recent: deque[tuple[float, bool]] = deque()
        # Abandons answered within CLUSTER_GAP of the previous one form a
        # cluster: sums of sizes and squared sizes of the clusters closed.
        self._last_abandon = -math.inf
        self._cluster = 0
        self._sizes = 0
        self._squares = 0

    def _cluster_of(self, answered_at: float) -> None:
        if answered_at - self._last_abandon > CLUSTER_GAP and self._cluster:
            self._sizes += self._cluster
            self._squares += self._cluster * self._cluster
            self._cluster = 0
        self._cluster += 1
        self._last_abandon = max(self._last_abandon, answered_at)

    def burstiness(self, prior: float = 1.3, weight: float = 8.0) -> float:
        """Abandons' variance / mean if they come as a compound Poisson
        stream of clusters: E[size^2] / E[size], the size of the cluster a
        random abandon belongs to. 1 when drops come alone."""
        sizes = self._sizes + self._cluster
        squares = self._squares + self._cluster * self._cluster
        return (squares + prior * weight) / (sizes + weight)

    def answered(self, at: float) -> None:
        h = int(at // HOUR)
        self.live[h] = self.live.get(h, 0) + 1
        self.day_live += 1
        if at < self.start + HOUR:
            self.first_live += 1

    def resolved(self, answered_at: float, abandoned: bool) -> None:
        self._recent.append((answered_at, abandoned))
        if not abandoned:
            return
        self._cluster_of(answered_at)
        h = int(answered_at // HOUR)
        self.abandoned[h] = self.abandoned.get(h, 0) + 1
        self.day_abandoned += 1
        if answered_at < self.start + HOUR:
            self.first_abandoned += 1

    def carry(self, answered_at: float, abandoned: bool) -> None:
        """A live answer from before this ledger started (a restart): it counts
        in its clock hour and in the day, never in the first hour."""
        h = int(answered_at // HOUR)
        self.live[h] = self.live.get(h, 0) + 1
        self.day_live += 1
        if abandoned:
            self.abandoned[h] = self.abandoned.get(h, 0) + 1
            self.day_abandoned += 1

    def hour(self, now: float) -> tuple[int, int]:
        """(live, abandoned) so far in the clock hour holding `now`."""
        h = int(now // HOUR)
        return self.live.get(h, 0), self.abandoned.get(h, 0)

    def recent(self, now: float, window: float) -> tuple[int, int]:
        """(resolved live answers, abandoned) answered in the last `window` seconds."""
        while self._recent and self._recent[0][0] < now - window:
            self._recent.popleft()
        return len(self._recent), sum(1 for _, a in self._recent if a)


class CampaignStats:
    """Estimates from the campaign's call records, refreshed on a schedule.

    The shell calls the `record_*` methods; policies call `refresh(snapshot)`
    (cheap unless a refresh is due) and then read the estimators.
    """

    def __init__(self, start: float, priors: Priors | None = None) -> None:
        pr = priors or Priors()
        self.priors = pr
        self.start = start
        self.answer = AnswerRate(pr.answer_rate, pr.answer_weight)
        self.talk = Survival(pr.talk_mean, pr.talk_weight)
        self.wrap = Survival(pr.wrap_mean, pr.wrap_weight, step=1.0, horizon=600.0)
        self.answer_time = Histogram(pr.answer_low, pr.answer_high, pr.timing_weight)
        self.failure_time = Histogram(pr.failure_low, pr.failure_high, pr.timing_weight)
        self.ledger = AbandonLedger(start)
        self.dials = 0
        self.version = 0
        self._next_refresh = start
        # Exponentially weighted live answers per second, for budget projections.
        self._rate_live = 0.0
        self._rate_at = start
        self._dial_rate = 0.0
        self._dial_at = start
        # Mean talk + wrap-up: one agent's cycle, without idle time.
        self.cycle = pr.talk_mean + pr.wrap_mean
        # Outcomes wait here, keyed by dial instant, until every call dialled
        # as early has surely resolved: failures (busy, invalid) resolve in
        # seconds and live answers in ten, so counting outcomes as they come
        # would read the answer rate far too low in a campaign's first minute
        # (and the overdial that follows is the day's worst burst).
        self._unsettled: list[tuple[float, bool]] = []
        self.maturity = max(pr.answer_high, pr.failure_high)

    # -- records from the shell ------------------------------------------------

    def record_dial(self, now: float, count: int = 1) -> None:
        self.dials += count
        decay = math.exp(-max(0.0, now - self._dial_at) / _DIAL_TAU)
        self._dial_rate = self._dial_rate * decay + count / _DIAL_TAU
        self._dial_at = now

    def dial_rate(self, now: float) -> float:
        """Dials per second lately (exponentially weighted over about a minute)."""
        return self._dial_rate * math.exp(-max(0.0, now - self._dial_at) / _DIAL_TAU)

    def _outcome(self, now: float, age: float, live: bool) -> None:
        # The longest resolution seen bounds how long an outcome can stay unknown.
        self.maturity = max(self.maturity, age)
        heapq.heappush(self._unsettled, (now - age, live))
        self.settle(now)

    def settle(self, now: float) -> None:
        """Feed the answer rate the outcomes of calls dialled long enough ago
        that none of their contemporaries can still be in flight."""
        pending = self._unsettled
        cutoff = now - self.maturity
        live = total = 0
        while pending and pending[0][0] <= cutoff:
            live += heapq.heappop(pending)[1]
            total += 1
        self.answer.add_batch(live, total)

    def record_live(self, now: float, age: float) -> None:
        """A call dialled `age` seconds ago reached a person."""
        self._outcome(now, age, True)
        self.answer_time.add(age)
        self.ledger.answered(now)
        self._tick_rate(now, 1.0)

    def record_failure(self, now: float, age: float) -> None:
        """A call dialled `age` seconds ago ended without a person (no answer,
        busy, machine, invalid number)."""
        self._outcome(now, age, False)
        self.failure_time.add(age)

    def record_routed(self, now: float, answered_at: float) -> None:
        self.ledger.resolved(answered_at, abandoned=False)

    def record_abandon(self, now: float, answered_at: float) -> None:
        self.ledger.resolved(answered_at, abandoned=True)

    def record_talk(self, now: float, duration: float) -> None:
        self.talk.add(duration)

    def record_wrap(self, now: float, duration: float) -> None:
        self.wrap.add(duration)

    # -- estimates ---------------------------------------------------------------

    def _tick_rate(self, now: float, events: float) -> None:
        tau = _LIVE_TAU
        dt = max(0.0, now - self._rate_at)
        decay = math.exp(-dt / tau)
        self._rate_live = self._rate_live * decay + events / tau
        self._rate_at = now

    def live_rate(self, now: float, agents: int) -> float:
        """Live answers per second expected from here on: measured, but at
        least what the agents could take at full occupancy while it is young."""
        self._tick_rate(now, 0.0)
        age = now - self.start
        ramp = min(1.0, age / 900.0)
        capacity = 0.75 * agents / self.cycle
        # The average started from nothing: scaled up by the share of its
        # memory that has elapsed, it is unbiased from the first minutes on.
        measured = self._rate_live / max(1e-3, 1.0 - math.exp(-age / _LIVE_TAU))
        return ramp * measured + (1.0 - ramp) * capacity

    def refresh(self, snapshot: Snapshot) -> bool:
        """Re-fit the duration curves if due; True when they changed."""
        now = snapshot.now
        self.settle(now)
        if now < self._next_refresh:
            return False
        age = now - self.start
        self._next_refresh = now + (10.0 if age < 600 else 30.0 if age < HOUR else 60.0)
        talking: list[float] = []
        wrapping: list[float] = []
        for agent in snapshot.agents:
            if agent.state is AgentState.TALKING:
                talking.append(now - agent.since)
            elif agent.state is AgentState.WRAP_UP:
                wrapping.append(now - agent.since)
        self.talk.refresh(talking)
        self.wrap.refresh(wrapping)
        self.answer_time.refresh()
        self.failure_time.refresh()
        self.cycle = self.talk.mean() + self.wrap.mean()
        self.version += 1
        return True
