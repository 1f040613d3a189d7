"""Which agent takes an answered call, and which waiting caller a freed agent takes.

Pure: candidates in, a choice out. The longest-idle available agent wins; when
the call needs a skill, only agents with that skill enabled and a capacity
above 0 qualify, and the capacity (0-100) weighs the idle time, so a 50 %
agent must have waited twice as long as a 100 % one to be chosen first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter


@dataclass(frozen=True)
class Candidate:
    agent_id: int
    idle_since: float
    campaigns: frozenset[int]
    # skill id -> capacity 0..100, enabled skills only.
    skills: Mapping[int, int]


def choose_agent(
    candidates: Iterable[Candidate], campaign_id: int, skill_id: int | None, now: float
) -> int | None:
    if skill_id is None:
        # Unweighted, the longest idle is the one idle since the earliest time (then
        # the lower id): the same order as below, without the arithmetic per agent.
        first = min(
            (c for c in candidates if campaign_id in c.campaigns),
            key=_idle_order,
            default=None,
        )
        return None if first is None else first.agent_id
    best: tuple[float, float, int] | None = None
    for candidate in candidates:
        if campaign_id not in candidate.campaigns:
            continue
        weight = 1.0
        if skill_id is not None:
            capacity = candidate.skills.get(skill_id, 0)
            if capacity <= 0:
                continue
            weight = capacity / 100
        idle = max(0.0, now - candidate.idle_since)
        # Highest weighted idle time; then who went idle first; then the lower id.
        key = (-idle * weight, candidate.idle_since, candidate.agent_id)
        if best is None or key < best:
            best = key
    return None if best is None else best[2]


_idle_order = attrgetter("idle_since", "agent_id")


@dataclass(frozen=True)
class Waiting:
    call_id: str
    campaign_id: int
    skill_id: int | None
    since: float


def choose_caller(
    waiting: Iterable[Waiting], campaigns: frozenset[int], skills: Mapping[int, int]
) -> str | None:
    """The caller a freed agent takes: the one waiting longest that it may serve."""
    eligible = [
        w
        for w in waiting
        if w.campaign_id in campaigns and (w.skill_id is None or skills.get(w.skill_id, 0) > 0)
    ]
    return min(eligible, key=lambda w: (w.since, w.call_id)).call_id if eligible else None
