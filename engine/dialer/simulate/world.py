"""Discrete-event simulation of one campaign shift in virtual time.

A heap of timed events drives the PACING.md world: calls resolve (a person, or
no answer / busy / machine / invalid), live callees wait `drop_time` for an
agent and are then abandoned, agents talk, wrap up, and take the oldest
waiting callee or go idle (the longest-idle agent gets the next callee). Every
`policy.interval` seconds the policy is shown a `Snapshot` and its answer is
dialled, capped at the lines-per-agent limit; the policy learns only from what
the shell reports to its `CampaignStats`, as it would live.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque

from engine.dialer.pacing.snapshot import AgentState, AgentView, PacingPolicy, Snapshot
from engine.dialer.pacing.stats import HOUR, CampaignStats, Priors
from engine.dialer.simulate.fates import Fate, FateStream, Outcome
from engine.dialer.simulate.metrics import Limits, RunResult, rate
from engine.dialer.simulate.scenario import Scenario

_TICK, _LIVE, _FAILED, _ABANDON, _TALK_END, _WRAP_END, _REACT = range(7)

_AVAILABLE = AgentState.AVAILABLE
_TALKING = AgentState.TALKING
_WRAP_UP = AgentState.WRAP_UP


class World:
    def __init__(
        self,
        scenario: Scenario,
        policy: PacingPolicy,
        seed: int,
        hours: float | None = None,
        *,
        priors: Priors | None = None,
        react: bool = True,
    ) -> None:
        self.sc = scenario
        # A live runner also wakes when a line or an agent frees up, not only
        # on its timer: without it, every dial waits half a tick on average.
        self.react = react
        self._react_due = False
        # Policies whose decisions are costly may ask for fewer wake-ups.
        self._react_gap: float = getattr(policy, "react_gap", 0.0)
        self._last_decision = -math.inf
        self.policy = policy
        self.seed = seed
        self.end = (scenario.hours if hours is None else hours) * HOUR
        self.stats = CampaignStats(0.0, priors)
        self.fates = FateStream(scenario, seed)
        n = scenario.agents
        self.views = [AgentView(_AVAILABLE, 0.0)] * n
        self.counts = dict.fromkeys(AgentState, 0)
        self.counts[_AVAILABLE] = n
        self.idle: deque[int] = deque(range(n))
        self.dialling: dict[int, float] = {}
        self.waiting: dict[int, float] = {}
        self.live_fates: dict[int, Fate] = {}
        self.talk_of: list[float] = [0.0] * n
        self.wrap_of: list[float] = [0.0] * n
        self._heap: list[tuple[float, int, int, int]] = []
        self._seq = itertools.count()
        self._ids = itertools.count()
        hours_n = max(1, math.ceil(self.end / HOUR - 1e-9))
        self.talk_by_hour = [0.0] * hours_n
        self.live_by_hour = [0] * hours_n
        self.abandoned_by_hour = [0] * hours_n
        self.idle_time = 0.0
        self.talking = 0
        self.dials = self.live = self.routed = self.abandoned = self.failed = 0
        self.late = 0  # live answers after the shift's end, not counted
        self.peak_lines = 0

    def _push(self, at: float, kind: int, ref: int) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), kind, ref))

    def run(self) -> RunResult:
        self._push(0.0, _TICK, 0)
        stop = self.end + self.sc.drop_time
        handlers = (
            self._tick,
            self._on_live,
            self._on_failed,
            self._on_abandon,
            self._on_talk_end,
            self._on_wrap_end,
            self._on_react,
        )
        heap = self._heap
        while heap and heap[0][0] <= stop:
            at, _, kind, ref = heapq.heappop(heap)
            handlers[kind](at, ref)
        for agent in self.idle:
            self.idle_time += max(0.0, self.end - self.views[agent].since)
        return self._result()

    # -- events -------------------------------------------------------------------

    def _tick(self, now: float, _: int) -> None:
        if now >= self.end:
            return
        self._decide(now)
        self._push(now + self.policy.interval, _TICK, 0)

    def _wake(self, now: float) -> None:
        if self.react and not self._react_due and now < self.end:
            self._react_due = True
            self._push(max(now, self._last_decision + self._react_gap), _REACT, 0)

    def _on_react(self, now: float, _: int) -> None:
        self._react_due = False
        self._decide(now)

    def _decide(self, now: float) -> None:
        self._last_decision = now
        snap = Snapshot(
            now,
            self.views,
            list(self.dialling.values()),
            list(self.waiting.values()),
            self.stats,
            self.sc.max_lines_per_agent,
            self.counts,
        )
        count = min(self.policy.decide(snap), snap.line_room())
        if count > 0:
            self._dial(now, count)

    def _dial(self, now: float, count: int) -> None:
        p = self.sc.answer_rate_at(now)
        for _ in range(count):
            call = next(self._ids)
            fate = self.fates.next()
            outcome, after = fate.resolve(p)
            self.dialling[call] = now
            if outcome is Outcome.LIVE:
                self.live_fates[call] = fate
                self._push(now + after, _LIVE, call)
            else:
                self._push(now + after, _FAILED, call)
        self.dials += count
        self.stats.record_dial(now, count)
        lines = len(self.dialling) + len(self.waiting) + self.talking
        self.peak_lines = max(self.peak_lines, lines)

    def _on_live(self, now: float, call: int) -> None:
        dialled = self.dialling.pop(call)
        if now >= self.end:
            self.live_fates.pop(call)
            self.late += 1
            return
        self.live += 1
        self.live_by_hour[int(now // HOUR)] += 1
        self.stats.record_live(now, now - dialled)
        if self.idle:
            self._connect(now, self.idle.popleft(), call, now)
        else:
            self.waiting[call] = now
            self._push(now + self.sc.drop_time, _ABANDON, call)

    def _on_failed(self, now: float, call: int) -> None:
        dialled = self.dialling.pop(call)
        self.failed += 1
        if now < self.end:
            self.stats.record_failure(now, now - dialled)
            self._wake(now)

    def _on_abandon(self, now: float, call: int) -> None:
        answered = self.waiting.pop(call, None)
        if answered is None:
            return
        del self.live_fates[call]
        self.abandoned += 1
        self.abandoned_by_hour[int(answered // HOUR)] += 1
        self.stats.record_abandon(now, answered)

    def _on_talk_end(self, now: float, agent: int) -> None:
        self.talking -= 1
        self.stats.record_talk(now, self.talk_of[agent])
        self._set(agent, AgentView(_WRAP_UP, now))
        self._push(now + self.wrap_of[agent], _WRAP_END, agent)

    def _on_wrap_end(self, now: float, agent: int) -> None:
        self.stats.record_wrap(now, self.wrap_of[agent])
        if self.waiting:
            call = next(iter(self.waiting))
            answered = self.waiting.pop(call)
            self._connect(now, agent, call, answered)
        else:
            self._set(agent, AgentView(_AVAILABLE, now))
            self.idle.append(agent)
            self._wake(now)

    def _connect(self, now: float, agent: int, call: int, answered: float) -> None:
        view = self.views[agent]
        if view.state is _AVAILABLE:
            self.idle_time += max(0.0, min(now, self.end) - view.since)
        fate = self.live_fates.pop(call)
        self.routed += 1
        self.talking += 1
        self.stats.record_routed(now, answered)
        self._set(agent, AgentView(_TALKING, now))
        self.talk_of[agent] = fate.talk
        self.wrap_of[agent] = fate.wrap
        self._add_talk(now, now + fate.talk)
        self._push(now + fate.talk, _TALK_END, agent)

    def _set(self, agent: int, view: AgentView) -> None:
        counts = self.counts
        counts[self.views[agent].state] -= 1
        counts[view.state] += 1
        self.views[agent] = view

    def _add_talk(self, start: float, end: float) -> None:
        end = min(end, self.end)
        while start < end:
            h = int(start // HOUR)
            cut = min(end, (h + 1) * HOUR)
            self.talk_by_hour[h] += cut - start
            start = cut

    # -- figures ------------------------------------------------------------------

    def _result(self) -> RunResult:
        sc, n = self.sc, self.sc.agents
        hours = self.end / HOUR
        by_hour_rate = tuple(
            rate(a, lv) for a, lv in zip(self.abandoned_by_hour, self.live_by_hour, strict=True)
        )
        spans = [min(HOUR, self.end - h * HOUR) for h in range(len(self.talk_by_hour))]
        occ_by_hour = tuple(t / (n * s) for t, s in zip(self.talk_by_hour, spans, strict=True))
        worst = max(range(len(by_hour_rate)), key=by_hour_rate.__getitem__)
        return RunResult(
            scenario=sc.id,
            policy=self.policy.name,
            seed=self.seed,
            hours=hours,
            agents=n,
            occupancy=sum(self.talk_by_hour) / (n * self.end),
            abandon_day=rate(self.abandoned, self.live),
            abandon_worst_hour=by_hour_rate[worst],
            worst_hour=worst,
            abandon_first_hour=by_hour_rate[0],
            connects_per_agent_hour=self.routed / (n * hours),
            idle_per_connect=self.idle_time / self.routed if self.routed else math.inf,
            peak_lines=self.peak_lines,
            dials=self.dials,
            live=self.live,
            routed=self.routed,
            abandoned=self.abandoned,
            unresolved=len(self.dialling),
            occupancy_by_hour=occ_by_hour,
            abandon_by_hour=by_hour_rate,
            live_by_hour=tuple(self.live_by_hour),
            abandoned_by_hour=tuple(self.abandoned_by_hour),
            limits=Limits(sc.abandon_cap_day, sc.abandon_cap_hour, sc.abandon_cap_first_hour),
        )


def simulate(
    scenario: Scenario,
    policy: PacingPolicy,
    seed: int,
    hours: float | None = None,
    *,
    priors: Priors | None = None,
    react: bool = True,
) -> RunResult:
    return World(scenario, policy, seed, hours, priors=priors, react=react).run()
