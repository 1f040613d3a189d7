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
        self._now_value = self.convert.when(now)
        self._tuned = False

    async def write(self, rows: list[Row], failed: int) -> None:
        """One batch in one transaction, its rows counted on the load."""
        conn = self.conn
        await self.checkpoints.ready()
        async with conn.begin():
            if not self._tuned:
                await store.tune_for_bulk(conn)
                self._tuned = True
            loaded = 0
            for run in _runs(rows):
                if run:
                    loaded += await self._write_run(conn, run)
            await store.count_load(conn, self.load_id, loaded=loaded, failed=failed)
        self.checkpoints.committed()

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
            due_at=self._now_value,
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
        when = self.convert.when
        due_at, expires_at = x[DUE_AT], x[EXPIRES_AT]
        return (
            entry_id,
            contact_id,
            x[PRIORITY],
            self._now_value if due_at is None else when(due_at),
            None if expires_at is None else when(expires_at),
            x[VARIABLES],
            self._agent(x[AGENT]),
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
