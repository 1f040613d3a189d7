"""The per-call state machine and the outcome mapping, on ARI-like event sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dialer.outcomes import Outcome
from engine.dialplan.calls import (
    AmdResult,
    Bridged,
    Call,
    CallEvent,
    CallState,
    ChannelStateChanged,
    DialStatus,
    DropTimeout,
    HungUp,
    IllegalCallTransition,
    Queued,
    advance,
    spool_outcome,
)
from engine.errors import Conflict

T0 = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
C = CallState


def run(*events: CallEvent, step: float = 1.0, drop_time: float = 2.0) -> Call:
    call = Call.originate(T0, drop_time_seconds=drop_time)
    for i, event in enumerate(events, start=1):
        call = advance(call, event, T0 + timedelta(seconds=i * step))
    return call


def test_answered_bridged_then_hung_up() -> None:
    call = run(
        ChannelStateChanged("Ringing"),
        ChannelStateChanged("Up"),
        DialStatus("ANSWER"),  # arrives after the Up: expected noise
        Queued(),
        Bridged(agent_id=4),
        HungUp(16),
    )
    assert call.state is C.ENDED
    assert call.ended_from is C.BRIDGED
    assert (call.answered_at, call.queued_at, call.bridged_at) == (
        T0 + timedelta(seconds=2),
        T0 + timedelta(seconds=4),
        T0 + timedelta(seconds=5),
    )
    assert call.agent_id == 4
    assert (call.cause, call.outcome) == (16, Outcome.ANSWERED)


def test_busy_as_asterisk_reports_it() -> None:
    # Our half of the channel goes with cause 0; the Dial event says BUSY.
    call = run(DialStatus(""), ChannelStateChanged("Busy"), DialStatus("BUSY"), HungUp(0))
    assert call.ended_from is C.ORIGINATING
    assert call.dialstatus == "BUSY"
    assert call.outcome is Outcome.BUSY


def test_congestion_as_asterisk_reports_it() -> None:
    assert run(DialStatus("CONGESTION"), HungUp(0)).outcome is Outcome.CONGESTION


def test_ring_timeout_is_no_answer() -> None:
    assert run(ChannelStateChanged("Ring"), HungUp(19)).outcome is Outcome.NO_ANSWER


def test_cancel_while_ringing() -> None:
    call = run(ChannelStateChanged("Ringing"), DialStatus("NOANSWER"), HungUp(16))
    assert call.outcome is Outcome.NO_ANSWER


def test_rejected_before_answer() -> None:
    assert run(ChannelStateChanged("Ringing"), HungUp(21)).outcome is Outcome.REJECTED


def test_answered_then_rejected_is_a_person_reached() -> None:
    call = run(ChannelStateChanged("Up"), HungUp(21))
    assert call.ended_from is C.ANSWERED
    assert call.outcome is Outcome.CUSTOMER_HANGUP


def test_machine_detected() -> None:
    call = run(ChannelStateChanged("Up"), AmdResult("MACHINE"), HungUp(16))
    assert call.amd_status == "MACHINE"
    assert call.outcome is Outcome.MACHINE


def test_amd_not_sure_is_treated_as_a_person() -> None:
    call = run(ChannelStateChanged("Up"), AmdResult("NOTSURE"), Queued(), Bridged(), HungUp(16))
    assert call.outcome is Outcome.ANSWERED


def test_drop_timeout_abandons() -> None:
    call = run(ChannelStateChanged("Up"), AmdResult("HUMAN"), Queued(), DropTimeout(), HungUp(16))
    assert call.ended_from is C.ABANDONED
    assert call.outcome is Outcome.ABANDONED


def test_hung_up_while_queued_past_the_drop_time_is_abandoned() -> None:
    call = run(ChannelStateChanged("Up"), Queued(), HungUp(16), step=3.0, drop_time=2.0)
    assert call.outcome is Outcome.ABANDONED


def test_hung_up_while_queued_within_the_drop_time_is_not() -> None:
    call = run(ChannelStateChanged("Up"), Queued(), HungUp(16), step=1.0, drop_time=2.0)
    assert call.outcome is Outcome.CUSTOMER_HANGUP


def test_originate_refused() -> None:
    assert run(HungUp(0)).outcome is Outcome.FAILED
    assert run(DialStatus("CHANUNAVAIL"), HungUp(0)).outcome is Outcome.FAILED


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (C.ORIGINATING, Queued()),
        (C.ORIGINATING, Bridged()),
        (C.RINGING, AmdResult("HUMAN")),
        (C.MACHINE, Queued()),
        (C.BRIDGED, DropTimeout()),
        (C.QUEUED, AmdResult("MACHINE")),
        (C.ENDED, HungUp(16)),
    ],
)
def test_impossible_events_raise(state: CallState, event: CallEvent) -> None:
    call = Call(state, T0, T0)
    with pytest.raises(IllegalCallTransition) as caught:
        advance(call, event, T0)
    assert isinstance(caught.value, Conflict)


@pytest.mark.parametrize(
    ("state", "cause", "dialstatus", "outcome"),
    [
        (C.RINGING, 19, None, Outcome.NO_ANSWER),
        (C.RINGING, 18, None, Outcome.NO_ANSWER),
        (C.ORIGINATING, 17, None, Outcome.BUSY),
        (C.ORIGINATING, 34, None, Outcome.CONGESTION),
        (C.ORIGINATING, 21, None, Outcome.REJECTED),
        (C.ORIGINATING, 1, None, Outcome.FAILED),
        (C.ORIGINATING, 0, "BUSY", Outcome.BUSY),
        (C.ORIGINATING, 17, "CHANUNAVAIL", Outcome.BUSY),
        (C.RINGING, 16, None, Outcome.NO_ANSWER),
        (C.ORIGINATING, 99, None, Outcome.FAILED),
        (C.BRIDGED, 21, None, Outcome.ANSWERED),
        (C.MACHINE, 16, None, Outcome.MACHINE),
        (C.ABANDONED, 16, None, Outcome.ABANDONED),
        (C.HUMAN, 16, None, Outcome.CUSTOMER_HANGUP),
    ],
)
def test_spool_outcome_mapping(
    state: CallState, cause: int, dialstatus: str | None, outcome: Outcome
) -> None:
    assert spool_outcome(state, cause, dialstatus) is outcome


def test_ringing_twice_keeps_the_time_ringing_started() -> None:
    call = run(ChannelStateChanged("Ringing"), DialStatus("RINGING"))
    assert call.state is C.RINGING
    assert call.since == T0 + timedelta(seconds=1)


EVENTS = st.one_of(
    st.sampled_from(["Ring", "Ringing", "Up", "Busy", "Down"]).map(ChannelStateChanged),
    st.sampled_from(["", "RINGING", "ANSWER", "BUSY", "NOANSWER", "CONGESTION", "CHANUNAVAIL"]).map(
        DialStatus
    ),
    st.sampled_from(["HUMAN", "MACHINE", "NOTSURE", "HANGUP"]).map(AmdResult),
    st.sampled_from([Queued(), Bridged(3), DropTimeout()]),
    st.sampled_from([0, 16, 17, 19, 21, 34]).map(HungUp),
)
ANSWERED_STATES = {C.ANSWERED, C.HUMAN, C.MACHINE, C.QUEUED, C.BRIDGED, C.ABANDONED}


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(EVENTS, max_size=12), st.floats(0.5, 5.0))
def test_random_event_streams_end_with_a_coherent_outcome(
    events: list[CallEvent], drop_time: float
) -> None:
    call = Call.originate(T0, drop_time_seconds=drop_time)
    for second, event in enumerate([*events, HungUp(16)], start=1):
        try:
            call = advance(call, event, T0 + timedelta(seconds=second))
        except IllegalCallTransition:
            continue
        assert (call.answered_at is not None) == (
            call.state in ANSWERED_STATES or call.ended_from in ANSWERED_STATES
        )
    assert call.state is C.ENDED
    assert call.ended_from is not None and call.ended_from is not C.ENDED
    assert call.outcome is not None
    if call.outcome is Outcome.ANSWERED:
        assert call.bridged_at is not None
    if call.outcome in (Outcome.ABANDONED, Outcome.MACHINE, Outcome.CUSTOMER_HANGUP):
        assert call.answered_at is not None
    if call.answered_at is None:
        assert call.outcome not in (Outcome.ANSWERED, Outcome.ABANDONED, Outcome.MACHINE)
