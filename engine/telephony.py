"""The object graph of everything that talks to Asterisk, built once per process."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.agents.router import Router
from engine.agents.sessions import AgentSessions
from engine.agents.supervision import Supervision
from engine.ari.client import AriClient
from engine.clock import Clock
from engine.config import Config
from engine.dialer.campaign_service import CampaignService
from engine.dialer.runner import RunnerDeps
from engine.dialer.service import DialerService
from engine.dialplan.inbound import InboundCalls
from engine.dialplan.manual import ManualCalls
from engine.dialplan.outbound import OutboundCalls
from engine.events import EventBus
from engine.recordings.recorder import CallRecorder

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    ari: AriClient
    bus: EventBus
    sessions: AgentSessions
    router: Router
    calls: OutboundCalls
    manual: ManualCalls
    supervision: Supervision
    inbound: InboundCalls
    recorder: CallRecorder
    dialer: DialerService

    @classmethod
    def build(
        cls, config: Config, db: AsyncEngine, clock: Clock, campaigns: CampaignService
    ) -> Runtime:
        ari = AriClient.from_config(config.ari, clock=clock)
        bus = EventBus()
        sessions = AgentSessions(ari, clock, bus)
        router = Router(sessions, clock)
        recorder = CallRecorder(ari)
        calls = OutboundCalls(ari, sessions, router, clock, recorder=recorder)
        node = f"{socket.gethostname()}:{os.getpid()}"
        deps = RunnerDeps(db, calls, sessions, router, clock, bus, node)
        manual = ManualCalls(
            ari, db=db, calls=calls, sessions=sessions, clock=clock, bus=bus, recorder=recorder
        )
        dialer = DialerService(deps, ari, campaigns)
        inbound = InboundCalls(
            ari, db=db, sessions=sessions, router=router, clock=clock, bus=bus, recorder=recorder
        )
        return cls(
            ari,
            bus,
            sessions,
            router,
            calls,
            manual,
            Supervision(ari),
            inbound,
            recorder,
            dialer,
        )

    async def start(self) -> None:
        await self.ari.start()
        await self.dialer.start()

    async def stop(self, grace_seconds: float) -> None:
        await self.dialer.stop(grace_seconds)
        await self.inbound.close()
        await self.sessions.close()
        await self.ari.close()

    def status(self) -> dict[str, Any]:
        """For /v1/health: is the event stream to Asterisk up."""
        link = self.ari.status
        return {
            "ok": link.connected,
            "state": link.state,
            "since": link.since,
            "last_error": link.last_error,
            "connects": link.connects,
        }


RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)
