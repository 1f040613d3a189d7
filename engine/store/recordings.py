"""Queries for recordings: rows, the calls they belong to, search, retention."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    exists,
    extract,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.errors import NotFound
from engine.store.tables import (
    agents,
    calls,
    campaigns,
    contacts,
    disposition_options,
    dispositions,
    recordings,
)


@dataclass(frozen=True)
class RecordingFilter:
    """What a search asks for; every field narrows it, None means any."""

    date_from: datetime | None = None
    date_to: datetime | None = None
    agent_id: int | None = None
    campaign_id: int | None = None
    source: str | None = None
    number: str | None = None
    exclude_numbers: tuple[str, ...] = ()
    tag: str | None = None
    data_key: str | None = None
    data_value: str | None = None
    hour_from: int | None = None
    hour_to: int | None = None
    disposition: str | None = None
    min_duration: float | None = None
    min_calls_to_number: int | None = None
    before_id: int | None = None
    limit: int = 50
    offset: int = 0


# --- calls and campaigns, as recordings need them ----------------------------------------


async def call_by_uuid(conn: AsyncConnection, uuid: str) -> RowMapping | None:
    query = select(
        calls.c.id, calls.c.uuid, calls.c.created_at, calls.c.campaign_id, calls.c.agent_id
    ).where(calls.c.uuid == uuid)
    return (await conn.execute(query)).mappings().first()


async def recording_mode(conn: AsyncConnection, campaign_id: int) -> str | None:
    query = select(campaigns.c.recording_mode).where(campaigns.c.id == campaign_id)
    return (await conn.execute(query)).scalar_one_or_none()


async def agent_user(conn: AsyncConnection, agent_id: int) -> int | None:
    query = select(agents.c.user_id).where(agents.c.id == agent_id)
    return (await conn.execute(query)).scalar_one_or_none()


async def agent_of_user(conn: AsyncConnection, user_id: int) -> int | None:
    query = select(agents.c.id).where(agents.c.user_id == user_id)
    return (await conn.execute(query)).scalar_one_or_none()


# --- rows -------------------------------------------------------------------------------


async def insert_recording(
    conn: AsyncConnection,
    *,
    call_id: int | None,
    path: str,
    fmt: str,
    duration: float | None,
    size: int,
    created_at: datetime,
    tags: Sequence[str] = (),
) -> int | None:
    """The new row's id; None if a row already holds `path` (the same file, ingested twice)."""
    values = {
        "call_id": call_id,
        "path": path,
        "format": fmt,
        "duration_seconds": duration,
        "size_bytes": size,
        "tags": list(tags),
        "created_at": created_at,
    }
    try:
        async with conn.begin_nested():
            result = await conn.execute(
                insert(recordings).values(values).returning(recordings.c.id)
            )
    except IntegrityError:
        return None
    return int(result.scalar_one())


async def path_taken(conn: AsyncConnection, path: str) -> bool:
    query = select(recordings.c.id).where(recordings.c.path == path)
    return (await conn.execute(query)).first() is not None


async def paths_taken(conn: AsyncConnection, paths: Sequence[str]) -> set[str]:
    if not paths:
        return set()
    query = select(recordings.c.path).where(recordings.c.path.in_(list(paths)))
    return set((await conn.execute(query)).scalars())


async def converted(
    conn: AsyncConnection,
    recording_id: int,
    *,
    old_path: str,
    path: str,
    fmt: str,
    size: int,
    duration: float,
) -> bool:
    """Point the row at the converted file, unless it changed meanwhile."""
    result = await conn.execute(
        update(recordings)
        .where(recordings.c.id == recording_id, recordings.c.path == old_path)
        .values(path=path, format=fmt, size_bytes=size, duration_seconds=duration)
    )
    return bool(result.rowcount)


async def conversion_candidates(conn: AsyncConnection, formats: Sequence[str]) -> list[int]:
    query = (
        select(recordings.c.id)
        .where(recordings.c.format.in_(list(formats)))
        .order_by(recordings.c.id)
    )
    return list((await conn.execute(query)).scalars())


async def set_tags(conn: AsyncConnection, recording_id: int, tags: Sequence[str]) -> None:
    result = await conn.execute(
        update(recordings).where(recordings.c.id == recording_id).values(tags=list(tags))
    )
    if not result.rowcount:
        raise NotFound(f"no recording {recording_id}", {"recording_id": recording_id})


async def expired(conn: AsyncConnection, before: datetime, limit: int) -> list[RowMapping]:
    query = (
        select(recordings.c.id, recordings.c.path)
        .where(recordings.c.created_at < before)
        .order_by(recordings.c.id)
        .limit(limit)
    )
    return list((await conn.execute(query)).mappings())


async def delete_rows(conn: AsyncConnection, ids: Sequence[int]) -> int:
    if not ids:
        return 0
    result = await conn.execute(delete(recordings).where(recordings.c.id.in_(list(ids))))
    return int(result.rowcount)


# --- reading and searching ----------------------------------------------------------------


def _listing() -> Select[Any]:
    return select(
        recordings.c.id,
        recordings.c.path,
        recordings.c.format,
        recordings.c.duration_seconds,
        recordings.c.size_bytes,
        recordings.c.tags,
        recordings.c.created_at,
        calls.c.uuid.label("call_uuid"),
        calls.c.campaign_id,
        calls.c.agent_id,
        calls.c.number,
        calls.c.source,
        calls.c.direction,
        calls.c.created_at.label("call_started_at"),
        disposition_options.c.name.label("disposition"),
    ).select_from(
        recordings.outerjoin(calls, calls.c.id == recordings.c.call_id)
        .outerjoin(dispositions, dispositions.c.call_id == calls.c.id)
        .outerjoin(disposition_options, disposition_options.c.id == dispositions.c.option_id)
    )


async def get_recording(conn: AsyncConnection, recording_id: int) -> RowMapping:
    result = await conn.execute(_listing().where(recordings.c.id == recording_id))
    row: RowMapping | None = result.mappings().first()
    if row is None:
        raise NotFound(f"no recording {recording_id}", {"recording_id": recording_id})
    return row


def _has_tag(dialect: str, tag: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return type_coerce(recordings.c.tags, JSONB).contains([tag])
    values = func.json_each(recordings.c.tags).table_valued("value")
    return exists(select(1).select_from(values).where(values.c.value == tag))


def _call_data(key: str, value: str) -> ColumnElement[bool]:
    in_contact = (
        select(1)
        .select_from(contacts)
        .where(contacts.c.id == calls.c.contact_id, contacts.c.data[key].as_string() == value)
    )
    return or_(calls.c.variables[key].as_string() == value, exists(in_contact))


def _hours(first: int | None, last: int | None, dialect: str) -> ColumnElement[bool] | None:
    if first is None and last is None:
        return None
    started: ColumnElement[Any] = calls.c.created_at
    if dialect == "postgresql":
        # EXTRACT reads a timestamptz in the session's zone; the API speaks UTC.
        started = func.timezone("UTC", started)
    hour = extract("hour", started)
    if first is None:
        return hour <= last
    if last is None:
        return hour >= first
    if first <= last:
        return and_(hour >= first, hour <= last)
    return or_(hour >= first, hour <= last)  # across midnight, e.g. 22 to 2


def _period(f: RecordingFilter) -> list[ColumnElement[bool]]:
    found = []
    if f.date_from is not None:
        found.append(calls.c.created_at >= f.date_from)
    if f.date_to is not None:
        found.append(calls.c.created_at < f.date_to)
    return found


def _busy_numbers(f: RecordingFilter, minimum: int) -> Select[Any]:
    """Numbers called at least `minimum` times (within the date range, if one is given)."""
    return (
        select(calls.c.number)
        .where(*_period(f))
        .group_by(calls.c.number)
        .having(func.count() >= minimum)
    )


def _conditions(f: RecordingFilter, dialect: str) -> list[ColumnElement[bool]]:
    where = _period(f)
    equal = {
        calls.c.agent_id: f.agent_id,
        calls.c.campaign_id: f.campaign_id,
        calls.c.source: f.source,
        calls.c.number: f.number,
        disposition_options.c.name: f.disposition,
    }
    where += [col == value for col, value in equal.items() if value is not None]
    if f.exclude_numbers:
        where.append(calls.c.number.not_in(list(f.exclude_numbers)))
    if f.tag is not None:
        where.append(_has_tag(dialect, f.tag))
    if f.data_key is not None and f.data_value is not None:
        where.append(_call_data(f.data_key, f.data_value))
    hours = _hours(f.hour_from, f.hour_to, dialect)
    if hours is not None:
        where.append(hours)
    if f.min_duration is not None:
        where.append(recordings.c.duration_seconds >= f.min_duration)
    if f.min_calls_to_number is not None:
        where.append(calls.c.number.in_(_busy_numbers(f, f.min_calls_to_number)))
    if f.before_id is not None:
        where.append(recordings.c.id < f.before_id)
    return where


async def search(
    conn: AsyncConnection,
    f: RecordingFilter,
    *,
    only_agent: int | None = None,
    only_campaigns: Collection[int] | None = None,
) -> tuple[list[RowMapping], bool]:
    """Newest first; the rows and whether more follow.

    `only_agent` scopes to one agent's calls; `only_campaigns` to those
    campaigns' calls and calls of no campaign.
    """
    query = _listing().where(*_conditions(f, conn.dialect.name))
    if only_agent is not None:
        query = query.where(calls.c.agent_id == only_agent)
    if only_campaigns is not None:
        query = query.where(
            or_(calls.c.campaign_id.in_(sorted(only_campaigns)), calls.c.campaign_id.is_(None))
        )
    query = query.order_by(recordings.c.id.desc()).limit(f.limit + 1).offset(f.offset)
    rows = list((await conn.execute(query)).mappings())
    return rows[: f.limit], len(rows) > f.limit
