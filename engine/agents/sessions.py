"""Agent sessions: the live leg, the agent's bridge, and the state machine in memory.

Logging in calls the agent's phone and parks the answered leg in a mixing
bridge of its own; it stays up while the agent works, so that an answered
customer only has to be added to that bridge to reach the agent. The pure
state machine (engine/agents/state.py) decides every change; this module
carries out the ARI side and publishes `agent.state` events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.agents import state as sm
from engine.agents.routing import Candidate
from engine.ari.client import AriClient
from engine.ari.errors import AriError
from engine.ari.events import AriEvent, ChannelDestroyed, StasisStart
from engine.clock import Clock, utc_datetime
from engine.errors import Conflict, NotFound
from engine.events import EngineEvent, EventBus

log = logging.getLogger(__name__)

AGENT_CHANNEL_PREFIX = "dsa-"
AGENT_BRIDGE_PREFIX = "dsb-"
LEG_RING_SECONDS = 30
_ON_A_CALL = frozenset({sm.AgentStatus.RESERVED, sm.AgentStatus.RINGING, sm.AgentStatus.TALKING})


@dataclass
class AgentSession:
    agent_id: int
    name: str
    endpoint: str
    campaigns: frozenset[int]
    skills: dict[int, int]
    state: sm.Agent
    bridge_id: str
    leg_channel_id: str | None = None
    wrapup_task: asyncio.Task[None] | None = field(default=None, repr=False)
    leg_up: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def status(self) -> sm.AgentStatus:
        return self.state.status


class AgentSessions:
    def __init__(self, ari: AriClient, clock: Clock, bus: EventBus) -> None:
        self._ari = ari
        self._clock = clock
        self._bus = bus
        self._sessions: dict[int, AgentSession] = {}
        # The available agents as routing candidates, built when an agent becomes
        # idle: routing an answered call must not walk every logged-in agent, nor
        # rebuild a candidate per agent per call (500 calls x 500 agents at peak).
        self._idle: dict[int, Candidate] = {}
        # Told when an agent becomes available (the router hands it a waiting caller).
        self.on_available: list[Callable[[AgentSession], None]] = []

    # --- queries -------------------------------------------------------------------

    def get(self, agent_id: int) -> AgentSession:
        session = self._sessions.get(agent_id)
        if session is None:
            raise NotFound(f"agent {agent_id} is not logged in", {"agent_id": agent_id})
        return session

    def find(self, agent_id: int) -> AgentSession | None:
        return self._sessions.get(agent_id)

    def all(self) -> list[AgentSession]:
        return list(self._sessions.values())

    def of_campaign(self, campaign_id: int) -> list[AgentSession]:
        return [s for s in self._sessions.values() if campaign_id in s.campaigns]

    def available_candidates(self) -> list[Candidate]:
        return list(self._idle.values())

    # --- transitions ---------------------------------------------------------------

    def _apply(self, session: AgentSession, event: sm.AgentEvent) -> None:
        before = session.state.status
        session.state = sm.transition(session.state, event, utc_datetime(self._clock.now()))
        after = session.state.status
        if after is sm.AgentStatus.IDLE and self._sessions.get(session.agent_id) is session:
            self._idle[session.agent_id] = Candidate(
                session.agent_id, session.state.since.timestamp(), session.campaigns, session.skills
            )
        else:
            self._idle.pop(session.agent_id, None)
        self._bus.publish(
            EngineEvent(
                "agent.state",
                self._clock.now(),
                {
                    "agent_id": session.agent_id,
                    "name": session.name,
                    "state": after.value,
                    "previous": before.value,
                    "pause_reason": session.state.pause_reason,
                    "call_id": session.state.call_id,
                },
                agent_id=session.agent_id,
            )
        )
        if after is sm.AgentStatus.IDLE:
            for listener in self.on_available:
                listener(session)

    async def login(
        self,
        agent_id: int,
        name: str,
        endpoint: str,
        campaigns: frozenset[int],
        skills: dict[int, int],
        *,
        wait_seconds: float = 10.0,
    ) -> AgentSession:
        """Call the agent's phone and park the leg; returns once it is up or `wait_seconds`."""
        if agent_id in self._sessions:
            raise Conflict(f"agent {agent_id} is already logged in", {"agent_id": agent_id})
        now = utc_datetime(self._clock.now())
        session = AgentSession(
            agent_id,
            name,
            endpoint,
            campaigns,
            skills,
            sm.Agent.logged_out(now),
            bridge_id=f"{AGENT_BRIDGE_PREFIX}{agent_id}-{secrets.token_hex(4)}",
        )
        self._sessions[agent_id] = session
        self._apply(session, sm.Login())
        try:
            await self._ari.bridges.create_with_id(
                session.bridge_id, "mixing", name=f"agent {name}"
            )
            await self._dial_leg(session)
        except AriError:
            del self._sessions[agent_id]
            self._idle.pop(agent_id, None)
            raise
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_seconds):
                await session.leg_up.wait()
        return session

    async def reconnect(self, agent_id: int) -> AgentSession:
        session = self.get(agent_id)
        if session.status is not sm.AgentStatus.DISCONNECTED:
            raise Conflict("the agent's leg is up", {"state": session.status.value})
        await self._dial_leg(session)
        return session

    async def _dial_leg(self, session: AgentSession) -> None:
        channel_id = f"{AGENT_CHANNEL_PREFIX}{session.agent_id}-{secrets.token_hex(4)}"
        session.leg_channel_id = channel_id
        session.leg_up.clear()
        self._ari.on_channel(channel_id, lambda event: self._on_leg_event(session, event))
        await self._ari.channels.originate_with_id(
            channel_id,
            session.endpoint,
            app=self._ari.app,
            app_args=f"agent,{session.agent_id}",
            caller_id=f"Dialspool <{session.agent_id}>",
            ring_timeout=LEG_RING_SECONDS,
            variables={"DIALSPOOL_AGENT": str(session.agent_id)},
        )

    async def _on_leg_event(self, session: AgentSession, event: AriEvent) -> None:
        if isinstance(event, StasisStart) and event.channel.id == session.leg_channel_id:
            await self._ari.bridges.add_channel(session.bridge_id, event.channel.id)
            session.leg_up.set()
            self._apply(session, sm.LegUp())
            log.info("agent %s: live leg up on %s", session.name, session.endpoint)
        elif isinstance(event, ChannelDestroyed) and event.channel.id == session.leg_channel_id:
            session.leg_channel_id = None
            if session.agent_id not in self._sessions:
                return  # logged out: the hang-up was ours
            if session.status is sm.AgentStatus.DISCONNECTED:
                log.warning(
                    "agent %s: the phone did not answer (cause %s)", session.name, event.cause
                )
                return
            log.warning("agent %s: live leg dropped (cause %s)", session.name, event.cause)
            self._cancel_wrapup(session)
            self._apply(session, sm.LegDown())

    async def logout(self, agent_id: int) -> None:
        session = self.get(agent_id)
        self._apply(session, sm.Logout())  # refused (409) while on a call
        del self._sessions[agent_id]
        self._idle.pop(agent_id, None)
        self._cancel_wrapup(session)
        if session.leg_channel_id is not None:
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(session.leg_channel_id, reason="normal")
        with contextlib.suppress(AriError):
            await self._ari.bridges.destroy(session.bridge_id)

    def pause(self, agent_id: int, reason: str) -> AgentSession:
        session = self.get(agent_id)
        self._cancel_wrapup(session)
        self._apply(session, sm.Pause(reason))
        return session

    def unpause(self, agent_id: int) -> AgentSession:
        session = self.get(agent_id)
        self._apply(session, sm.Unpause())
        return session

    def reserve(self, session: AgentSession, call_id: str) -> None:
        self._apply(session, sm.Reserve(call_id))

    def connected(self, session: AgentSession, call_id: str) -> None:
        self._apply(session, sm.Answer(call_id))

    def call_ended(self, session: AgentSession, call_id: str, wrapup_seconds: float) -> None:
        """The customer left: wrap-up (bounded by a timer) or, if never bridged, idle."""
        if session.state.call_id != call_id or self._sessions.get(session.agent_id) is not session:
            return
        if session.status not in _ON_A_CALL:
            return  # already wrapping up this call (it was transferred away)
        talking = session.status is sm.AgentStatus.TALKING
        self._apply(session, sm.Hangup(call_id))
        if talking:
            session.wrapup_task = asyncio.create_task(self._wrapup_timer(session, wrapup_seconds))

    def wrapup_done(self, agent_id: int) -> AgentSession:
        session = self.get(agent_id)
        self._cancel_wrapup(session)
        self._apply(session, sm.WrapupDone())
        return session

    async def _wrapup_timer(self, session: AgentSession, seconds: float) -> None:
        await self._clock.sleep(seconds)
        session.wrapup_task = None
        if session.status is sm.AgentStatus.WRAP_UP:
            self._apply(session, sm.WrapupTimeout())

    @staticmethod
    def _cancel_wrapup(session: AgentSession) -> None:
        task, session.wrapup_task = session.wrapup_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def close(self) -> None:
        """Log everybody out (engine stopping): legs hung up, bridges destroyed."""
        for agent_id in list(self._sessions):
            session = self._sessions.pop(agent_id)
            self._idle.pop(agent_id, None)
            self._cancel_wrapup(session)
            if session.leg_channel_id is not None:
                with contextlib.suppress(AriError):
                    await self._ari.channels.hangup(session.leg_channel_id)
            with contextlib.suppress(AriError):
                await self._ari.bridges.destroy(session.bridge_id)
