"""Predictive pacing: dial while the abandons the next call adds are affordable.

See the package docstring for the method; this module holds the policy.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.dialer.pacing.budget import DAY_AIM, Caps, Rules, budget_rate
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
    answer_z: float = 0.5  # answer rate used: posterior mean + z sd
    exact_agents: int = 12  # exact distributions up to this many active agents
    learn_rate: float = 0.01  # threshold steering, per dialled call
    calibration_weight: float = 4.0  # prior abandons behind the model's calibration
    calibration_prior: float = 1.2  # realised / predicted abandons, before data
    calibration_memory: float = 30.0  # predicted abandons it remembers (1/e fading)
    # The day's steady rate, as a share of its cap: the running rate must
    # stay under the cap at every hour's end, whatever the luck of the hour.
    day_aim: float = DAY_AIM
    settle: float = 7200.0  # seconds over which a day above its aim is brought back
    hour_eps: float = 0.02  # planned chance of ending an hour (or the first) over its cap
    day_eps: float = 0.3  # the same for the day's running rate, an hour ahead
    day_floor: float = 3600.0  # the day limit looks at least this far ahead
    min_rate: float = 0.002  # below this budget, progressive
    # A new call is charged its own abandon risk plus the abandons it causes
    # among the calls already on the lines (`displacement` weighs the latter).
    # Calls dialled later are charged likewise for the ones they push out, so
    # none of their effect is counted against this one (`future_weight` 0;
    # 0.6 and no displacement was the equal-own-risk rule before).
    displacement: float = 1.0
    future_weight: float = 0.0  # share of future dials counted against a new call


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
        # Realised and predicted abandons behind the calibration, both fading.
        self._cal_real = self._cal_pred = 0.0
        self._real_seen = 0
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
        # (dial instant, abandons the model expects of that round's calls).
        self._rounds: deque[tuple[float, float]] = deque()

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
        if budget <= cfg.min_rate:
            return floor
        self._prepare(snapshot)
        calibration = self._calibration(stats)
        theta = min(0.9, self.level * budget / calibration)
        outlook = self._outlook(snapshot)
        p = self._p
        if cfg.future_weight > 0.0:
            # Calls dialled in the coming seconds may answer before this one
            # and take the agent it was counting on.
            nu = stats.dial_rate(snapshot.now) * p * cfg.future_weight
            outlook.add_arrivals([nu * area for area in self._areas])
        count = 0
        dialled_risk = 0.0
        steer = 0.0
        while count < room:
            # The abandons a call adds: its own, and those of the callees
            # answering after it whose agent it takes. Both cost the budget
            # alike, and the calls already on the lines can no longer be held
            # back: the call that pushes them out is the one to weigh it.
            own, caused = outlook.costs()
            risk = own + cfg.displacement * caused
            if count >= floor and risk > theta:
                break
            outlook.add_call(self._new_q)
            count += 1
            dialled_risk += risk
            steer += self._error(risk, budget, calibration)
        self._steer(steer)
        self.last_risk = risk
        self._remember(dialled_risk * p)
        if dialled_risk > 0.0:
            self._rounds.append((snapshot.now, dialled_risk * p * calibration))
        return count

    def _budget(self, snapshot: Snapshot) -> float:
        cfg = self.config
        stats = snapshot.stats
        now = snapshot.now
        rules = Rules(
            cfg.caps,
            aim=cfg.day_aim,
            settle=cfg.settle,
            burst=stats.ledger.burstiness(),
            hour_eps=cfg.hour_eps,
            day_eps=cfg.day_eps,
            day_floor=cfg.day_floor,
        )
        lam = stats.live_rate(now, snapshot.active_agents)
        return budget_rate(stats.ledger, rules, now, lam, self._committed(now, stats))

    def _committed(self, now: float, stats: CampaignStats) -> float:
        """Abandons still expected from the calls of recent rounds: a budget
        that has just run out must count the risk already on the lines."""
        drop = self.config.drop_time
        rounds = self._rounds
        horizon = stats.maturity + drop
        while rounds and rounds[0][0] < now - horizon:
            rounds.popleft()
        # An abandon is on the books `drop` seconds after its answer.
        at = stats.answer_time.at
        return sum(e * (1.0 - at(now - t - drop)) for t, e in rounds)

    def _calibration(self, stats: CampaignStats) -> float:
        """Realised abandons per abandon the model predicted (its bias), shrunk
        towards a cautious prior while there are few, and forgetting old
        ones: the bias of a campaign's start (every agent free at once)
        is not the bias of its steady state."""
        cfg = self.config
        w = cfg.calibration_weight
        real = stats.ledger.day_abandoned
        self._cal_real += real - self._real_seen
        self._real_seen = real
        return (self._cal_real + w * cfg.calibration_prior) / (self._cal_pred + w)

    def _remember(self, predicted: float) -> None:
        self.predicted_abandons += predicted
        keep = math.exp(-predicted / self.config.calibration_memory)
        self._cal_real = self._cal_real * keep
        self._cal_pred = self._cal_pred * keep + predicted

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
        answers = [-sum(row[i] for row in rows[n_agents:]) for i in range(g)]
        return Outlook(g, rows, float(fixed), answers)

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
