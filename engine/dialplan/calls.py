"""The per-call state machine of an outbound call, and the spool outcome it ends with.

Events are decoded ARI facts (the Stasis handler builds them from the
WebSocket events); `signal_of` reduces each to a `Signal`, and `TRANSITIONS`
says, per state, what each signal leads to. Signals a state lists as leading
to itself are expected noise (a second ``Up``, an intermediate ``Dial``
status); anything a state does not list raises `IllegalCallTransition`.

::

    originating --Ring/Ringing--> ringing --Up / Dial ANSWER--> answered
    answered --AMD HUMAN/NOTSURE--> human      answered --AMD MACHINE--> machine
    answered / human --queued--> queued --bridged--> bridged
    answered / human / queued --drop time passed--> abandoned (safe-harbour message)
    any state but ended --hangup(cause)--> ended

Asterisk reports a failed dial on the channel we own with cause 0 and the
reason in the Dial event's ``dialstatus`` (BUSY, CONGESTION, ...), while a ring
timeout arrives as cause 19: `spool_outcome` reads the specific Q.850 causes
first, then the dialstatus, then the generic causes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from engine.dialer.outcomes import Outcome
from engine.errors import Conflict


class CallState(StrEnum):
    ORIGINATING = "originating"
    RINGING = "ringing"
    ANSWERED = "answered"
    HUMAN = "human"
    MACHINE = "machine"
    QUEUED = "queued"
    BRIDGED = "bridged"
    ABANDONED = "abandoned"
    ENDED = "ended"


# --- events (decoded ARI facts) ---------------------------------------------------------


@dataclass(frozen=True)
class ChannelStateChanged:
    """ChannelStateChange: the channel's new ``state`` (Ring, Ringing, Up, Busy, ...)."""

    state: str


@dataclass(frozen=True)
class DialStatus:
    """Dial: the ``dialstatus`` of our channel's dial (RINGING, ANSWER, BUSY, ...)."""

    dialstatus: str


@dataclass(frozen=True)
class AmdResult:
    """The AMD verdict (AMDSTATUS): HUMAN, MACHINE, NOTSURE or HANGUP."""

    status: str


@dataclass(frozen=True)
class Queued:
    """The call waits for an agent."""


@dataclass(frozen=True)
class Bridged:
    agent_id: int | None = None


@dataclass(frozen=True)
class DropTimeout:
    """Nobody took the call within the drop time: the safe-harbour message plays."""


@dataclass(frozen=True)
class HungUp:
    """ChannelDestroyed (or ChannelHangupRequest) with its Q.850 ``cause``."""

    cause: int


CallEvent = ChannelStateChanged | DialStatus | AmdResult | Queued | Bridged | DropTimeout | HungUp


class Signal(StrEnum):
    RINGING = "ringing"
    UP = "up"
    # A dialstatus that is not an answer: the hangup that follows ends the call.
    DIAL_ENDED = "dial_ended"
    HUMAN = "human"
    MACHINE = "machine"
    # AMD saw the callee hang up; the hangup event follows.
    AMD_HANGUP = "amd_hangup"
    QUEUED = "queued"
    BRIDGED = "bridged"
    DROP_TIMEOUT = "drop_timeout"
    HANGUP = "hangup"
    # Channel states that change nothing for us (Down, Rsrvd, Busy, ...).
    OTHER = "other"


_RINGING_STATES = frozenset({"Ring", "Ringing"})
# Dial statuses on the way: the dial started (empty), or the network is working on it.
_DIAL_PROGRESS = frozenset({"", "PROGRESS", "PROCEEDING"})


def signal_of(event: CallEvent) -> Signal:
    if isinstance(event, ChannelStateChanged):
        if event.state == "Up":
            return Signal.UP
        return Signal.RINGING if event.state in _RINGING_STATES else Signal.OTHER
    if isinstance(event, DialStatus):
        return _dial_signal(event.dialstatus)
    if isinstance(event, AmdResult):
        return {"MACHINE": Signal.MACHINE, "HANGUP": Signal.AMD_HANGUP}.get(
            event.status, Signal.HUMAN
        )
    return _SIGNALS[type(event)]


def _dial_signal(dialstatus: str) -> Signal:
    if dialstatus == "ANSWER":
        return Signal.UP
    if dialstatus == "RINGING":
        return Signal.RINGING
    return Signal.OTHER if dialstatus in _DIAL_PROGRESS else Signal.DIAL_ENDED


_SIGNALS: Mapping[type[CallEvent], Signal] = {
    Queued: Signal.QUEUED,
    Bridged: Signal.BRIDGED,
    DropTimeout: Signal.DROP_TIMEOUT,
    HungUp: Signal.HANGUP,
}

C, G = CallState, Signal
_BEFORE_ANSWER = {G.DIAL_ENDED: None, G.OTHER: None, G.RINGING: C.RINGING, G.UP: C.ANSWERED}
# None: stay in the current state (expected noise).
_AFTER_ANSWER = {G.UP: None, G.OTHER: None, G.DIAL_ENDED: None}
_WAITING = {G.QUEUED: C.QUEUED, G.BRIDGED: C.BRIDGED, G.DROP_TIMEOUT: C.ABANDONED}
TRANSITIONS: Mapping[CallState, Mapping[Signal, CallState | None]] = {
    C.ORIGINATING: {**_BEFORE_ANSWER, G.HANGUP: C.ENDED},
    C.RINGING: {**_BEFORE_ANSWER, G.RINGING: None, G.HANGUP: C.ENDED},
    C.ANSWERED: {
        **_AFTER_ANSWER,
        **_WAITING,
        G.HUMAN: C.HUMAN,
        G.MACHINE: C.MACHINE,
        G.AMD_HANGUP: None,
        G.HANGUP: C.ENDED,
    },
    C.HUMAN: {**_AFTER_ANSWER, **_WAITING, G.HANGUP: C.ENDED},
    C.MACHINE: {**_AFTER_ANSWER, G.HANGUP: C.ENDED},
    C.QUEUED: {
        **_AFTER_ANSWER,
        G.BRIDGED: C.BRIDGED,
        G.DROP_TIMEOUT: C.ABANDONED,
        G.HANGUP: C.ENDED,
    },
    C.BRIDGED: {**_AFTER_ANSWER, G.HANGUP: C.ENDED},
    C.ABANDONED: {**_AFTER_ANSWER, G.HANGUP: C.ENDED},
    C.ENDED: {},
}


class IllegalCallTransition(Conflict):
    error_id = "illegal-call-transition"


@dataclass(frozen=True)
class Call:
    state: CallState
    # When the call entered `state`.
    since: datetime
    started_at: datetime
    drop_time: timedelta = timedelta(seconds=2)
    answered_at: datetime | None = None
    queued_at: datetime | None = None
    bridged_at: datetime | None = None
    agent_id: int | None = None
    dialstatus: str | None = None
    amd_status: str | None = None
    cause: int | None = None
    # The state the call was in when it hung up.
    ended_from: CallState | None = None
    outcome: Outcome | None = None

    @classmethod
    def originate(cls, now: datetime, drop_time_seconds: float = 2.0) -> Call:
        return cls(CallState.ORIGINATING, now, now, drop_time=timedelta(seconds=drop_time_seconds))


def advance(call: Call, event: CallEvent, now: datetime) -> Call:
    """The call after `event` at `now`; raises IllegalCallTransition if it cannot happen."""
    signal = signal_of(event)
    allowed = TRANSITIONS[call.state]
    if signal not in allowed:
        raise IllegalCallTransition(
            f"call {call.state.value}: {signal.value} cannot happen",
            details={"state": call.state.value, "signal": signal.value},
        )
    previous = call.state
    call = _record(call, event, signal)
    target = allowed[signal]
    if target is None:
        return call
    call = replace(call, state=target, since=now)
    if target is CallState.ANSWERED:
        return replace(call, answered_at=now)
    if target is CallState.QUEUED:
        return replace(call, queued_at=now)
    if target is CallState.BRIDGED:
        agent = event.agent_id if isinstance(event, Bridged) else None
        return replace(call, bridged_at=now, agent_id=agent)
    if target is CallState.ENDED:
        return _end(call, previous, event, now)
    return call


def _record(call: Call, event: CallEvent, signal: Signal) -> Call:
    """Facts kept whatever the state does: the final dialstatus, the AMD verdict."""
    if isinstance(event, DialStatus) and signal is Signal.DIAL_ENDED:
        return replace(call, dialstatus=event.dialstatus)
    if isinstance(event, AmdResult):
        return replace(call, amd_status=event.status)
    return call


def _end(call: Call, last: CallState, event: CallEvent, now: datetime) -> Call:
    cause = event.cause if isinstance(event, HungUp) else 0
    queued_for = now - call.queued_at if call.queued_at is not None else None
    outcome = spool_outcome(
        last, cause, call.dialstatus, queued_for=queued_for, drop_time=call.drop_time
    )
    return replace(call, cause=cause, ended_from=last, outcome=outcome)


# Q.850 causes that say what happened on their own, whatever the dialstatus.
_CAUSES: Mapping[int, Outcome] = {
    1: Outcome.FAILED,  # unallocated number
    3: Outcome.FAILED,  # no route to destination
    17: Outcome.BUSY,
    18: Outcome.NO_ANSWER,  # no user responding
    19: Outcome.NO_ANSWER,  # user alerting, no answer
    20: Outcome.NO_ANSWER,  # subscriber absent (mobile off)
    21: Outcome.REJECTED,
    22: Outcome.FAILED,  # number changed
    27: Outcome.CONGESTION,  # destination out of order
    28: Outcome.FAILED,  # invalid number format
    34: Outcome.CONGESTION,
    38: Outcome.CONGESTION,  # network out of order
    41: Outcome.CONGESTION,  # temporary failure
    42: Outcome.CONGESTION,  # switching equipment congestion
    44: Outcome.CONGESTION,  # requested channel not available
}
_DIALSTATUSES: Mapping[str, Outcome] = {
    "BUSY": Outcome.BUSY,
    "NOANSWER": Outcome.NO_ANSWER,
    "CANCEL": Outcome.NO_ANSWER,
    "CONGESTION": Outcome.CONGESTION,
    "CHANUNAVAIL": Outcome.FAILED,
    "INVALIDARGS": Outcome.FAILED,
    "DONTCALL": Outcome.REJECTED,
    "TORTURE": Outcome.REJECTED,
}
NORMAL_CLEARING = 16


def spool_outcome(
    last_state: CallState,
    cause: int,
    dialstatus: str | None,
    *,
    queued_for: timedelta | None = None,
    drop_time: timedelta = timedelta(seconds=2),
) -> Outcome:
    """The spool outcome of a call that hung up in `last_state`.

    Once answered, the state decides and the cause does not (a person who
    answers then rejects with 21 was still reached). A call hung up while
    queued counts as abandoned only once it has waited the drop time: before
    that the callee left before we could have been expected to connect them.
    """
    answered = {
        CallState.BRIDGED: Outcome.ANSWERED,
        CallState.MACHINE: Outcome.MACHINE,
        CallState.ABANDONED: Outcome.ABANDONED,
        CallState.ANSWERED: Outcome.CUSTOMER_HANGUP,
        CallState.HUMAN: Outcome.CUSTOMER_HANGUP,
    }
    if last_state in answered:
        return answered[last_state]
    if last_state is CallState.QUEUED:
        waited = queued_for is not None and queued_for >= drop_time
        return Outcome.ABANDONED if waited else Outcome.CUSTOMER_HANGUP
    if cause in _CAUSES:
        return _CAUSES[cause]
    if dialstatus is not None and dialstatus in _DIALSTATUSES:
        return _DIALSTATUSES[dialstatus]
    return Outcome.NO_ANSWER if cause == NORMAL_CLEARING else Outcome.FAILED
