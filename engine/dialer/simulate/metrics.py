"""Figures of one simulated shift, and the limits they are judged against."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Limits:
    day: float = 0.03
    hour: float = 0.04
    first_hour: float = 0.03


@dataclass(frozen=True, slots=True)
class RunResult:
    scenario: str
    policy: str
    seed: int
    hours: float
    agents: int
    occupancy: float  # talk time / logged-in time
    abandon_day: float  # abandoned / live answered
    abandon_worst_hour: float
    worst_hour: int
    abandon_first_hour: float
    connects_per_agent_hour: float
    idle_per_connect: float  # agent idle seconds per connect
    peak_lines: int
    dials: int
    live: int
    routed: int
    abandoned: int
    unresolved: int  # dialled, still in flight when the shift ended
    occupancy_by_hour: tuple[float, ...]
    abandon_by_hour: tuple[float, ...]
    live_by_hour: tuple[int, ...]
    abandoned_by_hour: tuple[int, ...]
    limits: Limits

    @property
    def meets_day_and_first_hour(self) -> bool:
        lim = self.limits
        return self.abandon_day <= lim.day and self.abandon_first_hour <= lim.first_hour

    @property
    def meets_limits(self) -> bool:
        return self.meets_day_and_first_hour and self.abandon_worst_hour <= self.limits.hour

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["limits"] = asdict(self.limits)
        out["meets_limits"] = self.meets_limits
        out["meets_day_and_first_hour"] = self.meets_day_and_first_hour
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out


def rate(num: int, den: int) -> float:
    return num / den if den else 0.0
