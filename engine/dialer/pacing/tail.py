"""How many more abandons a period can expect before its cap is at risk.

Abandons come in clusters (one bad moment drops several callers), so their
count over a stretch of time is over-dispersed: we take it as negative
binomial with a given mean and variance / mean `burst` (Poisson when
`burst` is 1), the shape of a Poisson stream of clusters. `spendable(m)` is
the largest mean for which P(count > m) stays under `eps`: with m whole
abandons left in a period, the policy may expect that many more. Small
allowances are computed exactly (the case of a small team, where 4 % of an
hour is three abandons); large ones by the normal approximation.
"""

from __future__ import annotations

import functools
import math
from statistics import NormalDist

_EXACT_UP_TO = 60


def count_cdf(m: int, mean: float, burst: float) -> float:
    """P(count <= m) for a count with this mean and variance / mean."""
    if m < 0:
        return 0.0
    if mean <= 0.0:
        return 1.0
    if burst <= 1.0 + 1e-6:
        term = math.exp(-mean)
        total = term
        for j in range(m):
            term *= mean / (j + 1)
            total += term
        return min(1.0, total)
    # Negative binomial: r successes-to-go, success probability 1 / burst.
    r = mean / (burst - 1.0)
    q = 1.0 - 1.0 / burst
    term = math.exp(r * math.log(1.0 / burst))
    total = term
    for j in range(m):
        term *= (r + j) / (j + 1) * q
        total += term
    return min(1.0, total)


@functools.lru_cache(maxsize=4096)
def spendable(m: int, burst: float, eps: float) -> float:
    """Largest expected count with P(count > m) <= eps; nothing at all once
    the allowance is used up (the plan is redone at every decision: a small
    chance taken again and again would add up)."""
    if m <= 0:
        return 0.0
    if m > _EXACT_UP_TO:
        z = NormalDist().inv_cdf(1.0 - eps)
        b = z * math.sqrt(burst)
        root = (-b + math.sqrt(b * b + 4.0 * (m + 0.5))) / 2.0
        return root * root
    lo, hi = 0.0, m + 1.0
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if 1.0 - count_cdf(m, mid, burst) <= eps:
            lo = mid
        else:
            hi = mid
    return lo
