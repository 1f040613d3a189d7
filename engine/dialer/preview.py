"""Preview dialling: an agent asks for its next lead, reads it, then dials or skips it.

The lead is claimed for that agent (no other agent or runner can take it)
through the same spool rules as every other claim; dialling it places a
click-to-call on the agent's live leg whose outcome goes back to the spool
through the campaign's runner, like any dialled call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from engine.agents.sessions import AgentSession
from engine.agents.state import AgentStatus
from engine.clock import utc_datetime
from engine.dialer.runner import CampaignRunner
from engine.dialer.spool import Claim
from engine.errors import Conflict, NotFound
from engine.store import spool as spool_store
from engine.store.tables import spool_entries

# A skipped lead waits this long before it is offered again.
SKIP_DELAY = timedelta(hours=1)


def claimant(agent_id: int) -> str:
    return f"preview:{agent_id}"


@dataclass(frozen=True)
class PreviewLead:
    lead_id: int
    campaign_id: int
    number: str
    position: int
    contact: dict[str, Any] = field(default_factory=dict)
    external_id: str | None = None


async def next_lead(runner: CampaignRunner, session: AgentSession) -> PreviewLead | None:
    if session.status not in (AgentStatus.IDLE, AgentStatus.PAUSED, AgentStatus.WRAP_UP):
        raise Conflict("the agent is on a call", {"state": session.status.value})
    deps = runner.deps
    when = utc_datetime(deps.clock.now())
    async with deps.db.begin() as conn:
        taken = await runner.select_and_claim(
            conn, 1, when, claimant(session.agent_id), for_agent=session.agent_id
        )
        if not taken:
            return None
        claim = taken[0]
        contact = await spool_store.contact_of_entry(conn, claim.entry_id)
    return PreviewLead(
        claim.entry_id,
        runner.id,
        claim.number,
        claim.position,
        dict(contact["data"] or {}) if contact else {},
        contact["external_id"] if contact else None,
    )


async def _held_claim(runner: CampaignRunner, agent_id: int, lead_id: int) -> Any:
    async with runner.deps.db.connect() as conn:
        row = (
            await conn.execute(
                select(spool_entries.c.state, spool_entries.c.claimed_by).where(
                    spool_entries.c.id == lead_id, spool_entries.c.campaign_id == runner.id
                )
            )
        ).first()
    if row is None:
        raise NotFound(f"no lead {lead_id} in this campaign", {"lead_id": lead_id})
    if row.state != "claimed" or row.claimed_by != claimant(agent_id):
        raise Conflict("this lead is not held by this agent for preview", {"lead_id": lead_id})
    return row


async def dial(runner: CampaignRunner, session: AgentSession, lead: PreviewLead) -> str:
    """Call the previewed lead on the agent's live leg; returns the call id."""
    await _held_claim(runner, session.agent_id, lead.lead_id)
    deps = runner.deps
    if session.status is AgentStatus.PAUSED:
        deps.sessions.unpause(session.agent_id)
    elif session.status is AgentStatus.WRAP_UP:
        deps.sessions.wrapup_done(session.agent_id)
    if not session.state.available:
        raise Conflict("the agent was just given a call", {"state": session.status.value})
    when = utc_datetime(deps.clock.now())
    async with deps.db.begin() as conn:
        plan = await runner.open_call(conn, Claim(lead.lead_id, lead.position, lead.number), when)
    deps.sessions.reserve(session, plan.call_id)
    await runner.dial_for_agent(plan, session)
    return plan.call_id


async def skip(runner: CampaignRunner, agent_id: int, lead_id: int, reason: str) -> None:
    """Give the lead back; it is offered again after SKIP_DELAY."""
    await _held_claim(runner, agent_id, lead_id)
    now = utc_datetime(runner.deps.clock.now())
    async with runner.deps.db.begin() as conn:
        await conn.execute(
            update(spool_entries)
            .where(spool_entries.c.id == lead_id, spool_entries.c.state == "claimed")
            .values(
                state="waiting_retry",
                due_at=now + SKIP_DELAY,
                claimed_by=None,
                claimed_at=None,
                last_outcome=f"skipped: {reason}"[:30],
                updated_at=now,
            )
        )


class PreviewDesk:
    """The leads each agent holds for preview, between `next` and `dial` / `skip`."""

    def __init__(self) -> None:
        self._held: dict[tuple[int, int], PreviewLead] = {}

    def offered(self, agent_id: int, lead: PreviewLead) -> None:
        self._held[(agent_id, lead.lead_id)] = lead

    def take(self, agent_id: int, lead_id: int) -> PreviewLead:
        lead = self._held.pop((agent_id, lead_id), None)
        if lead is None:
            raise NotFound("this agent holds no such lead for preview", {"lead_id": lead_id})
        return lead

    def peek(self, agent_id: int, lead_id: int) -> PreviewLead:
        lead = self._held.get((agent_id, lead_id))
        if lead is None:
            raise NotFound("this agent holds no such lead for preview", {"lead_id": lead_id})
        return lead
