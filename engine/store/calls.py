"""Queries for call records (one row per attempt or manual call)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.store.tables import calls


async def create_call(conn: AsyncConnection, **values: Any) -> int:
    """Written before the originate is sent, with the channel id we chose, so that a
    crash in between leaves a record that start-up recovery can match against ARI."""
    result = await conn.execute(insert(calls).values(**values).returning(calls.c.id))
    return int(result.scalar_one())


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


async def get_call(conn: AsyncConnection, uuid: str) -> RowMapping | None:
    return (await conn.execute(select(calls).where(calls.c.uuid == uuid))).mappings().first()
