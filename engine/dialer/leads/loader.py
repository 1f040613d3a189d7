"""The I/O shell around the parsers: leads into contacts, spool entries and destinations.

A load is a `lead_loads` row. Parsed rows are written in batches, each its own
transaction tagged with the load id, so a crash loses at most the batch being
written and whatever was committed can be listed and taken back.

Duplicates: a row whose external id is given is the contact with that
external id in the campaign's contact database; a row without one is a
duplicate of the campaign's entry whose contact has the same main number.
Per policy a duplicate is skipped, updates the existing entry (contact data,
priority, variables, zone, bound agent, alternates; only while it is pending
or waiting for a retry, otherwise it is skipped), or is loaded again. A
contact found by external id that has no entry in this campaign yet (the
database is shared) gets one; contacts are never duplicated by external id.
Repeats inside one batch are written in order, so a later row sees an earlier.

For an HTTP upload, stream the body: `await load_leads(engine, campaign_id,
request.content.iter_chunked(1 << 16), ...)`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.dialer.leads.formats import make_decoder
from engine.dialer.leads.model import (
    DUPLICATE_POLICIES,
    FORMATS,
    MAX_REPORTED_ERRORS,
    ContactSchema,
    DuplicatePolicy,
    ExtraFields,
    Lead,
    LeadFormatError,
    LineError,
    LoadProgress,
    LoadReport,
    LoadSummary,
    ParseOptions,
    RemoveReport,
)
from engine.dialer.leads.phones import PhoneNormalizer, valid_zone
from engine.errors import NotFound, ValidationFailed
from engine.store import leads as store

log = logging.getLogger(__name__)

# Rows per transaction. Each batch rewrites the index pages its random keys
# (numbers, external ids) land on, so small batches rewrite the same pages
# over and over as the tables grow; 20,000 rows keep a batch's memory to a few
# tens of MB.
DEFAULT_BATCH = 20_000
# Bigger chunks are cut, so one feed never holds more than this many bytes of rows.
_FEED_BYTES = 1 << 16
_REMOVE_BATCH = 2000

Source = AsyncIterable[bytes] | Iterable[bytes]


@dataclass(frozen=True, slots=True)
class _Target:
    campaign_id: int
    database_id: int
    schema: ContactSchema
    campaign_names: frozenset[str]
    zone: str


async def _target(conn: AsyncConnection, campaign_id: int) -> _Target:
    row = await store.campaign_target(conn, campaign_id)
    if row is None:
        raise NotFound(f"no campaign with id {campaign_id}")
    if row["contact_database_id"] is None:
        raise ValidationFailed(f"campaign {row['name']!r} has no contact database")
    names = {str(row["name"])}
    if row["external_id"]:
        names.add(str(row["external_id"]))
    return _Target(
        campaign_id=int(row["id"]),
        database_id=int(row["contact_database_id"]),
        schema=ContactSchema.from_row(row),
        campaign_names=frozenset(names),
        zone=str(row["timezone"] or "UTC"),
    )


def _agent_index(directory: list[tuple[int, str, str]]) -> dict[str, int]:
    """Agent ids by name, endpoint, and endpoint without technology (1001 for PJSIP/1001)."""
    index: dict[str, int] = {}
    for agent_id, _name, endpoint in directory:
        index.setdefault(endpoint.rsplit("/", 1)[-1], agent_id)
    for agent_id, _name, endpoint in directory:
        index[endpoint] = agent_id
    for agent_id, name, _endpoint in directory:
        index[name] = agent_id
    return index


async def _chunks(source: Source) -> AsyncIterator[bytes]:
    if isinstance(source, AsyncIterable):
        async for chunk in source:
            yield chunk
        return
    for chunk in source:
        yield chunk
        # Reading a local file never yields to the loop by itself.
        await asyncio.sleep(0)


def _check_arguments(fmt: str, duplicate_policy: str, default_region: str) -> None:
    if fmt not in FORMATS:
        raise ValidationFailed(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if duplicate_policy not in DUPLICATE_POLICIES:
        raise ValidationFailed(
            f"unknown duplicate policy {duplicate_policy!r}; "
            f"use one of {', '.join(DUPLICATE_POLICIES)}"
        )
    try:
        PhoneNormalizer(default_region)
    except ValueError:
        raise ValidationFailed(f"unknown region {default_region!r}") from None


async def load_leads(
    engine: AsyncEngine,
    campaign_id: int,
    source: Source,
    fmt: str,
    *,
    default_region: str,
    duplicate_policy: DuplicatePolicy,
    now: datetime,
    source_name: str,
    progress: Callable[[LoadProgress], None] | None = None,
    extra_fields: ExtraFields = "error",
    timezone: str | None = None,
    encoding: str = "utf-8",
    batch_size: int = DEFAULT_BATCH,
) -> LoadReport:
    """Load a lead file into a campaign; see the module docstring for the rules.

    `timezone` is the zone of every row that gives none (uContact's upload
    with time zone). Raises NotFound / ValidationFailed before writing
    anything for a bad campaign or argument, and LeadFormatError when the
    input is unreadable before any row could be stored; an input that breaks
    later ends the load with status "failed" and the reason in `fatal`.
    """
    _check_arguments(fmt, duplicate_policy, default_region)
    if timezone is not None and not valid_zone(timezone):
        raise ValidationFailed(f"unknown time zone {timezone!r}")
    async with engine.connect() as conn:
        target = await _target(conn, campaign_id)
        agents = _agent_index(await store.agent_directory(conn))
    decoder = make_decoder(
        fmt,
        target.schema,
        ParseOptions(
            default_region=default_region,
            timezone=timezone,
            naive_zone=target.zone,
            extra_fields=extra_fields,
            campaign_names=target.campaign_names,
            encoding=encoding,
        ),
    )
    async with engine.begin() as conn:
        load_id = await store.create_load(
            conn, campaign_id=campaign_id, source_name=source_name, fmt=fmt
        )
    report = LoadReport(load_id, campaign_id, source_name, fmt)
    writer = _Writer(
        engine, target, load_id, policy=duplicate_policy, now=now, agents=agents, report=report
    )
    reader = _Reader(writer, report, batch_size, progress)
    try:
        async for chunk in _chunks(source):
            for start in range(0, len(chunk), _FEED_BYTES):
                piece = chunk[start : start + _FEED_BYTES]
                reader.bytes_read += len(piece)
                await reader.take(decoder.feed(piece))
        await reader.take(decoder.close())
        await reader.flush()
        report.status = "done"
    except LeadFormatError as exc:
        await reader.flush()
        if not (report.loaded or report.updated or report.skipped):
            async with engine.begin() as conn:
                await store.delete_load(conn, load_id)
            raise
        report.fatal = str(exc)
        report.status = "failed"
    except Exception:
        report.status = "failed"
        await _set_status(engine, load_id, "failed")
        raise
    await _set_status(engine, load_id, report.status)
    log.info(
        "lead load %s into campaign %s: %s loaded, %s updated, %s skipped, %s failed",
        load_id,
        campaign_id,
        report.loaded,
        report.updated,
        report.skipped,
        report.failed,
    )
    return report


async def _set_status(engine: AsyncEngine, load_id: int, status: str) -> None:
    async with engine.begin() as conn:
        await store.set_load_status(conn, load_id, status)


class _Reader:
    """Gathers parsed rows into batches and errors into the report."""

    def __init__(
        self,
        writer: _Writer,
        report: LoadReport,
        batch_size: int,
        progress: Callable[[LoadProgress], None] | None,
    ) -> None:
        self.writer = writer
        self.report = report
        self.batch_size = max(1, batch_size)
        self.progress = progress
        self.pending: list[Lead] = []
        self.pending_failed = 0
        self.bytes_read = 0
        self._last_failed_line = 0

    async def take(self, items: list[Lead | LineError]) -> None:
        report = self.report
        for item in items:
            if isinstance(item, Lead):
                self.pending.append(item)
                if len(self.pending) >= self.batch_size:
                    await self.flush()
                continue
            report.errors_total += 1
            if len(report.errors) < MAX_REPORTED_ERRORS:
                report.errors.append(item)
            if item.line != self._last_failed_line:
                self._last_failed_line = item.line
                report.failed += 1
                self.pending_failed += 1

    async def flush(self) -> None:
        if not self.pending and not self.pending_failed:
            return
        leads, self.pending = self.pending, []
        failed, self.pending_failed = self.pending_failed, 0
        await self.writer.write(leads, failed)
        if self.progress is not None:
            r = self.report
            self.progress(
                LoadProgress(
                    load_id=r.load_id,
                    rows=r.rows,
                    loaded=r.loaded,
                    updated=r.updated,
                    skipped=r.skipped,
                    failed=r.failed,
                    bytes_read=self.bytes_read,
                )
            )


@dataclass(slots=True)
class _Plan:
    """What one run of rows (no key repeated) turns into."""

    # Rows that get a new contact, in the order of their entries.
    contacts: list[Lead] = field(default_factory=list)
    # (lead, existing contact id or None for the next new contact)
    entries: list[tuple[Lead, int | None]] = field(default_factory=list)
    updates: list[tuple[Lead, int, int]] = field(default_factory=list)
    skipped: int = 0


def _runs(leads: list[Lead]) -> list[list[Lead]]:
    """Cut the batch where a row repeats an earlier row's key, so lookups see the earlier one.

    A row's key is its external id when it has one, else its main number; a
    row's main number also counts against later rows keyed by number.
    """
    runs: list[list[Lead]] = [[]]
    run = runs[0]
    externals: set[str] = set()
    phones: set[str] = set()
    for lead in leads:
        external_id = lead.external_id
        if (external_id in externals) if external_id else (lead.phone in phones):
            run = []
            runs.append(run)
            externals.clear()
            phones.clear()
        if external_id:
            externals.add(external_id)
        phones.add(lead.phone)
        run.append(lead)
    return runs


class _Writer:
    def __init__(
        self,
        engine: AsyncEngine,
        target: _Target,
        load_id: int,
        *,
        policy: DuplicatePolicy,
        now: datetime,
        agents: dict[str, int],
        report: LoadReport,
    ) -> None:
        self.engine = engine
        self.target = target
        self.load_id = load_id
        self.policy = policy
        self.now = now
        self.agents = agents
        self.report = report
        self.convert = store.Converters(engine.dialect)
        self._now_value = self.convert.when(now)
        self._empty_json = self.convert.json({})

    async def write(self, leads: list[Lead], failed: int) -> None:
        async with self.engine.begin() as conn:
            await store.begin_batch(conn)
            loaded = 0
            for run in _runs(leads):
                if run:
                    loaded += await self._write_run(conn, run)
            await store.count_load(conn, self.load_id, loaded=loaded, failed=failed)

    async def _write_run(self, conn: AsyncConnection, leads: list[Lead]) -> int:
        target = self.target
        # "allow" loads a row whether or not its number is known, and only needs
        # the contact of a known external id, not its entry.
        allow = self.policy == "allow"
        by_phone: dict[str, store.Existing] = {}
        if not allow:
            phones = list(dict.fromkeys(x.phone for x in leads if not x.external_id))
            if phones:
                by_phone = await store.existing_by_phone(conn, target.campaign_id, phones)
        by_external: dict[str, store.Existing] = {}
        external_ids = [x.external_id for x in leads if x.external_id]
        if external_ids:
            by_external = await store.existing_by_external_id(
                conn, target.database_id, target.campaign_id, external_ids, with_entries=not allow
            )
        plan = self._plan(leads, by_phone, by_external)
        convert = self.convert
        load_id = self.load_id
        database_id = target.database_id
        encode = convert.json
        new_ids = await store.new_contact_ids(conn, len(plan.contacts))
        await store.insert_contacts(
            conn,
            [
                (cid, database_id, x.external_id, x.phone, encode(x.data), x.timezone, load_id)
                for cid, x in zip(new_ids, plan.contacts, strict=True)
            ],
            convert,
        )
        entry_ids = await store.new_entry_ids(conn, len(plan.entries))
        fresh = iter(new_ids)
        entry_rows: list[tuple[Any, ...]] = []
        destinations: list[tuple[int, int, str, int]] = []
        for entry_id, (lead, contact_id) in zip(entry_ids, plan.entries, strict=True):
            entry_rows.append(
                self._entry_row(entry_id, lead, next(fresh) if contact_id is None else contact_id)
            )
            destinations.append((entry_id, 0, lead.phone, 0))
            if lead.alternates:
                destinations.extend(
                    (entry_id, position, number, 0)
                    for position, number in enumerate(lead.alternates, start=1)
                )
        await store.insert_entries(conn, entry_rows, convert)
        if plan.updates:
            await self._update(conn, plan.updates, destinations)
        await store.insert_destinations(conn, destinations, convert)
        self.report.loaded += len(entry_rows)
        self.report.updated += len(plan.updates)
        self.report.skipped += plan.skipped
        return len(entry_rows)

    def _plan(
        self,
        leads: list[Lead],
        by_phone: dict[str, store.Existing],
        by_external: dict[str, store.Existing],
    ) -> _Plan:
        plan = _Plan()
        policy = self.policy
        new_contacts = plan.contacts
        entries = plan.entries
        for lead in leads:
            found = (
                by_external.get(lead.external_id) if lead.external_id else by_phone.get(lead.phone)
            )
            if found is None:
                new_contacts.append(lead)
                entries.append((lead, None))
            elif found.entry_id is None or policy == "allow":
                # Known by external id: one contact, another entry.
                if lead.external_id:
                    entries.append((lead, found.contact_id))
                    if policy == "update":
                        plan.updates.append((lead, found.contact_id, 0))
                else:
                    new_contacts.append(lead)
                    entries.append((lead, None))
            elif policy == "update" and found.state in store.EDITABLE_STATES:
                plan.updates.append((lead, found.contact_id, found.entry_id))
            else:
                plan.skipped += 1
        return plan

    def _entry_row(self, entry_id: int, lead: Lead, contact_id: int) -> tuple[Any, ...]:
        convert = self.convert
        return (
            entry_id,
            self.target.campaign_id,
            contact_id,
            lead.priority,
            "pending",
            self._now_value if lead.due_at is None else convert.when(lead.due_at),
            None if lead.expires_at is None else convert.when(lead.expires_at),
            convert.json(lead.variables) if lead.variables else self._empty_json,
            None if lead.agent is None else self._agent(lead.agent),
            lead.timezone,
            self.load_id,
        )

    def _agent(self, ref: str | None) -> int | None:
        if ref is None:
            return None
        agent_id = self.agents.get(ref)
        if agent_id is None:
            self.report.unresolved_agents += 1
        return agent_id

    async def _update(
        self,
        conn: AsyncConnection,
        updates: list[tuple[Lead, int, int]],
        destinations: list[tuple[int, int, str, int]],
    ) -> None:
        await store.update_contacts(
            conn,
            [
                {"b_id": contact_id, "data": dict(lead.data), "timezone": lead.timezone}
                for lead, contact_id, _ in updates
            ],
        )
        entries = [(lead, entry_id) for lead, _, entry_id in updates if entry_id]
        await store.update_entries(
            conn,
            [
                {
                    "b_id": entry_id,
                    "priority": lead.priority,
                    "variables": dict(lead.variables),
                    "timezone": lead.timezone,
                    "bound_agent_id": self._agent(lead.agent),
                }
                for lead, entry_id in entries
            ],
            self.now,
        )
        for lead, entry_id in entries:
            destinations.extend(
                (entry_id, position, number, 0)
                for position, number in enumerate(lead.alternates, start=1)
            )


async def list_loads(engine: AsyncEngine, campaign_id: int) -> list[LoadSummary]:
    async with engine.connect() as conn:
        rows = await store.list_loads(conn, campaign_id)
    return [
        LoadSummary(
            id=int(r["id"]),
            campaign_id=int(r["campaign_id"]),
            source_name=str(r["source_name"]),
            format=str(r["format"]),
            status=str(r["status"]),
            rows_loaded=int(r["rows_loaded"]),
            rows_failed=int(r["rows_failed"]),
            created_at=r["created_at"],
            entries=int(r["entries"]),
        )
        for r in rows
    ]


async def remove_load(engine: AsyncEngine, load_id: int) -> RemoveReport:
    """Take a load back: its entries nobody is dialling, then its contacts nothing needs.

    Claimed or dialling entries, and finished ones (their history), stay; so do
    their contacts, and contacts with calls, dispositions or schedules. The
    load row goes when nothing of it is left, else it is marked "removed".
    Works in batches, so a large load does not hold the write lock for long.
    """
    async with engine.connect() as conn:
        if await store.get_load(conn, load_id) is None:
            raise NotFound(f"no lead load with id {load_id}")
    entries_removed = await _remove_in_batches(
        engine, load_id, store.editable_entry_ids, store.delete_entries
    )
    contacts_removed = await _remove_in_batches(
        engine, load_id, store.removable_contact_ids, store.delete_contacts
    )
    async with engine.begin() as conn:
        kept_entries, kept_contacts = await store.load_leftovers(conn, load_id)
        deleted = not kept_entries and not kept_contacts
        if deleted:
            await store.delete_load(conn, load_id)
        else:
            await store.set_load_status(conn, load_id, "removed")
    return RemoveReport(
        load_id=load_id,
        entries_removed=entries_removed,
        contacts_removed=contacts_removed,
        entries_kept=kept_entries,
        contacts_kept=kept_contacts,
        load_deleted=deleted,
    )


async def _remove_in_batches(
    engine: AsyncEngine,
    load_id: int,
    pick: Callable[[AsyncConnection, int, int], Any],
    remove: Callable[[AsyncConnection, list[int]], Any],
) -> int:
    total = 0
    while True:
        async with engine.begin() as conn:
            await store.begin_batch(conn)
            ids = await pick(conn, load_id, _REMOVE_BATCH)
            removed = await remove(conn, ids) if ids else 0
        if not removed:
            # Nothing (more) to take: done, or what is left changed state meanwhile.
            return total
        total += removed
