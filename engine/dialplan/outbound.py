"""One dialled call inside the Stasis application, from originate to hang-up.

ARI events for the customer's channel drive the pure call state machine
(engine/dialplan/calls.py); this carries out what follows: an answered person
goes straight into a free agent's bridge, or waits in line for at most the drop
time, after which the safe-harbour message plays and the call is abandoned.
Whatever happens, `CallObserver.call_ended` hears the outcome exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.agents.router import Router
from engine.agents.sessions import AgentSession, AgentSessions
from engine.aio import first_of
from engine.ari.client import AriClient
from engine.ari.errors import AriError
from engine.ari.events import (
    AriEvent,
    ChannelDestroyed,
    ChannelStateChange,
    Dial,
    PlaybackFinished,
    StasisStart,
)
from engine.clock import Clock, utc_datetime
from engine.dialplan import calls as cm
from engine.errors import Conflict
from engine.recordings.recorder import CallRecorder

log = logging.getLogger(__name__)

CUSTOMER_CHANNEL_PREFIX = "dsc-"
SAFE_HARBOUR_MAX_SECONDS = 15.0
# The longest the dialler waits, before a claim or an originate, for answered calls
# to reach their agents: it yields to routing, it is never stopped by it.
ROUTING_PRIORITY_SECONDS = 0.05


@dataclass(frozen=True)
class CallPlan:
    """What the runner decided to dial, and the campaign settings the call needs."""

    call_id: str
    campaign_id: int
    entry_id: int
    position: int
    number: str
    endpoint: str
    caller_id: str
    ring_timeout: int
    drop_time: float
    wrapup_seconds: float
    safe_harbour_sound: str
    skill_id: int | None = None
    # Answering-machine detection: the answered channel runs AMD() in this dialplan
    # context and comes back into the application with AMDSTATUS set.
    amd_context: str | None = None
    # Record every call of the campaign (its recording_mode is "always").
    record: bool = False
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def channel_id(self) -> str:
        return CUSTOMER_CHANNEL_PREFIX + self.call_id


class CallObserver(Protocol):
    """The campaign runner: learns from each step, records the outcome."""

    def call_live(self, call: LiveCall) -> None: ...

    def call_machine(self, call: LiveCall) -> None: ...

    def call_routed(self, call: LiveCall) -> None: ...

    def call_abandoned(self, call: LiveCall) -> None: ...

    async def call_ended(self, call: LiveCall) -> None: ...


@dataclass
class LiveCall:
    plan: CallPlan
    state: cm.Call
    dialled_at: float
    answered_at: float | None = None
    bridged_at: float | None = None
    agent: AgentSession | None = None
    # Click-to-call: the agent who asked for the call, reserved before dialling.
    reserved: AgentSession | None = None
    amd_running: bool = False
    # After a transfer to a number: the bridge and the channel of the new party.
    transfer_bridge: str | None = None
    transfer_leg: str | None = None
    # Ended: the line is gone (set first, so that the end is handled once).
    # Settled: its end handled, the outcome handed to the observer.
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)


class OutboundCalls:
    """Every outbound call in progress, across campaigns."""

    def __init__(
        self,
        ari: AriClient,
        sessions: AgentSessions,
        router: Router,
        clock: Clock,
        *,
        recorder: CallRecorder | None = None,
    ) -> None:
        self._ari = ari
        self._recorder = recorder
        self._sessions = sessions
        self._router = router
        self._clock = clock
        self.live: dict[str, LiveCall] = {}
        # Answered-call flows: they await REST calls and the drop time, so they run
        # beside the ARI reader rather than in it (which would hold every other event).
        self._flows: set[asyncio.Task[None]] = set()
        # Answered calls from their StasisStart to the answer to their first bridge
        # request (not while they wait in line): routing them has a deadline (the
        # drop time, and a person saying hello), dialling more has none.
        self._routing: set[str] = set()
        self._routing_idle = asyncio.Event()
        self._routing_idle.set()

    async def routing_settled(self) -> None:
        """Until no answered call is on its way to an agent, for at most
        ROUTING_PRIORITY_SECONDS: the dialler's claims and originates (and its
        bookkeeping writes) would otherwise hold the event loop and the PBX up."""
        if self._routing:
            await first_of(self._routing_idle.wait(), self._clock.sleep(ROUTING_PRIORITY_SECONDS))

    def _routing_begin(self, call: LiveCall) -> None:
        self._routing.add(call.plan.call_id)
        self._routing_idle.clear()

    def _routing_end(self, call: LiveCall) -> None:
        self._routing.discard(call.plan.call_id)
        if not self._routing:
            self._routing_idle.set()

    async def dial(
        self, plan: CallPlan, observer: CallObserver, *, for_agent: AgentSession | None = None
    ) -> LiveCall:
        """Originate; a refused originate ends the call at once (outcome failed).

        `for_agent`: a click-to-call of an agent already reserved for it; the
        answered callee goes to that agent's bridge, not through the router.
        """
        now = self._clock.now()
        call = LiveCall(plan, cm.Call.originate(utc_datetime(now), plan.drop_time), now)
        call.reserved = for_agent
        self.live[plan.call_id] = call
        self._ari.on_channel(plan.channel_id, lambda event: self._on_event(call, observer, event))
        try:
            await self._ari.channels.originate_with_id(
                plan.channel_id,
                plan.endpoint,
                app=self._ari.app,
                app_args=f"dialer,{plan.campaign_id},{plan.call_id}",
                caller_id=plan.caller_id or None,
                ring_timeout=plan.ring_timeout,
                variables=plan.variables,
            )
        except AriError as exc:
            log.warning("originate to %s refused: %s", plan.number, exc)
            await self._end(call, observer, cause=0)
        return call

    def _advance(self, call: LiveCall, event: cm.CallEvent) -> bool:
        try:
            call.state = cm.advance(call.state, event, utc_datetime(self._clock.now()))
        except cm.IllegalCallTransition as exc:
            log.debug("call %s: %s", call.plan.call_id, exc.message)
            return False
        return True

    async def _on_event(self, call: LiveCall, observer: CallObserver, event: AriEvent) -> None:
        if call.ended.is_set():
            return
        if isinstance(event, ChannelStateChange):
            self._advance(call, cm.ChannelStateChanged(event.channel.state))
        elif isinstance(event, Dial) and event.peer.id == call.plan.channel_id:
            self._advance(call, cm.DialStatus(event.dialstatus))
        elif isinstance(event, StasisStart) and event.channel.id == call.plan.channel_id:
            if call.amd_running:
                self._routing_begin(call)
                self._spawn(call, self._amd_result(call, observer))
            elif call.plan.amd_context is not None and call.reserved is None:
                self._spawn(call, self._start_amd(call))
            else:
                self._routing_begin(call)
                self._spawn(call, self._answered(call, observer))
        elif isinstance(event, ChannelDestroyed) and event.channel.id == call.plan.channel_id:
            await self._end(call, observer, cause=event.cause)

    def _spawn(self, call: LiveCall, flow: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(self._unless_ended(call, flow), name=f"call-{call.plan.call_id}")
        self._flows.add(task)
        task.add_done_callback(self._flow_done)

    async def _unless_ended(self, call: LiveCall, flow: Coroutine[Any, Any, None]) -> None:
        try:
            # The ChannelDestroyed may have been handled before the flow got to run.
            if call.ended.is_set():
                flow.close()
                return
            await flow
        finally:
            self._routing_end(call)

    def _flow_done(self, task: asyncio.Task[None]) -> None:
        self._flows.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("%s failed", task.get_name(), exc_info=exc)

    async def _start_amd(self, call: LiveCall) -> None:
        """Hand the answered channel to AMD() in the dialplan; it comes back with a verdict."""
        call.answered_at = self._clock.now()
        self._advance(call, cm.ChannelStateChanged("Up"))
        call.amd_running = True
        try:
            await self._ari.channels.continue_in_dialplan(
                call.plan.channel_id, context=call.plan.amd_context, extension="s", priority=1
            )
        except AriError as exc:
            log.info(
                "call %s: AMD could not start (%s): treated as a person", call.plan.call_id, exc
            )
            call.amd_running = False

    async def _amd_result(self, call: LiveCall, observer: CallObserver) -> None:
        call.amd_running = False
        try:
            status = await self._ari.channels.get_variable(call.plan.channel_id, "AMDSTATUS")
        except AriError:
            status = "NOTSURE"
        self._advance(call, cm.AmdResult(status or "NOTSURE"))
        if call.state.state is cm.CallState.MACHINE:
            observer.call_machine(call)
            await self.hangup(call.plan.call_id)
            return
        await self._answered(call, observer)

    async def _answered(self, call: LiveCall, observer: CallObserver) -> None:
        if call.answered_at is None:
            call.answered_at = self._clock.now()
            self._advance(call, cm.ChannelStateChanged("Up"))
        observer.call_live(call)
        plan = call.plan
        if call.reserved is not None:
            bridged = await self._bridge(call, call.reserved, observer)
            self._routing_end(call)
            if not bridged:
                await self.hangup(plan.call_id)
            return
        agent = self._router.take(plan.call_id, plan.campaign_id, plan.skill_id)
        bridged = agent is not None and await self._bridge(call, agent, observer)
        self._routing_end(call)
        if bridged or call.ended.is_set():
            return
        self._advance(call, cm.Queued())
        future = self._router.wait(plan.call_id, plan.campaign_id, plan.skill_id)
        await first_of(asyncio.shield(future), self._clock.sleep(plan.drop_time), call.ended.wait())
        if future.done() and not future.cancelled():
            if not await self._bridge(call, future.result(), observer):
                await self._abandon(call, observer)
            return
        self._router.leave(plan.call_id)
        if not call.ended.is_set():
            await self._abandon(call, observer)

    async def _bridge(self, call: LiveCall, agent: AgentSession, observer: CallObserver) -> bool:
        try:
            await self._ari.bridges.add_channel(agent.bridge_id, call.plan.channel_id)
        except AriError as exc:
            # The customer left in the meantime, or the agent's bridge is gone.
            log.info("call %s: bridging to %s failed: %s", call.plan.call_id, agent.name, exc)
            self._sessions.call_ended(agent, call.plan.call_id, 0)
            return False
        if call.ended.is_set():
            # Its ChannelDestroyed came while the bridge request was under way.
            self._sessions.call_ended(agent, call.plan.call_id, 0)
            return False
        call.agent = agent
        call.bridged_at = self._clock.now()
        self._advance(call, cm.Bridged(agent.agent_id))
        self._sessions.connected(agent, call.plan.call_id)
        if call.plan.record and self._recorder is not None:
            await self._recorder.record_call(call.plan.call_id, agent.bridge_id)
        observer.call_routed(call)
        return True

    async def _abandon(self, call: LiveCall, observer: CallObserver) -> None:
        if not self._advance(call, cm.DropTimeout()):
            return
        observer.call_abandoned(call)
        channel = call.plan.channel_id
        with contextlib.suppress(AriError):
            playback = await self._ari.channels.play(channel, call.plan.safe_harbour_sound)
            finished = asyncio.Event()

            def on_finished(event: PlaybackFinished) -> None:
                if event.playback.id == playback.id:
                    finished.set()

            sub = self._ari.on(PlaybackFinished, on_finished)
            try:
                await first_of(
                    finished.wait(),
                    call.ended.wait(),
                    self._clock.sleep(SAFE_HARBOUR_MAX_SECONDS),
                )
            finally:
                sub.cancel()
        if not call.ended.is_set():
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(channel, reason="normal")

    async def _end(self, call: LiveCall, observer: CallObserver, cause: int) -> None:
        if call.ended.is_set():
            return
        call.ended.set()
        try:
            self._advance(call, cm.HungUp(cause))
            self._router.leave(call.plan.call_id)
            self.live.pop(call.plan.call_id, None)
            if self._recorder is not None:
                # Before the agent is freed: the agent's bridge outlives the call, and a
                # late stop would record the next customer.
                await self._recorder.stop(call.plan.call_id)
            agent = call.agent or call.reserved
            if agent is not None:
                self._sessions.call_ended(agent, call.plan.call_id, call.plan.wrapup_seconds)
            await self._end_transfer(call)
            await observer.call_ended(call)
        finally:
            call.settled.set()

    async def hangup(self, call_id: str) -> None:
        call = self.live.get(call_id)
        if call is not None:
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(call.plan.channel_id, reason="normal")

    async def transfer(self, call_id: str, to: AgentSession) -> None:
        """Move a bridged customer to another agent's bridge; the first agent wraps up."""
        call = self.live.get(call_id)
        if call is None or call.agent is None:
            raise Conflict("the call is not connected to an agent", {"call_id": call_id})
        if not to.state.available:
            raise Conflict("the target agent is not available", {"state": to.status.value})
        call.reserved = None  # from now on the call is the new agent's
        previous = call.agent
        self._sessions.reserve(to, call_id)
        try:
            await self._ari.bridges.remove_channel(previous.bridge_id, call.plan.channel_id)
            await self._ari.bridges.add_channel(to.bridge_id, call.plan.channel_id)
        except AriError:
            self._sessions.call_ended(to, call_id, 0)
            raise
        call.agent = to
        if self._recorder is not None:
            await self._recorder.move(call_id, to.bridge_id)
        self._sessions.call_ended(previous, call_id, call.plan.wrapup_seconds)
        self._sessions.connected(to, call_id)

    async def transfer_to_number(self, call_id: str, endpoint: str) -> None:
        """Blind transfer: the customer leaves the agent's bridge for one of its own,
        hears music while `endpoint` rings, and talks to it once answered; the agent
        wraps up. Either side hanging up ends the call for the other."""
        call = self.live.get(call_id)
        if call is None or call.agent is None:
            raise Conflict("the call is not connected to an agent", {"call_id": call_id})
        previous = call.agent
        bridge_id = f"dst-{call_id}"
        target = f"dsx-{call_id}"
        await self._ari.bridges.create_with_id(bridge_id, "mixing", name=f"transfer {call_id}")
        call.transfer_bridge, call.transfer_leg = bridge_id, target
        await self._ari.bridges.remove_channel(previous.bridge_id, call.plan.channel_id)
        await self._ari.bridges.add_channel(bridge_id, call.plan.channel_id)
        with contextlib.suppress(AriError):
            await self._ari.bridges.start_moh(bridge_id)
        if self._recorder is not None:
            await self._recorder.move(call_id, bridge_id)
        call.agent = call.reserved = None
        self._sessions.call_ended(previous, call_id, call.plan.wrapup_seconds)

        async def on_target(event: AriEvent) -> None:
            if isinstance(event, StasisStart) and event.channel.id == target:
                with contextlib.suppress(AriError):
                    await self._ari.bridges.stop_moh(bridge_id)
                await self._ari.bridges.add_channel(bridge_id, target)
            elif isinstance(event, ChannelDestroyed) and event.channel.id == target:
                call.transfer_leg = None
                await self.hangup(call_id)

        self._ari.on_channel(target, on_target)
        try:
            await self._ari.channels.originate_with_id(
                target,
                endpoint,
                app=self._ari.app,
                app_args=f"transfer,{call_id}",
                caller_id=call.plan.number,
                ring_timeout=call.plan.ring_timeout,
            )
        except AriError:
            await self.hangup(call_id)
            raise

    async def _end_transfer(self, call: LiveCall) -> None:
        if call.transfer_leg is not None:
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(call.transfer_leg, reason="normal")
        if call.transfer_bridge is not None:
            with contextlib.suppress(AriError):
                await self._ari.bridges.destroy(call.transfer_bridge)
