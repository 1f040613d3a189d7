"""Queries for lead loads: contacts, spool entries and destinations in bulk.

On SQLite, new rows go in multi-row statements of as many rows as its limit
on bound parameters allows, all of a batch in one executemany: per row the
database binds values and nothing more, and Python only flattens tuples.
aiosqlite's thread holds the GIL only while it binds a statement's values (a
millisecond or so) and releases it while SQLite inserts them, so the event
loop parses the next batch meanwhile. (A statement a row, as a plain
executemany sends them, would take the GIL back between rows: the two
threads would run by turns.) PostgreSQL takes a plain executemany.

During a load the event loop is busy parsing, and each trip to aiosqlite's
thread waits for it, so the bulk statements go to the aiosqlite connection
itself (one trip, against SQLAlchemy's three), with their parameters made
in that thread. A batch of all new rows comes laid out ahead (`NewRows`),
its ids counted from 0 and written as base + value: once `any_known` has
found none of its keys, only the statements are left to run.

Values are converted once with the columns' own bind processors, so rows
read back exactly as if Core had written them. Duplicate lookups bind their
keys as one JSON array, however many there are.

The ids of new rows are allocated before the insert and written explicitly,
so nothing is read back (`new_ids`).

Duplicate lookups go by the contact (`ix_contacts_phone`, the external id's
unique index, `ix_spool_entries_contact_id`); the campaign is a filter only
(`campaign_id + 0`), or SQLite would walk every entry of the campaign
through `ix_spool_due` on each batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Dialect, RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.store.tables import (
    agents,
    calls,
    campaigns,
    contact_databases,
    contacts,
    dispositions,
    lead_loads,
    scheduled_calls,
    spool_destinations,
    spool_entries,
)

BULK_CACHE_KIB = 32 * 1024
# Entries a load may still change or take back: nobody is dialling them.
EDITABLE_STATES = ("pending", "waiting_retry")

_JSON = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False
)
_QUOTE = json.encoder.encode_basestring


def encode_json(value: Any) -> str:
    """The text of a JSON column: `_JSON.encode`, about twice as fast for the usual
    flat mapping of text to text.

    The json module's own string quoting builds the same text; a load's rows
    share their keys, so only the values are quoted a row. Any other shape
    (numbers, nesting, keys that are not text) goes to the encoder.
    """
    if type(value) is dict:
        try:
            return _object_template(tuple(value)) % tuple(map(_QUOTE, value.values()))
        except TypeError:
            pass
    return _JSON.encode(value)


@lru_cache(maxsize=64)
def _object_template(keys: tuple[str, ...]) -> str:
    """'{"k1":%s,"k2":%s}' for these keys (TypeError when one is not text)."""
    return "{" + ",".join(_QUOTE(k).replace("%", "%%") + ":%s" for k in keys) + "}"


@dataclass(frozen=True, slots=True)
class Existing:
    """A contact already known, and its spool entry in the campaign if it has one."""

    contact_id: int
    entry_id: int | None
    state: str | None


class Converters:
    """Python values to what the driver takes for one backend's column types."""

    def __init__(self, dialect: Dialect) -> None:
        self.when: Callable[[datetime], Any] = _processor(spool_entries.c.due_at, dialect)


def _processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)


async def tune_for_bulk(conn: AsyncConnection) -> None:
    """Settings for a connection that writes in bulk, kept for its lifetime."""
    if conn.dialect.name == "sqlite":
        # The default 2 MB page cache thrashes on the spool's indexes during a
        # bulk insert (a larger one than this gained nothing: the OS caches
        # the file too). Temporary B-trees (the lookups' IN lists) stay in memory.
        await conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        await conn.exec_driver_sql("PRAGMA temp_store=MEMORY")


# --- campaigns and agents ---------------------------------------------------------------


async def campaign_target(conn: AsyncConnection, campaign_id: int) -> RowMapping | None:
    """The campaign and the contact database its leads go to."""
    result = await conn.execute(
        select(
            campaigns.c.id,
            campaigns.c.name,
            campaigns.c.external_id,
            campaigns.c.timezone,
            campaigns.c.contact_database_id,
            contact_databases.c.fields,
            contact_databases.c.phone_fields,
            contact_databases.c.main_phone_field,
            contact_databases.c.external_id_field,
        )
        .select_from(campaigns.outerjoin(contact_databases))
        .where(campaigns.c.id == campaign_id)
    )
    return result.mappings().first()


async def find_campaign(conn: AsyncConnection, ref: str) -> int | None:
    """A campaign id from its id or its name."""
    if ref.isdigit():
        found = await conn.scalar(select(campaigns.c.id).where(campaigns.c.id == int(ref)))
        if found is not None:
            return int(found)
    found = await conn.scalar(select(campaigns.c.id).where(campaigns.c.name == ref))
    return None if found is None else int(found)


async def agent_directory(conn: AsyncConnection) -> list[tuple[int, str, str]]:
    result = await conn.execute(
        select(agents.c.id, agents.c.name, agents.c.endpoint).where(agents.c.active)
    )
    return [(int(r.id), str(r.name), str(r.endpoint)) for r in result]


# --- loads --------------------------------------------------------------------------------


async def create_load(
    conn: AsyncConnection, *, campaign_id: int, source_name: str, fmt: str
) -> int:
    result = await conn.execute(
        insert(lead_loads)
        .values(campaign_id=campaign_id, source_name=source_name[:255], format=fmt)
        .returning(lead_loads.c.id)
    )
    return int(result.scalar_one())


async def count_load(conn: AsyncConnection, load_id: int, *, loaded: int, failed: int) -> None:
    await conn.execute(
        update(lead_loads)
        .where(lead_loads.c.id == load_id)
        .values(
            rows_loaded=lead_loads.c.rows_loaded + loaded,
            rows_failed=lead_loads.c.rows_failed + failed,
        )
    )


async def set_load_status(conn: AsyncConnection, load_id: int, status: str) -> None:
    await conn.execute(update(lead_loads).where(lead_loads.c.id == load_id).values(status=status))


async def delete_load(conn: AsyncConnection, load_id: int) -> None:
    await conn.execute(delete(lead_loads).where(lead_loads.c.id == load_id))


async def get_load(conn: AsyncConnection, load_id: int) -> RowMapping | None:
    result = await conn.execute(select(lead_loads).where(lead_loads.c.id == load_id))
    return result.mappings().first()


async def list_loads(conn: AsyncConnection, campaign_id: int) -> list[RowMapping]:
    entries = (
        select(func.count())
        .where(spool_entries.c.load_id == lead_loads.c.id)
        .scalar_subquery()
        .label("entries")
    )
    result = await conn.execute(
        select(lead_loads, entries)
        .where(lead_loads.c.campaign_id == campaign_id)
        .order_by(lead_loads.c.id)
    )
    return list(result.mappings())


# --- duplicates ---------------------------------------------------------------------------


def _key_set(dialect: Dialect, *, integers: bool = False) -> Select[Any]:
    """The keys bound as one JSON array, `:keys`, as a subquery for IN."""
    keys = bindparam("keys", type_=JSON)
    if dialect.name == "sqlite":
        return select(literal_column("value")).select_from(func.json_each(keys))
    values = func.json_array_elements_text(cast(keys, JSON))
    return select(cast(values, Integer) if integers else values)


async def existing_by_phone(
    conn: AsyncConnection, campaign_id: int, phones: Sequence[str]
) -> dict[str, Existing]:
    """The campaign's entries whose contact has one of these main numbers (newest wins)."""
    query = (
        select(contacts.c.phone, contacts.c.id, spool_entries.c.id, spool_entries.c.state)
        .select_from(spool_entries.join(contacts, spool_entries.c.contact_id == contacts.c.id))
        .where(
            spool_entries.c.campaign_id + 0 == campaign_id,
            contacts.c.phone.in_(_key_set(conn.dialect)),
        )
        .with_for_update(of=spool_entries)
    )
    found: dict[str, tuple[int, int, str]] = {}
    for phone, contact_id, entry_id, state in await conn.execute(query, {"keys": list(phones)}):
        known = found.get(phone)
        if known is None or entry_id > known[1]:
            found[phone] = (contact_id, entry_id, state)
    return {phone: Existing(*row) for phone, row in found.items()}


async def existing_by_external_id(
    conn: AsyncConnection,
    database_id: int,
    campaign_id: int,
    external_ids: Sequence[str],
    *,
    with_entries: bool = True,
) -> dict[str, Existing]:
    """Contacts of the database with these external ids, with their entry in the campaign.

    Without `with_entries` the entries are not looked up (every `entry_id` is None).
    """
    result = await conn.execute(
        select(contacts.c.external_id, contacts.c.id).where(
            contacts.c.database_id == database_id,
            contacts.c.external_id.in_(_key_set(conn.dialect)),
        ),
        {"keys": list(external_ids)},
    )
    known = {str(ext): int(cid) for ext, cid in result}
    found = {ext: Existing(cid, None, None) for ext, cid in known.items()}
    if not known or not with_entries:
        return found
    by_contact = {cid: ext for ext, cid in known.items()}
    entries = await conn.execute(
        select(spool_entries.c.contact_id, spool_entries.c.id, spool_entries.c.state)
        .where(
            spool_entries.c.campaign_id + 0 == campaign_id,
            spool_entries.c.contact_id.in_(_key_set(conn.dialect, integers=True)),
        )
        .with_for_update(),
        {"keys": list(by_contact)},
    )
    newest: dict[int, tuple[int, str]] = {}
    for contact_id, entry_id, state in entries:
        seen = newest.get(contact_id)
        if seen is None or entry_id > seen[0]:
            newest[contact_id] = (entry_id, state)
    for contact_id, (entry_id, state) in newest.items():
        found[by_contact[contact_id]] = Existing(int(contact_id), int(entry_id), state)
    return found


# --- bulk writes --------------------------------------------------------------------------

# SQLite refuses more bound parameters in one statement.
MAX_PARAMETERS = 32_766
# Compiling a VALUES list costs more than its length: 10,922 rows of three
# values take 311 ms to prepare, 4,096 rows 44 ms, and run no faster a row. A
# load pays it once a statement (they are cached), but that was 2.5 s of a
# million rows; a million rows written alone: 30.6 / 25.0 s -> 26.9 / 20.8 s.
MAX_STATEMENT_ROWS = 4096
_SHORTER = 8


@dataclass(frozen=True, slots=True)
class _Bulk:
    table: Table
    # Columns with a value per row, in the order of the rows' tuples; the first is never NULL.
    row: tuple[str, ...]
    # Columns with one value for all rows.
    fixed: tuple[str, ...] = ()
    # On SQLite, the first `relative` columns of a row are ids written as a
    # base plus the row's value, the bases bound once ahead of the fixed
    # values: a batch's new rows are made before its ids are known (`NewRows`).
    relative: int = 0


_CONTACTS = _Bulk(
    contacts,
    row=("id", "external_id", "phone", "data", "timezone"),
    fixed=("database_id", "load_id"),
    relative=1,
)
_ENTRY_FIXED = ("campaign_id", "load_id")
_ENTRIES = _Bulk(
    spool_entries,
    row=(
        "id",
        "contact_id",
        "priority",
        "due_at",
        "expires_at",
        "variables",
        "bound_agent_id",
        "timezone",
    ),
    fixed=_ENTRY_FIXED,
    relative=2,
)
# Entries that steer nothing themselves take the table's defaults (priority 0,
# no expiry, variables, agent or zone): two values a row to bind instead of eight.
_PLAIN_ENTRIES = _Bulk(
    spool_entries, row=("id", "contact_id"), fixed=(*_ENTRY_FIXED, "due_at"), relative=2
)
_DESTINATIONS = _Bulk(spool_destinations, row=("entry_id", "position", "number"), relative=1)


@lru_cache(maxsize=16)
def _sqlite_sql(bulk: _Bulk, rows: int) -> str:
    """One statement for `rows` rows, the bases and fixed values bound once ahead
    of them; rows of NULLs pad the last statement of a batch, and the WHERE drops them.
    """
    width = len(bulk.row)
    selected = [
        f"? + column{i}" if i <= bulk.relative else f"column{i}" for i in range(1, width + 1)
    ] + ["?"] * len(bulk.fixed)
    values = ",".join(["(" + ",".join("?" * width) + ")"] * rows)
    return (
        f"INSERT INTO {bulk.table.name} ({', '.join(bulk.row + bulk.fixed)}) "
        f"SELECT {', '.join(selected)} FROM (VALUES {values}) WHERE column1 IS NOT NULL"
    )


async def _insert(
    conn: AsyncConnection, bulk: _Bulk, rows: Iterable[tuple[Any, ...]], fixed: tuple[Any, ...]
) -> None:
    if conn.dialect.name != "sqlite":
        # asyncpg sends a whole executemany at once, and has no thread to share the GIL with.
        columns = bulk.row + bulk.fixed
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        params = [(*row, *fixed) for row in rows]
        if params:
            await conn.exec_driver_sql(
                f"INSERT INTO {bulk.table.name} ({', '.join(columns)}) VALUES ({marks})", params
            )
        return
    # The rows' ids are whole: their bases are 0.
    await _insert_values(
        await _driver(conn), bulk, (0,) * bulk.relative + fixed, list(chain.from_iterable(rows))
    )


async def _driver(conn: AsyncConnection) -> Any:
    """The aiosqlite connection under a pooled one.

    A statement sent straight to it costs one trip to its thread, where
    SQLAlchemy's cursor takes three (open, execute, close), each waiting for
    the event loop, busy parsing the next batch during a load. It runs in
    the transaction the pooled connection began.
    """
    return (await conn.get_raw_connection()).driver_connection


async def _insert_values(
    driver: Any, bulk: _Bulk, head: tuple[Any, ...], values: list[Any]
) -> None:
    """Rows given as one flat list of values, `head` (bases, then fixed values) bound ahead of them.

    Two statement lengths a table: the longest allowed, and an eighth of it
    for the rest of a batch, padded. Statements of any length would each be
    compiled anew, and fill SQLite's statement cache at about 3 MB a statement.
    """
    width = len(bulk.row)
    longest = min((MAX_PARAMETERS - len(head)) // width, MAX_STATEMENT_ROWS)
    cut = len(values) // (longest * width) * longest * width
    await _execute_padded(driver, bulk, longest, head, values, start=0, stop=cut)
    shorter = max(1, longest // _SHORTER)
    await _execute_padded(driver, bulk, shorter, head, values, start=cut, stop=len(values))


async def _execute_padded(
    driver: Any,
    bulk: _Bulk,
    rows: int,
    head: tuple[Any, ...],
    values: list[Any],
    *,
    start: int,
    stop: int,
) -> None:
    """values[start:stop] in statements of `rows` rows, the last one padded, in one executemany.

    The statements' parameters are made by a generator, which the driver's
    thread runs as it goes: the event loop, parsing the next batch, has
    nothing to do for them.
    """
    if start >= stop:
        return
    step = rows * len(bulk.row)
    padding = (None,) * (-(stop - start) % step)

    def parameters() -> Iterator[tuple[Any, ...]]:
        for at in range(start, stop, step):
            chunk = (*head, *values[at : min(at + step, stop)])
            yield chunk + padding if at + step > stop else chunk

    await driver.executemany(_sqlite_sql(bulk, rows), parameters())


async def new_ids(
    conn: AsyncConnection, *, contacts_count: int, entries_count: int
) -> tuple[Sequence[int], Sequence[int]]:
    """Ids for new contacts and new spool entries, each in increasing order.

    On SQLite they are those above the largest ones: every transaction there
    holds the write lock from its start (engine/store/db.py begins them
    IMMEDIATE), so nobody else can take them before the rows are in.
    PostgreSQL draws them from the tables' sequences.
    """
    if conn.dialect.name == "sqlite":
        tops = select(
            select(func.max(contacts.c.id)).scalar_subquery(),
            select(func.max(spool_entries.c.id)).scalar_subquery(),
        )
        top_contact, top_entry = (await conn.execute(tops)).one()
        return _above(top_contact, contacts_count), _above(top_entry, entries_count)
    return (
        await _sequence_ids(conn, contacts, contacts_count),
        await _sequence_ids(conn, spool_entries, entries_count),
    )


def _above(top: int | None, count: int) -> range:
    first = int(top or 0) + 1
    return range(first, first + count)


async def _sequence_ids(conn: AsyncConnection, table: Table, count: int) -> Sequence[int]:
    if count <= 0:
        return []
    # PostgreSQL goes through asyncpg only (engine.store.db.SUPPORTED_DRIVERS).
    result = await conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence($1::text, 'id')) "
        "FROM generate_series(1, $2::integer) ORDER BY 1",
        (table.name, count),
    )
    return [int(i) for (i,) in result]


async def insert_contacts(
    conn: AsyncConnection, rows: Iterable[tuple[Any, ...]], *, database_id: int, load_id: int
) -> None:
    """Rows of (id from `new_ids`, external_id, phone, data (`encode_json`), timezone)."""
    await _insert(conn, _CONTACTS, rows, (database_id, load_id))


async def insert_entries(
    conn: AsyncConnection, rows: Iterable[tuple[Any, ...]], *, campaign_id: int, load_id: int
) -> None:
    """Pending entries, rows of (id from `new_ids`, contact_id, priority, due_at,
    expires_at (`Converters.when`), variables (`encode_json`), bound_agent_id, timezone).
    """
    await _insert(conn, _ENTRIES, rows, (campaign_id, load_id))


async def insert_plain_entries(
    conn: AsyncConnection,
    rows: Iterable[tuple[int, int]],
    *,
    campaign_id: int,
    load_id: int,
    due_at: Any,
) -> None:
    """Pending entries with the table's defaults, due at `due_at` (`Converters.when`):
    rows of (id from `new_ids`, contact_id).
    """
    await _insert(conn, _PLAIN_ENTRIES, rows, (campaign_id, load_id, due_at))


async def insert_destinations(conn: AsyncConnection, rows: Iterable[tuple[int, int, str]]) -> None:
    """Rows of (entry_id, position, number)."""
    await _insert(conn, _DESTINATIONS, rows, ())


@dataclass(slots=True)
class NewRows:
    """A batch in which every row is a new contact with a new entry, as flat lists
    of values, ids counted from 0 within the batch (`insert_new_rows`).

    A load makes them while the batch before is written, and uses them if
    its lookups find none of the rows known.
    """

    count: int
    # Per row: index, external_id, phone, data (`encode_json`), timezone.
    contacts: list[Any]
    # Per entry that takes the table's defaults: index, index of its contact.
    plain_entries: list[Any]
    # Per other entry: index, index of its contact, then as for `insert_entries`.
    entries: list[Any]
    # Per number: index of its entry, position, number.
    destinations: list[Any]
    # The rows' keys: external ids where given, the others' main numbers.
    external_ids: list[str]
    phones: list[str]


async def any_known(
    conn: AsyncConnection,
    database_id: int,
    campaign_id: int,
    *,
    external_ids: list[str],
    phones: list[str],
) -> bool:
    """SQLite: whether a contact of the database has one of the external ids, or
    an entry of the campaign a contact with one of the main numbers, as
    `existing_by_external_id` and `existing_by_phone` look them up; in one
    trip to the database's thread.
    """
    driver = await _driver(conn)
    ((known,),) = await driver.execute_fetchall(
        ANY_KNOWN_SQL,
        (database_id, _JSON.encode(external_ids), campaign_id, _JSON.encode(phones)),
    )
    return bool(known)


ANY_KNOWN_SQL = (
    "SELECT EXISTS (SELECT 1 FROM contacts WHERE database_id = ?"
    " AND external_id IN (SELECT value FROM json_each(?)))"
    " OR EXISTS (SELECT 1 FROM spool_entries JOIN contacts"
    " ON spool_entries.contact_id = contacts.id WHERE spool_entries.campaign_id + 0 = ?"
    " AND contacts.phone IN (SELECT value FROM json_each(?)))"
)


async def insert_new_rows(
    conn: AsyncConnection,
    rows: NewRows,
    *,
    database_id: int,
    campaign_id: int,
    load_id: int,
    due_at: Any,
) -> None:
    """SQLite only: the rows' ids follow the largest ones (as `new_ids`)."""
    driver = await _driver(conn)
    ((top_contact, top_entry),) = await driver.execute_fetchall(
        "SELECT (SELECT max(id) FROM contacts), (SELECT max(id) FROM spool_entries)"
    )
    contact = int(top_contact or 0) + 1
    entry = int(top_entry or 0) + 1
    await _insert_values(driver, _CONTACTS, (contact, database_id, load_id), rows.contacts)
    await _insert_values(
        driver,
        _PLAIN_ENTRIES,
        (entry, contact, campaign_id, load_id, due_at),
        rows.plain_entries,
    )
    await _insert_values(driver, _ENTRIES, (entry, contact, campaign_id, load_id), rows.entries)
    await _insert_values(driver, _DESTINATIONS, (entry,), rows.destinations)


async def update_contacts(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Rows of {"b_id", "data", "timezone"}."""
    if rows:
        await conn.execute(
            update(contacts)
            .where(contacts.c.id == _bind("b_id"))
            .values(data=_bind("data", contacts.c.data), timezone=_bind("timezone")),
            rows,
        )


async def update_entries(conn: AsyncConnection, rows: list[dict[str, Any]], now: datetime) -> None:
    """Rows of {"b_id", "priority", "variables", "timezone", "bound_agent_id"}, editable only."""
    if not rows:
        return
    await conn.execute(
        update(spool_entries)
        .where(
            spool_entries.c.id == _bind("b_id"),
            # IN would be expanded per execution, which executemany does not allow.
            or_(*(spool_entries.c.state == state for state in EDITABLE_STATES)),
        )
        .values(
            priority=_bind("priority"),
            variables=_bind("variables", spool_entries.c.variables),
            timezone=_bind("timezone"),
            bound_agent_id=_bind("bound_agent_id"),
            updated_at=now,
        ),
        rows,
    )
    await conn.execute(
        delete(spool_destinations).where(
            spool_destinations.c.entry_id.in_(_key_set(conn.dialect, integers=True)),
            spool_destinations.c.position > 0,
        ),
        {"keys": [row["b_id"] for row in rows]},
    )


def _bind(name: str, like: Column[Any] | None = None) -> Any:
    return bindparam(name, type_=like.type if like is not None else None)


# --- removal --------------------------------------------------------------------------------


async def editable_entry_ids(conn: AsyncConnection, load_id: int, limit: int) -> list[int]:
    result = await conn.scalars(
        select(spool_entries.c.id)
        .where(spool_entries.c.load_id == load_id, spool_entries.c.state.in_(EDITABLE_STATES))
        .order_by(spool_entries.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [int(i) for i in result]


async def delete_entries(conn: AsyncConnection, ids: Iterable[int]) -> int:
    ids = list(ids)
    # Destinations go with their entry (ON DELETE CASCADE).
    result = await conn.execute(
        delete(spool_entries).where(
            spool_entries.c.id.in_(ids), spool_entries.c.state.in_(EDITABLE_STATES)
        )
    )
    return int(result.rowcount)


def _unreferenced(contact_id: Any) -> Any:
    """A contact nothing else needs: no entry, call, disposition or scheduled call."""
    return and_(
        *(
            ~exists().where(column == contact_id)
            for column in (
                spool_entries.c.contact_id,
                calls.c.contact_id,
                dispositions.c.contact_id,
                scheduled_calls.c.contact_id,
            )
        )
    )


async def removable_contact_ids(conn: AsyncConnection, load_id: int, limit: int) -> list[int]:
    result = await conn.scalars(
        select(contacts.c.id)
        .where(contacts.c.load_id == load_id, _unreferenced(contacts.c.id))
        .order_by(contacts.c.id)
        .limit(limit)
    )
    return [int(i) for i in result]


async def delete_contacts(conn: AsyncConnection, ids: Iterable[int]) -> int:
    ids = list(ids)
    result = await conn.execute(
        delete(contacts).where(contacts.c.id.in_(ids), _unreferenced(contacts.c.id))
    )
    return int(result.rowcount)


async def load_leftovers(conn: AsyncConnection, load_id: int) -> tuple[dict[str, int], int]:
    """Entries of the load still there, by state, and its contacts still there."""
    result = await conn.execute(
        select(spool_entries.c.state, func.count())
        .where(spool_entries.c.load_id == load_id)
        .group_by(spool_entries.c.state)
    )
    states = {str(state): int(count) for state, count in result}
    kept_contacts = await conn.scalar(
        select(func.count()).select_from(contacts).where(contacts.c.load_id == load_id)
    )
    return states, int(kept_contacts or 0)
