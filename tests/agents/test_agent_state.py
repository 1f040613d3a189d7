"""The agent state machine, with plain asserts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.agents.state import (
    RECONNECTED,
    TRANSITIONS,
    Agent,
    AgentStatus,
    Answer,
    Hangup,
    IllegalTransition,
    LegDown,
    LegUp,
    Login,
    Logout,
    Offer,
    Pause,
    Reserve,
    Unpause,
    WrapupDone,
    WrapupTimeout,
    transition,
    wrapup_deadline,
)
from engine.errors import Conflict

T0 = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
S = AgentStatus


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def idle_agent() -> Agent:
    agent = transition(Agent.logged_out(T0), Login(), at(1))
    return transition(agent, LegUp(), at(2))


def test_login_waits_for_the_leg() -> None:
    agent = transition(Agent.logged_out(T0), Login(), at(1))
    assert agent.status is S.DISCONNECTED
    assert not agent.available
    agent = transition(agent, LegUp(), at(2))
    assert agent.status is S.IDLE
    assert agent.available
    assert agent.since == at(2)


def test_a_full_call() -> None:
    agent = idle_agent()
    agent = transition(agent, Reserve("c1"), at(10))
    assert (agent.status, agent.call_id) == (S.RESERVED, "c1")
    agent = transition(agent, Offer("c1"), at(11))
    assert agent.status is S.RINGING
    agent = transition(agent, Answer("c1"), at(12))
    assert agent.status is S.TALKING
    assert agent.time_in_state(at(72)) == timedelta(seconds=60)
    agent = transition(agent, Hangup("c1"), at(72))
    assert (agent.status, agent.call_id, agent.since) == (S.WRAP_UP, "c1", at(72))
    assert wrapup_deadline(agent, 10) == at(82)
    agent = transition(agent, WrapupDone(), at(75))
    assert (agent.status, agent.call_id) == (S.IDLE, None)
    assert wrapup_deadline(agent, 10) is None


def test_bridged_straight_into_the_live_leg() -> None:
    agent = transition(idle_agent(), Reserve("c1"), at(10))
    assert transition(agent, Answer("c1"), at(11)).status is S.TALKING


def test_wrapup_timeout() -> None:
    agent = transition(idle_agent(), Reserve("c1"), at(10))
    agent = transition(transition(agent, Answer("c1"), at(11)), Hangup("c1"), at(20))
    assert transition(agent, WrapupTimeout(), at(30)).status is S.IDLE


def test_customer_leaves_before_talking() -> None:
    reserved = transition(idle_agent(), Reserve("c1"), at(10))
    assert transition(reserved, Hangup("c1"), at(11)).status is S.IDLE
    ringing = transition(reserved, Offer("c1"), at(11))
    back = transition(ringing, Hangup("c1"), at(12))
    assert (back.status, back.call_id) == (S.IDLE, None)


def test_events_naming_another_call_are_refused() -> None:
    agent = transition(idle_agent(), Reserve("c1"), at(10))
    with pytest.raises(IllegalTransition):
        transition(agent, Hangup("old-call"), at(11))
    with pytest.raises(IllegalTransition):
        transition(agent, Offer("c2"), at(11))


def test_pause_and_unpause() -> None:
    agent = transition(idle_agent(), Pause("lunch"), at(10))
    assert (agent.status, agent.pause_reason) == (S.PAUSED, "lunch")
    agent = transition(agent, Pause("training"), at(20))
    assert (agent.pause_reason, agent.since) == ("training", at(20))
    agent = transition(agent, Unpause(), at(30))
    assert (agent.status, agent.pause_reason) == (S.IDLE, None)


def test_pause_from_wrap_up() -> None:
    agent = transition(idle_agent(), Reserve("c1"), at(10))
    agent = transition(transition(agent, Answer("c1"), at(11)), Hangup("c1"), at(20))
    assert transition(agent, Pause("break"), at(25)).status is S.PAUSED


def test_leg_drop_then_reconnect_is_paused() -> None:
    agent = transition(idle_agent(), Reserve("c1"), at(10))
    agent = transition(agent, Answer("c1"), at(11))
    agent = transition(agent, LegDown(), at(20))
    assert (agent.status, agent.call_id) == (S.DISCONNECTED, None)
    agent = transition(agent, LegUp(), at(30))
    assert (agent.status, agent.pause_reason) == (S.PAUSED, RECONNECTED)
    assert transition(agent, Unpause(), at(40)).status is S.IDLE


def test_leg_drop_while_paused_keeps_the_pause_reason() -> None:
    agent = transition(idle_agent(), Pause("lunch"), at(10))
    agent = transition(transition(agent, LegDown(), at(20)), LegUp(), at(30))
    assert (agent.status, agent.pause_reason) == (S.PAUSED, "lunch")


def test_logout() -> None:
    agent = transition(idle_agent(), Logout(), at(10))
    assert agent == Agent(S.LOGGED_OUT, at(10))
    disconnected = transition(transition(idle_agent(), LegDown(), at(5)), Logout(), at(6))
    assert disconnected == Agent(S.LOGGED_OUT, at(6))


@pytest.mark.parametrize(
    ("agent", "event"),
    [
        (Agent.logged_out(T0), LegUp()),
        (Agent.logged_out(T0), Reserve("c1")),
        (Agent(S.TALKING, T0, call_id="c1"), Logout()),
        (Agent(S.TALKING, T0, call_id="c1"), Pause("lunch")),
        (Agent(S.IDLE, T0), Answer("c1")),
        (Agent(S.IDLE, T0), Login()),
        (Agent(S.DISCONNECTED, T0), LegDown()),
        (Agent(S.RESERVED, T0, call_id="c1"), Reserve("c2")),
        (Agent(S.WRAP_UP, T0, call_id="c1"), Hangup("c1")),
    ],
)
def test_illegal_transitions_raise_a_conflict(agent: Agent, event: object) -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition(agent, event, at(1))  # type: ignore[arg-type]
    assert isinstance(caught.value, Conflict)
    assert caught.value.status == 409
    assert caught.value.details["state"] == agent.status.value


def test_every_state_can_be_left() -> None:
    assert set(TRANSITIONS) == set(AgentStatus)
    assert all(TRANSITIONS[status] for status in AgentStatus)


EVENTS = st.one_of(
    st.sampled_from(
        [Login(), LegUp(), LegDown(), WrapupDone(), WrapupTimeout(), Unpause(), Logout()]
    ),
    st.sampled_from(["c1", "c2"]).flatmap(
        lambda call: st.sampled_from([Reserve(call), Offer(call), Answer(call), Hangup(call)])
    ),
    st.sampled_from(["lunch", "training"]).map(Pause),
)
WITH_A_CALL = {S.RESERVED, S.RINGING, S.TALKING, S.WRAP_UP}


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(EVENTS, max_size=40))
def test_random_event_streams_keep_the_invariants(events: list[object]) -> None:
    agent = Agent.logged_out(T0)
    for second, event in enumerate(events, start=1):
        try:
            after = transition(agent, event, at(second))  # type: ignore[arg-type]
        except IllegalTransition:
            assert type(event) not in TRANSITIONS[agent.status] or agent.call_id != getattr(
                event, "call_id", agent.call_id
            )
            continue
        assert after.since == at(second)
        assert (after.call_id is not None) == (after.status in WITH_A_CALL)
        assert (after.pause_reason is not None) <= (after.status in {S.PAUSED, S.DISCONNECTED})
        if after.status is S.PAUSED:
            assert after.pause_reason is not None
        agent = after
