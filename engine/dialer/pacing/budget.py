"""Abandon budgets: how high an abandon rate the rest of a period can afford.

Three limits hold at once: the current clock hour (`hour`), the day so far
taken to the end of the current clock hour (`day`: the running rate stays under
its cap at every hour boundary, whenever the shift ends), and the campaign's
first hour (`first_hour`). For each, with n live answers and a abandons so far
and r live answers still expected before the period ends, the remaining
abandons x must satisfy a + x + z * sqrt(k * x) <= cap * (n + r): the expected
count plus a safety margin for their burstiness (k > 1: abandons come in
clusters) stays under the cap. The allowed rate for the rest of the period is
x / r; the policy aims at the smallest of the three.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.dialer.pacing.stats import HOUR, AbandonLedger


@dataclass(frozen=True, slots=True)
class Caps:
    day: float = 0.03
    hour: float = 0.04
    first_hour: float = 0.03


def allowed_rate(
    cap: float, live: int, abandoned: int, expected: float, *, z: float, burst: float
) -> float:
    """Abandon rate the remaining `expected` live answers may run at."""
    room = cap * (live + expected) - abandoned
    if room <= 0.0 or expected <= 0.0:
        return 0.0
    b = z * math.sqrt(burst)
    root = (-b + math.sqrt(b * b + 4.0 * room)) / 2.0
    return min(cap, root * root / expected)


def budget_rate(
    ledger: AbandonLedger,
    now: float,
    live_per_second: float,
    caps: Caps,
    *,
    z: float,
    burst: float,
    horizon_floor: float = 600.0,
) -> float:
    """The binding allowed rate over the three limits.

    The remaining time is floored at `horizon_floor` seconds: late in an hour
    a clean record would otherwise license a burst of abandons that spill into
    the next hour and the day.
    """
    hour_end = (math.floor(now / HOUR) + 1) * HOUR
    expect = live_per_second * max(hour_end - now, horizon_floor)
    hour_live, hour_abandoned = ledger.hour(now)
    rate = allowed_rate(caps.hour, hour_live, hour_abandoned, expect, z=z, burst=burst)
    day = allowed_rate(caps.day, ledger.day_live, ledger.day_abandoned, expect, z=z, burst=burst)
    rate = min(rate, day)
    first_end = ledger.start + HOUR
    if now < first_end:
        expect_first = live_per_second * max(first_end - now, horizon_floor)
        first = allowed_rate(
            caps.first_hour,
            ledger.first_live,
            ledger.first_abandoned,
            expect_first,
            z=z,
            burst=burst,
        )
        rate = min(rate, first)
    return rate
