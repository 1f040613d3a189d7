"""Small online estimators the pacing statistics are built from.

Each starts from a prior worth a few observations, so that a campaign's first
minutes are paced from generic figures and its own data takes over quickly.
"""

from __future__ import annotations

import math


class AnswerRate:
    """Live-answer probability of a dial: a Beta posterior plus a jump detector.

    The posterior gives a cautious (upper) estimate while data is thin: for
    abandons, overstating the answer rate is the safe side. Two one-sided
    Bernoulli CUSUM tests watch for the rate jumping up or down by a factor
    `jump`. An alarm is only a suspicion (on a long shift they also come by
    chance): the history is dropped only when the outcomes since the test
    last stood at zero (the likely change point) differ from the estimate by
    `confirm` standard deviations, and the estimate restarts from them (at
    least `segment` of them: fewer would make a wild estimate).
    """

    def __init__(
        self,
        prior: float = 0.25,
        weight: float = 12.0,
        *,
        jump: float = 1.5,
        alarm: float = 6.0,
        confirm: float = 4.5,
        segment: int = 60,
    ) -> None:
        self._prior = prior
        self._weight = weight
        self._live = 0.0
        self._total = 0.0
        self._jump = jump
        self._alarm = alarm
        self._confirm = confirm
        self._segment = segment
        self._up = self._down = 0.0
        # (total, live) when each test last stood at zero.
        self._up_mark = self._down_mark = (0.0, 0.0)
        self.jumps = 0

    @property
    def observations(self) -> float:
        return self._total

    def mean(self) -> float:
        return (self._live + self._prior * self._weight) / (self._total + self._weight)

    def upper(self, z: float) -> float:
        """Posterior mean plus `z` standard deviations."""
        n = self._total + self._weight
        p = self.mean()
        return min(1.0, p + z * math.sqrt(p * (1.0 - p) / (n + 1.0)))

    def add(self, live: bool) -> None:
        self.add_batch(int(live), 1)

    def add_batch(self, live: int, total: int) -> None:
        """Outcomes known together (calls dialled in one round): their order
        within the batch says nothing, so the jump tests see their sum."""
        if total <= 0:
            return
        p0 = min(max(self.mean(), 0.01), 0.95)
        self._live += live
        self._total += total
        failed = total - live
        up = min(p0 * self._jump, 0.99)
        down = p0 / self._jump
        self._up += live * math.log(up / p0) + failed * math.log((1 - up) / (1 - p0))
        self._down += live * math.log(down / p0) + failed * math.log((1 - down) / (1 - p0))
        if self._up <= 0.0:
            self._up, self._up_mark = 0.0, (self._total, self._live)
        if self._down <= 0.0:
            self._down, self._down_mark = 0.0, (self._total, self._live)
        if self._up > self._alarm:
            self._check(self._up_mark, p0)
        elif self._down > self._alarm:
            self._check(self._down_mark, p0)

    def _check(self, mark: tuple[float, float], p0: float) -> None:
        n = self._total - mark[0]
        live = self._live - mark[1]
        if n >= self._segment and abs(live / n - p0) > self._confirm * _sd(p0, n):
            # Restart from the outcomes since the change point; the prior
            # keeps a little weight so that a short segment stays cautious.
            self._live, self._total = live, n
            self._weight = min(self._weight, 4.0)
            self.jumps += 1
            self._up = self._down = 0.0
            self._up_mark = self._down_mark = (self._total, self._live)
        # Not confirmed yet: the test stays up and the segment grows, until
        # it is confirmed or the test falls back to zero.


def _sd(p: float, n: float) -> float:
    """Standard deviation of a share of n outcomes of probability p."""
    return math.sqrt(p * (1.0 - p) / n)


class Survival:
    """A duration's survival function, learnt counting durations still running.

    Discrete hazard on bins of `step` seconds: h = (ended + w h0) / (at risk + w),
    the prior h0 being an exponential of mean `prior_mean` worth `weight`
    subjects at risk in every bin. Running durations (an agent still talking)
    enter the at-risk counts up to their current age but end nowhere: the
    Kaplan-Meier treatment of censored data, without which long calls in
    progress would be ignored and the estimate would come out too short.
    """

    def __init__(
        self, prior_mean: float, weight: float = 4.0, step: float = 2.0, horizon: float = 1800.0
    ) -> None:
        self.step = step
        self._bins = int(horizon / step) + 1
        self._ended = [0] * self._bins
        self._count = 0
        self._sum = 0.0
        self._h0 = 1.0 - math.exp(-step / prior_mean)
        self._weight = weight
        self.surv: list[float] = []
        self.refresh([])

    @property
    def count(self) -> int:
        return self._count

    def add(self, duration: float) -> None:
        self._ended[min(int(duration / self.step), self._bins - 1)] += 1
        self._count += 1
        self._sum += duration

    def refresh(self, running: list[float]) -> None:
        """Recompute the survival curve; `running` are the ages of durations in progress."""
        last = self._bins - 1
        censored = [0] * self._bins
        for age in running:
            censored[min(int(age / self.step), last)] += 1
        surv = [1.0] * (self._bins + 1)
        # At risk in bin b: ended in b or later, or still running at an age in b or later.
        at_risk = sum(self._ended) + len(running)
        s = 1.0
        w, wh = self._weight, self._weight * self._h0
        for b in range(self._bins):
            hazard = (self._ended[b] + wh) / (at_risk + w)
            s *= 1.0 - hazard
            surv[b + 1] = s
            at_risk -= self._ended[b] + censored[b]
        self.surv = surv
        self._tail_hazard = (self._ended[last] + wh) / (self._ended[last] + censored[last] + w)

    def at(self, t: float) -> float:
        """P(duration > t)."""
        if t <= 0:
            return 1.0
        b = t / self.step
        i = int(b)
        if i >= self._bins:
            return self.surv[-1] * math.pow(1.0 - self._tail_hazard, b - self._bins)
        lo, hi = self.surv[i], self.surv[i + 1]
        return lo + (hi - lo) * (b - i)

    def mean(self) -> float:
        """Mean of the learnt distribution (tail beyond the horizon extrapolated)."""
        total = sum(self.surv[1:]) * self.step
        tail = self.surv[-1] * self.step / max(self._tail_hazard, 1e-9)
        return total + tail - self.step * 0.5

    def quantile(self, q: float) -> float:
        target = 1.0 - q
        for i, s in enumerate(self.surv):
            if s <= target:
                prev = self.surv[i - 1]
                frac = (prev - target) / (prev - s) if prev > s else 0.0
                return (i - 1 + frac) * self.step
        return self._bins * self.step


class Histogram:
    """An empirical distribution of short times (ring-to-answer, ring-to-failure).

    Bins of `step` seconds up to `horizon`; the prior is spread uniformly over
    [`prior_low`, `prior_high`] with weight `weight` observations.
    """

    def __init__(
        self,
        prior_low: float,
        prior_high: float,
        weight: float = 4.0,
        step: float = 0.5,
        horizon: float = 60.0,
    ) -> None:
        self.step = step
        self._bins = int(horizon / step) + 1
        lo, hi = int(prior_low / step), max(int(prior_high / step), int(prior_low / step) + 1)
        self._mass = [0.0] * self._bins
        for b in range(lo, min(hi, self._bins)):
            self._mass[b] = weight / (hi - lo)
        self._total = weight
        self.cdf: list[float] = []
        self._stale = True
        self.refresh()

    def add(self, t: float) -> None:
        self._mass[min(max(int(t / self.step), 0), self._bins - 1)] += 1.0
        self._total += 1.0
        self._stale = True

    def refresh(self) -> None:
        if not self._stale:
            return
        acc = 0.0
        cdf = [0.0]
        for m in self._mass:
            acc += m
            cdf.append(acc / self._total)
        self.cdf = cdf
        self._stale = False

    def at(self, t: float) -> float:
        """P(time <= t), linear inside a bin."""
        b = t / self.step
        i = int(b)
        if i < 0:
            return 0.0
        if i >= self._bins:
            return 1.0
        lo, hi = self.cdf[i], self.cdf[i + 1]
        return lo + (hi - lo) * (b - i)

    def quantile(self, q: float) -> float:
        for i in range(1, len(self.cdf)):
            if self.cdf[i] >= q:
                lo = self.cdf[i - 1]
                frac = (q - lo) / (self.cdf[i] - lo) if self.cdf[i] > lo else 0.0
                return (i - 1 + frac) * self.step
        return self._bins * self.step
