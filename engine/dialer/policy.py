"""A campaign's retry policy and attempt caps, parsed from `campaigns.retry_policy`.

The column holds one object per outcome plus an optional "limits" object::

    {"busy": {"delay_seconds": 600, "max": 3},
     "no_answer": {"delay_seconds": 3600, "max": 4},
     "limits": {"max_attempts_per_number": 8, "max_attempts_per_lead": 12,
                "rolling": {"max": 4, "days": 30},
                "abandon_redial_hours": 72, "machine_same_day": true,
                "alternate_delay_seconds": 0, "respool_delay_seconds": 86400}}

Outcomes, keys and limits left out take the defaults below. "max" counts the attempts
of one number that ended with that outcome: once reached, that number is
exhausted and the next alternate number is tried.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from engine.dialer.outcomes import Outcome
from engine.errors import ValidationFailed


@dataclass(frozen=True)
class RetryRule:
    delay: timedelta
    max: int


@dataclass(frozen=True)
class RollingCap:
    """At most `max_attempts` attempts on one number within any `window`."""

    max_attempts: int
    window: timedelta


@dataclass(frozen=True)
class AttemptCaps:
    # None: no cap. The per-number default bounds a policy whose per-outcome
    # maxima are generous, so that no number is dialled without end.
    per_number: int | None = 10
    per_lead: int | None = None
    rolling: RollingCap | None = None


DEFAULT_RULES: Mapping[Outcome, RetryRule] = {
    Outcome.NO_ANSWER: RetryRule(timedelta(hours=1), 3),
    Outcome.BUSY: RetryRule(timedelta(minutes=10), 3),
    Outcome.CONGESTION: RetryRule(timedelta(minutes=5), 3),
    # An unallocated or unroutable number will not heal: move to the next one.
    Outcome.FAILED: RetryRule(timedelta(0), 1),
    Outcome.REJECTED: RetryRule(timedelta(hours=4), 2),
    Outcome.MACHINE: RetryRule(timedelta(hours=4), 2),
    Outcome.ABANDONED: RetryRule(timedelta(hours=72), 2),
    Outcome.CUSTOMER_HANGUP: RetryRule(timedelta(hours=1), 3),
}


@dataclass(frozen=True)
class RetryPolicy:
    rules: Mapping[Outcome, RetryRule] = field(default_factory=lambda: dict(DEFAULT_RULES))
    caps: AttemptCaps = AttemptCaps()
    # Ofcom: after an abandoned call, no repeat call to that number within 72 h
    # unless a live operator is guaranteed; we never guarantee one, so we block.
    abandon_redial_block: timedelta = timedelta(hours=72)
    # Ofcom: after an AMD-detected machine, no repeat call the same (callee) day.
    machine_same_day_block: bool = True
    alternate_delay: timedelta = timedelta(0)
    respool_delay: timedelta = timedelta(days=1)

    def rule(self, outcome: Outcome) -> RetryRule:
        return self.rules.get(outcome) or DEFAULT_RULES[outcome]

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RetryPolicy:
        """Parse the `campaigns.retry_policy` column; bad values raise ValidationFailed."""
        data = dict(data or {})
        limits = data.pop("limits", None) or {}
        errors: dict[str, str] = {}
        rules = dict(DEFAULT_RULES)
        for key, value in data.items():
            try:
                outcome = Outcome(key)
            except ValueError:
                errors[key] = "unknown outcome"
                continue
            if outcome is Outcome.ANSWERED:
                errors[key] = "an answered call is handled by its disposition"
                continue
            default = DEFAULT_RULES[outcome]
            try:
                rules[outcome] = RetryRule(
                    timedelta(
                        seconds=_number(
                            value, "delay_seconds", minimum=0, default=default.delay.total_seconds()
                        )
                    ),
                    int(_number(value, "max", minimum=1, default=default.max)),
                )
            except ValueError as exc:
                errors[key] = str(exc)
        try:
            extras = _limits(limits)
        except ValueError as exc:
            errors["limits"] = str(exc)
            extras = {}
        if errors:
            raise ValidationFailed("invalid retry policy", details=errors)
        return cls(rules=rules, **extras)


def _number(obj: Any, key: str, *, minimum: float, default: float | None = None) -> float:
    if not isinstance(obj, Mapping):
        raise ValueError("expected an object")
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ValueError(f"{key} must be a number >= {minimum}")
    return float(value)


def _optional_cap(obj: Mapping[str, Any], key: str, default: int | None) -> int | None:
    if key not in obj:
        return default
    if obj[key] is None:
        return None
    return int(_number(obj, key, minimum=1))


def _limits(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        raise ValueError("expected an object")
    rolling = None
    if obj.get("rolling") is not None:
        spec = obj["rolling"]
        rolling = RollingCap(
            int(_number(spec, "max", minimum=1)), timedelta(days=_number(spec, "days", minimum=0))
        )
    defaults = RetryPolicy()

    def seconds(key: str, default: timedelta) -> timedelta:
        return timedelta(seconds=_number(obj, key, minimum=0, default=default.total_seconds()))

    return {
        "caps": AttemptCaps(
            per_number=_optional_cap(obj, "max_attempts_per_number", defaults.caps.per_number),
            per_lead=_optional_cap(obj, "max_attempts_per_lead", defaults.caps.per_lead),
            rolling=rolling,
        ),
        "abandon_redial_block": timedelta(
            hours=_number(
                obj,
                "abandon_redial_hours",
                minimum=0,
                default=defaults.abandon_redial_block.total_seconds() / 3600,
            )
        ),
        "machine_same_day_block": bool(
            obj.get("machine_same_day", defaults.machine_same_day_block)
        ),
        "alternate_delay": seconds("alternate_delay_seconds", defaults.alternate_delay),
        "respool_delay": seconds("respool_delay_seconds", defaults.respool_delay),
    }
