"""Predictive pacing: dial while the next call's abandon risk is affordable.

See the package docstring for the method; this module holds the policy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.dialer.pacing.budget import Caps, budget_rate
from engine.dialer.pacing.outlook import ExactOutlook, Outlook
from engine.dialer.pacing.snapshot import AgentState, Snapshot
from engine.dialer.pacing.stats import CampaignStats

_AVAILABLE = AgentState.AVAILABLE
_TALKING = AgentState.TALKING
_WRAP_UP = AgentState.WRAP_UP
_RESERVED = AgentState.RESERVED


@dataclass(frozen=True, slots=True)
class PredictiveConfig:
    caps: Caps = field(default_factory=Caps)
    drop_time: float = 2.0  # the campaign's own setting: how long a callee waits
    instants: int = 5  # look-ahead instants (answer-time quantiles)
    wrap_points: int = 4  # wrap-up quantiles convolved with the remaining talk
    answer_z: float = 1.0  # answer rate used: posterior mean + z sd
    budget_z: float = 1.5  # safety margin on the abandon budgets, in sd
    budget_burst: float = 2.0  # abandons' variance / mean
    exact_agents: int = 12  # exact distributions up to this many active agents
    learn_rate: float = 0.01  # threshold steering, per dialled call
    calibration_weight: float = 4.0  # prior abandons behind the model's calibration
    calibration_prior: float = 1.2  # realised / predicted abandons, before data
    fallback_fraction: float = 0.97  # measured day rate / cap that forces progressive
    # Budgets aim this far under each cap: the day's running rate must not sit
    # at the fallback line, and hours need room for a late burst.
    day_aim: float = 0.92
    hour_aim: float = 0.95
    min_rate: float = 0.002  # below this budget, progressive
    future_weight: float = 0.6  # share of future dials counted against a new call


class Predictive:
    """Look-ahead pacing under explicit abandon budgets, progressive as floor.

    Learns only from the `CampaignStats` the shell feeds; keeps its own steering
    state (threshold multiplier, calibration), so use one instance per campaign.
    """

    name = "predictive"

    def __init__(
        self, config: PredictiveConfig | None = None, interval: float = 1.0, react_gap: float = 0.5
    ) -> None:
        self.config = config or PredictiveConfig()
        self.interval = interval
        # Between ticks, at most one extra decision per react_gap when lines free up.
        self.react_gap = react_gap
        self.level = 1.0  # threshold / budget rate, steered online
        self.predicted_abandons = 0.0
        self.last_risk = 0.0
        self.last_budget = 0.0
        self._version = -1
        self._p = -1.0
        self._grid: list[float] = []
        self._areas: list[float] = []
        self._levels: list[float] = []
        self._wrap_q: list[float] = []
        self._talk_rows: dict[int, tuple[float, ...]] = {}
        self._wrap_rows: dict[int, tuple[float, ...]] = {}
        self._call_rows: dict[int, tuple[float, ...]] = {}
        self._new_q: list[float] = []

    # -- decision ------------------------------------------------------------------

    def decide(self, snapshot: Snapshot) -> int:
        stats = snapshot.stats
        cfg = self.config
        floor = snapshot.progressive_lines()
        room = snapshot.line_room()
        if room <= floor:
            return floor
        budget = self._budget(snapshot)
        self.last_budget = budget
        if budget <= cfg.min_rate or self._near_cap(stats):
            return floor
        self._prepare(snapshot)
        theta = min(0.9, self.level * budget / self._calibration(stats))
        outlook = self._outlook(snapshot)
        p = self._p
        # Calls dialled in the coming seconds may answer before this one and
        # take the agent it was counting on.
        nu = stats.dial_rate(snapshot.now) * p * cfg.future_weight
        outlook.add_arrivals([nu * area for area in self._areas])
        count = 0
        dialled_risk = 0.0
        calibration = self._calibration(stats)
        steer = 0.0
        while count < room:
            risk = outlook.risk()
            if count >= floor and risk > theta:
                break
            outlook.add_call(self._new_q)
            count += 1
            dialled_risk += risk
            steer += self._error(risk, budget, calibration)
        self._steer(steer)
        self.last_risk = risk
        self.predicted_abandons += dialled_risk * p
        return count

    def _budget(self, snapshot: Snapshot) -> float:
        cfg = self.config
        stats = snapshot.stats
        lam = stats.live_rate(snapshot.now, snapshot.active_agents)
        caps = cfg.caps
        aims = Caps(caps.day * cfg.day_aim, caps.hour * cfg.hour_aim, caps.first_hour)
        return budget_rate(
            stats.ledger,
            snapshot.now,
            lam,
            aims,
            z=cfg.budget_z,
            burst=cfg.budget_burst,
            horizon_floor=300.0,
        )

    def _near_cap(self, stats: CampaignStats) -> bool:
        frac = self.config.fallback_fraction
        ledger = stats.ledger
        return ledger.day_live >= 50 and (
            ledger.day_abandoned > frac * self.config.caps.day * ledger.day_live
        )

    def _calibration(self, stats: CampaignStats) -> float:
        """Realised abandons per abandon the model predicted (its bias), shrunk
        towards a cautious prior while there are few."""
        cfg = self.config
        w = cfg.calibration_weight
        real = stats.ledger.day_abandoned
        return (real + w * cfg.calibration_prior) / (self.predicted_abandons + w)

    @staticmethod
    def _error(risk: float, budget: float, calibration: float) -> float:
        # Stochastic approximation: the average risk of the calls dialled
        # (times the calibration) converges on the budget rate.
        return max(-3.0, min(1.0, (budget - risk * calibration) / budget))

    def _steer(self, error: float) -> None:
        # One step per decision, bounded: a campaign's first round dials a
        # call per free agent at no risk, which must not inflate the level
        # for the minutes that follow.
        step = self.config.learn_rate * error
        self.level *= math.exp(max(-0.3, min(0.1, step)))
        self.level = min(20.0, max(0.5, self.level))

    # -- model ---------------------------------------------------------------------

    def _prepare(self, snapshot: Snapshot) -> None:
        stats = snapshot.stats
        refreshed = stats.refresh(snapshot)
        cfg = self.config
        p = stats.answer.upper(cfg.answer_z)
        if refreshed or stats.version != self._version:
            self._version = stats.version
            g = cfg.instants
            self._levels = [(i + 0.5) / g for i in range(g)]
            self._grid = [stats.answer_time.quantile(q) for q in self._levels]
            # Integral of the answer-time CDF up to each instant: live answers
            # by then from calls dialled at a steady rate from now on.
            step = 0.5
            self._areas = [
                step * sum(stats.answer_time.at((i + 0.5) * step) for i in range(int(x / step)))
                for x in self._grid
            ]
            k = cfg.wrap_points
            self._wrap_q = [stats.wrap.quantile((i + 0.5) / k) for i in range(k)]
            self._talk_rows.clear()
            self._wrap_rows.clear()
            self._call_rows.clear()
            self._p = -1.0
        if abs(p - self._p) > 0.002:
            self._p = p
            self._call_rows.clear()
            self._new_q = [p * level for level in self._levels]

    def _outlook(self, snapshot: Snapshot) -> Outlook | ExactOutlook:
        # The hot loop of every decision: rows come from memos keyed by time bins.
        now = snapshot.now
        stats = snapshot.stats
        inv_talk = 1.0 / stats.talk.step
        inv_wrap = 1.0 / stats.wrap.step
        inv_call = 1.0 / stats.answer_time.step
        talk_get = self._talk_rows.get
        wrap_get = self._wrap_rows.get
        call_get = self._call_rows.get
        rows: list[tuple[float, ...]] = []
        free = 0
        for state, since in snapshot.agents:
            if state is _AVAILABLE:
                free += 1
            elif state is _TALKING:
                b = int((now - since) * inv_talk)
                if b >= _FINE_BINS:
                    b = _FINE_BINS + ((b - _FINE_BINS) >> 2)
                rows.append(talk_get(b) or self._talk_row(b, snapshot))
            elif state is _WRAP_UP:
                b = int((now - since) * inv_wrap)
                rows.append(wrap_get(b) or self._wrap_row(b, snapshot))
            elif state is _RESERVED:
                rows.append(talk_get(0) or self._talk_row(0, snapshot))
        n_agents = len(rows)
        for t in snapshot.dialling:
            b = int((now - t) * inv_call)
            rows.append(call_get(b) or self._call_row(b, snapshot))
        fixed = free - len(snapshot.waiting)
        g = self.config.instants
        if snapshot.active_agents <= self.config.exact_agents:
            plus = [row[:g] for row in rows[:n_agents]]
            minus = [tuple(-x for x in row[:g]) for row in rows[n_agents:]]
            return ExactOutlook(g, plus, minus, fixed)
        return Outlook(g, rows, float(fixed))

    def _talk_row(self, e_bin: int, snapshot: Snapshot) -> tuple[float, ...]:
        row = self._talk_rows.get(e_bin)
        if row is None:
            talk = snapshot.stats.talk
            e = _talk_elapsed(e_bin, talk.step)
            s_e = talk.at(e)
            probs = []
            drop = self.config.drop_time
            for answer in self._grid:
                x = answer + drop
                ended = 0.0
                for w in self._wrap_q:
                    if x > w:
                        ended += 1.0 - talk.at(e + x - w) / s_e if s_e > 0 else 1.0
                probs.append(ended / len(self._wrap_q))
            row = self._talk_rows[e_bin] = _plus_row(probs)
        return row

    def _wrap_row(self, e_bin: int, snapshot: Snapshot) -> tuple[float, ...]:
        row = self._wrap_rows.get(e_bin)
        if row is None:
            wrap = snapshot.stats.wrap
            e = (e_bin + 0.5) * wrap.step
            s_e = wrap.at(e)
            drop = self.config.drop_time
            probs = [1.0 - wrap.at(e + x + drop) / s_e if s_e > 0 else 1.0 for x in self._grid]
            row = self._wrap_rows[e_bin] = _plus_row(probs)
        return row

    def _call_row(self, a_bin: int, snapshot: Snapshot) -> tuple[float, ...]:
        row = self._call_rows.get(a_bin)
        if row is None:
            stats = snapshot.stats
            a = (a_bin + 0.5) * stats.answer_time.step
            p = self._p
            g_a = stats.answer_time.at(a)
            unresolved = p * (1.0 - g_a) + (1.0 - p) * (1.0 - stats.failure_time.at(a))
            if unresolved <= 1e-9:
                probs = [0.0] * len(self._grid)
            else:
                probs = [p * (stats.answer_time.at(a + x) - g_a) / unresolved for x in self._grid]
            row = self._call_rows[a_bin] = _minus_row(probs)
        return row


# Talk hazards change slowly once a call is long: coarser bins there keep the
# memo of rows small without losing precision where it matters.
_FINE_BINS = 60


def _talk_elapsed(e_bin: int, step: float) -> float:
    if e_bin < _FINE_BINS:
        return (e_bin + 0.5) * step
    return (_FINE_BINS + (e_bin - _FINE_BINS) * 4 + 2.0) * step


def _plus_row(probs: Sequence[float]) -> tuple[float, ...]:
    """Moments of +1 w.p. pi, per instant: means, variances, third moments."""
    var = [q * (1.0 - q) for q in probs]
    return (*probs, *var, *(v * (1.0 - 2.0 * q) for v, q in zip(var, probs, strict=True)))


def _minus_row(probs: Sequence[float]) -> tuple[float, ...]:
    """Moments of -1 w.p. q, per instant."""
    var = [q * (1.0 - q) for q in probs]
    return (
        *(-q for q in probs),
        *var,
        *(-v * (1.0 - 2.0 * q) for v, q in zip(var, probs, strict=True)),
    )
