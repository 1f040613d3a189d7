"""A campaign runner: pace, claim, dial, and feed every outcome back to the spool.

The thin shell around the pure core: each tick it builds a pacing `Snapshot`
from the live agents and calls, asks the campaign's policy how many lines to
open, claims that many entries through the spool rules in one transaction and
hands each to `OutboundCalls`. When a call ends, its outcome goes through the
retry rules and the resulting `SpoolAction` is written in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.agents.router import Router
from engine.agents.sessions import AgentSession, AgentSessions
from engine.agents.state import AgentStatus
from engine.aio import first_of
from engine.clock import Clock, utc_datetime
from engine.dialer.campaigns import Campaign
from engine.dialer.explain import close_finished
from engine.dialer.pacing import (
    AgentState,
    AgentView,
    CampaignStats,
    Caps,
    PacingPolicy,
    Power,
    Predictive,
    PredictiveConfig,
    Progressive,
    Snapshot,
)
from engine.dialer.pacing.history import (
    LEARN_LIMIT,
    LEARN_SECONDS,
    PastCall,
    stats_from_history,
)
from engine.dialer.screenpop import crm_link
from engine.dialer.spool import (
    CampaignView,
    Claim,
    Outcome,
    SpoolState,
    decide,
    select_claims,
)
from engine.dialplan.outbound import CallPlan, LiveCall, OutboundCalls
from engine.events import EngineEvent, EventBus
from engine.store import calls as call_store
from engine.store import spool as spool_store

log = logging.getLogger(__name__)

_AGENT_STATES = {
    AgentStatus.IDLE: AgentState.AVAILABLE,
    AgentStatus.RESERVED: AgentState.RESERVED,
    AgentStatus.RINGING: AgentState.RESERVED,
    AgentStatus.TALKING: AgentState.TALKING,
    AgentStatus.WRAP_UP: AgentState.WRAP_UP,
}
# At most this many calls are claimed and originated per round of the loop.
MAX_LINES_PER_ROUND = 20
# Bridged calls' records are written in batches gathered over this long.
BRIDGED_WRITE_SECONDS = 0.2
# How often waiting entries that can never be dialled again are closed.
SWEEP_SECONDS = 60.0
# The dialplan context that runs AMD() and returns to the application (asterisk-conf/).
AMD_CONTEXT = "amd"
# Outcomes where a person answered: the pacing learns them as live answers.
_LIVE = frozenset({Outcome.ANSWERED, Outcome.ABANDONED, Outcome.CUSTOMER_HANGUP})


class NoDialling:
    """Preview and inbound campaigns: agents pull their calls; nothing is paced."""

    name = "none"
    interval = 1.0

    def decide(self, snapshot: Snapshot) -> int:
        return 0


def pacing_policy(campaign: Campaign) -> PacingPolicy:
    if campaign.mode == "progressive":
        return Progressive()
    if campaign.mode == "power":
        return Power(campaign.power_ratio)
    if campaign.mode == "predictive":
        cap = campaign.abandon_cap_percent / 100
        return Predictive(
            PredictiveConfig(
                caps=Caps(day=cap, hour=cap + 0.01, first_hour=cap),
                drop_time=campaign.drop_time_seconds,
                day_aim=min(1.0, campaign.abandon_set_point_percent / campaign.abandon_cap_percent),
            )
        )
    return NoDialling()


def _past_call(row: RowMapping) -> PastCall:
    live = row["outcome"] in _LIVE
    answered, bridged, ended = row["answered_at"], row["bridged_at"], row["ended_at"]
    return PastCall(
        dialled_at=row["created_at"].timestamp(),
        live=live,
        answered_at=answered.timestamp() if live and answered is not None else None,
        abandoned=row["outcome"] == Outcome.ABANDONED,
        talk=(ended - bridged).total_seconds() if bridged is not None and ended else None,
    )


def _pacing_settings(campaign: Campaign) -> tuple[object, ...]:
    """What `pacing_policy` reads: a change to any of them makes a new policy."""
    return (
        campaign.mode,
        campaign.power_ratio,
        campaign.abandon_cap_percent,
        campaign.abandon_set_point_percent,
        campaign.drop_time_seconds,
    )


# Service level: the share of answered callers connected within this many seconds.
SERVICE_LEVEL_SECONDS = 20.0


@dataclass
class RunnerCounters:
    dialled: int = 0
    live: int = 0
    routed: int = 0
    abandoned: int = 0
    ended: int = 0
    completed: int = 0  # connected calls that have ended
    hold_seconds: float = 0.0  # answered to connected, summed
    talk_seconds: float = 0.0  # connected to ended, summed
    within_service_level: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RunnerDeps:
    db: AsyncEngine
    calls: OutboundCalls
    sessions: AgentSessions
    router: Router
    clock: Clock
    bus: EventBus
    app_node: str


class CampaignRunner:
    def __init__(self, campaign: Campaign, deps: RunnerDeps) -> None:
        self.campaign = campaign
        self._deps = deps
        self._view = CampaignView.from_row(campaign.model_dump(), campaign.custom_rule_pack)
        self.policy = pacing_policy(campaign)
        self.stats = CampaignStats(deps.clock.now())
        self.counters = RunnerCounters()
        self.live: dict[str, LiveCall] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._wrap_started: dict[int, float] = {}
        self._contacts: dict[str, dict[str, Any]] = {}  # call id -> contact, while up
        self._background: set[asyncio.Task[None]] = set()
        # Calls bridged whose record is not written yet; one writer at a time.
        self._bridged: list[dict[str, Any]] = []
        self._writing_bridged = False
        deps.sessions.on_available.append(self._agent_available)

    @property
    def id(self) -> int:
        return self.campaign.id

    @property
    def deps(self) -> RunnerDeps:
        return self._deps

    async def dial_for_agent(self, plan: CallPlan, session: AgentSession) -> None:
        """A call an agent asked for (preview): its outcome reaches the spool like any other."""
        self.counters.dialled += 1
        self.stats.record_dial(self._deps.clock.now())
        call = await self._deps.calls.dial(plan, self, for_agent=session)
        if not call.ended.is_set():
            self.live[plan.call_id] = call

    def update(self, campaign: Campaign) -> None:
        """New settings; the pacing keeps what it learnt unless its settings changed."""
        if _pacing_settings(campaign) != _pacing_settings(self.campaign):
            self.policy = pacing_policy(campaign)
        self.campaign = campaign
        self._view = CampaignView.from_row(campaign.model_dump(), campaign.custom_rule_pack)
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    # --- the loop --------------------------------------------------------------------

    async def run(self) -> None:
        clock = self._deps.clock
        await self._learn_from_history()
        next_sweep = clock.now()
        while not self._stopping:
            if self.campaign.status == "running":
                try:
                    await self.tick()
                    if clock.now() >= next_sweep:
                        next_sweep = clock.now() + SWEEP_SECONDS
                        await self.sweep()
                except Exception:
                    log.exception("campaign %s: dialling round failed", self.campaign.name)
            await first_of(self._wake.wait(), clock.sleep(self.policy.interval))
            self._wake.clear()

    async def _learn_from_history(self) -> None:
        """Start the pacing from the campaign's own recent calls (learnt rates, and
        the abandons of the last 24 hours kept on the books), not from nothing."""
        now = self._deps.clock.now()
        try:
            async with self._deps.db.connect() as conn:
                rows = await call_store.pacing_history(
                    conn, self.id, utc_datetime(now - LEARN_SECONDS), LEARN_LIMIT
                )
        except Exception:
            # Generic priors are the cautious start: a failed read costs occupancy only.
            log.exception("campaign %s: reading its call history failed", self.campaign.name)
            return
        wrap = float(self.campaign.wrapup_seconds)
        self.stats = stats_from_history(now, map(_past_call, rows), wrap_mean=wrap)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._agent_available in self._deps.sessions.on_available:
            self._deps.sessions.on_available.remove(self._agent_available)

    async def drain(self) -> None:
        """Wait for the writes still under way (outcomes, call records)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def sweep(self) -> None:
        """Close entries that can never be dialled again (expired, out of numbers)."""
        async with self._deps.db.begin() as conn:
            closed = await close_finished(conn, self.id, utc_datetime(self._deps.clock.now()))
        if closed:
            log.info("campaign %s: closed %s", self.campaign.name, closed)

    def snapshot(self, now: float) -> Snapshot:
        sessions = self._deps.sessions.of_campaign(self.id)
        agents = [
            AgentView(_AGENT_STATES.get(s.status, AgentState.PAUSED), s.state.since.timestamp())
            for s in sessions
        ]
        # A call still under answering-machine detection is in flight too.
        dialling = [
            c.dialled_at for c in self.live.values() if c.answered_at is None or c.amd_running
        ]
        # Blended agents also serve inbound lines: their waiting callers count too.
        served = {self.id}.union(*(s.campaigns for s in sessions))
        waiting = [t for cid in served for t in self._deps.router.waiting_since(cid)]
        return Snapshot(
            now,
            agents,
            dialling,
            waiting,
            self.stats,
            max_lines_per_agent=self.campaign.max_lines_per_agent,
        )

    async def tick(self) -> None:
        now = self._deps.clock.now()
        snapshot = self.snapshot(now)
        self.stats.refresh(snapshot)
        lines = self.policy.decide(snapshot)
        if lines <= 0:
            return
        if lines > MAX_LINES_PER_ROUND:
            # Claiming runs the spool rules on the event loop: big rounds would hold up
            # the routing of answered calls. The rest is claimed in the next round.
            lines = MAX_LINES_PER_ROUND
            self._wake.set()
        # Routing answered calls goes first; claims and originates wait their turn.
        await self._deps.calls.routing_settled()
        for plan in await self._claim(lines, now):
            await self._deps.calls.routing_settled()
            self.counters.dialled += 1
            self.stats.record_dial(self._deps.clock.now())
            call = await self._deps.calls.dial(plan, self)
            if not call.ended.is_set():
                self.live[plan.call_id] = call

    async def _claim(self, lines: int, now: float) -> list[CallPlan]:
        when = utc_datetime(now)
        async with self._deps.db.begin() as conn:
            taken = await self.select_and_claim(conn, lines, when, self._deps.app_node)
            return await self.open_calls(conn, taken, when)

    async def select_and_claim(
        self,
        conn: AsyncConnection,
        lines: int,
        when: datetime,
        claimant: str,
        *,
        for_agent: int | None = None,
    ) -> list[Claim]:
        """Claim up to `lines` eligible entries in dialling order, one per number.

        `for_agent`: a preview claim; entries bound to other agents are left alone.
        """
        entries = await spool_store.candidates(conn, self.id, when, limit=max(4 * lines, 50))
        if not entries:
            return []
        numbers = [d.number for e in entries for d in e.destinations]
        ctx = await spool_store.compliance_context(
            conn, self.id, numbers, spool_store.lookback(self._view), when
        )
        if for_agent is not None:
            ctx = replace(ctx, available_agents=frozenset({for_agent}))
        chosen = select_claims(entries, self._view, ctx, when, lines)
        return await spool_store.claim(conn, chosen, claimant, when)

    async def open_call(self, conn: AsyncConnection, claim: Claim, when: datetime) -> CallPlan:
        """The call record, written before the originate (crash recovery needs it)."""
        return (await self.open_calls(conn, [claim], when))[0]

    async def open_calls(
        self, conn: AsyncConnection, claims: list[Claim], when: datetime
    ) -> list[CallPlan]:
        """The call records of a round, written before its originates (crash recovery
        needs them): one statement per step for the round, not one per call, as the
        claims of a burst share the event loop with the routing of answered calls."""
        if not claims:
            return []
        contacts = await spool_store.contacts_of_entries(conn, [c.entry_id for c in claims])
        plans, records = [], []
        for claim in claims:
            plan = self._plan(claim.entry_id, claim.position, claim.number)
            contact = contacts.get(claim.entry_id)
            # Kept for the screen-pop, so that routing the answered call reads nothing.
            self._contacts[plan.call_id] = contact or {}
            records.append(
                {
                    "uuid": plan.call_id,
                    "campaign_id": self.id,
                    "contact_id": contact["id"] if contact else None,
                    "spool_entry_id": claim.entry_id,
                    "direction": "outbound",
                    "number": claim.number,
                    "channel_id": plan.channel_id,
                    "source": self.campaign.caller_id,
                    "created_at": when,
                }
            )
            plans.append(plan)
        await call_store.create_calls(conn, records)
        await spool_store.set_states(conn, [c.entry_id for c in claims], SpoolState.DIALLING, when)
        return plans

    def _plan(self, entry_id: int, position: int, number: str) -> CallPlan:
        c = self.campaign
        call_id = uuid.uuid4().hex
        return CallPlan(
            call_id=call_id,
            campaign_id=c.id,
            entry_id=entry_id,
            position=position,
            number=number,
            endpoint=c.dial_template.format(number=number),
            caller_id=c.caller_id,
            ring_timeout=c.ring_timeout_seconds,
            drop_time=c.drop_time_seconds,
            wrapup_seconds=c.wrapup_seconds,
            safe_harbour_sound=c.safe_harbour_sound,
            skill_id=c.skill_id,
            amd_context=AMD_CONTEXT if c.amd_enabled else None,
            record=c.recording_mode == "always",
            variables={
                "DIALSPOOL_CAMPAIGN": str(c.id),
                "DIALSPOOL_LEAD": str(entry_id),
                "DIALSPOOL_CALL": call_id,
            },
        )

    # --- what the calls report (CallObserver) ---------------------------------------

    def call_live(self, call: LiveCall) -> None:
        now = self._deps.clock.now()
        self.counters.live += 1
        self.stats.record_live(now, now - call.dialled_at)
        # The answer time is written with the bridging (or the end): one write less
        # on the busiest path, the moment calls are being routed.

    def call_machine(self, call: LiveCall) -> None:
        now = self._deps.clock.now()
        self.stats.record_failure(now, now - call.dialled_at)

    def call_routed(self, call: LiveCall) -> None:
        now = self._deps.clock.now()
        self.counters.routed += 1
        assert call.answered_at is not None and call.agent is not None
        hold = now - call.answered_at
        self.counters.hold_seconds += hold
        self.counters.within_service_level += hold <= SERVICE_LEVEL_SECONDS
        self.stats.record_routed(now, call.answered_at)
        self._bridged.append(
            {
                "uuid": call.plan.call_id,
                "answered_at": utc_datetime(call.answered_at),
                "bridged_at": utc_datetime(now),
                "agent_id": call.agent.agent_id,
            }
        )
        if not self._writing_bridged:
            self._writing_bridged = True
            self._spawn(self._write_bridged())
        self._screen_pop(call, call.agent.agent_id, now)

    def _screen_pop(self, call: LiveCall, agent_id: int, now: float) -> None:
        contact = self._contacts.get(call.plan.call_id)
        fields = dict(contact["data"] or {}) if contact else {}
        values = {
            **fields,
            "phone": call.plan.number,
            "lead_id": call.plan.entry_id,
            "external_id": contact["external_id"] if contact else None,
        }
        self._deps.bus.publish(
            EngineEvent(
                "screen_pop",
                now,
                {
                    "call_id": call.plan.call_id,
                    "campaign_id": self.id,
                    "campaign": self.campaign.name,
                    "number": call.plan.number,
                    "agent_id": agent_id,
                    "lead_id": call.plan.entry_id,
                    "contact_id": contact["id"] if contact else None,
                    "external_id": values["external_id"],
                    "contact": fields,
                    "crm_url": crm_link(self.campaign.crm_url_template, values),
                },
                campaign_id=self.id,
                agent_id=agent_id,
            )
        )

    def call_abandoned(self, call: LiveCall) -> None:
        self.counters.abandoned += 1
        assert call.answered_at is not None
        self.stats.record_abandon(self._deps.clock.now(), call.answered_at)

    async def call_ended(self, call: LiveCall) -> None:
        now = self._deps.clock.now()
        self.live.pop(call.plan.call_id, None)
        self._contacts.pop(call.plan.call_id, None)
        outcome = call.state.outcome or Outcome.FAILED
        if outcome not in _LIVE and call.answered_at is None:
            self.stats.record_failure(now, now - call.dialled_at)
        elif outcome is Outcome.CUSTOMER_HANGUP and call.amd_running:
            self.stats.record_failure(now, now - call.dialled_at)  # gone during detection
        if call.bridged_at is not None and call.agent is not None:
            self.stats.record_talk(now, now - call.bridged_at)
            self.counters.completed += 1
            self.counters.talk_seconds += now - call.bridged_at
            self._wrap_started[call.agent.agent_id] = now
        # Written by a task the runner drains on stop, not in the ARI reader, so that a
        # shutdown cancelling the reader cannot lose an outcome half-way.
        self._spawn(self._finish(call, outcome, now))

    async def _finish(self, call: LiveCall, outcome: Outcome, now: float) -> None:
        try:
            await self._close(call, outcome, now)
        except Exception:
            log.exception("call %s: recording the outcome failed", call.plan.call_id)
        self.counters.ended += 1
        self.counters.outcomes[outcome.value] = self.counters.outcomes.get(outcome.value, 0) + 1
        self._deps.bus.publish(
            EngineEvent(
                "call.ended",
                now,
                {
                    "call_id": call.plan.call_id,
                    "campaign_id": self.id,
                    "number": call.plan.number,
                    "outcome": outcome.value,
                    "cause": call.state.cause,
                },
                campaign_id=self.id,
                agent_id=call.agent.agent_id if call.agent else None,
            )
        )
        self._wake.set()

    async def _close(self, call: LiveCall, outcome: Outcome, now: float) -> None:
        when = utc_datetime(now)
        async with self._deps.db.begin() as conn:
            if call.answered_at is not None and call.bridged_at is None:
                await call_store.update_call(
                    conn, call.plan.call_id, answered_at=utc_datetime(call.answered_at)
                )
            await call_store.end_call(
                conn,
                call.plan.call_id,
                ended_at=when,
                outcome=outcome.value,
                cause=call.state.cause,
            )
            entry = await spool_store.entry(conn, call.plan.entry_id)
            if entry is None:
                return  # the lead was removed while its call was up
            action = decide(
                entry, entry.destination(call.plan.position), outcome, self._view.retry, when
            )
            await spool_store.apply_action(conn, action, when)

    async def _write_bridged(self) -> None:
        """The bridging facts of the calls routed meanwhile, one transaction per batch.

        When a burst of calls is answered, a transaction per call would compete with
        the routing of the next ones for the event loop and the database. Nobody
        waits for these rows (routing, screen-pops and live figures come from
        memory), and recovery at start does not need them: a call that was up when
        the engine died is closed whatever its record says. Stopping drains the
        last batch.
        """
        try:
            while self._bridged:
                # A batch gathers for a moment, then waits for routing to settle.
                await self._deps.clock.sleep(BRIDGED_WRITE_SECONDS)
                await self._deps.calls.routing_settled()
                batch, self._bridged = self._bridged, []
                try:
                    async with self._deps.db.begin() as conn:
                        await call_store.record_bridged(conn, batch)
                except Exception:
                    log.exception(
                        "campaign %s: recording %d bridged calls failed",
                        self.campaign.name,
                        len(batch),
                    )
        finally:
            self._writing_bridged = False

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _agent_available(self, session: AgentSession) -> None:
        if self.id not in session.campaigns:
            return
        started = self._wrap_started.pop(session.agent_id, None)
        if started is not None:
            self.stats.record_wrap(self._deps.clock.now(), self._deps.clock.now() - started)
        self._wake.set()
