"""Answered callers meet agents: at once when one is free, else they wait in line.

The choices are pure (engine/agents/routing.py); this keeps the line of
waiting callers and hands a freed agent the caller who has waited longest.
"""

from __future__ import annotations

import asyncio

from engine.agents.routing import Waiting, choose_agent, choose_caller
from engine.agents.sessions import AgentSession, AgentSessions
from engine.clock import Clock


class Router:
    def __init__(self, sessions: AgentSessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._waiting: dict[str, tuple[Waiting, asyncio.Future[AgentSession]]] = {}
        sessions.on_available.append(self._agent_available)

    def take(self, call_id: str, campaign_id: int, skill_id: int | None) -> AgentSession | None:
        """Reserve the best available agent for this call, if any."""
        chosen = choose_agent(
            self._sessions.available_candidates(), campaign_id, skill_id, self._clock.now()
        )
        if chosen is None:
            return None
        session = self._sessions.get(chosen)
        self._sessions.reserve(session, call_id)
        return session

    def wait(
        self, call_id: str, campaign_id: int, skill_id: int | None
    ) -> asyncio.Future[AgentSession]:
        """Join the line; the future gets the (already reserved) agent."""
        future: asyncio.Future[AgentSession] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = (
            Waiting(call_id, campaign_id, skill_id, self._clock.now()),
            future,
        )
        return future

    def leave(self, call_id: str) -> AgentSession | None:
        """Leave the line; an agent already handed over is returned, not lost."""
        entry = self._waiting.pop(call_id, None)
        if entry is None:
            return None
        future = entry[1]
        if future.done() and not future.cancelled():
            return future.result()
        future.cancel()
        return None

    def waiting_since(self, campaign_id: int) -> list[float]:
        return [w.since for w, _ in self._waiting.values() if w.campaign_id == campaign_id]

    def waiting_count(self, campaign_id: int) -> int:
        return sum(1 for w, _ in self._waiting.values() if w.campaign_id == campaign_id)

    def _agent_available(self, session: AgentSession) -> None:
        open_waits = [w for w, future in self._waiting.values() if not future.done()]
        call_id = choose_caller(open_waits, session.campaigns, session.skills)
        if call_id is None:
            return
        _, future = self._waiting.pop(call_id)
        self._sessions.reserve(session, call_id)
        future.set_result(session)
