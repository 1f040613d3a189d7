"""Batches of parsed leads into contacts, spool entries and destinations.

Each batch is one transaction tagged with the load id. Duplicates: a row
whose external id is given is the contact with that external id in the
campaign's contact database; a row without one is a duplicate of the
campaign's entry whose contact has the same main number. Per policy a
duplicate is skipped, updates the existing entry (contact data, priority,
variables, zone, bound agent, alternates; only while it is pending or waiting
for a retry, otherwise it is skipped), or is loaded again. A contact found by
external id that has no entry in this campaign yet (the database is shared)
gets one; contacts are never duplicated by external id. Repeats inside one
batch are written in order, so a later row sees an earlier.

On SQLite a batch is also laid out as all new rows while it is parsed
(`NewRowsLayout`); when none of its keys is known, which is the common case,
that layout is written as it is, and the general path is not taken.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from engine.dialer.leads.model import ContactSchema, DuplicatePolicy, Lead, LoadReport
from engine.store import leads as store
from engine.store.checkpoints import Checkpoints


@dataclass(frozen=True, slots=True)
class Target:
    """The campaign a load goes to."""

    campaign_id: int
    database_id: int
    schema: ContactSchema
    campaign_names: frozenset[str]
    zone: str


# A lead as a batch holds it until it is written: a plain tuple of text,
# numbers and times (the data and variables as their JSON text). The garbage
# collector stops tracking such a tuple the first time it sees it, whereas a
# Lead object, or a tuple holding a dict, stays tracked: a batch of those
# made the full collections a load triggers (one or two a batch) walk every
# row of the batch, a quarter of the event loop's time on a large load.
# The rows are made as they are parsed, so that as little as possible is
# left to do between a batch's statements.
Row = tuple[
    str,  # phone
    tuple[str, ...],  # alternates
    str | None,  # external_id
    str,  # data
    str,  # variables
    int,  # priority
    str | None,  # timezone
    str | None,  # agent
    datetime | None,  # due_at
    datetime | None,  # expires_at
    bool,  # steers: sets anything of its spool entry itself (else `insert_plain_entries`)
]
PHONE: Final = 0
ALTERNATES: Final = 1
EXTERNAL_ID: Final = 2
DATA: Final = 3
VARIABLES: Final = 4
PRIORITY: Final = 5
TIMEZONE: Final = 6
AGENT: Final = 7
DUE_AT: Final = 8
EXPIRES_AT: Final = 9
STEERS: Final = 10
_NO_VARIABLES = store.encode_json({})


def row(lead: Lead) -> Row:
    """The lead as a batch holds it (`Row`)."""
    return (
        lead.phone,
        lead.alternates,
        lead.external_id,
        store.encode_json(lead.data),
        store.encode_json(lead.variables) if lead.variables else _NO_VARIABLES,
        lead.priority,
        lead.timezone,
        lead.agent,
        lead.due_at,
        lead.expires_at,
        bool(
            lead.priority
            or lead.timezone
            or lead.agent
            or lead.due_at
            or lead.expires_at
            or lead.variables
        ),
    )


@dataclass(slots=True)
class _Plan:
    """What one run of rows (no key repeated) turns into; no container per row, as for `Row`."""

    # Rows that get a new contact, in the order of their entries.
    contacts: list[Row] = field(default_factory=list)
    entries: list[Row] = field(default_factory=list)
    # Per entry: the existing contact's id, or None for the next new contact;
    # None as a whole when every entry gets a new contact.
    entry_contacts: list[int | None] | None = None
    # (row, contact id, entry id or 0 when the contact has no entry in the campaign)
    updates: list[tuple[Row, int, int]] = field(default_factory=list)
    skipped: int = 0


@dataclass(slots=True)
class Batch:
    """Rows to write in one transaction (`Writer.prepare`)."""

    rows: list[Row]
    failed: int
    # Runs in which no key repeats (`_runs`), each written after the one before.
    runs: list[list[Row]]
    # On SQLite, a batch of one run made ready to write as all new, with
    # the agents it names that are not known.
    new_rows: store.NewRows | None = None
    unresolved_agents: int = 0


class NewRowsLayout:
    """A batch's rows laid out as all new (`store.NewRows`), row by row as they are parsed.

    Most batches turn out to be all new rows. With their values laid out
    ahead, the transaction, which holds SQLite's one write lock, has only
    its statements left to run, each a single trip to the database's thread.
    Row by row, so that the work is spread over the parsing, which the
    batch in flight waits on between its statements, instead of holding
    them up for a tenth of a second a batch.
    """

    def __init__(self, writer: Writer) -> None:
        self.count = 0
        self.contacts: list[Any] = []
        self.plain_entries: list[Any] = []
        self.entries: list[Any] = []
        self.destinations: list[Any] = []
        self.external_ids: list[str] = []
        self.phones: list[str] = []
        self.unresolved_agents = 0
        self._writer = writer

    def add(self, x: Row) -> None:
        i = self.count
        self.count = i + 1
        external_id = x[EXTERNAL_ID]
        if external_id:
            self.external_ids.append(external_id)
        else:
            self.phones.append(x[PHONE])
        self.contacts += (i, external_id, x[PHONE], x[DATA], x[TIMEZONE])
        if x[STEERS]:
            agent = x[AGENT]
            agent_id = None if agent is None else self._writer.agents.get(agent)
            if agent is not None and agent_id is None:
                self.unresolved_agents += 1
            self.entries += self._writer.entry_values(i, i, x, agent_id)
        else:
            self.plain_entries += (i, i)
        destinations = self.destinations
        destinations += (i, 0, x[PHONE])
        for position, number in enumerate(x[ALTERNATES], start=1):
            destinations += (i, position, number)

    def finish(self) -> tuple[store.NewRows, int]:
        """The rows, and how many name an agent that is not known."""
        new_rows = store.NewRows(
            self.count,
            self.contacts,
            self.plain_entries,
            self.entries,
            self.destinations,
            self.external_ids,
            self.phones,
        )
        return new_rows, self.unresolved_agents


def _runs(rows: list[Row]) -> list[list[Row]]:
    """Cut the batch where a row repeats an earlier row's key, so lookups see the earlier one.

    A row's key is its external id when it has one, else its main number; a
    row's main number also counts against later rows keyed by number.
    """
    # Mostly every row has an external id, or none has, and none repeats: one run.
    keys = [x[EXTERNAL_ID] for x in rows if x[EXTERNAL_ID]] or [x[PHONE] for x in rows]
    if len(keys) == len(rows) and len(set(keys)) == len(keys):
        return [rows]
    runs: list[list[Row]] = [[]]
    run = runs[0]
    externals: set[str] = set()
    phones: set[str] = set()
    for x in rows:
        external_id = x[EXTERNAL_ID]
        if (external_id in externals) if external_id else (x[PHONE] in phones):
            run = []
            runs.append(run)
            externals.clear()
            phones.clear()
        if external_id:
            externals.add(external_id)
        phones.add(x[PHONE])
        run.append(x)
    return runs


class Writer:
    """Writes batches over one connection, held for the whole load: its bulk
    settings are made once, and no batch waits for the pool.
    """

    def __init__(
        self,
        conn: AsyncConnection,
        target: Target,
        load_id: int,
        *,
        policy: DuplicatePolicy,
        now: datetime,
        agents: dict[str, int],
        report: LoadReport,
        checkpoints: Checkpoints,
    ) -> None:
        self.conn = conn
        self.checkpoints = checkpoints
        self.target = target
        self.load_id = load_id
        self.policy = policy
        self.now = now
        self.agents = agents
        self.report = report
        self.convert = store.Converters(conn.dialect)
        self.now_value = self.convert.when(now)
        self._tuned = False
        self._sqlite = conn.dialect.name == "sqlite"

    def layout(self) -> NewRowsLayout | None:
        """Where to lay the next batch's rows out as they come, on SQLite (see `NewRowsLayout`)."""
        return NewRowsLayout(self) if self._sqlite else None

    def prepare(self, rows: list[Row], failed: int, layout: NewRowsLayout | None) -> Batch:
        """The batch as `write` takes it, `layout` holding the same rows."""
        runs = _runs(rows)
        batch = Batch(rows, failed, runs)
        if layout is not None and len(runs) == 1:
            batch.new_rows, batch.unresolved_agents = layout.finish()
        return batch

    async def write(self, batch: Batch) -> None:
        """One batch in one transaction, its rows counted on the load."""
        conn = self.conn
        await self.checkpoints.ready()
        async with conn.begin():
            if not self._tuned:
                await store.tune_for_bulk(conn)
                self._tuned = True
            if batch.new_rows is not None and not await self._any_known(conn, batch.new_rows):
                loaded = await self._write_new_rows(conn, batch)
            else:
                loaded = 0
                for run in batch.runs:
                    if run:
                        loaded += await self._write_run(conn, run)
            await store.count_load(conn, self.load_id, loaded=loaded, failed=batch.failed)
        self.checkpoints.committed()

    async def _any_known(self, conn: AsyncConnection, rows: store.NewRows) -> bool:
        """Whether `_write_run` would find a row of the batch known."""
        return await store.any_known(
            conn,
            self.target.database_id,
            self.target.campaign_id,
            external_ids=rows.external_ids,
            phones=[] if self.policy == "allow" else rows.phones,
        )

    async def _write_run(self, conn: AsyncConnection, rows: list[Row]) -> int:
        target = self.target
        # "allow" loads a row whether or not its number is known, and only needs
        # the contact of a known external id, not its entry.
        allow = self.policy == "allow"
        by_phone: dict[str, store.Existing] = {}
        if not allow:
            phones = list(dict.fromkeys(x[PHONE] for x in rows if not x[EXTERNAL_ID]))
            if phones:
                by_phone = await store.existing_by_phone(conn, target.campaign_id, phones)
        by_external: dict[str, store.Existing] = {}
        external_ids = [x[EXTERNAL_ID] for x in rows if x[EXTERNAL_ID]]
        if external_ids:
            by_external = await store.existing_by_external_id(
                conn, target.database_id, target.campaign_id, external_ids, with_entries=not allow
            )
        plan = self._plan(rows, by_phone, by_external)
        new_ids, entry_ids = await store.new_ids(
            conn, contacts_count=len(plan.contacts), entries_count=len(plan.entries)
        )
        # Rows go to the store as generators: a tuple a row kept for a whole
        # batch would be one more object a row for the garbage collector.
        await store.insert_contacts(
            conn,
            (
                (cid, x[EXTERNAL_ID], x[PHONE], x[DATA], x[TIMEZONE])
                for cid, x in zip(new_ids, plan.contacts, strict=True)
            ),
            database_id=target.database_id,
            load_id=self.load_id,
        )
        if plan.entry_contacts is None:
            contact_ids: Sequence[int] = new_ids
        else:
            fresh = iter(new_ids)
            contact_ids = [next(fresh) if c is None else c for c in plan.entry_contacts]
        fixed = {"campaign_id": target.campaign_id, "load_id": self.load_id}
        await store.insert_plain_entries(
            conn,
            (
                (entry_id, contact_id)
                for entry_id, contact_id, x in zip(
                    entry_ids, contact_ids, plan.entries, strict=True
                )
                if not x[STEERS]
            ),
            due_at=self.now_value,
            **fixed,
        )
        await store.insert_entries(
            conn,
            (
                self._entry_row(*entry)
                for entry in zip(entry_ids, contact_ids, plan.entries, strict=True)
                if entry[2][STEERS]
            ),
            **fixed,
        )
        destinations: Iterable[tuple[int, int, str]] = (
            (entry_id, position, number)
            for entry_id, x in zip(entry_ids, plan.entries, strict=True)
            for position, number in enumerate((x[PHONE], *x[ALTERNATES]))
        )
        if plan.updates:
            destinations = chain(destinations, await self._update(conn, plan.updates))
        await store.insert_destinations(conn, destinations)
        self.report.loaded += len(entry_ids)
        self.report.updated += len(plan.updates)
        self.report.skipped += plan.skipped
        return len(entry_ids)

    async def _write_new_rows(self, conn: AsyncConnection, batch: Batch) -> int:
        assert batch.new_rows is not None
        await store.insert_new_rows(
            conn,
            batch.new_rows,
            database_id=self.target.database_id,
            campaign_id=self.target.campaign_id,
            load_id=self.load_id,
            due_at=self.now_value,
        )
        self.report.loaded += batch.new_rows.count
        self.report.unresolved_agents += batch.unresolved_agents
        return batch.new_rows.count

    def _plan(
        self,
        rows: list[Row],
        by_phone: dict[str, store.Existing],
        by_external: dict[str, store.Existing],
    ) -> _Plan:
        if not by_phone and not by_external:
            return _Plan(contacts=rows, entries=rows)
        entry_contacts: list[int | None] = []
        plan = _Plan(entry_contacts=entry_contacts)
        policy = self.policy
        new_contacts = plan.contacts
        entries = plan.entries
        for x in rows:
            external_id = x[EXTERNAL_ID]
            found = by_external.get(external_id) if external_id else by_phone.get(x[PHONE])
            if found is None:
                new_contacts.append(x)
                entries.append(x)
                entry_contacts.append(None)
            elif found.entry_id is None or policy == "allow":
                entries.append(x)
                # Known by external id: one contact, another entry.
                if external_id:
                    entry_contacts.append(found.contact_id)
                    if policy == "update":
                        plan.updates.append((x, found.contact_id, 0))
                else:
                    new_contacts.append(x)
                    entry_contacts.append(None)
            elif policy == "update" and found.state in store.EDITABLE_STATES:
                plan.updates.append((x, found.contact_id, found.entry_id))
            else:
                plan.skipped += 1
        return plan

    def _entry_row(self, entry_id: int, contact_id: int, x: Row) -> tuple[Any, ...]:
        return self.entry_values(entry_id, contact_id, x, self._agent(x[AGENT]))

    def entry_values(
        self, entry_id: int, contact_id: int, x: Row, agent_id: int | None
    ) -> tuple[Any, ...]:
        """A steering row's entry as `store.insert_entries` takes it."""
        when = self.convert.when
        due_at, expires_at = x[DUE_AT], x[EXPIRES_AT]
        return (
            entry_id,
            contact_id,
            x[PRIORITY],
            self.now_value if due_at is None else when(due_at),
            None if expires_at is None else when(expires_at),
            x[VARIABLES],
            agent_id,
            x[TIMEZONE],
        )

    def _agent(self, ref: str | None) -> int | None:
        if ref is None:
            return None
        agent_id = self.agents.get(ref)
        if agent_id is None:
            self.report.unresolved_agents += 1
        return agent_id

    async def _update(
        self, conn: AsyncConnection, updates: list[tuple[Row, int, int]]
    ) -> list[tuple[int, int, str]]:
        """Update the contacts and editable entries; the entries' new alternates to insert."""
        # Updates go through the columns' own JSON handling, from the rows' text.
        await store.update_contacts(
            conn,
            [
                {"b_id": contact_id, "data": json.loads(x[DATA]), "timezone": x[TIMEZONE]}
                for x, contact_id, _ in updates
            ],
        )
        entries = [(x, entry_id) for x, _, entry_id in updates if entry_id]
        await store.update_entries(
            conn,
            [
                {
                    "b_id": entry_id,
                    "priority": x[PRIORITY],
                    "variables": json.loads(x[VARIABLES]),
                    "timezone": x[TIMEZONE],
                    "bound_agent_id": self._agent(x[AGENT]),
                }
                for x, entry_id in entries
            ],
            self.now,
        )
        return [
            (entry_id, position, number)
            for x, entry_id in entries
            for position, number in enumerate(x[ALTERNATES], start=1)
        ]
