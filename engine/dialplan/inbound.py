"""Inbound calls: a DID maps to an inbound campaign; callers queue for its agents.

A call entering the application as `Stasis(dialspool,inbound,<DID>)` (the
`inbound` context of asterisk-conf/extensions.conf) is answered and handed to
the same router as dialled calls: straight into the longest-idle agent's
bridge, or into the line with music on hold and a periodic announcement until
an agent frees up. Past the campaign's maximum wait it overflows: to another
campaign's line, to voicemail, or to a goodbye message and a hang-up. A campaign
that records every call has its callers recorded on the agent's bridge.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.agents.router import Router
from engine.agents.sessions import AgentSession, AgentSessions
from engine.aio import first_of
from engine.ari.client import AriClient
from engine.ari.errors import AriError
from engine.ari.events import ChannelDestroyed, StasisStart
from engine.clock import Clock, utc_datetime
from engine.events import EngineEvent, EventBus
from engine.recordings.recorder import CallRecorder, CallSite
from engine.store import calls as call_store
from engine.store.tables import campaigns

log = logging.getLogger(__name__)

ANNOUNCEMENT = "sound:queue-periodic-announce"
GOODBYE = "sound:vm-goodbye"
VOICEMAIL_CONTEXT = "voicemail"
MAX_OVERFLOWS = 3  # campaign:<id> chains cannot loop for ever


@dataclass
class Queue:
    campaign_id: int
    name: str
    skill_id: int | None
    max_wait: float
    overflow: str
    announce_every: float
    moh_class: str
    wrapup_seconds: float
    record: bool = False  # the campaign records every call


@dataclass
class InboundCall:
    channel_id: str
    # Once bridged: the agent, and the campaign whose line connected the call.
    agent: AgentSession | None = None
    campaign_id: int | None = None


class InboundCalls:
    def __init__(
        self,
        ari: AriClient,
        *,
        db: AsyncEngine,
        sessions: AgentSessions,
        router: Router,
        clock: Clock,
        bus: EventBus,
        recorder: CallRecorder | None = None,
    ) -> None:
        self._ari = ari
        self._db = db
        self._sessions = sessions
        self._router = router
        self._clock = clock
        self._bus = bus
        self._recorder = recorder
        self._tasks: set[asyncio.Task[None]] = set()
        self.live: dict[str, InboundCall] = {}  # by call id, while up
        ari.on(StasisStart, self._on_stasis_start)

    def _on_stasis_start(self, event: StasisStart) -> None:
        if len(event.args) >= 2 and event.args[0] == "inbound":
            task = asyncio.create_task(
                self._handle(event.channel.id, event.args[1], event.channel.caller.number)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _queue(
        self, *, did: str | None = None, campaign_id: int | None = None
    ) -> Queue | None:
        query = select(campaigns).where(campaigns.c.status == "running")
        query = query.where(
            campaigns.c.inbound_did == did if did is not None else campaigns.c.id == campaign_id
        )
        async with self._db.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        return Queue(
            row["id"],
            row["name"],
            row["skill_id"],
            row["inbound_max_wait_seconds"],
            row["inbound_overflow"],
            row["inbound_announce_seconds"],
            row["moh_class"],
            row["wrapup_seconds"],
            row["recording_mode"] == "always",
        )

    async def _handle(self, channel_id: str, did: str, caller: str) -> None:
        call_id = uuid.uuid4().hex
        self.live[call_id] = InboundCall(channel_id)
        try:
            await self._serve(call_id, channel_id, did, caller)
        finally:
            self.live.pop(call_id, None)
            if self._recorder is not None:
                await self._recorder.stop(call_id)  # in case the call ended on an error

    async def hangup(self, call_id: str) -> None:
        call = self.live.get(call_id)
        if call is not None:
            with contextlib.suppress(AriError):
                await self._ari.channels.hangup(call.channel_id, reason="normal")

    def site(self, call_id: str) -> CallSite | None:
        call = self.live.get(call_id)
        if call is None:
            return None
        agent = call.agent
        return CallSite(
            agent.bridge_id if agent else None, agent.agent_id if agent else None, call.campaign_id
        )

    async def _serve(self, call_id: str, channel_id: str, did: str, caller: str) -> None:
        hung_up = asyncio.Event()
        self._ari.on_channel(
            channel_id, lambda e: hung_up.set() if isinstance(e, ChannelDestroyed) else None
        )
        queue = await self._queue(did=did)
        created = utc_datetime(self._clock.now())
        async with self._db.begin() as conn:
            await call_store.create_call(
                conn,
                uuid=call_id,
                campaign_id=queue.campaign_id if queue else None,
                direction="inbound",
                source=did,
                number=caller or "anonymous",
                channel_id=channel_id,
                created_at=created,
            )
        try:
            await self._ari.channels.answer(channel_id)
            await self._update(call_id, answered_at=utc_datetime(self._clock.now()))
            agent, queue = await self._wait_for_agent(channel_id, call_id, queue, hung_up)
            if agent is not None and queue is not None:
                await hung_up.wait()
                if self._recorder is not None:
                    # Before the agent is freed: its bridge outlives the call.
                    await self._recorder.stop(call_id)
                self._sessions.call_ended(agent, call_id, queue.wrapup_seconds)
                await self._finish(call_id, "answered")
            elif hung_up.is_set():
                await self._finish(call_id, "abandoned")
            else:
                await self._overflow_end(channel_id, call_id, queue, hung_up)
        except AriError as exc:
            log.info("inbound call %s: %s", call_id, exc)
            await self._finish(call_id, "failed")

    async def _wait_for_agent(
        self, channel_id: str, call_id: str, queue: Queue | None, hung_up: asyncio.Event
    ) -> tuple[AgentSession | None, Queue | None]:
        """Queue the caller, following overflows to other campaigns; the agent, if any."""
        for _ in range(MAX_OVERFLOWS + 1):
            if queue is None or hung_up.is_set():
                return None, queue
            agent = self._router.take(call_id, queue.campaign_id, queue.skill_id)
            if agent is None:
                agent = await self._hold(channel_id, call_id, queue, hung_up)
            if agent is not None:
                if await self._bridge(channel_id, call_id, agent, queue):
                    return agent, queue
                continue
            if not queue.overflow.startswith("campaign:"):
                return None, queue
            queue = await self._queue(campaign_id=int(queue.overflow.split(":", 1)[1]))
        return None, queue

    async def _hold(
        self, channel_id: str, call_id: str, queue: Queue, hung_up: asyncio.Event
    ) -> AgentSession | None:
        with contextlib.suppress(AriError):
            await self._ari.channels.start_moh(channel_id, queue.moh_class)
        future = self._router.wait(call_id, queue.campaign_id, queue.skill_id)
        deadline = self._clock.now() + queue.max_wait
        while not future.done() and not hung_up.is_set():
            left = deadline - self._clock.now()
            if left <= 0:
                break
            step = min(left, queue.announce_every) if queue.announce_every else left
            await first_of(asyncio.shield(future), hung_up.wait(), self._clock.sleep(step))
            if not future.done() and not hung_up.is_set() and self._clock.now() < deadline:
                with contextlib.suppress(AriError):
                    await self._ari.channels.play(channel_id, ANNOUNCEMENT)
        self._router.leave(call_id)
        with contextlib.suppress(AriError):
            await self._ari.channels.stop_moh(channel_id)
        if future.done() and not future.cancelled():
            return future.result()
        return None

    async def _bridge(
        self, channel_id: str, call_id: str, agent: AgentSession, queue: Queue
    ) -> bool:
        try:
            await self._ari.bridges.add_channel(agent.bridge_id, channel_id)
        except AriError:
            self._sessions.call_ended(agent, call_id, 0)
            return False
        self._sessions.connected(agent, call_id)
        call = self.live.get(call_id)
        if call is not None:
            call.agent, call.campaign_id = agent, queue.campaign_id
        if queue.record and self._recorder is not None:
            await self._recorder.record_call(call_id, agent.bridge_id)
        now = self._clock.now()
        await self._update(
            call_id,
            bridged_at=utc_datetime(now),
            agent_id=agent.agent_id,
            campaign_id=queue.campaign_id,
        )
        self._bus.publish(
            EngineEvent(
                "screen_pop",
                now,
                {
                    "call_id": call_id,
                    "campaign_id": queue.campaign_id,
                    "campaign": queue.name,
                    "direction": "inbound",
                    "agent_id": agent.agent_id,
                },
                campaign_id=queue.campaign_id,
                agent_id=agent.agent_id,
            )
        )
        return True

    async def _overflow_end(
        self, channel_id: str, call_id: str, queue: Queue | None, hung_up: asyncio.Event
    ) -> None:
        """Nobody took the call: voicemail, or a goodbye and a hang-up."""
        if queue is not None and queue.overflow == "voicemail":
            await self._ari.channels.continue_in_dialplan(
                channel_id, context=VOICEMAIL_CONTEXT, extension=str(queue.campaign_id), priority=1
            )
            await self._finish(call_id, "voicemail")
            return
        with contextlib.suppress(AriError):
            await self._ari.channels.play(channel_id, GOODBYE)
            await first_of(hung_up.wait(), self._clock.sleep(3.0))
        with contextlib.suppress(AriError):
            await self._ari.channels.hangup(channel_id, reason="normal")
        await self._finish(call_id, "no_agent" if queue is not None else "unknown_number")

    async def _update(self, call_id: str, **values: object) -> None:
        async with self._db.begin() as conn:
            await call_store.update_call(conn, call_id, **values)

    async def _finish(self, call_id: str, outcome: str) -> None:
        async with self._db.begin() as conn:
            await call_store.end_call(
                conn, call_id, ended_at=utc_datetime(self._clock.now()), outcome=outcome, cause=None
            )
