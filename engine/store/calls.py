"""Queries for call records (one row per attempt or manual call)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, true, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.store.tables import calls


async def create_call(conn: AsyncConnection, **values: Any) -> int:
    """Written before the originate is sent, with the channel id we chose, so that a
    crash in between leaves a record that start-up recovery can match against ARI."""
    result = await conn.execute(insert(calls).values(**values).returning(calls.c.id))
    return int(result.scalar_one())


async def create_calls(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Several call records (the same columns in each) in one statement; see `create_call`."""
    if rows:
        await conn.execute(insert(calls), [dict(row) for row in rows])


async def record_bridged(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
    """The answer and bridging facts of several calls in one statement: each row has
    `uuid`, `answered_at`, `bridged_at` and `agent_id`."""
    if not rows:
        return
    await conn.execute(
        update(calls)
        .where(calls.c.uuid == bindparam("b_uuid"))
        .values(
            answered_at=bindparam("b_answered_at"),
            bridged_at=bindparam("b_bridged_at"),
            agent_id=bindparam("b_agent_id"),
        ),
        [
            {
                "b_uuid": row["uuid"],
                "b_answered_at": row["answered_at"],
                "b_bridged_at": row["bridged_at"],
                "b_agent_id": row["agent_id"],
            }
            for row in rows
        ],
    )


async def update_call(conn: AsyncConnection, uuid: str, **values: Any) -> None:
    await conn.execute(update(calls).where(calls.c.uuid == uuid).values(**values))


async def end_call(
    conn: AsyncConnection, uuid: str, *, ended_at: datetime, outcome: str, cause: int | None
) -> None:
    await conn.execute(
        update(calls)
        .where(calls.c.uuid == uuid, calls.c.ended_at.is_(None))
        .values(ended_at=ended_at, outcome=outcome, hangup_cause=cause)
    )


async def open_calls(conn: AsyncConnection) -> list[RowMapping]:
    """Calls not ended: after a restart, those whose channel is gone get closed."""
    result = await conn.execute(select(calls).where(calls.c.ended_at.is_(None)))
    return list(result.mappings())


async def pacing_history(
    conn: AsyncConnection, campaign_id: int, since: datetime, limit: int
) -> list[RowMapping]:
    """The campaign's finished outbound attempts since `since`, newest first, at
    most `limit`: what its pacing starts from (`engine.dialer.pacing.history`)."""
    result = await conn.execute(
        select(
            calls.c.created_at,
            calls.c.answered_at,
            calls.c.bridged_at,
            calls.c.ended_at,
            calls.c.outcome,
        )
        .where(
            calls.c.campaign_id == campaign_id,
            calls.c.direction == "outbound",
            calls.c.created_at >= since,
            calls.c.outcome.is_not(None),
        )
        .order_by(calls.c.created_at.desc())
        .limit(limit)
    )
    return list(result.mappings())


async def get_call(conn: AsyncConnection, uuid: str) -> RowMapping | None:
    return (await conn.execute(select(calls).where(calls.c.uuid == uuid))).mappings().first()


async def search(
    conn: AsyncConnection,
    *,
    filters: Mapping[str, Any],
    variables: Mapping[str, str],
    limit: int,
    offset: int,
    campaigns: Collection[int] | None = None,
) -> tuple[list[RowMapping], int]:
    """Calls matching every filter given, newest first; and how many match in all.

    `campaigns` narrows the search to those campaigns' calls and calls of no
    campaign (None: no narrowing).
    """
    conditions = []
    if campaigns is not None:
        conditions.append(
            or_(calls.c.campaign_id.in_(sorted(campaigns)), calls.c.campaign_id.is_(None))
        )
    if (number := filters.get("number")) is not None:
        conditions.append(or_(calls.c.number == number, calls.c.source == number))
    for key, column in (
        ("source", calls.c.source),
        ("destination", calls.c.number),
        ("campaign_id", calls.c.campaign_id),
        ("agent_id", calls.c.agent_id),
        ("outcome", calls.c.outcome),
        ("direction", calls.c.direction),
        ("contact_id", calls.c.contact_id),
    ):
        if (value := filters.get(key)) is not None:
            conditions.append(column == value)
    if (since := filters.get("since")) is not None:
        conditions.append(calls.c.created_at >= since)
    if (until := filters.get("until")) is not None:
        conditions.append(calls.c.created_at < until)
    for name, value in variables.items():
        conditions.append(calls.c.variables[name].as_string() == value)
    query = select(calls).where(and_(true(), *conditions))
    total = (await conn.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await conn.execute(
        query.order_by(calls.c.created_at.desc(), calls.c.id.desc()).limit(limit).offset(offset)
    )
    return list(rows.mappings()), int(total)
