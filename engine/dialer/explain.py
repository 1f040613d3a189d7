""" "Why is this lead not dialled?": the spool rules' verdicts, read from the database.

The same pure `evaluate` decides claims; here it explains one entry (every
rule that holds it back and when each lifts) or tallies a campaign's waiting
entries per blocking rule ("the hopper is empty because...").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from engine.dialer.spool import (
    WAITING_STATES,
    CampaignView,
    ComplianceContext,
    SpoolEntryView,
    Verdict,
    closing_state,
    evaluate,
)
from engine.errors import NotFound
from engine.store import campaigns as campaign_store
from engine.store import spool as spool_store

# A campaign's tally looks at this many waiting entries at most, in dialling order.
TALLY_LIMIT = 20_000


@dataclass(frozen=True)
class CampaignTally:
    campaign_id: int
    waiting: int
    eligible_now: int
    blocked: dict[str, int]
    sampled: bool


async def _context(
    conn: AsyncConnection, view: CampaignView, entries: list[SpoolEntryView], now: datetime
) -> ComplianceContext:
    numbers = [d.number for e in entries for d in e.destinations]
    return await spool_store.compliance_context(
        conn, view.id, numbers, spool_store.lookback(view), now
    )


async def campaign_view(conn: AsyncConnection, campaign_id: int) -> CampaignView:
    row = await campaign_store.get_campaign(conn, campaign_id)
    return CampaignView.from_row(dict(row), row["custom_rule_pack"])


async def explain_entry(conn: AsyncConnection, entry_id: int, now: datetime) -> Verdict:
    entry = await spool_store.entry(conn, entry_id)
    if entry is None:
        raise NotFound(f"no lead {entry_id} in the spool", {"lead_id": entry_id})
    view = await campaign_view(conn, entry.campaign_id)
    return evaluate(entry, view, await _context(conn, view, [entry], now), now)


async def tally_campaign(conn: AsyncConnection, campaign_id: int, now: datetime) -> CampaignTally:
    view = await campaign_view(conn, campaign_id)
    entries = await spool_store.entries_of_campaign(
        conn, campaign_id, [s.value for s in WAITING_STATES], limit=TALLY_LIMIT + 1
    )
    sampled = len(entries) > TALLY_LIMIT
    entries = entries[:TALLY_LIMIT]
    ctx = await _context(conn, view, entries, now)
    blocked: Counter[str] = Counter()
    eligible = 0
    for entry in entries:
        verdict = evaluate(entry, view, ctx, now)
        eligible += verdict.eligible
        blocked.update(block.value for block in verdict.blocks)
    return CampaignTally(campaign_id, len(entries), eligible, dict(blocked), sampled)


async def close_finished(
    conn: AsyncConnection, campaign_id: int, now: datetime, limit: int = 2000
) -> dict[str, int]:
    """Give waiting entries that can never be dialled again their terminal state
    (expired, failed, done), so that the spool's counts add up; how many, by state."""
    view = await campaign_view(conn, campaign_id)
    entries = await spool_store.entries_of_campaign(
        conn, campaign_id, [s.value for s in WAITING_STATES], limit=limit
    )
    ctx = await _context(conn, view, entries, now)
    closed: Counter[str] = Counter()
    for entry in entries:
        state = closing_state(evaluate(entry, view, ctx, now))
        if state is not None:
            await spool_store.set_state(conn, entry.id, state, now)
            closed[state.value] += 1
    return dict(closed)
