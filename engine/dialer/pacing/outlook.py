"""The race between live answers and freed agents over the next seconds.

For each of G look-ahead instants x_g (quantiles of a new call's answer
time), D_g = (agents free by x_g + drop time) - (live callees answered by x_g,
counting those already waiting) is a sum of independent +1 / -1 Bernoulli
terms. A new call answered at x_g is abandoned when D_g <= 0. `Outlook` holds
the distribution of every D_g and tells the marginal call's abandon risk and
(`costs`) its displacement, the abandons it causes among the callees already
on the lines that answer after it (they track the live answers expected by
each instant); `add_call` folds in a call dialled now before the next one is
weighed.

Two representations: exact distributions by convolution for small teams,
where the Gaussian shape is poor and every abandon matters; moments with a
skewness-corrected normal approximation for large ones, where convolution
would cost too much and the approximation is good.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_SQRT2 = math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _normal_le(mean: float, var: float, third: float) -> float:
    """P(D <= 0) for an integer D with these moments (refined normal approximation)."""
    if var < 1e-9:
        return 1.0 if mean < 0.5 else 0.0
    sd = math.sqrt(var)
    z = (0.5 - mean) / sd
    p = 0.5 * (1.0 + math.erf(z / _SQRT2))
    gamma = third / (var * sd)
    p += gamma * (1.0 - z * z) * math.exp(-0.5 * z * z) * _INV_SQRT2PI / 6.0
    return min(1.0, max(0.0, p))


class Outlook:
    """Moments of D_g per look-ahead instant; rows hold per-instant
    (mean, variance, third central moment) contributions, flattened."""

    def __init__(
        self,
        g: int,
        rows: Sequence[Sequence[float]],
        fixed: float,
        answers: Sequence[float] | None = None,
    ) -> None:
        self.g = g
        sums = [sum(col) for col in zip(*rows, strict=True)] if rows else [0.0] * (3 * g)
        self.mean = [sums[i] + fixed for i in range(g)]
        self.var = sums[g : 2 * g]
        self.third = sums[2 * g :]
        self.answers = list(answers) if answers is not None else [0.0] * g

    def _le(self, i: int, shift: float = 0.0) -> float:
        return _normal_le(self.mean[i] + shift, self.var[i], self.third[i])

    def risk(self) -> float:
        """Mean over instants of P(D_g <= 0): a new live callee's abandon risk."""
        return sum(self._le(i) for i in range(self.g)) / self.g

    def costs(self) -> tuple[float, float]:
        """(risk, displacement): a new live callee's own abandon risk, and the
        abandons it causes among the calls already on the lines."""
        le = [self._le(i) for i in range(self.g)]
        # P(D_0 = 0) is never needed: no instant comes before the first.
        at_zero = [0.0] + [le[i] - self._le(i, 1.0) for i in range(1, self.g)]
        return sum(le) / self.g, _displacement(le, at_zero, self.answers)

    def add_call(self, q: Sequence[float]) -> None:
        """A call answering live by instant g with probability q[g]."""
        for i, qi in enumerate(q):
            self.answers[i] += qi
            v = qi * (1.0 - qi)
            self.mean[i] -= qi
            self.var[i] += v
            self.third[i] -= v * (1.0 - 2.0 * qi)

    def add_arrivals(self, mu: Sequence[float]) -> None:
        """Poisson(mu[g]) more live callees by instant g (calls not yet dialled)."""
        for i, m in enumerate(mu):
            self.mean[i] -= m
            self.var[i] += m
            self.third[i] -= m


class ExactOutlook:
    """Exact distributions of D_g, by convolving the Bernoulli terms."""

    def __init__(
        self, g: int, plus: Sequence[Sequence[float]], minus: Sequence[Sequence[float]], fixed: int
    ) -> None:
        self.g = g
        self.answers = [sum(probs[i] for probs in minus) for i in range(g)]
        # pmf[i][k] = P(X_i = k), with D_i <= 0 exactly when X_i <= offset[i].
        self.pmf: list[list[float]] = []
        self.offset: list[int] = []
        for i in range(g):
            pmf = [1.0]
            offset = -fixed
            for probs in plus:
                pmf = _convolve(pmf, probs[i])
            for probs in minus:
                # X counts the minus terms that did not happen: D = X - len(minus) + fixed.
                pmf = _convolve(pmf, 1.0 - probs[i])
                offset += 1
            self.pmf.append(pmf)
            self.offset.append(offset)

    def risk(self) -> float:
        total = 0.0
        for pmf, offset in zip(self.pmf, self.offset, strict=True):
            # D <= 0  <=>  index <= offset
            total += sum(pmf[: offset + 1]) if offset >= 0 else 0.0
        return min(1.0, total / self.g)

    def costs(self) -> tuple[float, float]:
        """(risk, displacement), as `Outlook.costs`."""
        le: list[float] = []
        at_zero: list[float] = []
        for pmf, offset in zip(self.pmf, self.offset, strict=True):
            le.append(sum(pmf[: offset + 1]) if offset >= 0 else 0.0)
            at_zero.append(pmf[offset] if 0 <= offset < len(pmf) else 0.0)
        return min(1.0, sum(le) / self.g), _displacement(le, at_zero, self.answers)

    def add_call(self, q: Sequence[float]) -> None:
        for i, qi in enumerate(q):
            self.answers[i] += qi
            self.pmf[i] = _convolve(self.pmf[i], 1.0 - qi)
            self.offset[i] += 1

    def add_arrivals(self, mu: Sequence[float]) -> None:
        for i, m in enumerate(mu):
            if m <= 1e-6:
                continue
            # -N = (top - N) - top, with N truncated where its tail is negligible.
            top = int(m + 6.0 * math.sqrt(m) + 3.0)
            pois = [math.exp(-m)]
            for k in range(1, top + 1):
                pois.append(pois[-1] * m / k)
            pois[-1] += max(0.0, 1.0 - sum(pois))
            flipped = pois[::-1]
            pmf = self.pmf[i]
            out = [0.0] * (len(pmf) + top)
            for a, x in enumerate(pmf):
                if x:
                    for b, y in enumerate(flipped):
                        out[a + b] += x * y
            self.pmf[i] = out
            self.offset[i] += top


def _displacement(le: Sequence[float], at_zero: Sequence[float], answers: Sequence[float]) -> float:
    """Expected abandons a new live callee adds among calls already dialled.

    Answered at x_g and routed (chance 1 - P(D_g <= 0)), it holds the agent a
    callee answering later, between x_(h-1) and x_h, would have had: that one
    (D_h counting it, not the new one) is abandoned instead when D_h = 0.
    The new callee's own risk misses this; the calls already on the lines can
    no longer be held back, so it is the new call's to bear. D_g and D_h are
    taken as independent: given the new callee is routed, D_h = 0 is rather
    less likely, so this errs on the side of caution."""
    g = len(le)
    total = 0.0
    later = 0.0  # sum over h > i of (answers between x_(h-1) and x_h) * P(D_h = 0)
    for i in range(g - 1, -1, -1):
        total += (1.0 - le[i]) * later
        before = answers[i - 1] if i > 0 else 0.0
        later += max(0.0, answers[i] - before) * at_zero[i]
    return total / g


def _convolve(pmf: list[float], p: float) -> list[float]:
    """Add an independent Bernoulli(p) to a distribution on 0..n."""
    if p <= 0.0:
        return [*pmf, 0.0]
    if p >= 1.0:
        return [0.0, *pmf]
    q = 1.0 - p
    out = [x * q for x in pmf]
    out.append(0.0)
    for k, x in enumerate(pmf):
        out[k + 1] += x * p
    return out
