"""Queries for scheduled calls (callbacks at a time, for an agent or for anyone)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.store.tables import scheduled_calls, spool_entries


def _where(
    campaign_id: int, number: str | None, since: datetime | None, until: datetime | None
) -> Any:
    conditions = [
        scheduled_calls.c.campaign_id == campaign_id,
        scheduled_calls.c.state == "pending",
    ]
    if number is not None:
        conditions.append(scheduled_calls.c.number == number)
    if since is not None:
        conditions.append(scheduled_calls.c.call_at >= since)
    if until is not None:
        conditions.append(scheduled_calls.c.call_at < until)
    return and_(*conditions)


async def pending(
    conn: AsyncConnection,
    campaign_id: int,
    number: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[RowMapping]:
    result = await conn.execute(
        select(scheduled_calls)
        .where(_where(campaign_id, number, since, until))
        .order_by(scheduled_calls.c.call_at, scheduled_calls.c.id)
    )
    return list(result.mappings())


async def cancel(
    conn: AsyncConnection,
    campaign_id: int,
    number: str | None,
    since: datetime | None,
    until: datetime | None,
    *,
    now: datetime,
) -> int:
    """Cancel the matching callbacks and the waiting spool entries that carry them."""
    rows = await pending(conn, campaign_id, number, since, until)
    if not rows:
        return 0
    await conn.execute(
        update(scheduled_calls)
        .where(scheduled_calls.c.id.in_([r["id"] for r in rows]))
        .values(state="cancelled")
    )
    entry_ids = [r["spool_entry_id"] for r in rows if r["spool_entry_id"] is not None]
    if entry_ids:
        await conn.execute(
            update(spool_entries)
            .where(
                spool_entries.c.id.in_(entry_ids),
                spool_entries.c.is_callback.is_(True),
                spool_entries.c.state.in_(["pending", "waiting_retry"]),
            )
            .values(state="cancelled", updated_at=now)
        )
    return len(rows)
