"""What happens to an entry after a call ends, or after an agent's disposition.

`decide` turns an outcome (or a disposition) into a `SpoolAction`: plain data
that the shell applies in one transaction (entry row, destination row, DNC
insert, scheduled call insert). `apply_action` is the same change on a view,
for the simulator and the tests.

A call outcome counts one attempt on the entry and on the number dialled. An
answered call ends the entry (DONE) until its disposition says otherwise, so
that an agent who never dispositions cannot make us call a reached person
again. Otherwise the number is retried after the outcome's delay until the
outcome's maximum for that number (or the per-number cap) is reached; then it
is exhausted and the entry moves to the next alternate number; with none left,
or at the per-lead cap, the entry FAILS.

Dispositions (they count no attempt: the answered call already did):

- NONE, SUCCESS (Webitel's success): the entry is DONE;
- CANCEL (Webitel): CANCELLED;
- RESPOOL, RETRY (Webitel): the same number again after the policy's respool
  delay, or at the time given; DONE instead at the per-lead cap;
- RESPOOL_ALTERNATIVE: this number is exhausted, the next alternate soon
  (the policy's alternate delay); DONE when none is left;
- BLACKLIST: the number goes to DNC, the entry is DONE;
- SCHEDULE: a callback at the given time, bound to an agent if one is given;
  the entry is PENDING again, due then, marked as a callback.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from engine.dialer.outcomes import Outcome
from engine.dialer.policy import RetryPolicy
from engine.dialer.views import DestinationView, SpoolEntryView, SpoolState
from engine.errors import ValidationFailed


class DispositionAction(StrEnum):
    NONE = "none"
    RESPOOL = "respool"
    RESPOOL_ALTERNATIVE = "respool_alternative"
    BLACKLIST = "blacklist"
    SCHEDULE = "schedule"
    SUCCESS = "success"
    CANCEL = "cancel"
    RETRY = "retry"


@dataclass(frozen=True)
class Disposition:
    action: DispositionAction
    # SCHEDULE: the callback time (required); RESPOOL / RETRY: an explicit next time.
    at: datetime | None = None
    agent_id: int | None = None


@dataclass(frozen=True)
class DestinationUpdate:
    position: int
    attempts: int
    last_attempt_at: datetime | None
    last_outcome: Outcome | None
    exhausted: bool
    outcome_counts: dict[Outcome, int] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Callback:
    """A row for `scheduled_calls`, pointing at the entry."""

    call_at: datetime
    number: str
    agent_id: int | None


@dataclass(frozen=True)
class SpoolAction:
    entry_id: int
    state: SpoolState
    due_at: datetime
    attempts: int
    last_outcome: str
    destination: DestinationUpdate | None = None
    dnc_add: tuple[str, ...] = ()
    callback: Callback | None = None
    is_callback: bool = False
    bound_agent_id: int | None = None
    # For the audit log and "why is this lead done?".
    reason: str = ""


def decide(
    entry: SpoolEntryView,
    destination: DestinationView,
    outcome: Outcome | Disposition,
    policy: RetryPolicy,
    now: datetime,
) -> SpoolAction:
    """The spool action for `outcome` of a call to `destination`, or for a disposition."""
    if isinstance(outcome, Disposition):
        return _after_disposition(entry, destination, outcome, policy, now)
    return _after_call(entry, destination, outcome, policy, now)


def apply_action(entry: SpoolEntryView, action: SpoolAction) -> SpoolEntryView:
    """`entry` as it is once the shell has applied `action`."""
    destinations = entry.destinations
    if (update := action.destination) is not None:
        destinations = tuple(
            replace(
                d,
                attempts=update.attempts,
                last_attempt_at=update.last_attempt_at,
                last_outcome=update.last_outcome,
                exhausted=update.exhausted,
                outcome_counts=update.outcome_counts,
            )
            if d.position == update.position
            else d
            for d in destinations
        )
    return replace(
        entry,
        state=action.state,
        due_at=action.due_at,
        attempts=action.attempts,
        is_callback=action.is_callback,
        bound_agent_id=action.bound_agent_id,
        destinations=destinations,
    )


def next_alternate(entry: SpoolEntryView, besides: int) -> DestinationView | None:
    """The destination to try after `besides`: not exhausted, by priority then position."""
    left = [d for d in entry.destinations if not d.exhausted and d.position != besides]
    return min(left, key=lambda d: (-d.priority, d.position), default=None)


def _after_call(
    entry: SpoolEntryView,
    dest: DestinationView,
    outcome: Outcome,
    policy: RetryPolicy,
    now: datetime,
) -> SpoolAction:
    counts = dict(dest.outcome_counts)
    counts[outcome] = counts.get(outcome, 0) + 1
    attempts = dest.attempts + 1
    base = SpoolAction(
        entry_id=entry.id,
        state=SpoolState.DONE,
        due_at=entry.due_at,
        attempts=entry.attempts + 1,
        last_outcome=outcome.value,
        reason="answered",
    )
    if outcome is Outcome.ANSWERED:
        update = DestinationUpdate(dest.position, attempts, now, outcome, dest.exhausted, counts)
        return replace(base, destination=update)

    per_number = policy.caps.per_number
    exhausted = counts[outcome] >= policy.rule(outcome).max or (
        per_number is not None and attempts >= per_number
    )
    update = DestinationUpdate(dest.position, attempts, now, outcome, exhausted, counts)
    base = replace(base, destination=update)
    per_lead = policy.caps.per_lead
    if per_lead is not None and base.attempts >= per_lead:
        return _end(entry, base, SpoolState.FAILED, "max attempts for the lead")
    if not exhausted:
        delay = policy.rule(outcome).delay
        if outcome is Outcome.ABANDONED:
            delay = max(delay, policy.abandon_redial_block)
        return _retry(entry, base, now + delay, f"retry {outcome.value}")
    if next_alternate(entry, besides=dest.position) is None:
        return _end(entry, base, SpoolState.FAILED, "no destination left")
    return _retry(entry, base, now + policy.alternate_delay, "next alternate number")


def _after_disposition(
    entry: SpoolEntryView,
    dest: DestinationView,
    disposition: Disposition,
    policy: RetryPolicy,
    now: datetime,
) -> SpoolAction:
    action = disposition.action
    base = SpoolAction(
        entry_id=entry.id,
        state=SpoolState.DONE,
        due_at=entry.due_at,
        attempts=entry.attempts,
        last_outcome=action.value,
        reason=f"disposition {action.value}",
    )
    if action in (DispositionAction.NONE, DispositionAction.SUCCESS):
        return base
    if action is DispositionAction.CANCEL:
        return replace(base, state=SpoolState.CANCELLED)
    if action is DispositionAction.BLACKLIST:
        return replace(base, dnc_add=(dest.number,), destination=_exhaust(dest))
    if action is DispositionAction.SCHEDULE:
        return _schedule(entry, dest, disposition, base)
    if action is DispositionAction.RESPOOL_ALTERNATIVE:
        base = replace(base, destination=_exhaust(dest))
        if next_alternate(entry, besides=dest.position) is None:
            return replace(base, reason="no alternate number left")
        return _retry(entry, base, now + policy.alternate_delay, base.reason)
    # RESPOOL and RETRY
    per_lead = policy.caps.per_lead
    if per_lead is not None and entry.attempts >= per_lead:
        return replace(base, reason="max attempts for the lead")
    return _retry(entry, base, disposition.at or now + policy.respool_delay, base.reason)


def _schedule(
    entry: SpoolEntryView, dest: DestinationView, disposition: Disposition, base: SpoolAction
) -> SpoolAction:
    at = disposition.at
    if at is None:
        raise ValidationFailed("a callback needs a time", details={"at": "missing"})
    if entry.expires_at is not None and at >= entry.expires_at:
        raise ValidationFailed(
            "the callback falls after the lead expires",
            details={"at": at.isoformat(), "expires_at": entry.expires_at.isoformat()},
        )
    return replace(
        base,
        state=SpoolState.PENDING,
        due_at=at,
        callback=Callback(at, dest.number, disposition.agent_id),
        is_callback=True,
        bound_agent_id=disposition.agent_id,
    )


def _retry(entry: SpoolEntryView, base: SpoolAction, due_at: datetime, why: str) -> SpoolAction:
    if entry.expires_at is not None and due_at >= entry.expires_at:
        return _end(entry, base, SpoolState.EXPIRED, "next attempt after expiry")
    return replace(
        base,
        state=SpoolState.WAITING_RETRY,
        due_at=due_at,
        reason=why,
        # A later retry is an ordinary call, no longer the callback the callee asked for.
        is_callback=False,
        bound_agent_id=None,
    )


def _end(entry: SpoolEntryView, base: SpoolAction, state: SpoolState, why: str) -> SpoolAction:
    return replace(base, state=state, reason=why, is_callback=False, bound_agent_id=None)


def _exhaust(dest: DestinationView) -> DestinationUpdate:
    return DestinationUpdate(
        dest.position,
        dest.attempts,
        dest.last_attempt_at,
        dest.last_outcome,
        True,
        dict(dest.outcome_counts),
    )
