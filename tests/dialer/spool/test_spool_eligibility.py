"""`evaluate`: every blocking rule, when it lifts, and the destination to dial."""

from __future__ import annotations

from datetime import timedelta

from engine.dialer.eligibility import Block, Reason, closing_state, evaluate, summarize
from engine.dialer.outcomes import Outcome
from engine.dialer.policy import AttemptCaps, RetryPolicy, RollingCap
from engine.dialer.views import (
    Attempt,
    CampaignStatus,
    ComplianceContext,
    SpoolState,
)
from engine.dialer.windows import FR, US_STATES, campaign_hours

from .builders import NOON, NUMBER, OTHER, campaign, dest, entry, utc

EMPTY = ComplianceContext()
LA_NUMBER = "+14155550100"


def test_eligible_entry() -> None:
    verdict = evaluate(entry(), campaign(), EMPTY, NOON)
    assert verdict.eligible
    assert verdict.reasons == ()
    assert verdict.destination == dest()
    assert verdict.next_eligible_at == NOON
    assert not verdict.final


def test_not_due_lifts_at_due_time() -> None:
    due = NOON + timedelta(hours=1)
    verdict = evaluate(entry(due_at=due), campaign(), EMPTY, NOON)
    assert not verdict.eligible
    assert verdict.reasons == (Reason(Block.NOT_DUE, due),)
    assert verdict.destination is None
    assert verdict.next_eligible_at == due


def test_expired_is_final() -> None:
    verdict = evaluate(entry(expires_at=NOON), campaign(), EMPTY, NOON)
    assert verdict.blocks == {Block.EXPIRED}
    assert verdict.final
    assert verdict.next_eligible_at is None
    assert closing_state(verdict) is SpoolState.EXPIRED


def test_campaign_not_running_lifts_on_an_event() -> None:
    verdict = evaluate(entry(), campaign(status=CampaignStatus.PAUSED), EMPTY, NOON)
    assert verdict.reasons == (Reason(Block.CAMPAIGN_NOT_RUNNING, None),)
    assert not verdict.final
    # Were it resumed, it could go now.
    assert verdict.next_eligible_at == NOON


def test_outside_campaign_hours() -> None:
    hours = campaign_hours([{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "12:00"}])
    verdict = evaluate(entry(), campaign(hours=hours), EMPTY, NOON)
    opening = utc(2025, 6, 11, 13)  # Wednesday 09:00 EDT
    assert verdict.reasons == (Reason(Block.OUTSIDE_CAMPAIGN_HOURS, opening),)
    assert verdict.next_eligible_at == opening


def test_outside_calling_window_in_the_callee_zone() -> None:
    night = utc(2025, 6, 11, 2)  # 22:00 in New York, 19:00 in Los Angeles
    verdict = evaluate(entry(), campaign(), EMPTY, night)
    assert verdict.reasons == (Reason(Block.OUTSIDE_CALLING_WINDOW, utc(2025, 6, 11, 12), 0),)
    west = entry(destinations=(dest(number=LA_NUMBER),))
    assert evaluate(west, campaign(), EMPTY, night).eligible
    # The lead's own zone wins over the number's.
    moved = entry(timezone="America/Los_Angeles")
    assert evaluate(moved, campaign(), EMPTY, night).eligible


def test_dnc_number_skipped_for_the_alternate() -> None:
    lead = entry(destinations=(dest(0, NUMBER), dest(1, OTHER)))
    ctx = ComplianceContext.of(dnc={NUMBER})
    verdict = evaluate(lead, campaign(), ctx, NOON)
    assert verdict.eligible
    assert verdict.destination == dest(1, OTHER)
    assert verdict.reasons == ()


def test_only_dnc_numbers_left_is_final() -> None:
    verdict = evaluate(entry(), campaign(), ComplianceContext.of(dnc=[NUMBER]), NOON)
    assert verdict.blocks == {Block.DNC, Block.NO_DESTINATION_LEFT}
    assert verdict.final
    assert closing_state(verdict) is SpoolState.FAILED


def test_dnc_entry_with_expiry() -> None:
    until = NOON + timedelta(days=2)
    verdict = evaluate(entry(), campaign(), ComplianceContext.of(dnc={NUMBER: until}), NOON)
    assert verdict.reasons == (Reason(Block.DNC, until, 0),)
    assert not verdict.final
    assert verdict.next_eligible_at == until
    lapsed = ComplianceContext.of(dnc={NUMBER: NOON})
    assert evaluate(entry(), campaign(), lapsed, NOON).eligible


def test_number_on_a_live_call_anywhere() -> None:
    ctx = ComplianceContext.of(live_numbers=[NUMBER])
    verdict = evaluate(entry(), campaign(), ctx, NOON)
    assert verdict.reasons == (Reason(Block.NUMBER_ON_LIVE_CALL, None, 0),)
    assert not verdict.final
    assert verdict.next_eligible_at == NOON


def test_max_attempts_per_number() -> None:
    lead = entry(destinations=(dest(attempts=10),))
    verdict = evaluate(lead, campaign(), EMPTY, NOON)
    assert verdict.blocks == {Block.MAX_ATTEMPTS_NUMBER, Block.NO_DESTINATION_LEFT}
    assert verdict.final


def test_max_attempts_per_lead_but_not_for_a_callback() -> None:
    policy = RetryPolicy(caps=AttemptCaps(per_lead=3))
    verdict = evaluate(entry(attempts=3), campaign(retry=policy), EMPTY, NOON)
    assert verdict.blocks == {Block.MAX_ATTEMPTS_LEAD}
    assert verdict.final
    callback = entry(attempts=3, is_callback=True)
    assert evaluate(callback, campaign(retry=policy), EMPTY, NOON).eligible


def test_rolling_window_cap() -> None:
    policy = RetryPolicy(caps=AttemptCaps(rolling=RollingCap(4, timedelta(days=30))))
    days_ago = (12, 10, 3, 2, 1)
    ctx = ComplianceContext.of(
        recent_attempts=[(NUMBER, NOON - timedelta(days=d), Outcome.NO_ANSWER) for d in days_ago]
    )
    verdict = evaluate(entry(), campaign(retry=policy), ctx, NOON)
    # Four of the five fall in the window; it lifts when the one of 10 days ago leaves it.
    lifts = NOON + timedelta(days=20)
    assert verdict.reasons == (Reason(Block.ROLLING_WINDOW_CAP, lifts, 0),)
    assert verdict.next_eligible_at == lifts


def test_rolling_cap_of_the_rule_pack() -> None:
    paris = "+33142685300"
    tuesday = utc(2025, 6, 10, 9)  # 11:00 CEST
    attempts = [(paris, tuesday - timedelta(days=d), Outcome.BUSY) for d in (1, 2, 5, 8)]
    lead = entry(due_at=tuesday, destinations=(dest(number=paris),))
    verdict = evaluate(
        lead, campaign(rule_pack=FR), ComplianceContext.of(recent_attempts=attempts), tuesday
    )
    assert verdict.blocks == {Block.ROLLING_WINDOW_CAP}
    # 8 days ago + 30 days is Wednesday 2 July, 11:00 CEST: inside the window.
    assert verdict.next_eligible_at == utc(2025, 7, 2, 9)


def test_a_state_cap_holds_its_callees_only() -> None:
    miami = "+13055550100"  # Florida: at most 3 calls in 24 hours
    attempts = [
        (number, NOON - timedelta(hours=h), Outcome.NO_ANSWER)
        for number in (miami, NUMBER)
        for h in (2, 5, 20)
    ]
    context = ComplianceContext.of(recent_attempts=attempts)
    florida = entry(destinations=(dest(number=miami),))
    verdict = evaluate(florida, campaign(rule_pack=US_STATES), context, NOON)
    assert verdict.blocks == {Block.ROLLING_WINDOW_CAP}
    assert verdict.next_eligible_at == NOON + timedelta(hours=4)  # the oldest is a day old
    assert evaluate(florida, campaign(), context, NOON).eligible  # the federal pack
    new_york = entry(destinations=(dest(number=NUMBER),))
    assert evaluate(new_york, campaign(rule_pack=US_STATES), context, NOON).eligible


def test_abandon_redial_block() -> None:
    ctx = ComplianceContext.of(
        recent_attempts=[(NUMBER, NOON - timedelta(hours=1), Outcome.ABANDONED)]
    )
    verdict = evaluate(entry(), campaign(), ctx, NOON)
    lifts = NOON + timedelta(hours=71)
    assert verdict.reasons == (Reason(Block.ABANDON_REDIAL_BLOCK, lifts, 0),)
    assert verdict.next_eligible_at == lifts
    # Known from the destination row alone too.
    lead = entry(
        destinations=(
            dest(
                attempts=1,
                last_attempt_at=NOON - timedelta(hours=1),
                last_outcome=Outcome.ABANDONED,
            ),
        )
    )
    assert evaluate(lead, campaign(), EMPTY, NOON).blocks == {Block.ABANDON_REDIAL_BLOCK}
    off = RetryPolicy(abandon_redial_block=timedelta(0))
    assert evaluate(lead, campaign(retry=off), EMPTY, NOON).eligible


def test_machine_same_day_block_then_the_window() -> None:
    machine_at = utc(2025, 6, 10, 14)  # 10:00 EDT
    ctx = ComplianceContext.of(recent_attempts=[(NUMBER, machine_at, Outcome.MACHINE)])
    verdict = evaluate(entry(), campaign(), ctx, NOON)
    # Lifts at New York midnight, but the next calling window opens at 08:00 EDT.
    assert verdict.reasons == (Reason(Block.MACHINE_SAME_DAY_BLOCK, utc(2025, 6, 11, 4), 0),)
    assert verdict.next_eligible_at == utc(2025, 6, 11, 12)
    off = RetryPolicy(machine_same_day_block=False)
    assert evaluate(entry(), campaign(retry=off), ctx, NOON).eligible


def test_bound_agent_unavailable() -> None:
    lead = entry(bound_agent_id=7, is_callback=True)
    busy = ComplianceContext.of(available_agents=[3])
    verdict = evaluate(lead, campaign(), busy, NOON)
    assert verdict.reasons == (Reason(Block.BOUND_AGENT_UNAVAILABLE, None),)
    assert evaluate(lead, campaign(), ComplianceContext.of(available_agents=[7]), NOON).eligible
    # Without the agent set, the shell checks agents itself.
    assert evaluate(lead, campaign(), EMPTY, NOON).eligible


def test_in_flight_and_finished_entries() -> None:
    claimed = evaluate(entry(state=SpoolState.CLAIMED), campaign(), EMPTY, NOON)
    assert claimed.blocks == {Block.IN_FLIGHT}
    assert not claimed.final
    done = evaluate(entry(state=SpoolState.DONE), campaign(), EMPTY, NOON)
    assert done.blocks == {Block.FINISHED}
    assert done.final
    assert closing_state(done) is None


def test_destination_order_priority_then_position() -> None:
    lead = entry(
        destinations=(
            dest(0, "+12125550100", priority=0),
            dest(2, "+12125550102", priority=5),
            dest(1, "+12125550101", priority=5, exhausted=True),
            dest(3, "+12125550103", priority=5),
        )
    )
    assert evaluate(lead, campaign(), EMPTY, NOON).destination == dest(
        2, "+12125550102", priority=5
    )


def test_every_exhausted_means_no_destination_left() -> None:
    lead = entry(destinations=(dest(exhausted=True),))
    verdict = evaluate(lead, campaign(), EMPTY, NOON)
    assert verdict.reasons == (Reason(Block.NO_DESTINATION_LEFT, None),)
    assert verdict.final
    assert evaluate(entry(destinations=()), campaign(), EMPTY, NOON).final


def test_all_reasons_are_listed() -> None:
    night = utc(2025, 6, 11, 2)
    due = night + timedelta(hours=1)
    ctx = ComplianceContext.of(live_numbers=[NUMBER])
    verdict = evaluate(entry(due_at=due), campaign(status=CampaignStatus.PAUSED), ctx, night)
    assert verdict.blocks == {
        Block.NOT_DUE,
        Block.CAMPAIGN_NOT_RUNNING,
        Block.NUMBER_ON_LIVE_CALL,
        Block.OUTSIDE_CALLING_WINDOW,
    }
    assert verdict.next_eligible_at == utc(2025, 6, 11, 12)


def test_next_eligible_alternates_hours_and_windows() -> None:
    # Campaign in Paris 09:00-18:00 (07:00-16:00 UTC), callee in LA 08:00-21:00 (15:00-04:00 UTC).
    hours = campaign_hours([{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}])
    west = entry(destinations=(dest(number=LA_NUMBER),))
    verdict = evaluate(west, campaign(hours=hours, timezone="Europe/Paris"), EMPTY, NOON)
    assert verdict.next_eligible_at == utc(2025, 6, 11, 15)


def test_hours_and_windows_that_never_meet() -> None:
    hours = campaign_hours([{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "10:00"}])
    west = entry(destinations=(dest(number=LA_NUMBER),))
    verdict = evaluate(west, campaign(hours=hours, timezone="Europe/Paris"), EMPTY, NOON)
    assert not verdict.eligible
    assert not verdict.final
    assert verdict.next_eligible_at is None


def test_summarize_counts_each_entry_once_per_block() -> None:
    ctx = ComplianceContext.of(dnc={NUMBER}, live_numbers=[OTHER])
    verdicts = [
        evaluate(entry(1), campaign(), ctx, NOON),
        evaluate(entry(2, destinations=(dest(0, OTHER),)), campaign(), ctx, NOON),
        evaluate(
            entry(3, due_at=NOON + timedelta(hours=1), destinations=(dest(0, OTHER),)),
            campaign(),
            ctx,
            NOON,
        ),
        evaluate(entry(4, destinations=(dest(0, "+12125550199"),)), campaign(), ctx, NOON),
    ]
    assert summarize(verdicts) == {
        Block.NUMBER_ON_LIVE_CALL: 2,
        Block.DNC: 1,
        Block.NO_DESTINATION_LEFT: 1,
        Block.NOT_DUE: 1,
    }
    assert next(iter(summarize(verdicts))) is Block.NUMBER_ON_LIVE_CALL


def test_attempt_tuples_and_objects_are_equivalent() -> None:
    at = NOON - timedelta(hours=1)
    a = ComplianceContext.of(recent_attempts=[(NUMBER, at, Outcome.ABANDONED)])
    b = ComplianceContext.of(recent_attempts=[Attempt(NUMBER, at, Outcome.ABANDONED)])
    assert a.attempts_by_number == b.attempts_by_number
