"""`decide`: call outcomes and dispositions to spool actions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.dialer.outcomes import Outcome
from engine.dialer.policy import AttemptCaps, RetryPolicy, RetryRule
from engine.dialer.retry import (
    Callback,
    DestinationUpdate,
    Disposition,
    DispositionAction,
    apply_action,
    decide,
)
from engine.dialer.views import SpoolState
from engine.errors import ValidationFailed

from .builders import NOON, NUMBER, OTHER, dest, entry

POLICY = RetryPolicy.from_json(
    {
        "busy": {"delay_seconds": 600, "max": 2},
        "no_answer": {"delay_seconds": 3600, "max": 3},
        "limits": {"max_attempts_per_lead": 6, "alternate_delay_seconds": 30},
    }
)
TWO = (dest(0, NUMBER), dest(1, OTHER))


def test_busy_retries_the_same_number_after_the_delay() -> None:
    action = decide(entry(destinations=TWO), TWO[0], Outcome.BUSY, POLICY, NOON)
    assert action.state is SpoolState.WAITING_RETRY
    assert action.due_at == NOON + timedelta(minutes=10)
    assert action.attempts == 1
    assert action.last_outcome == "busy"
    assert action.destination == DestinationUpdate(
        0, 1, NOON, Outcome.BUSY, False, {Outcome.BUSY: 1}
    )


def test_max_for_the_number_moves_to_the_alternate() -> None:
    tried = dest(0, NUMBER, attempts=1, outcome_counts={Outcome.BUSY: 1})
    lead = entry(destinations=(tried, TWO[1]), attempts=1)
    action = decide(lead, tried, Outcome.BUSY, POLICY, NOON)
    assert action.destination is not None
    assert action.destination.exhausted
    assert action.state is SpoolState.WAITING_RETRY
    assert action.due_at == NOON + timedelta(seconds=30)
    assert action.reason == "next alternate number"


def test_per_outcome_maxima_count_separately() -> None:
    # Two no-answers do not use up the busy maximum of 2.
    tried = dest(0, NUMBER, attempts=2, outcome_counts={Outcome.NO_ANSWER: 2})
    action = decide(entry(destinations=(tried,)), tried, Outcome.BUSY, POLICY, NOON)
    assert action.state is SpoolState.WAITING_RETRY
    assert action.destination is not None
    assert action.destination.outcome_counts == {Outcome.NO_ANSWER: 2, Outcome.BUSY: 1}


def test_no_destination_left_fails_the_entry() -> None:
    tried = dest(0, NUMBER, attempts=1, outcome_counts={Outcome.BUSY: 1})
    action = decide(entry(destinations=(tried,)), tried, Outcome.BUSY, POLICY, NOON)
    assert action.state is SpoolState.FAILED
    assert action.reason == "no destination left"


def test_per_number_cap_exhausts_the_number() -> None:
    policy = RetryPolicy(caps=AttemptCaps(per_number=3))
    tried = dest(0, NUMBER, attempts=2, outcome_counts={Outcome.NO_ANSWER: 1, Outcome.BUSY: 1})
    action = decide(entry(destinations=(tried,)), tried, Outcome.CONGESTION, policy, NOON)
    assert action.state is SpoolState.FAILED


def test_per_lead_cap_fails_the_entry() -> None:
    action = decide(entry(destinations=TWO, attempts=5), TWO[0], Outcome.NO_ANSWER, POLICY, NOON)
    assert action.state is SpoolState.FAILED
    assert action.attempts == 6


def test_failed_number_goes_straight_to_the_alternate() -> None:
    action = decide(entry(destinations=TWO), TWO[0], Outcome.FAILED, RetryPolicy(), NOON)
    assert action.destination is not None
    assert action.destination.exhausted
    assert action.state is SpoolState.WAITING_RETRY
    assert action.due_at == NOON


def test_abandoned_waits_at_least_the_redial_block() -> None:
    policy = RetryPolicy(rules={Outcome.ABANDONED: RetryRule(timedelta(hours=1), 3)})
    action = decide(entry(), dest(), Outcome.ABANDONED, policy, NOON)
    assert action.due_at == NOON + timedelta(hours=72)


def test_retry_after_expiry_expires_the_entry() -> None:
    lead = entry(expires_at=NOON + timedelta(minutes=5))
    action = decide(lead, dest(), Outcome.BUSY, POLICY, NOON)
    assert action.state is SpoolState.EXPIRED


def test_answered_ends_the_entry_until_disposition() -> None:
    action = decide(entry(), dest(), Outcome.ANSWERED, POLICY, NOON)
    assert action.state is SpoolState.DONE
    assert action.attempts == 1
    assert action.destination == DestinationUpdate(
        0, 1, NOON, Outcome.ANSWERED, False, {Outcome.ANSWERED: 1}
    )


@pytest.mark.parametrize(
    ("action", "state"),
    [
        (DispositionAction.NONE, SpoolState.DONE),
        (DispositionAction.SUCCESS, SpoolState.DONE),
        (DispositionAction.CANCEL, SpoolState.CANCELLED),
    ],
)
def test_closing_dispositions(action: DispositionAction, state: SpoolState) -> None:
    result = decide(entry(attempts=1), dest(), Disposition(action), POLICY, NOON)
    assert result.state is state
    assert result.attempts == 1  # the answered call already counted


@pytest.mark.parametrize("action", [DispositionAction.RESPOOL, DispositionAction.RETRY])
def test_respool_and_retry(action: DispositionAction) -> None:
    later = decide(entry(attempts=1), dest(), Disposition(action), POLICY, NOON)
    assert later.state is SpoolState.WAITING_RETRY
    assert later.due_at == NOON + timedelta(days=1)
    at = NOON + timedelta(hours=3)
    explicit = decide(entry(attempts=1), dest(), Disposition(action, at=at), POLICY, NOON)
    assert explicit.due_at == at
    capped = decide(entry(attempts=6), dest(), Disposition(action), POLICY, NOON)
    assert capped.state is SpoolState.DONE


def test_respool_alternative() -> None:
    lead = entry(destinations=TWO, attempts=1)
    action = decide(lead, TWO[0], Disposition(DispositionAction.RESPOOL_ALTERNATIVE), POLICY, NOON)
    assert action.state is SpoolState.WAITING_RETRY
    assert action.due_at == NOON + timedelta(seconds=30)
    assert action.destination is not None
    assert action.destination.exhausted
    alone = entry(destinations=(TWO[0],), attempts=1)
    last = decide(alone, TWO[0], Disposition(DispositionAction.RESPOOL_ALTERNATIVE), POLICY, NOON)
    assert last.state is SpoolState.DONE


def test_blacklist() -> None:
    action = decide(entry(), dest(), Disposition(DispositionAction.BLACKLIST), POLICY, NOON)
    assert action.state is SpoolState.DONE
    assert action.dnc_add == (NUMBER,)


def test_schedule_a_callback_bound_to_an_agent() -> None:
    at = NOON + timedelta(days=1)
    disposition = Disposition(DispositionAction.SCHEDULE, at=at, agent_id=7)
    action = decide(entry(attempts=1), dest(), disposition, POLICY, NOON)
    assert action.state is SpoolState.PENDING
    assert action.due_at == at
    assert action.is_callback
    assert action.bound_agent_id == 7
    assert action.callback == Callback(at, NUMBER, 7)


def test_schedule_needs_a_time_before_expiry() -> None:
    with pytest.raises(ValidationFailed):
        decide(entry(), dest(), Disposition(DispositionAction.SCHEDULE), POLICY, NOON)
    lead = entry(expires_at=NOON + timedelta(hours=1))
    late = Disposition(DispositionAction.SCHEDULE, at=NOON + timedelta(hours=2))
    with pytest.raises(ValidationFailed):
        decide(lead, dest(), late, POLICY, NOON)


def test_a_callback_retried_is_an_ordinary_call_again() -> None:
    callback = entry(is_callback=True, bound_agent_id=7)
    action = decide(callback, dest(), Outcome.NO_ANSWER, POLICY, NOON)
    assert not action.is_callback
    assert action.bound_agent_id is None


def test_apply_action() -> None:
    lead = entry(destinations=TWO)
    action = decide(lead, TWO[0], Outcome.NO_ANSWER, POLICY, NOON)
    after = apply_action(lead, action)
    assert after.state is SpoolState.WAITING_RETRY
    assert after.attempts == 1
    assert after.due_at == NOON + timedelta(hours=1)
    assert after.destination(0).attempts == 1
    assert after.destination(0).last_outcome is Outcome.NO_ANSWER
    assert after.destination(1) == TWO[1]


def test_policy_parsing() -> None:
    policy = RetryPolicy.from_json(
        {
            "machine": {"max": 1},
            "limits": {"rolling": {"max": 4, "days": 30}, "abandon_redial_hours": 24},
        }
    )
    assert policy.rule(Outcome.MACHINE) == RetryRule(timedelta(hours=4), 1)
    assert policy.caps.rolling is not None
    assert policy.caps.rolling.max_attempts == 4
    assert policy.abandon_redial_block == timedelta(hours=24)
    assert RetryPolicy.from_json(None) == RetryPolicy()


@pytest.mark.parametrize(
    "data",
    [
        {"bogus": {"max": 1}},
        {"answered": {"max": 1}},
        {"busy": {"max": 0}},
        {"busy": {"delay_seconds": "soon"}},
        {"busy": 3},
        {"limits": {"rolling": {"max": 4}}},
        {"limits": {"max_attempts_per_lead": 0}},
    ],
)
def test_bad_policies_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed):
        RetryPolicy.from_json(data)
