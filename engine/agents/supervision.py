"""Supervisors listening to, whispering to, or barging in on an agent's calls.

The supervisor's phone is called first. Once it answers:

- barge: it joins the agent's own bridge, and everyone hears everyone;
- listen: a snoop channel on the agent's live leg (spy both directions) is
  bridged with the supervisor, who hears agent and customer, unheard;
- whisper: as listen, and the supervisor's voice goes into the agent's leg
  only (whisper "out": towards the agent's phone), unheard by the customer.

The live leg is the agent's, not the call's, so a supervision session spans
the agent's calls until the supervisor hangs up or stops it.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import Literal

from engine.agents.sessions import AgentSession
from engine.ari.client import AriClient
from engine.ari.errors import AriError
from engine.ari.events import AriEvent, ChannelDestroyed, StasisStart
from engine.errors import Conflict, NotFound

log = logging.getLogger(__name__)

Mode = Literal["listen", "whisper", "barge"]


@dataclass
class Supervising:
    id: str
    mode: Mode
    agent_id: int
    supervisor_channel: str
    snoop_channel: str | None = None
    bridge_id: str | None = None
    up: bool = False
    channels: set[str] = field(default_factory=set)


class Supervision:
    def __init__(self, ari: AriClient) -> None:
        self._ari = ari
        self.active: dict[str, Supervising] = {}

    async def start(self, mode: Mode, agent: AgentSession, supervisor_endpoint: str) -> Supervising:
        if agent.leg_channel_id is None:
            raise Conflict("the agent's live leg is down", {"agent_id": agent.agent_id})
        token = secrets.token_hex(6)
        session = Supervising(token, mode, agent.agent_id, f"dss-{token}")
        self.active[token] = session
        session.channels.add(session.supervisor_channel)
        self._ari.on_channel(
            session.supervisor_channel, lambda event: self._on_event(session, agent, event)
        )
        try:
            await self._ari.channels.originate_with_id(
                session.supervisor_channel,
                supervisor_endpoint,
                app=self._ari.app,
                app_args=f"supervisor,{mode},{agent.agent_id}",
                ring_timeout=30,
            )
        except AriError:
            self.active.pop(token, None)
            raise
        return session

    async def _on_event(self, session: Supervising, agent: AgentSession, event: AriEvent) -> None:
        if isinstance(event, StasisStart) and event.channel.id == session.supervisor_channel:
            await self._connect(session, agent)
        elif isinstance(event, StasisStart) and event.channel.id == session.snoop_channel:
            assert session.bridge_id is not None
            await self._ari.bridges.add_channel(
                session.bridge_id, [session.supervisor_channel, event.channel.id]
            )
            session.up = True
        elif isinstance(event, ChannelDestroyed) and event.channel.id in session.channels:
            session.channels.discard(event.channel.id)
            if session.id in self.active:
                await self.stop(session.id)

    async def _connect(self, session: Supervising, agent: AgentSession) -> None:
        if session.mode == "barge":
            await self._ari.bridges.add_channel(agent.bridge_id, session.supervisor_channel)
            session.up = True
            return
        if agent.leg_channel_id is None:
            if session.id in self.active:
                await self.stop(session.id)
            return
        session.bridge_id = f"dsy-{session.id}"
        session.snoop_channel = f"dsn-{session.id}"
        session.channels.add(session.snoop_channel)
        await self._ari.bridges.create_with_id(
            session.bridge_id, "mixing", name=f"supervision {session.id}"
        )
        self._ari.on_channel(
            session.snoop_channel, lambda event: self._on_event(session, agent, event)
        )
        await self._ari.channels.snoop_with_id(
            agent.leg_channel_id,
            session.snoop_channel,
            self._ari.app,
            spy="both",
            whisper="out" if session.mode == "whisper" else "none",
            app_args=f"snoop,{session.id}",
        )

    async def stop(self, supervision_id: str) -> None:
        session = self.active.pop(supervision_id, None)
        if session is None:
            raise NotFound("no such supervision", {"supervision_id": supervision_id})
        for channel in list(session.channels):
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(channel, reason="normal")
        if session.bridge_id is not None:
            with contextlib.suppress(AriError):
                await self._ari.bridges.destroy(session.bridge_id)
