"""A campaign's past calls, as the pacing's starting point.

A runner starts with generic priors only when the campaign has no history.
Otherwise (a restart, a campaign paused for the night, stopped and started
again) it starts from what its own records say, for two reasons:

- Learning: the answer rate and talk times of recent days are better priors
  than generic figures. They are worth at most `ANSWER_WEIGHT` dials and
  `TALK_WEIGHT` talks: enough to skip most of the cautious start, little
  enough that today's calls take over within minutes (and a confirmed jump
  in the answer rate drops them altogether).
- Compliance: the abandons of the last `CARRY_SECONDS` stay on the books.
  Without them a restart would open a fresh clock hour and a fresh day, and
  the rate over the hour or the 24 hours that straddle it could pass the cap.

Pure: the shell reads the records (`engine.store.calls.pacing_history`) and
passes them in as `PastCall`s with times in clock seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from engine.dialer.pacing.stats import CampaignStats, Priors

# How far back the records are read, and how many at most.
LEARN_SECONDS = 7 * 24 * 3600.0
LEARN_LIMIT = 5000
# Abandons and live answers this recent count in the ledger (Ofcom's 24 h).
CARRY_SECONDS = 24 * 3600.0
# What the history is worth, in observations, at most.
ANSWER_WEIGHT = 200.0
TALK_WEIGHT = 50.0
# Fewer dials than this say too little to replace the generic prior.
MIN_DIALS = 50


@dataclass(frozen=True, slots=True)
class PastCall:
    """One finished outbound attempt of the campaign."""

    dialled_at: float
    live: bool  # a person answered (whatever happened next)
    answered_at: float | None = None
    abandoned: bool = False
    talk: float | None = None  # seconds bridged to an agent, when it was


def priors_from(calls: Iterable[PastCall], base: Priors | None = None) -> Priors:
    """`base` (generic by default) with the answer rate and talk time the
    calls show, each weighted by how many calls show it (up to a cap)."""
    priors = base or Priors()
    dials = live = 0
    talks: list[float] = []
    for call in calls:
        dials += 1
        live += call.live
        if call.talk is not None and call.talk > 0:
            talks.append(call.talk)
    if dials >= MIN_DIALS:
        priors = replace(
            priors, answer_rate=live / dials, answer_weight=min(float(dials), ANSWER_WEIGHT)
        )
        # A campaign whose every call failed says the rate is low, not zero.
        priors = replace(priors, answer_rate=max(priors.answer_rate, 0.01))
    if talks:
        priors = replace(
            priors,
            talk_mean=max(5.0, sum(talks) / len(talks)),
            talk_weight=min(float(len(talks)), TALK_WEIGHT),
        )
    return priors


def stats_from_history(
    now: float, calls: Iterable[PastCall], *, wrap_mean: float | None = None
) -> CampaignStats:
    """Pacing statistics for a runner starting at `now` after `calls`.

    `wrap_mean` is the campaign's wrap-up timer: the longest an agent wraps
    up, so a cautious prior for how long it does (agents free later than
    believed means fewer lines, the safe side).
    """
    past = list(calls)
    base = Priors()
    if wrap_mean is not None and wrap_mean > 0:
        base = replace(base, wrap_mean=wrap_mean)
    stats = CampaignStats(now, priors_from(past, base))
    for call in past:
        if call.live and call.answered_at is not None and call.answered_at >= now - CARRY_SECONDS:
            stats.ledger.carry(call.answered_at, abandoned=call.abandoned)
    return stats
