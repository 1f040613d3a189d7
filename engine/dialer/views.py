"""What the spool rules read: immutable views of rows, built by the shell.

The shell loads rows (spool_entries + spool_destinations, campaigns, DNC
entries, live calls, recent calls) into these views, asks the rules, and
applies what they return. Numbers are compared as given: the shell stores and
passes them normalised (E.164).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from engine.dialer.outcomes import Outcome
from engine.dialer.policy import AttemptCaps, RetryPolicy
from engine.dialer.windows import RulePack, WeeklySchedule, campaign_hours, rule_pack


class SpoolState(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DIALLING = "dialling"
    WAITING_RETRY = "waiting_retry"
    DONE = "done"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"


# Waiting entries may be claimed; in-flight ones belong to a runner; terminal ones are history.
WAITING_STATES = frozenset({SpoolState.PENDING, SpoolState.WAITING_RETRY})
IN_FLIGHT_STATES = frozenset({SpoolState.CLAIMED, SpoolState.DIALLING})
TERMINAL_STATES = frozenset(
    {SpoolState.DONE, SpoolState.CANCELLED, SpoolState.EXPIRED, SpoolState.FAILED}
)


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    FINISHED = "finished"


@dataclass(frozen=True)
class DestinationView:
    position: int
    number: str
    priority: int = 0
    attempts: int = 0
    last_attempt_at: datetime | None = None
    last_outcome: Outcome | None = None
    exhausted: bool = False
    # Attempts of this number per outcome, for the per-outcome retry maxima.
    # Not yet a column: see the closing note (spool_destinations.outcome_counts).
    outcome_counts: Mapping[Outcome, int] = field(default_factory=dict, hash=False)

    def count(self, outcome: Outcome) -> int:
        return self.outcome_counts.get(outcome, 0)


@dataclass(frozen=True)
class SpoolEntryView:
    id: int
    campaign_id: int
    due_at: datetime
    destinations: tuple[DestinationView, ...]
    priority: int = 0
    state: SpoolState = SpoolState.PENDING
    expires_at: datetime | None = None
    attempts: int = 0
    is_callback: bool = False
    bound_agent_id: int | None = None
    # The lead's IANA zone; None: inferred from each number.
    timezone: str | None = None

    def destination(self, position: int) -> DestinationView:
        for dest in self.destinations:
            if dest.position == position:
                return dest
        raise KeyError(position)


@dataclass(frozen=True)
class CampaignView:
    id: int
    status: CampaignStatus
    rule_pack: RulePack
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    hours: WeeklySchedule = field(default_factory=lambda: campaign_hours(None))
    # The campaign's zone: its hours are in it, and it is the callee's zone of last resort.
    timezone: str = "UTC"

    @property
    def caps(self) -> AttemptCaps:
        return self.retry.caps

    @classmethod
    def from_row(
        cls, row: Mapping[str, Any], custom_rule_pack: Mapping[str, Any] | None = None
    ) -> CampaignView:
        """From a `campaigns` row; bad JSON in it raises ValidationFailed."""
        return cls(
            id=int(row["id"]),
            status=CampaignStatus(row["status"]),
            rule_pack=rule_pack(str(row["rule_pack"]), custom_rule_pack),
            retry=RetryPolicy.from_json(row.get("retry_policy")),
            hours=campaign_hours(row.get("hours")),
            timezone=str(row.get("timezone") or "UTC"),
        )


@dataclass(frozen=True)
class Attempt:
    number: str
    at: datetime
    outcome: Outcome


@dataclass(frozen=True)
class ComplianceContext:
    """The world outside the entry, read once per claim round.

    `dnc` maps each blocked number (the campaign's lists and the global ones)
    to when its entry expires (None: never). `live_numbers` are numbers on a
    call right now in any campaign. `recent_attempts` are the calls to the
    campaign's numbers over the longest rolling window (and at least the abandon
    block), in any campaign of the same caller. `available_agents`, when given,
    are the agents free to take a callback bound to them.
    """

    dnc: Mapping[str, datetime | None] = field(default_factory=dict, hash=False)
    live_numbers: frozenset[str] = frozenset()
    recent_attempts: tuple[Attempt, ...] = ()
    available_agents: frozenset[int] | None = None

    @classmethod
    def of(
        cls,
        dnc: Iterable[str] | Mapping[str, datetime | None] = (),
        live_numbers: Iterable[str] = (),
        recent_attempts: Iterable[Attempt | tuple[str, datetime, Outcome]] = (),
        available_agents: Iterable[int] | None = None,
    ) -> ComplianceContext:
        return cls(
            dnc=dict(dnc) if isinstance(dnc, Mapping) else dict.fromkeys(dnc),
            live_numbers=frozenset(live_numbers),
            recent_attempts=tuple(
                a if isinstance(a, Attempt) else Attempt(*a) for a in recent_attempts
            ),
            available_agents=None if available_agents is None else frozenset(available_agents),
        )

    @cached_property
    def attempts_by_number(self) -> Mapping[str, tuple[Attempt, ...]]:
        grouped: defaultdict[str, list[Attempt]] = defaultdict(list)
        for attempt in self.recent_attempts:
            grouped[attempt.number].append(attempt)
        return {
            number: tuple(sorted(group, key=lambda a: a.at)) for number, group in grouped.items()
        }
