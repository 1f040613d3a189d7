"""Queries of the spool: candidates for a claim round, the compliance context,
claims, and applying the rules' `SpoolAction`s.

The rules themselves are pure (engine/dialer/spool.py); this module only reads
rows into their views and writes back what they decide.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from engine.dialer.outcomes import Outcome
from engine.dialer.spool import (
    IN_FLIGHT_STATES,
    WAITING_STATES,
    Attempt,
    CampaignView,
    Claim,
    ClaimRecord,
    ComplianceContext,
    DestinationView,
    Release,
    SpoolAction,
    SpoolEntryView,
    SpoolState,
)
from engine.store.tables import (
    calls,
    contacts,
    dnc_entries,
    dnc_lists,
    scheduled_calls,
    spool_destinations,
    spool_entries,
)

# The list that BLACKLIST dispositions feed: global, so no campaign dials the number.
BLACKLIST = "blacklist"
_WAITING = [state.value for state in WAITING_STATES]
_IN_FLIGHT = [state.value for state in IN_FLIGHT_STATES]


def _outcome(value: str | None) -> Outcome | None:
    try:
        return Outcome(value) if value else None
    except ValueError:
        return None


def _destination(row: RowMapping) -> DestinationView:
    counts = {
        outcome: int(count)
        for key, count in (row["outcome_counts"] or {}).items()
        if (outcome := _outcome(key)) is not None
    }
    return DestinationView(
        position=row["position"],
        number=row["number"],
        priority=row["priority"],
        attempts=row["attempts"],
        last_attempt_at=row["last_attempt_at"],
        last_outcome=_outcome(row["last_outcome"]),
        exhausted=row["exhausted"],
        outcome_counts=counts,
    )


def _entry(row: RowMapping, destinations: Sequence[DestinationView]) -> SpoolEntryView:
    return SpoolEntryView(
        id=row["id"],
        campaign_id=row["campaign_id"],
        due_at=row["due_at"],
        destinations=tuple(sorted(destinations, key=lambda d: d.position)),
        priority=row["priority"],
        state=SpoolState(row["state"]),
        expires_at=row["expires_at"],
        attempts=row["attempts"],
        is_callback=row["is_callback"],
        bound_agent_id=row["bound_agent_id"],
        timezone=row["timezone"],
    )


async def _views(conn: AsyncConnection, rows: Sequence[RowMapping]) -> list[SpoolEntryView]:
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    found: defaultdict[int, list[DestinationView]] = defaultdict(list)
    result = await conn.execute(
        select(spool_destinations).where(spool_destinations.c.entry_id.in_(ids))
    )
    for dest in result.mappings():
        found[dest["entry_id"]].append(_destination(dest))
    return [_entry(row, found[row["id"]]) for row in rows]


async def candidates(
    conn: AsyncConnection, campaign_id: int, now: datetime, limit: int
) -> list[SpoolEntryView]:
    """Due waiting entries of a campaign in dialling order, locked where the backend can.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several engine nodes claim
    from one spool without ever seeing the same row; SQLite has a single writer.
    """
    query = (
        select(spool_entries)
        .where(
            spool_entries.c.campaign_id == campaign_id,
            spool_entries.c.state.in_(_WAITING),
            spool_entries.c.due_at <= now,
        )
        .order_by(
            spool_entries.c.is_callback.desc(),
            spool_entries.c.priority.desc(),
            spool_entries.c.due_at,
            spool_entries.c.id,
        )
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await conn.execute(query)).mappings())
    return await _views(conn, rows)


async def entry(conn: AsyncConnection, entry_id: int) -> SpoolEntryView | None:
    rows = list(
        (await conn.execute(select(spool_entries).where(spool_entries.c.id == entry_id))).mappings()
    )
    views = await _views(conn, rows)
    return views[0] if views else None


async def entries_of_campaign(
    conn: AsyncConnection, campaign_id: int, states: Iterable[str], limit: int
) -> list[SpoolEntryView]:
    """Entries in these states, in dialling order (due callbacks, priority, due time)."""
    query = (
        select(spool_entries)
        .where(
            spool_entries.c.campaign_id == campaign_id,
            spool_entries.c.state.in_(list(states)),
        )
        .order_by(
            spool_entries.c.is_callback.desc(),
            spool_entries.c.priority.desc(),
            spool_entries.c.due_at,
            spool_entries.c.id,
        )
        .limit(limit)
    )
    rows = list((await conn.execute(query)).mappings())
    out: list[SpoolEntryView] = []
    # IN (...) lists stay within every backend's parameter limit.
    for start in range(0, len(rows), 5000):
        out.extend(await _views(conn, rows[start : start + 5000]))
    return out


def lookback(campaign: CampaignView) -> timedelta:
    """How far back the calls that the campaign's rules look at go."""
    policy = campaign.retry
    windows = [policy.abandon_redial_block, timedelta(days=1)]  # a machine blocks one day
    for cap in (policy.caps.rolling, *campaign.rule_pack.all_rolling_caps):
        if cap is not None:
            windows.append(cap.window)
    return max(windows)


async def live_numbers(conn: AsyncConnection) -> set[str]:
    """Numbers on a call right now, in any campaign."""
    result = await conn.execute(select(calls.c.number).where(calls.c.ended_at.is_(None)))
    return {number for (number,) in result}


async def compliance_context(
    conn: AsyncConnection,
    campaign_id: int,
    numbers: Iterable[str],
    since: timedelta,
    now: datetime,
) -> ComplianceContext:
    """DNC, live calls and recent attempts for these numbers; `since`: see `lookback`."""
    wanted = sorted(set(numbers))
    dnc: dict[str, datetime | None] = {}
    attempts: list[Attempt] = []
    if wanted:
        blocked = await conn.execute(
            select(dnc_entries.c.number, func.max(dnc_entries.c.expires_at))
            .join(dnc_lists, dnc_lists.c.id == dnc_entries.c.list_id)
            .where(
                dnc_entries.c.number.in_(wanted),
                or_(dnc_lists.c.campaign_id.is_(None), dnc_lists.c.campaign_id == campaign_id),
                or_(dnc_entries.c.expires_at.is_(None), dnc_entries.c.expires_at > now),
            )
            .group_by(dnc_entries.c.number)
        )
        dnc = {number: expires for number, expires in blocked}
        # An entry with no expiry blocks forever, whatever other entries say.
        forever = await conn.execute(
            select(dnc_entries.c.number)
            .join(dnc_lists, dnc_lists.c.id == dnc_entries.c.list_id)
            .where(
                dnc_entries.c.number.in_(wanted),
                dnc_entries.c.expires_at.is_(None),
                or_(dnc_lists.c.campaign_id.is_(None), dnc_lists.c.campaign_id == campaign_id),
            )
        )
        dnc.update(dict.fromkeys((number for (number,) in forever), None))
        recent = await conn.execute(
            select(calls.c.number, calls.c.created_at, calls.c.outcome).where(
                calls.c.number.in_(wanted),
                calls.c.created_at >= now - since,
                calls.c.outcome.is_not(None),
            )
        )
        attempts = [
            Attempt(number, at, outcome)
            for number, at, raw in recent
            if (outcome := _outcome(raw)) is not None
        ]
    return ComplianceContext.of(
        dnc=dnc, live_numbers=await live_numbers(conn), recent_attempts=attempts
    )


async def claim(
    conn: AsyncConnection, claims: Sequence[Claim], node: str, now: datetime
) -> list[Claim]:
    """Mark entries claimed (compare-and-set on the state); the claims that took.

    One statement for the whole round: the entries still waiting are claimed,
    the others (taken meanwhile by another node) are left out of the answer.
    """
    unique: dict[int, Claim] = {}
    for chosen in claims:
        unique.setdefault(chosen.entry_id, chosen)
    if not unique:
        return []
    result = await conn.execute(
        update(spool_entries)
        .where(
            spool_entries.c.id.in_(list(unique)),
            spool_entries.c.state.in_(_WAITING),
        )
        .values(state=SpoolState.CLAIMED.value, claimed_by=node, claimed_at=now, updated_at=now)
        .returning(spool_entries.c.id)
    )
    took = set(result.scalars())
    return [chosen for entry_id, chosen in unique.items() if entry_id in took]


async def set_state(conn: AsyncConnection, entry_id: int, state: SpoolState, now: datetime) -> None:
    await conn.execute(
        update(spool_entries)
        .where(spool_entries.c.id == entry_id)
        .values(state=state.value, updated_at=now)
    )


async def set_states(
    conn: AsyncConnection, entry_ids: Sequence[int], state: SpoolState, now: datetime
) -> None:
    if entry_ids:
        await conn.execute(
            update(spool_entries)
            .where(spool_entries.c.id.in_(entry_ids))
            .values(state=state.value, updated_at=now)
        )


async def apply_action(conn: AsyncConnection, action: SpoolAction, now: datetime) -> None:
    """Write what the retry rules decided, in the caller's transaction."""
    in_flight_or_waiting = action.state in IN_FLIGHT_STATES or action.state in WAITING_STATES
    await conn.execute(
        update(spool_entries)
        .where(spool_entries.c.id == action.entry_id)
        .values(
            state=action.state.value,
            due_at=action.due_at,
            attempts=action.attempts,
            last_outcome=action.last_outcome,
            is_callback=action.is_callback,
            bound_agent_id=action.bound_agent_id,
            claimed_by=None,
            claimed_at=None,
            updated_at=now,
        )
    )
    if (dest := action.destination) is not None:
        await conn.execute(
            update(spool_destinations)
            .where(
                spool_destinations.c.entry_id == action.entry_id,
                spool_destinations.c.position == dest.position,
            )
            .values(
                attempts=dest.attempts,
                last_attempt_at=dest.last_attempt_at,
                last_outcome=dest.last_outcome.value if dest.last_outcome else None,
                exhausted=dest.exhausted,
                outcome_counts={k.value: v for k, v in dest.outcome_counts.items()},
            )
        )
    if action.dnc_add:
        await add_to_dnc(conn, BLACKLIST, action.dnc_add, reason=action.reason or "blacklist")
    if action.callback is not None and in_flight_or_waiting:
        await conn.execute(
            insert(scheduled_calls).values(
                campaign_id=select(spool_entries.c.campaign_id)
                .where(spool_entries.c.id == action.entry_id)
                .scalar_subquery(),
                spool_entry_id=action.entry_id,
                contact_id=select(spool_entries.c.contact_id)
                .where(spool_entries.c.id == action.entry_id)
                .scalar_subquery(),
                number=action.callback.number,
                call_at=action.callback.call_at,
                agent_id=action.callback.agent_id,
            )
        )


async def dnc_list_id(conn: AsyncConnection, name: str, campaign_id: int | None = None) -> int:
    """The id of the list named so, created (global or for the campaign) if missing."""
    found = (
        await conn.execute(select(dnc_lists.c.id).where(dnc_lists.c.name == name))
    ).scalar_one_or_none()
    if found is not None:
        return int(found)
    result = await conn.execute(
        insert(dnc_lists).values(name=name, campaign_id=campaign_id).returning(dnc_lists.c.id)
    )
    return int(result.scalar_one())


async def add_to_dnc(
    conn: AsyncConnection,
    list_name: str,
    numbers: Iterable[str],
    *,
    reason: str = "",
    expires_at: datetime | None = None,
) -> int:
    """Add numbers not yet on the list; how many were added."""
    list_id = await dnc_list_id(conn, list_name)
    wanted = sorted(set(numbers))
    if not wanted:
        return 0
    present = {
        number
        for (number,) in await conn.execute(
            select(dnc_entries.c.number).where(
                dnc_entries.c.list_id == list_id, dnc_entries.c.number.in_(wanted)
            )
        )
    }
    rows: list[dict[str, Any]] = [
        {"list_id": list_id, "number": n, "reason": reason, "expires_at": expires_at}
        for n in wanted
        if n not in present
    ]
    if rows:
        await conn.execute(insert(dnc_entries), rows)
    return len(rows)


async def in_flight(conn: AsyncConnection, node: str | None = None) -> list[ClaimRecord]:
    """Claimed or dialling entries, with the channel of their open call if any."""
    open_call = (
        select(calls.c.spool_entry_id, func.max(calls.c.channel_id).label("channel_id"))
        .where(calls.c.ended_at.is_(None))
        .group_by(calls.c.spool_entry_id)
        .subquery()
    )
    query = (
        select(
            spool_entries.c.id,
            spool_entries.c.state,
            spool_entries.c.claimed_at,
            open_call.c.channel_id,
        )
        .outerjoin(open_call, open_call.c.spool_entry_id == spool_entries.c.id)
        .where(spool_entries.c.state.in_(_IN_FLIGHT))
    )
    if node is not None:
        query = query.where(
            or_(spool_entries.c.claimed_by == node, spool_entries.c.claimed_by.is_(None))
        )
    return [
        ClaimRecord(entry_id, SpoolState(state), claimed_at, channel_id)
        for entry_id, state, claimed_at, channel_id in await conn.execute(query)
    ]


async def release(conn: AsyncConnection, releases: Iterable[Release], now: datetime) -> int:
    count = 0
    for item in releases:
        result = await conn.execute(
            update(spool_entries)
            .where(and_(spool_entries.c.id == item.entry_id, spool_entries.c.state.in_(_IN_FLIGHT)))
            .values(
                state=item.state.value,
                due_at=item.due_at,
                claimed_by=None,
                claimed_at=None,
                updated_at=now,
            )
        )
        count += result.rowcount
    return count


async def counts_by_state(conn: AsyncConnection, campaign_id: int) -> dict[str, int]:
    result = await conn.execute(
        select(spool_entries.c.state, func.count())
        .where(spool_entries.c.campaign_id == campaign_id)
        .group_by(spool_entries.c.state)
    )
    return {state: int(count) for state, count in result}


async def dnc_lists_all(conn: AsyncConnection) -> list[RowMapping]:
    result = await conn.execute(
        select(dnc_lists, func.count(dnc_entries.c.id).label("numbers"))
        .outerjoin(dnc_entries, dnc_entries.c.list_id == dnc_lists.c.id)
        .group_by(dnc_lists.c.id)
        .order_by(dnc_lists.c.id)
    )
    return list(result.mappings())


async def dnc_list(conn: AsyncConnection, list_id: int) -> RowMapping | None:
    result = await conn.execute(select(dnc_lists).where(dnc_lists.c.id == list_id))
    return result.mappings().first()


async def remove_from_dnc(conn: AsyncConnection, list_id: int, number: str) -> bool:
    result = await conn.execute(
        delete(dnc_entries).where(dnc_entries.c.list_id == list_id, dnc_entries.c.number == number)
    )
    return bool(result.rowcount)


async def dnc_hits(
    conn: AsyncConnection, number: str, campaign_id: int | None, now: datetime
) -> list[RowMapping]:
    """The lists that block this number for the campaign (global lists for None)."""
    scope: ColumnElement[bool] = dnc_lists.c.campaign_id.is_(None)
    if campaign_id is not None:
        scope = or_(scope, dnc_lists.c.campaign_id == campaign_id)
    result = await conn.execute(
        select(dnc_lists.c.id, dnc_lists.c.name, dnc_entries.c.reason, dnc_entries.c.expires_at)
        .join(dnc_entries, dnc_entries.c.list_id == dnc_lists.c.id)
        .where(
            dnc_entries.c.number == number,
            scope,
            or_(dnc_entries.c.expires_at.is_(None), dnc_entries.c.expires_at > now),
        )
    )
    return list(result.mappings())


async def contacts_of_entries(
    conn: AsyncConnection, entry_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """Entry id -> its contact (id, external_id, data, phone), in one query."""
    if not entry_ids:
        return {}
    result = await conn.execute(
        select(
            spool_entries.c.id.label("entry_id"),
            contacts.c.id,
            contacts.c.external_id,
            contacts.c.data,
            contacts.c.phone,
        )
        .join(spool_entries, spool_entries.c.contact_id == contacts.c.id)
        .where(spool_entries.c.id.in_(entry_ids))
    )
    found: dict[int, dict[str, Any]] = {}
    for row in result.mappings():
        contact = dict(row)
        found[contact.pop("entry_id")] = contact
    return found


async def contact_of_entry(conn: AsyncConnection, entry_id: int) -> RowMapping | None:
    result = await conn.execute(
        select(contacts.c.id, contacts.c.external_id, contacts.c.data, contacts.c.phone)
        .join(spool_entries, spool_entries.c.contact_id == contacts.c.id)
        .where(spool_entries.c.id == entry_id)
    )
    return result.mappings().first()
