"""Scenario files: the world a simulated campaign dials into.

A scenario is a TOML file (format in scenarios/README.md). Every key of the
world has the PACING.md value as its default, so a file states only what makes
its scenario different; unknown keys are refused so typos do not pass silently.
"""

from __future__ import annotations

import math
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InvalidInput

SCENARIO_DIR = Path(__file__).parent / "scenarios"

_KINDS = ("lognormal", "exponential", "uniform", "fixed")


@dataclass(frozen=True, slots=True)
class Dist:
    """A positive random duration: lognormal(mean, cv), exponential(mean),
    uniform(low, high) or fixed(mean)."""

    kind: str
    mean: float = 0.0
    cv: float = 0.0
    low: float = 0.0
    high: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise InvalidInput(f"unknown distribution kind {self.kind!r}; one of {_KINDS}")

    def draw(self, rng: random.Random) -> float:
        if self.kind == "lognormal":
            s2 = math.log1p(self.cv * self.cv)
            return rng.lognormvariate(math.log(self.mean) - s2 / 2, math.sqrt(s2))
        if self.kind == "exponential":
            return rng.expovariate(1.0 / self.mean)
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high)
        return self.mean

    def expected(self, floor: float = 0.0) -> float:
        """E[max(X, floor)], in closed form."""
        if self.kind == "uniform":
            lo, hi = self.low, self.high
            if floor <= lo:
                return (lo + hi) / 2
            if floor >= hi:
                return floor
            return (floor * (floor - lo) + (hi * hi - floor * floor) / 2) / (hi - lo)
        if self.kind == "fixed":
            return max(self.mean, floor)
        if floor <= 0:
            return self.mean
        if self.kind == "exponential":
            # floor + E[(X - floor)+] = floor + mean * exp(-floor / mean)
            return floor + self.mean * math.exp(-floor / self.mean)
        s2 = math.log1p(self.cv * self.cv)
        s = math.sqrt(s2)
        mu = math.log(self.mean) - s2 / 2
        below = _phi((math.log(floor) - mu) / s)
        above_mean = self.mean * (1.0 - _phi((math.log(floor) - mu - s2) / s))
        return floor * below + above_mean


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


@dataclass(frozen=True, slots=True)
class Scenario:
    """One campaign's world; defaults are the PACING.md benchmark world."""

    id: str
    agents: int
    talk: Dist
    wrap: Dist
    # (from second, live-answer probability), sorted, the first from 0.
    answer_rate: tuple[tuple[float, float], ...]
    description: str = ""
    hours: float = 8.0
    seeds: int = 10
    # Times are from the dial; the post-dial delay is the silence before ringing,
    # the "2 s +" of PACING.md's answer times.
    post_dial_delay: float = 2.0
    ring_timeout: float = 25.0
    answer_time: Dist = field(default_factory=lambda: Dist("lognormal", mean=8.0, cv=0.6))
    answer_margin: float = 0.5
    no_answer: float = 0.55
    busy: float = 0.10
    machine: float = 0.25
    invalid: float = 0.10
    busy_after: float = 3.0
    invalid_after: Dist = field(default_factory=lambda: Dist("uniform", low=2.0, high=4.0))
    amd_time: float = 3.0
    talk_min: float = 5.0
    drop_time: float = 2.0
    max_lines_per_agent: float = 3.0
    abandon_cap_day: float = 0.03
    abandon_cap_hour: float = 0.04
    abandon_cap_first_hour: float = 0.03

    def answer_rate_at(self, t: float) -> float:
        p = self.answer_rate[0][1]
        for start, rate in self.answer_rate:
            if t >= start:
                p = rate
        return p

    def foresight_bound(self) -> float:
        """Occupancy with perfect foresight: every agent is handed a live callee
        the instant its wrap-up ends, so only talk and wrap-up remain."""
        talk = self.talk.expected(self.talk_min)
        return talk / (talk + self.wrap.expected())


_DIST_FIELDS = {"talk", "wrap", "answer_time", "invalid_after"}


def _dist(name: str, raw: Any) -> Dist:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{name}: expected a table like {{ kind = 'lognormal', mean = 8 }}")
    try:
        return Dist(**raw)
    except TypeError as exc:
        raise InvalidInput(f"{name}: {exc}") from None


def _rates(raw: Any) -> tuple[tuple[float, float], ...]:
    if isinstance(raw, int | float):
        return ((0.0, float(raw)),)
    steps = sorted((float(h) * 3600.0, float(p)) for h, p in raw)
    if not steps or steps[0][0] != 0.0:
        raise InvalidInput("answer_rate: the schedule must start at hour 0")
    return tuple(steps)


def parse(data: dict[str, Any], default_id: str = "scenario") -> Scenario:
    known = set(Scenario.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise InvalidInput(f"unknown scenario keys: {sorted(unknown)}")
    if "agents" not in data or "talk" not in data or "wrap" not in data:
        raise InvalidInput("a scenario needs agents, talk and wrap")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key in _DIST_FIELDS:
            kwargs[key] = _dist(key, value)
        elif key == "answer_rate":
            kwargs[key] = _rates(value)
        else:
            kwargs[key] = value
    kwargs.setdefault("id", default_id)
    kwargs.setdefault("answer_rate", ((0.0, 0.25),))
    split = sum(kwargs.get(k, Scenario.__dataclass_fields__[k].default) for k in _SPLIT)
    if abs(split - 1.0) > 1e-6:
        raise InvalidInput(f"no_answer + busy + machine + invalid must be 1, not {split:g}")
    return Scenario(**kwargs)


_SPLIT = ("no_answer", "busy", "machine", "invalid")


def load(name_or_path: str) -> Scenario:
    """A scenario by id (S1..S5, case-insensitive) or by path to a TOML file."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path.lower()}.toml"
    if not path.is_file():
        raise InvalidInput(f"no scenario {name_or_path!r} (built in: {', '.join(builtin_ids())})")
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return parse(data, default_id=path.stem.upper())


def builtin_ids() -> list[str]:
    return sorted(p.stem.upper() for p in SCENARIO_DIR.glob("*.toml"))
