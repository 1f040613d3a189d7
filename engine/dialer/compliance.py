"""Compliance records of a campaign: abandon rates, attempts by hour, blocked dials."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.dialer.explain import tally_campaign
from engine.dialer.outcomes import Outcome
from engine.store.tables import calls

# The denominators of FTC / FCC / Ofcom abandon rules: calls answered by a person.
LIVE = (Outcome.ANSWERED.value, Outcome.ABANDONED.value, Outcome.CUSTOMER_HANGUP.value)


@dataclass(frozen=True)
class AbandonRate:
    live_answered: int
    abandoned: int

    @property
    def percent(self) -> float:
        return round(100 * self.abandoned / self.live_answered, 3) if self.live_answered else 0.0


@dataclass(frozen=True)
class ComplianceReport:
    campaign_id: int
    at: datetime
    abandon_24h: AbandonRate
    abandon_30d: AbandonRate
    attempts_by_hour: dict[str, int]  # "YYYY-MM-DDTHH" (UTC) -> calls, last 24 h
    blocked_now: dict[str, int]  # waiting leads per blocking rule


async def _abandon(conn: AsyncConnection, campaign_id: int, since: datetime) -> AbandonRate:
    result = await conn.execute(
        select(calls.c.outcome, func.count())
        .where(
            calls.c.campaign_id == campaign_id,
            calls.c.created_at >= since,
            calls.c.outcome.in_(LIVE),
        )
        .group_by(calls.c.outcome)
    )
    counts = {outcome: int(count) for outcome, count in result}
    return AbandonRate(sum(counts.values()), counts.get(Outcome.ABANDONED.value, 0))


async def report(conn: AsyncConnection, campaign_id: int, now: datetime) -> ComplianceReport:
    day_ago = now - timedelta(hours=24)
    starts = await conn.execute(
        select(calls.c.created_at).where(
            calls.c.campaign_id == campaign_id, calls.c.created_at >= day_ago
        )
    )
    by_hour = Counter(at.strftime("%Y-%m-%dT%H") for (at,) in starts)
    tally = await tally_campaign(conn, campaign_id, now)
    return ComplianceReport(
        campaign_id=campaign_id,
        at=now,
        abandon_24h=await _abandon(conn, campaign_id, day_ago),
        abandon_30d=await _abandon(conn, campaign_id, now - timedelta(days=30)),
        attempts_by_hour=dict(sorted(by_hour.items())),
        blocked_now=tally.blocked,
    )
