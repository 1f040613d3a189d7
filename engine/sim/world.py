"""How the outside world answers our calls: a pure, seeded model.

`World.plan(number)` decides, before a call rings, what the called party will
do: ring for how long, then answer as a person or a machine, stay silent,
be busy, congested, or reject; and how long an answered callee talks before
hanging up. The decision depends only on the profile, the seed, the number
and how many times that number was planned before, so that the same seed
replays the same world whatever order concurrent calls are placed in.
"""

from __future__ import annotations

import fnmatch
import json
import math
import random
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Outcome = Literal["person", "machine", "no_answer", "busy", "congestion", "rejected"]
OUTCOMES: tuple[Outcome, ...] = ("person", "machine", "no_answer", "busy", "congestion", "rejected")
AmdStatus = Literal["MACHINE", "HUMAN", "NOTSURE"]

# Q.850 causes each outcome ends with when the callee (not the caller) ends it.
CAUSE_NORMAL = 16
CAUSE_BUSY = 17
CAUSE_NO_ANSWER = 19
CAUSE_REJECTED = 21
CAUSE_CONGESTION = 34


class Distribution(BaseModel):
    """A duration in seconds: fixed, uniform, lognormal(mean, cv) or exponential(mean)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["fixed", "uniform", "lognormal", "exponential"] = "fixed"
    value: float = 0.0
    low: float = 0.0
    high: float = 0.0
    mean: float = 0.0
    cv: float = 0.5

    def sample(self, rng: random.Random) -> float:
        match self.kind:
            case "fixed":
                return max(0.0, self.value)
            case "uniform":
                return rng.uniform(self.low, self.high)
            case "exponential":
                return rng.expovariate(1.0 / self.mean) if self.mean > 0 else 0.0
        sigma2 = math.log(1.0 + self.cv**2)
        mu = math.log(max(self.mean, 1e-9)) - sigma2 / 2.0
        return rng.lognormvariate(mu, math.sqrt(sigma2))


def _dist(value: Any) -> Any:
    """A bare number in a profile means a fixed duration."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"kind": "fixed", "value": float(value)}
    return value


class NumberRule(BaseModel):
    """Forces the behaviour of numbers matching a glob; first match wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str
    outcome: Outcome
    ring: Distribution | None = None
    talk: Distribution | None = None  # None: an answered callee stays up
    cause: int | None = None

    @field_validator("ring", "talk", mode="before")
    @classmethod
    def _coerce_durations(cls, value: Any) -> Any:
        return _dist(value)


class AmdSettings(BaseModel):
    """Answering-machine detection, reached by `continue` into `context`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    context: str = "amd"
    detect: Distribution = Distribution(kind="uniform", low=2.0, high=4.0)
    error_rate: float = Field(0.05, ge=0.0, le=1.0)
    notsure_rate: float = Field(0.02, ge=0.0, le=1.0)
    args: list[str] = []

    @field_validator("detect", mode="before")
    @classmethod
    def _coerce_durations(cls, value: Any) -> Any:
        return _dist(value)


class Profile(BaseModel):
    """Everything the simulated world does, loadable from TOML or JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mix: dict[Outcome, float] = {
        "person": 0.30,
        "machine": 0.15,
        "no_answer": 0.35,
        "busy": 0.10,
        "congestion": 0.05,
        "rejected": 0.05,
    }
    ring: Distribution = Distribution(kind="lognormal", mean=12.0, cv=0.5)
    talk: Distribution = Distribution(kind="lognormal", mean=90.0, cv=0.8)
    machine_talk: Distribution = Distribution(kind="uniform", low=10.0, high=25.0)
    reject_after: Distribution = Distribution(kind="fixed", value=1.0)
    amd: AmdSettings = AmdSettings()
    numbers: list[NumberRule] = []
    # Local channel contexts that exist; an empty list accepts any context.
    contexts: list[str] = []
    # Endpoints the PBX knows (as "PJSIP/9001"), listed by GET /endpoints.
    endpoints: list[str] = []
    # Media URIs (globs) this PBX cannot play: their playbacks fail at once.
    playback_fail: list[str] = []
    playback_seconds: float = 2.0

    @field_validator("ring", "talk", "machine_talk", "reject_after", mode="before")
    @classmethod
    def _coerce_durations(cls, value: Any) -> Any:
        return _dist(value)

    @field_validator("mix")
    @classmethod
    def _mix_positive(cls, mix: dict[Outcome, float]) -> dict[Outcome, float]:
        if any(p < 0 for p in mix.values()) or sum(mix.values()) <= 0:
            raise ValueError("mix probabilities must be >= 0 with a positive sum")
        return mix

    def rule_for(self, number: str) -> NumberRule | None:
        return next((r for r in self.numbers if fnmatch.fnmatchcase(number, r.match)), None)

    def context_exists(self, context: str) -> bool:
        return not self.contexts or context in self.contexts

    def playback_fails(self, media_uri: str) -> bool:
        return any(fnmatch.fnmatchcase(media_uri, pattern) for pattern in self.playback_fail)


def parse_profile(text: str, fmt: Literal["toml", "json"] = "toml") -> Profile:
    data = json.loads(text) if fmt == "json" else tomllib.loads(text)
    return Profile.model_validate(data)


def load_profile(path: str | Path) -> Profile:
    path = Path(path)
    fmt: Literal["toml", "json"] = "json" if path.suffix.lower() == ".json" else "toml"
    return parse_profile(path.read_text(encoding="utf-8"), fmt)


@dataclass(frozen=True)
class CallPlan:
    """What one call to `number` will do, durations in world seconds."""

    number: str
    outcome: Outcome
    ring: float
    talk: float | None  # after answer; None: stays up until we hang up
    cause: int  # Q.850 cause when the callee ends the call
    amd_status: AmdStatus
    amd_cause: str
    amd_delay: float

    @property
    def answers(self) -> bool:
        return self.outcome in ("person", "machine", "rejected")


class World:
    """Seeded call outcomes for a profile."""

    def __init__(self, profile: Profile | None = None, seed: int = 0) -> None:
        self.profile = profile or Profile()
        self.seed = seed
        self._attempts: dict[str, int] = {}

    def plan(self, number: str) -> CallPlan:
        attempt = self._attempts.get(number, 0)
        self._attempts[number] = attempt + 1
        rng = random.Random(f"{self.seed}:{number}:{attempt}")
        profile = self.profile
        rule = profile.rule_for(number)
        if rule is not None:
            outcome = rule.outcome
            ring = rule.ring.sample(rng) if rule.ring else profile.ring.sample(rng)
            talk = rule.talk.sample(rng) if rule.talk else None
        else:
            outcome = _choose(rng, profile.mix)
            ring = profile.ring.sample(rng)
            talk = self._default_talk(outcome, rng)
        cause = _cause(outcome, rule)
        status, amd_cause = _amd(outcome, profile.amd, rng)
        return CallPlan(
            number=number,
            outcome=outcome,
            ring=ring,
            talk=talk,
            cause=cause,
            amd_status=status,
            amd_cause=amd_cause,
            amd_delay=profile.amd.detect.sample(rng),
        )

    def _default_talk(self, outcome: Outcome, rng: random.Random) -> float | None:
        if outcome == "person":
            return self.profile.talk.sample(rng)
        if outcome == "machine":
            return self.profile.machine_talk.sample(rng)
        if outcome == "rejected":
            return self.profile.reject_after.sample(rng)
        return None


def _choose(rng: random.Random, mix: dict[Outcome, float]) -> Outcome:
    outcomes = [o for o in OUTCOMES if mix.get(o, 0.0) > 0]
    return rng.choices(outcomes, weights=[mix[o] for o in outcomes])[0]


def _cause(outcome: Outcome, rule: NumberRule | None) -> int:
    if rule is not None and rule.cause is not None:
        return rule.cause
    return {
        "busy": CAUSE_BUSY,
        "congestion": CAUSE_CONGESTION,
        "no_answer": CAUSE_NO_ANSWER,
        "rejected": CAUSE_REJECTED,
    }.get(outcome, CAUSE_NORMAL)


def _amd(outcome: Outcome, amd: AmdSettings, rng: random.Random) -> tuple[AmdStatus, str]:
    """AMD()'s verdict and cause, with the detector's own error rate."""
    truth: AmdStatus = "MACHINE" if outcome == "machine" else "HUMAN"
    roll = rng.random()
    if roll < amd.notsure_rate:
        return "NOTSURE", "TOOLONG-5000"
    if roll < amd.notsure_rate + amd.error_rate:
        truth = "HUMAN" if truth == "MACHINE" else "MACHINE"
    if truth == "MACHINE":
        return "MACHINE", "LONGGREETING-1500-1500"
    return "HUMAN", "HUMAN-300-800"
