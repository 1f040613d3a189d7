"""The I/O shell around the parsers: leads into contacts, spool entries and destinations.

A load is a `lead_loads` row. Parsed rows are written in batches, each its own
transaction tagged with the load id (writer.py, which also holds the rules
for duplicates), so a crash loses at most the batch being written and
whatever was committed can be listed and taken back.

While one batch is written (SQLite works in aiosqlite's thread, PostgreSQL
on the server) the next is parsed; at most one batch is in flight, so memory
stays bounded and a batch's duplicate lookups see every batch before it. On
SQLite, a third thread copies committed batches from the log into the
database meanwhile (engine/store/checkpoints.py).

For an HTTP upload, stream the body: `await load_leads(engine, campaign_id,
request.content.iter_chunked(1 << 16), ...)`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.dialer.leads.formats import Decoder, make_decoder
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
from engine.dialer.leads.writer import Batch, Row, Target, Writer, row
from engine.errors import NotFound, ValidationFailed
from engine.store import leads as store
from engine.store.checkpoints import off_the_writer

log = logging.getLogger(__name__)

# Rows per transaction. Each batch rewrites the index pages its random keys
# (numbers) land on, so small batches rewrite the same pages over and over
# as the tables grow; two batches of 60,000 rows (one written, one gathered)
# take a few tens of MB.
DEFAULT_BATCH = 60_000
# Nothing is written while the first batch is parsed, so the first batches
# are small and grow to the full size: the writer, the slower of the two
# (about 15 us a row against 11 us of parsing), starts within milliseconds
# and is kept busy from then on.
FIRST_BATCH = 4096
_BATCH_GROWTH = 1.5
# Bigger chunks are cut, so one feed never holds more than this many bytes of
# rows, and the loop soon gets back to the batch in flight, every statement
# of which waits for it.
_FEED_BYTES = 16 << 10
_REMOVE_BATCH = 2000

Source = AsyncIterable[bytes] | Iterable[bytes]


async def _target(conn: AsyncConnection, campaign_id: int) -> Target:
    found = await store.campaign_target(conn, campaign_id)
    if found is None:
        raise NotFound(f"no campaign with id {campaign_id}")
    if found["contact_database_id"] is None:
        raise ValidationFailed(f"campaign {found['name']!r} has no contact database")
    names = {str(found["name"])}
    if found["external_id"]:
        names.add(str(found["external_id"]))
    return Target(
        campaign_id=int(found["id"]),
        database_id=int(found["contact_database_id"]),
        schema=ContactSchema.from_row(found),
        campaign_names=frozenset(names),
        zone=str(found["timezone"] or "UTC"),
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
    first_batch: int = FIRST_BATCH,
) -> LoadReport:
    """Load a lead file into a campaign; see the module docstring for the rules.

    `timezone` is the zone of every row that gives none (uContact's upload
    with time zone). Batches start at `first_batch` rows and grow to
    `batch_size`. Raises NotFound / ValidationFailed before writing
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
    async with engine.connect() as conn, off_the_writer(engine, conn) as checkpoints:
        writer = Writer(
            conn,
            target,
            load_id,
            policy=duplicate_policy,
            now=now,
            agents=agents,
            report=report,
            checkpoints=checkpoints,
        )
        reader = _Reader(writer, report, (first_batch, batch_size), progress)
        try:
            await _read(source, decoder, reader)
            report.status = "done"
        except LeadFormatError as exc:
            await reader.finish()
            if not (report.loaded or report.updated or report.skipped):
                async with engine.begin() as other:
                    await store.delete_load(other, load_id)
                raise
            report.fatal = str(exc)
            report.status = "failed"
        except Exception:
            report.status = "failed"
            await reader.settle()
            await _set_status(engine, load_id, "failed")
            raise
        finally:
            # Only when the load itself is cancelled is a batch still in flight here.
            await reader.settle(cancel=True)
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


async def _read(source: Source, decoder: Decoder, reader: _Reader) -> None:
    async for chunk in _chunks(source):
        for start in range(0, len(chunk), _FEED_BYTES):
            piece = chunk[start : start + _FEED_BYTES]
            reader.bytes_read += len(piece)
            await reader.take(decoder.feed(piece))
            # Parsing never waits by itself: let the batch in flight go on.
            await asyncio.sleep(0)
    await reader.take(decoder.close())
    await reader.finish()


async def _set_status(engine: AsyncEngine, load_id: int, status: str) -> None:
    async with engine.begin() as conn:
        await store.set_load_status(conn, load_id, status)


class _Reader:
    """Gathers parsed rows into batches and errors into the report.

    A full batch is written by a task of its own while the next one is
    gathered; the next waits for it, so only one is ever in flight.
    """

    def __init__(
        self,
        writer: Writer,
        report: LoadReport,
        batch_sizes: tuple[int, int],
        progress: Callable[[LoadProgress], None] | None,
    ) -> None:
        self.writer = writer
        self.report = report
        first, most = batch_sizes
        self.batch_size = max(1, most)
        self._next_size = max(1, min(first, most))
        self.progress = progress
        self.pending: list[Row] = []
        self.layout = writer.layout()
        self.pending_failed = 0
        self.bytes_read = 0
        self._last_failed_line = 0
        self._writing: asyncio.Task[None] | None = None

    async def take(self, items: list[Lead | LineError]) -> None:
        report = self.report
        for item in items:
            if isinstance(item, Lead):
                taken = row(item)
                self.pending.append(taken)
                if self.layout is not None:
                    self.layout.add(taken)
                if len(self.pending) >= self._next_size:
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
        """Start writing what was gathered, once the batch before it is written."""
        if not self.pending and not self.pending_failed:
            return
        rows, self.pending = self.pending, []
        failed, self.pending_failed = self.pending_failed, 0
        self._next_size = min(self.batch_size, int(self._next_size * _BATCH_GROWTH))
        batch = self.writer.prepare(rows, failed, self.layout)
        self.layout = self.writer.layout()
        await self.wait()
        self._writing = asyncio.create_task(self._write(batch))

    async def wait(self) -> None:
        """Until the batch in flight is written; its error is raised here."""
        writing, self._writing = self._writing, None
        if writing is not None:
            await writing

    async def finish(self) -> None:
        await self.flush()
        await self.wait()

    async def settle(self, *, cancel: bool = False) -> None:
        """Let the batch in flight end (or cancel it) while the load fails for another reason.

        Its own failure, if any, is logged: the load's error is the one raised.
        """
        writing, self._writing = self._writing, None
        if writing is None:
            return
        if cancel:
            writing.cancel()
        await asyncio.wait([writing])
        if not writing.cancelled() and writing.exception() is not None:
            log.error(
                "lead load %s: a batch failed too",
                self.report.load_id,
                exc_info=writing.exception(),
            )

    async def _write(self, batch: Batch) -> None:
        await self.writer.write(batch)
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
            await store.tune_for_bulk(conn)
            ids = await pick(conn, load_id, _REMOVE_BATCH)
            removed = await remove(conn, ids) if ids else 0
        if not removed:
            # Nothing (more) to take: done, or what is left changed state meanwhile.
            return total
        total += removed
