"""The agent state machine: everything that affects it lives in this file.

An agent works on a *live leg*: once logged in, the engine calls the agent's
phone and keeps that call up; customers are bridged into it. So logging in is
not enough to take calls: the leg must be up too.

::

    logged_out --login--> disconnected --leg_up--> idle
    idle --reserve--> reserved --offer--> ringing --answer--> talking
                      reserved --answer--> talking        (bridged straight into the live leg)
    reserved / ringing --hangup--> idle                   (the customer left before talking)
    talking --hangup--> wrap_up --wrapup_done / wrapup_timeout--> idle
    idle / wrap_up / paused --pause(reason)--> paused(reason) --unpause--> idle
    any state with a leg --leg_down--> disconnected
    idle / wrap_up / paused / disconnected --logout--> logged_out

When the leg drops the agent becomes disconnected; when it comes back, the
agent is *paused* (reason "reconnected", or the pause they were in) rather than
idle: a dropped leg often means a dropped headset or a browser reload, and
nobody should be handed a customer before saying they are ready (unpause).

Every other (state, event) pair raises `IllegalTransition` (HTTP 409). Events
that name a call must name the agent's current call, so that a late hangup of
a previous call cannot end the current one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from engine.errors import Conflict

RECONNECTED = "reconnected"


class AgentStatus(StrEnum):
    LOGGED_OUT = "logged_out"
    IDLE = "idle"
    RESERVED = "reserved"
    RINGING = "ringing"
    TALKING = "talking"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"
    DISCONNECTED = "disconnected"


# --- events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    pass


@dataclass(frozen=True)
class LegUp:
    pass


@dataclass(frozen=True)
class LegDown:
    pass


@dataclass(frozen=True)
class Reserve:
    call_id: str


@dataclass(frozen=True)
class Offer:
    call_id: str


@dataclass(frozen=True)
class Answer:
    call_id: str


@dataclass(frozen=True)
class Hangup:
    call_id: str


@dataclass(frozen=True)
class WrapupDone:
    pass


@dataclass(frozen=True)
class WrapupTimeout:
    pass


@dataclass(frozen=True)
class Pause:
    reason: str


@dataclass(frozen=True)
class Unpause:
    pass


@dataclass(frozen=True)
class Logout:
    pass


AgentEvent = (
    Login
    | LegUp
    | LegDown
    | Reserve
    | Offer
    | Answer
    | Hangup
    | WrapupDone
    | WrapupTimeout
    | Pause
    | Unpause
    | Logout
)

S = AgentStatus
TRANSITIONS: Mapping[AgentStatus, Mapping[type[AgentEvent], AgentStatus]] = {
    S.LOGGED_OUT: {Login: S.DISCONNECTED},
    S.DISCONNECTED: {LegUp: S.IDLE, Logout: S.LOGGED_OUT},
    S.IDLE: {Reserve: S.RESERVED, Pause: S.PAUSED, LegDown: S.DISCONNECTED, Logout: S.LOGGED_OUT},
    S.RESERVED: {Offer: S.RINGING, Answer: S.TALKING, Hangup: S.IDLE, LegDown: S.DISCONNECTED},
    S.RINGING: {Answer: S.TALKING, Hangup: S.IDLE, LegDown: S.DISCONNECTED},
    S.TALKING: {Hangup: S.WRAP_UP, LegDown: S.DISCONNECTED},
    S.WRAP_UP: {
        WrapupDone: S.IDLE,
        WrapupTimeout: S.IDLE,
        Pause: S.PAUSED,
        LegDown: S.DISCONNECTED,
        Logout: S.LOGGED_OUT,
    },
    S.PAUSED: {
        Unpause: S.IDLE,
        Pause: S.PAUSED,
        LegDown: S.DISCONNECTED,
        Logout: S.LOGGED_OUT,
    },
}


class IllegalTransition(Conflict):
    error_id = "illegal-transition"


@dataclass(frozen=True)
class Agent:
    status: AgentStatus
    # When the agent entered `status` (an aware UTC datetime).
    since: datetime
    pause_reason: str | None = None
    # The call reserved for, offered to, talking with or wrapping up.
    call_id: str | None = None

    @classmethod
    def logged_out(cls, now: datetime) -> Agent:
        return cls(AgentStatus.LOGGED_OUT, now)

    @property
    def available(self) -> bool:
        return self.status is AgentStatus.IDLE

    def time_in_state(self, now: datetime) -> timedelta:
        return now - self.since


def transition(agent: Agent, event: AgentEvent, now: datetime) -> Agent:
    """The agent after `event` at `now`; raises IllegalTransition if `event` is not allowed."""
    target = TRANSITIONS.get(agent.status, {}).get(type(event))
    if target is None:
        raise _illegal(agent, event, "not allowed in this state")
    if isinstance(event, Offer | Answer | Hangup) and event.call_id != agent.call_id:
        raise _illegal(agent, event, "names another call")
    call_id = agent.call_id
    pause_reason = None
    if isinstance(event, Reserve):
        call_id = event.call_id
    elif isinstance(event, Pause):
        pause_reason = event.reason
    elif isinstance(event, LegDown):
        # Remembered while disconnected: the pause they get on reconnect.
        pause_reason = agent.pause_reason or RECONNECTED
    elif isinstance(event, LegUp) and agent.pause_reason is not None:
        target, pause_reason = AgentStatus.PAUSED, agent.pause_reason
    if target in (AgentStatus.IDLE, AgentStatus.PAUSED, AgentStatus.DISCONNECTED):
        call_id = None
    if target is AgentStatus.LOGGED_OUT:
        call_id = pause_reason = None
    return replace(agent, status=target, since=now, pause_reason=pause_reason, call_id=call_id)


def wrapup_deadline(agent: Agent, wrapup_seconds: float) -> datetime | None:
    """When a wrap-up ends by itself (the shell then sends WrapupTimeout)."""
    if agent.status is not AgentStatus.WRAP_UP:
        return None
    return agent.since + timedelta(seconds=wrapup_seconds)


def _illegal(agent: Agent, event: AgentEvent, why: str) -> IllegalTransition:
    name = type(event).__name__
    return IllegalTransition(
        f"agent in {agent.status.value}: {name} {why}",
        details={"state": agent.status.value, "event": name},
    )
