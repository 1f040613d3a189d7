"""Calls an agent or a CRM asks for: click-to-call on the live leg, and two-step calls.

Click-to-call, for an agent whose live leg is up: the agent is reserved, the
customer is originated, and once they answer they are added to the agent's
bridge. Two-step, for an agent who is not logged in (uContact's AgentCall):
the agent's phone rings first; once it answers, the customer is called into
a bridge of the two. Either is recorded, on the bridge where agent and customer
meet, when its campaign records every call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.agents.sessions import AgentSessions
from engine.agents.state import AgentStatus
from engine.ari.client import AriClient
from engine.ari.errors import AriError
from engine.ari.events import AriEvent, ChannelDestroyed, StasisStart
from engine.clock import Clock, utc_datetime
from engine.dialplan.outbound import CUSTOMER_CHANNEL_PREFIX, CallPlan, LiveCall, OutboundCalls
from engine.errors import Conflict
from engine.events import EngineEvent, EventBus
from engine.recordings.recorder import CallRecorder, CallSite
from engine.store import calls as call_store
from engine.store import recordings as recording_store

log = logging.getLogger(__name__)

TWO_STEP_AGENT_PREFIX = "dsm-"
TWO_STEP_BRIDGE_PREFIX = "dsx-"


@dataclass(frozen=True)
class ManualRequest:
    number: str
    endpoint: str  # the customer's dial string
    caller_id: str
    ring_timeout: int
    campaign_id: int | None
    contact_id: int | None
    wrapup_seconds: float


@dataclass
class TwoStepCall:
    bridge_id: str
    agent_id: int
    campaign_id: int | None
    record: bool  # the campaign records every call
    customer_in: bool = False  # the customer answered and joined the bridge
    recording: asyncio.Task[bool] | None = None


class _CallLog:
    """Writes a manual call's record as it progresses (the CallObserver of manual calls)."""

    def __init__(self, db: AsyncEngine, clock: Clock, bus: EventBus) -> None:
        self._db = db
        self._clock = clock
        self._bus = bus

    async def _update(self, call_id: str, **values: Any) -> None:
        async with self._db.begin() as conn:
            await call_store.update_call(conn, call_id, **values)

    def call_live(self, call: LiveCall) -> None:
        pass  # recorded with the bridging, a moment later

    def call_machine(self, call: LiveCall) -> None:
        pass  # manual calls run no answering-machine detection

    def call_routed(self, call: LiveCall) -> None:
        pass

    def call_abandoned(self, call: LiveCall) -> None:
        pass  # a reserved agent is never missing: manual calls are not abandoned

    async def call_ended(self, call: LiveCall) -> None:
        now = utc_datetime(self._clock.now())
        outcome = call.state.outcome.value if call.state.outcome else "failed"
        answered = utc_datetime(call.answered_at) if call.answered_at else None
        bridged = utc_datetime(call.bridged_at) if call.bridged_at else None
        async with self._db.begin() as conn:
            await call_store.update_call(
                conn, call.plan.call_id, answered_at=answered, bridged_at=bridged
            )
            await call_store.end_call(
                conn, call.plan.call_id, ended_at=now, outcome=outcome, cause=call.state.cause
            )
        self._bus.publish(
            EngineEvent(
                "call.ended",
                self._clock.now(),
                {
                    "call_id": call.plan.call_id,
                    "number": call.plan.number,
                    "outcome": outcome,
                    "cause": call.state.cause,
                    "direction": "manual",
                },
                campaign_id=call.plan.campaign_id or None,
                agent_id=call.reserved.agent_id if call.reserved else None,
            )
        )


class ManualCalls:
    def __init__(
        self,
        ari: AriClient,
        *,
        db: AsyncEngine,
        calls: OutboundCalls,
        sessions: AgentSessions,
        clock: Clock,
        bus: EventBus,
        recorder: CallRecorder | None = None,
    ) -> None:
        self._ari = ari
        self._db = db
        self._calls = calls
        self._sessions = sessions
        self._clock = clock
        self._recorder = recorder
        self._log = _CallLog(db, clock, bus)
        self.two_step: dict[str, TwoStepCall] = {}  # by call id, while up

    def site(self, call_id: str) -> CallSite | None:
        """A two-step call's (click-to-call ones are `OutboundCalls`' live calls)."""
        call = self.two_step.get(call_id)
        if call is None:
            return None
        bridge_id = call.bridge_id if call.customer_in else None
        return CallSite(bridge_id, call.agent_id, call.campaign_id)

    async def _create_record(
        self, call_id: str, request: ManualRequest, agent_id: int, channel_id: str
    ) -> bool:
        """The call's row; whether its campaign records every call."""
        async with self._db.begin() as conn:
            await call_store.create_call(
                conn,
                uuid=call_id,
                campaign_id=request.campaign_id,
                contact_id=request.contact_id,
                agent_id=agent_id,
                direction="manual",
                source=request.caller_id,
                number=request.number,
                channel_id=channel_id,
                created_at=utc_datetime(self._clock.now()),
            )
            if request.campaign_id is None:
                return False
            mode = await recording_store.recording_mode(conn, request.campaign_id)
        return mode == "always"

    async def click_to_call(self, agent_id: int, request: ManualRequest) -> str:
        session = self._sessions.get(agent_id)
        if session.status not in (AgentStatus.IDLE, AgentStatus.PAUSED, AgentStatus.WRAP_UP):
            raise Conflict("the agent is busy", {"state": session.status.value})
        # An agent pauses to make manual calls, or calls back during wrap-up.
        if session.status is AgentStatus.PAUSED:
            self._sessions.unpause(agent_id)
        elif session.status is AgentStatus.WRAP_UP:
            self._sessions.wrapup_done(agent_id)
        if not self._sessions.get(agent_id).state.available:
            # Becoming available, the agent was handed a caller waiting in line.
            raise Conflict("the agent was just given a call", {"state": session.status.value})
        call_id = uuid.uuid4().hex
        self._sessions.reserve(session, call_id)
        try:
            channel_id = CUSTOMER_CHANNEL_PREFIX + call_id
            record = await self._create_record(call_id, request, agent_id, channel_id)
        except Exception:
            self._sessions.call_ended(session, call_id, 0)
            raise
        plan = CallPlan(
            call_id=call_id,
            campaign_id=request.campaign_id or 0,
            entry_id=0,
            position=0,
            number=request.number,
            endpoint=request.endpoint,
            caller_id=request.caller_id,
            ring_timeout=request.ring_timeout,
            drop_time=1.0,
            wrapup_seconds=request.wrapup_seconds,
            safe_harbour_sound="",
            record=record,
            variables={"DIALSPOOL_CALL": call_id, "DIALSPOOL_AGENT": str(agent_id)},
        )
        await self._calls.dial(plan, self._log, for_agent=session)
        return call_id

    async def two_step_call(
        self, agent_id: int, agent_endpoint: str, request: ManualRequest
    ) -> str:
        """Ring the agent's phone; when it answers, call the customer into their bridge."""
        call_id = uuid.uuid4().hex
        bridge_id = TWO_STEP_BRIDGE_PREFIX + call_id
        agent_channel = f"{TWO_STEP_AGENT_PREFIX}{call_id}-{secrets.token_hex(2)}"
        customer_channel = "dsc-" + call_id
        record = await self._create_record(call_id, request, agent_id, customer_channel)
        await self._ari.bridges.create_with_id(bridge_id, "mixing", name=f"two-step {call_id}")
        call = TwoStepCall(bridge_id, agent_id, request.campaign_id, record)
        self.two_step[call_id] = call
        legs = {agent_channel, customer_channel}
        answered: dict[str, float] = {}

        async def on_event(event: AriEvent) -> None:
            if isinstance(event, StasisStart) and event.channel.id in legs:
                answered[event.channel.id] = self._clock.now()
                await self._ari.bridges.add_channel(bridge_id, event.channel.id)
                if event.channel.id == customer_channel:
                    self._customer_joined(call_id, call)
                elif event.channel.id == agent_channel:
                    self._ari.on_channel(customer_channel, on_event)
                    await self._ari.channels.originate_with_id(
                        customer_channel,
                        request.endpoint,
                        app=self._ari.app,
                        app_args=f"twostep,customer,{call_id}",
                        caller_id=request.caller_id or None,
                        ring_timeout=request.ring_timeout,
                    )
            elif isinstance(event, ChannelDestroyed) and event.channel.id in legs:
                legs.discard(event.channel.id)
                await self._finish_two_step(call_id, legs, answered, customer_channel, event)

        self._ari.on_channel(agent_channel, on_event)
        try:
            await self._ari.channels.originate_with_id(
                agent_channel,
                agent_endpoint,
                app=self._ari.app,
                app_args=f"twostep,agent,{call_id}",
                caller_id=request.caller_id or None,
                ring_timeout=request.ring_timeout,
            )
        except AriError:
            await self._end_record(call_id, "failed", None, {})
            raise
        return call_id

    def _customer_joined(self, call_id: str, call: TwoStepCall) -> None:
        call.customer_in = True
        if call.record and self._recorder is not None:
            # Beside the ARI reader, which would otherwise wait for the answer.
            call.recording = asyncio.create_task(
                self._recorder.record_call(call_id, call.bridge_id), name=f"record-{call_id}"
            )

    async def _stop_recording(self, call_id: str) -> None:
        call = self.two_step.get(call_id)
        if self._recorder is None or call is None:
            return
        call.customer_in = False  # one side left: nothing more to record on demand
        if call.recording is not None:
            await asyncio.wait([call.recording])  # a start under way first, or the stop misses it
        await self._recorder.stop(call_id)

    async def _finish_two_step(
        self,
        call_id: str,
        legs: set[str],
        answered: dict[str, float],
        customer_channel: str,
        event: ChannelDestroyed,
    ) -> None:
        await self._stop_recording(call_id)
        for other in list(legs):  # one side left: the call is over for the other
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(other, reason="normal")
        if legs:
            return
        call = self.two_step.pop(call_id, None)
        if call is not None:
            with contextlib.suppress(AriError):
                await self._ari.bridges.destroy(call.bridge_id)
        outcome = "answered" if customer_channel in answered else "no_answer"
        await self._end_record(call_id, outcome, event.cause, answered)

    async def _end_record(
        self, call_id: str, outcome: str, cause: int | None, answered: dict[str, float]
    ) -> None:
        customer = answered.get("dsc-" + call_id)
        async with self._db.begin() as conn:
            if customer is not None:
                when = utc_datetime(customer)
                await call_store.update_call(conn, call_id, answered_at=when, bridged_at=when)
            await call_store.end_call(
                conn,
                call_id,
                ended_at=utc_datetime(self._clock.now()),
                outcome=outcome,
                cause=cause,
            )

    async def hangup_two_step(self, call_id: str) -> None:
        """Hang up both legs of a two-step call (the bridge goes with them)."""
        if call_id not in self.two_step:
            return
        for channel in await self._ari.channels.list():
            if channel.id == "dsc-" + call_id or channel.id.startswith(
                f"{TWO_STEP_AGENT_PREFIX}{call_id}-"
            ):
                with contextlib.suppress(AriError):
                    await self._ari.channels.hangup(channel.id, reason="normal")
