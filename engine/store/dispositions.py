"""Queries for disposition options and dispositions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import desc, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.errors import Conflict, NotFound
from engine.store.tables import (
    calls,
    contacts,
    disposition_options,
    dispositions,
    spool_destinations,
    spool_entries,
)


async def create_option(conn: AsyncConnection, values: dict[str, Any]) -> int:
    try:
        result = await conn.execute(
            insert(disposition_options).values(**values).returning(disposition_options.c.id)
        )
    except IntegrityError:
        raise Conflict(f"disposition option {values['name']!r} already exists here") from None
    return int(result.scalar_one())


async def get_option(conn: AsyncConnection, option_id: int) -> RowMapping:
    row = (
        (
            await conn.execute(
                select(disposition_options).where(disposition_options.c.id == option_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no disposition option {option_id}", {"option_id": option_id})
    return row


async def list_options(conn: AsyncConnection, campaign_id: int) -> list[RowMapping]:
    result = await conn.execute(
        select(disposition_options)
        .where(disposition_options.c.campaign_id == campaign_id)
        .order_by(disposition_options.c.level, disposition_options.c.id)
    )
    return list(result.mappings())


async def update_option(conn: AsyncConnection, option_id: int, values: dict[str, Any]) -> None:
    try:
        await conn.execute(
            update(disposition_options)
            .where(disposition_options.c.id == option_id)
            .values(**values)
        )
    except IntegrityError:
        raise Conflict("another option of the campaign has that name") from None


async def create(conn: AsyncConnection, values: dict[str, Any]) -> int:
    try:
        result = await conn.execute(
            insert(dispositions).values(**values).returning(dispositions.c.id)
        )
    except IntegrityError:
        raise Conflict(
            "this contact already has a disposition in this campaign; modify it instead",
            {"campaign_id": values["campaign_id"], "contact_id": values["contact_id"]},
        ) from None
    return int(result.scalar_one())


async def get(conn: AsyncConnection, disposition_id: int) -> RowMapping:
    row = (
        (await conn.execute(select(dispositions).where(dispositions.c.id == disposition_id)))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no disposition {disposition_id}", {"disposition_id": disposition_id})
    return row


async def modify(
    conn: AsyncConnection, disposition_id: int, values: dict[str, Any], now: datetime
) -> None:
    await conn.execute(
        update(dispositions)
        .where(dispositions.c.id == disposition_id)
        .values(**values, updated_at=now)
    )


async def search(
    conn: AsyncConnection,
    *,
    agent_id: int | None,
    campaign_id: int | None,
    limit: int,
    offset: int,
) -> list[RowMapping]:
    query = select(dispositions).order_by(desc(dispositions.c.id)).limit(limit).offset(offset)
    if agent_id is not None:
        query = query.where(dispositions.c.agent_id == agent_id)
    if campaign_id is not None:
        query = query.where(dispositions.c.campaign_id == campaign_id)
    return list((await conn.execute(query)).mappings())


async def contact_in_campaign(conn: AsyncConnection, contact_id: int, database_id: int) -> bool:
    found = await conn.execute(
        select(contacts.c.id).where(
            contacts.c.id == contact_id, contacts.c.database_id == database_id
        )
    )
    return found.first() is not None


async def latest_entry_and_position(
    conn: AsyncConnection, campaign_id: int, contact_id: int, call_id: int | None
) -> tuple[int, int] | None:
    """The contact's spool entry in the campaign and the destination last dialled."""
    entry_id = (
        await conn.execute(
            select(spool_entries.c.id)
            .where(
                spool_entries.c.campaign_id == campaign_id,
                spool_entries.c.contact_id == contact_id,
            )
            .order_by(desc(spool_entries.c.id))
            .limit(1)
        )
    ).scalar_one_or_none()
    if entry_id is None:
        return None
    number = None
    if call_id is not None:
        number = (
            await conn.execute(select(calls.c.number).where(calls.c.id == call_id))
        ).scalar_one_or_none()
    query = select(spool_destinations.c.position).where(spool_destinations.c.entry_id == entry_id)
    if number is not None:
        query = query.where(spool_destinations.c.number == number)
    position = (
        await conn.execute(
            query.order_by(
                spool_destinations.c.last_attempt_at.desc().nulls_last(),
                spool_destinations.c.position,
            ).limit(1)
        )
    ).scalar_one_or_none()
    return (int(entry_id), int(position)) if position is not None else None


async def call_by_uuid(conn: AsyncConnection, uuid: str) -> RowMapping | None:
    return (await conn.execute(select(calls).where(calls.c.uuid == uuid))).mappings().first()
