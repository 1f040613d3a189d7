"""Loading into the real database, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from engine.dialer.leads import (
    LeadFormatError,
    LoadProgress,
    list_loads,
    load_leads,
    remove_load,
)
from engine.errors import NotFound, ValidationFailed
from engine.store.db import create_engine
from engine.store.tables import (
    campaigns,
    contacts,
    disposition_options,
    dispositions,
    lead_loads,
    spool_destinations,
    spool_entries,
)
from tests.dialer.leads.conftest import Setup, make_setup

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


async def load(setup: Setup, data: bytes | str, fmt: str = "csv", **options: Any) -> Any:
    chunk = data.encode() if isinstance(data, str) else data
    kwargs: dict[str, Any] = {
        "default_region": "US",
        "duplicate_policy": "skip",
        "now": NOW,
        "source_name": f"test.{fmt}",
    }
    kwargs.update(options)
    return await load_leads(setup.engine, setup.campaign_id, [chunk], fmt, **kwargs)


async def entries(setup: Setup) -> list[dict[str, Any]]:
    """Every spool entry with its contact and its numbers in position order."""
    async with setup.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(spool_entries, contacts.c.phone, contacts.c.data, contacts.c.external_id)
                .join(contacts, contacts.c.id == spool_entries.c.contact_id)
                .order_by(spool_entries.c.id)
            )
        ).mappings()
        found = [dict(r) for r in rows]
        for entry in found:
            entry["numbers"] = list(
                await conn.scalars(
                    select(spool_destinations.c.number)
                    .where(spool_destinations.c.entry_id == entry["id"])
                    .order_by(spool_destinations.c.position)
                )
            )
    return found


async def count(setup: Setup, table: Any) -> int:
    async with setup.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


CSV = (
    "crm_id,name,phone,mobile,work,priority,agent,due_at\n"
    "A1,Ana,(201) 555-0123,415 555 0100,,5,1001,\n"
    "B2,Bob,nope,,,,,\n"
    ",Cy,212-555-0111,,,,ghost,2030-06-01T08:00:00Z\n"
    "D4,Di,212-555-0112,,,x,,\n"
)


async def test_csv_load_writes_contacts_entries_and_destinations(setup: Setup) -> None:
    report = await load(setup, CSV)
    assert (report.loaded, report.updated, report.skipped, report.failed) == (2, 0, 0, 2)
    assert [(e.line, e.field) for e in report.errors] == [(3, "phone"), (5, "priority")]
    assert report.errors_total == 2
    assert report.unresolved_agents == 1
    assert report.status == "done"
    ana, cy = await entries(setup)
    assert ana["state"] == "pending"
    assert ana["priority"] == 5
    assert ana["due_at"] == NOW
    assert ana["bound_agent_id"] == setup.agent_id
    assert ana["load_id"] == report.load_id
    assert ana["numbers"] == ["+12015550123", "+14155550100"]
    assert ana["external_id"] == "A1"
    assert ana["data"] == {
        "crm_id": "A1",
        "name": "Ana",
        "phone": "(201) 555-0123",
        "mobile": "415 555 0100",
        "work": "",
    }
    assert cy["due_at"] == datetime(2030, 6, 1, 8, 0, tzinfo=UTC)
    assert cy["bound_agent_id"] is None
    assert cy["external_id"] is None
    (summary,) = await list_loads(setup.engine, setup.campaign_id)
    assert (summary.id, summary.status, summary.rows_loaded, summary.rows_failed) == (
        report.load_id,
        "done",
        2,
        2,
    )
    assert summary.entries == 2


async def test_ucontact_and_json_loads(setup: Setup) -> None:
    base = "Ventas->;098344484;a=1:b=2;099124484;9999;ventas-agent\nOtra;098344485\n"
    report = await load(setup, base, "ucontact", default_region="UY", timezone="America/Montevideo")
    assert (report.loaded, report.failed) == (1, 1)
    members = (
        '{"items": [{"communications": [{"destination": "+12015550123"}], "name": "Zed",'
        ' "variables": {"k": "v"}, "timezone": {"name": "America/Chicago"}}]}'
    )
    assert (await load(setup, members, "json")).loaded == 1
    uy, zed = await entries(setup)
    assert uy["numbers"] == ["+59898344484", "+59899124484"]
    assert uy["variables"] == uy["data"] == {"a": "1", "b": "2"}
    assert uy["timezone"] == "America/Montevideo"
    assert uy["priority"] == 9999
    assert uy["bound_agent_id"] == setup.agent_id
    assert zed["timezone"] == "America/Chicago"
    assert zed["data"] == {"k": "v", "name": "Zed"}


async def test_batches_commit_with_the_load_id_and_a_crash_keeps_them(setup: Setup) -> None:
    rows = "".join(f"C{i},n{i},201555{i:04d},,\n" for i in range(10))
    seen: list[LoadProgress] = []

    def source() -> Iterator[bytes]:
        yield b"crm_id,name,phone,mobile,work\n"
        yield rows.encode()
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        await load_leads(
            setup.engine,
            setup.campaign_id,
            source(),
            "csv",
            default_region="US",
            duplicate_policy="skip",
            now=NOW,
            source_name="crash.csv",
            progress=seen.append,
            batch_size=4,
        )
    # 10 rows in batches of 4: two committed, the third lost with the crash.
    assert [p.loaded for p in seen] == [4, 8]
    (summary,) = await list_loads(setup.engine, setup.campaign_id)
    assert (summary.status, summary.rows_loaded, summary.entries) == ("failed", 8, 8)
    assert await count(setup, contacts) == 8


async def test_the_first_batches_are_small_and_grow_to_the_batch_size(setup: Setup) -> None:
    # The first commit (and progress report) comes after 100 rows, not 1,000.
    rows = "".join(f"C{i},n{i},2015{i:06d},,\n" for i in range(3000))
    seen: list[LoadProgress] = []
    data = "crm_id,name,phone,mobile,work\n" + rows
    await load(setup, data, progress=seen.append, batch_size=1000, first_batch=100)
    loaded = [p.loaded for p in seen]
    sizes = [b - a for a, b in zip([0, *loaded], loaded, strict=False)]
    assert sizes == [100, 150, 225, 337, 505, 757, 926]
    assert await count(setup, contacts) == 3000


def size(path: Path) -> int:
    return path.stat().st_size


async def test_a_sqlite_load_leaves_the_log_empty_and_the_pool_as_it_was(
    sqlite_url: str,
) -> None:
    """Its batches are copied out of the log by another connection (store/checkpoints.py)."""
    engine = create_engine(sqlite_url)
    log = Path(sqlite_url.removeprefix("sqlite+aiosqlite:///") + "-wal")

    async def settings() -> set[int]:
        # Every connection the pool holds (the load's writer and its copier),
        # one transaction at a time: each takes the write lock.
        found = set()
        async with engine.connect() as a, engine.connect() as b:
            for c in (a, b):
                found.add(int((await c.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar_one()))
                await c.commit()
        return found

    def failing() -> Iterator[bytes]:
        yield b"crm_id,name,phone,mobile,work\nZ1,z,2015559999,,\n"
        raise OSError("disk gone")

    try:
        setup = await make_setup(engine)
        rows = "".join(f"C{i},n{i},201555{i:04d},,\n" for i in range(10))
        report = await load(setup, "crm_id,name,phone,mobile,work\n" + rows, batch_size=4)
        assert report.loaded == 10
        # Emptied, then the load's final status written: one page (a WAL
        # header, a frame header and a 4 KiB page) instead of every page it wrote.
        assert size(log) == 32 + 24 + 4096
        assert await settings() == {1000}
        with pytest.raises(OSError, match="disk gone"):
            await load_leads(
                engine,
                setup.campaign_id,
                failing(),
                "csv",
                default_region="US",
                duplicate_policy="skip",
                now=NOW,
                source_name="crash.csv",
                batch_size=1,
            )
        assert await settings() == {1000}
        assert await count(setup, contacts) == 11
    finally:
        await engine.dispose()


async def test_a_cancelled_load_keeps_the_batches_it_committed(setup: Setup) -> None:
    written = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield b"crm_id,name,phone,mobile,work\n"
        yield "".join(f"C{i},n{i},201555{i:04d},,\n" for i in range(10)).encode()
        await asyncio.Event().wait()  # the upload stalls

    def progress(done: LoadProgress) -> None:
        if done.loaded == 8:
            written.set()

    task = asyncio.create_task(
        load_leads(
            setup.engine,
            setup.campaign_id,
            body(),
            "csv",
            default_region="US",
            duplicate_policy="skip",
            now=NOW,
            source_name="stalled.csv",
            progress=progress,
            batch_size=4,
        )
    )
    await asyncio.wait_for(written.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Two batches committed; the two rows still gathering are not.
    assert await count(setup, contacts) == 8
    assert await count(setup, spool_entries) == 8


async def test_async_sources_stream_in(setup: Setup) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"phone,name\n201555"
        yield b"0123,a\n2015550124,b\n"

    report = await load_leads(
        setup.engine,
        setup.campaign_id,
        body(),
        "csv",
        default_region="US",
        duplicate_policy="skip",
        now=NOW,
        source_name="upload",
    )
    assert report.loaded == 2
    # Rows that steer nothing get the defaults, due now.
    for entry in await entries(setup):
        assert (entry["priority"], entry["due_at"], entry["expires_at"]) == (0, NOW, None)
        assert (entry["variables"], entry["bound_agent_id"], entry["timezone"]) == ({}, None, None)
        assert entry["state"] == "pending"


async def test_duplicates_skip_update_allow(setup: Setup) -> None:
    first = "crm_id,name,phone,mobile\nA1,Ana,2015550123,\n,Bo,2015550124,\n,Bo again,2015550124,\n"
    report = await load(setup, first)
    assert (report.loaded, report.skipped) == (2, 1)

    again = (
        "crm_id,name,phone,mobile,priority\n"
        "A1,Ana v2,2125550000,4155550100,9\n"
        ",Bo v2,2015550124,4155550101,3\n"
    )
    report = await load(setup, again)
    assert (report.loaded, report.updated, report.skipped) == (0, 0, 2)

    report = await load(setup, again, duplicate_policy="update")
    assert (report.loaded, report.updated, report.skipped) == (0, 2, 0)
    ana, bo = await entries(setup)
    assert ana["data"]["name"] == "Ana v2"
    assert ana["priority"] == 9
    # Matched by external id: the main number stays, the alternates are replaced.
    assert ana["numbers"] == ["+12015550123", "+14155550100"]
    assert bo["numbers"] == ["+12015550124", "+14155550101"]
    assert bo["updated_at"] == NOW

    # A live entry is left alone.
    async with setup.engine.begin() as conn:
        await conn.execute(
            update(spool_entries).where(spool_entries.c.id == bo["id"]).values(state="dialling")
        )
    report = await load(setup, "phone,name\n2015550124,Bo v3\n", duplicate_policy="update")
    assert (report.updated, report.skipped) == (0, 1)

    report = await load(setup, again, duplicate_policy="allow")
    assert report.loaded == 2
    rows = await entries(setup)
    assert len(rows) == 4
    # Allowed again by external id: a second entry for the same contact.
    assert rows[2]["contact_id"] == ana["contact_id"]
    assert await count(setup, contacts) == 3


async def test_a_shared_database_gives_known_contacts_an_entry(db_url: str) -> None:
    from engine.store.db import create_engine

    engine = create_engine(db_url)
    try:
        one = await make_setup(engine, "One")
        async with engine.begin() as conn:
            other = (
                await conn.execute(
                    insert(campaigns)
                    .values(name="Two", mode="power", contact_database_id=one.database_id)
                    .returning(campaigns.c.id)
                )
            ).scalar_one()
        data = b"crm_id,phone\nA1,2015550123\n"
        await load(one, data)
        two = Setup(engine, int(other), one.database_id, one.agent_id)
        assert (await load(two, data)).loaded == 1
        assert await count(one, contacts) == 1
        assert await count(one, spool_entries) == 2
    finally:
        await engine.dispose()


async def test_remove_a_load_keeps_live_and_finished_entries(setup: Setup) -> None:
    first = await load(setup, "phone\n2015550100\n")
    report = await load(setup, "phone\n" + "".join(f"201555{i:04d}\n" for i in range(1, 6)))
    rows = [r for r in await entries(setup) if r["load_id"] == report.load_id]
    async with setup.engine.begin() as conn:
        for row, state in zip(rows, ["dialling", "done", "waiting_retry"], strict=False):
            await conn.execute(
                update(spool_entries).where(spool_entries.c.id == row["id"]).values(state=state)
            )
        option = (
            await conn.execute(
                insert(disposition_options)
                .values(campaign_id=setup.campaign_id, name="callback")
                .returning(disposition_options.c.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(dispositions).values(
                campaign_id=setup.campaign_id, contact_id=rows[3]["contact_id"], option_id=option
            )
        )
    removed = await remove_load(setup.engine, report.load_id)
    assert removed.entries_removed == 3  # waiting_retry and two pending
    assert removed.entries_kept == {"dialling": 1, "done": 1}
    # Two contacts keep their entries, one keeps its disposition.
    assert (removed.contacts_removed, removed.contacts_kept) == (2, 3)
    assert not removed.load_deleted
    loads = {s.id: s for s in await list_loads(setup.engine, setup.campaign_id)}
    assert loads[report.load_id].status == "removed"
    assert loads[report.load_id].entries == 2

    gone = await remove_load(setup.engine, first.load_id)
    assert (gone.entries_removed, gone.contacts_removed, gone.load_deleted) == (1, 1, True)
    assert first.load_id not in {s.id for s in await list_loads(setup.engine, setup.campaign_id)}
    with pytest.raises(NotFound):
        await remove_load(setup.engine, first.load_id)


async def test_unreadable_input(setup: Setup) -> None:
    # Nothing stored: no load is left behind.
    with pytest.raises(LeadFormatError, match="main phone"):
        await load(setup, "name\nAna\n")
    assert await count(setup, lead_loads) == 0
    # Broken after good rows: those stay, the load says why it stopped.
    report = await load(setup, '[{"phone": "2015550123"}, {"phone": ', "json")
    assert (report.loaded, report.status) == (1, "failed")
    assert report.fatal is not None and "JSON" in report.fatal
    (summary,) = await list_loads(setup.engine, setup.campaign_id)
    assert summary.status == "failed"


async def test_bad_arguments(setup: Setup) -> None:
    with pytest.raises(NotFound):
        await load_leads(
            setup.engine,
            999,
            [b""],
            "csv",
            default_region="US",
            duplicate_policy="skip",
            now=NOW,
            source_name="x",
        )
    for bad in ({"fmt": "xml"}, {"default_region": "XX"}, {"duplicate_policy": "merge"}):
        options: dict[str, Any] = {"default_region": "US", "duplicate_policy": "skip", **bad}
        fmt = options.pop("fmt", "csv")
        with pytest.raises(ValidationFailed):
            await load(setup, "phone\n", fmt, **options)
    with pytest.raises(ValidationFailed, match="time zone"):
        await load(setup, "phone\n", timezone="Nowhere/Town")
    async with setup.engine.begin() as conn:
        bare = (
            await conn.execute(
                insert(campaigns).values(name="bare", mode="power").returning(campaigns.c.id)
            )
        ).scalar_one()
    with pytest.raises(ValidationFailed, match="no contact database"):
        await load(Setup(setup.engine, int(bare), 0, 0), "phone\n")


async def test_duplicate_lookups_take_more_keys_than_drivers_bind(setup: Setup) -> None:
    # SQLite and asyncpg refuse more than 32,766 bound parameters: keys go as one JSON array.
    rows = "".join(
        f"{'C' + str(i) if i % 2 else ''},n{i},2015{i:06d},,\n" for i in range(1, 33_001)
    )
    data = "crm_id,name,phone,mobile,work\n" + rows
    one_batch = {"batch_size": 40_000, "first_batch": 40_000}
    assert (await load(setup, data, **one_batch)).loaded == 33_000
    assert (await load(setup, data, **one_batch)).skipped == 33_000
    report = await load(
        setup,
        data.replace(",n", ",m").replace(",mame", ",name"),
        duplicate_policy="update",
        **one_batch,
    )
    assert (report.loaded, report.updated) == (0, 33_000)
    async with setup.engine.connect() as conn:
        names = {data["name"][0] for data in await conn.scalars(select(contacts.c.data))}
    assert names == {"m"}
    report = await load(setup, data, duplicate_policy="allow", **one_batch)
    assert report.loaded == 33_000
    # Allowed again: rows with an external id keep their contact, the others get a new one.
    assert await count(setup, contacts) == 49_500
    assert await count(setup, spool_entries) == 66_000


async def test_sqlite_lookups_go_by_contact_not_by_campaign(sqlite_url: str) -> None:
    """A campaign-wide scan per batch made large loads slow down as the spool grew.

    SQLite's planner only: PostgreSQL's chooses by table statistics."""
    engine = create_engine(sqlite_url)
    try:
        await _check_lookup_plans(await make_setup(engine))
    finally:
        await engine.dispose()


async def _check_lookup_plans(setup: Setup) -> None:
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not many:
            seen.append((statement, params))

    await load(setup, "crm_id,phone\nA1,2015550123\n,2015550124\n")
    event.listen(setup.engine.sync_engine, "before_cursor_execute", capture)
    try:
        await load(setup, "crm_id,phone\nA1,2015550123\n,2015550124\n")
    finally:
        event.remove(setup.engine.sync_engine, "before_cursor_execute", capture)
    lookups = [(s, p) for s, p in seen if "spool_entries" in s and "IN (" in s]
    assert len(lookups) == 2
    # The check a batch of new rows makes first goes to the driver itself.
    from engine.store.leads import ANY_KNOWN_SQL

    lookups.append((ANY_KNOWN_SQL, (setup.database_id, '["A1"]', setup.campaign_id, '["+1"]')))
    async with setup.engine.connect() as conn:
        for statement, params in lookups:
            plan = " ".join(
                str(row[-1])
                for row in await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            )
            # The keys' own JSON array is the only thing scanned (beside the
            # one row of a SELECT without a table).
            assert "ix_spool_due" not in plan, plan
            scans = plan.count("SCAN") - plan.count("SCAN CONSTANT ROW")
            assert scans == plan.count("SCAN json_each"), plan


def _varied_row(i: int) -> str:
    """A CSV row with or without an external id, alternates, priority, agent, due time."""
    external_id = f"C{i}" if i % 3 else ""
    mobile = f"415555{i:04d}" if i % 2 else ""
    work = f"646555{i:04d}" if i % 5 == 0 else ""
    agent = "1001" if i % 7 == 0 else "ghost" if i % 11 == 0 else ""
    due_at = "2030-06-01T08:00:00Z" if i % 6 == 0 else ""
    return f"{external_id},n{i},201555{i:04d},{mobile},{work},{i % 4 or ''},{agent},{due_at}\n"


async def test_new_rows_are_written_as_the_general_path_writes_them(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite a batch of new rows skips the general path (laid out ahead, ids
    counted from the batch's start); both must store the same thing.
    """
    from engine.dialer.leads.writer import Writer
    from engine.store import leads as store

    laid_out: list[int] = []
    insert_new_rows = store.insert_new_rows

    async def counted(conn: Any, rows: store.NewRows, **kwargs: Any) -> None:
        laid_out.append(rows.count)
        await insert_new_rows(conn, rows, **kwargs)

    monkeypatch.setattr(store, "insert_new_rows", counted)
    engine = create_engine(sqlite_url)
    try:
        # Something already there, so that ids do not start at 1.
        first = await make_setup(engine, "First")
        await load(first, "phone\n2015550100\n2015550101\n")
        laid_out.clear()
        laid, general = await make_setup(engine, "Laid"), await make_setup(engine, "General")
        rows = "".join(_varied_row(i) for i in range(1, 121))
        data = "crm_id,name,phone,mobile,work,priority,agent,due_at\n" + rows
        laid_report = await load(laid, data, first_batch=4, batch_size=50)
        assert laid_out == [4, 6, 9, 13, 19, 28, 41]
        with monkeypatch.context() as patch:
            patch.setattr(Writer, "layout", lambda _self: None)
            general_report = await load(general, data, first_batch=4, batch_size=50)
        assert len(laid_out) == 7
        for report in (laid_report, general_report):
            assert (report.loaded, report.failed, report.unresolved_agents) == (120, 0, 9)
        stored: dict[int, list[dict[str, Any]]] = {laid.campaign_id: [], general.campaign_id: []}
        for entry in await entries(first):
            campaign_id = entry["campaign_id"]
            for key in ("id", "contact_id", "campaign_id", "load_id", "created_at"):
                del entry[key]
            stored.setdefault(campaign_id, []).append(entry)
        assert len(stored[laid.campaign_id]) == 120
        assert stored[laid.campaign_id] == stored[general.campaign_id]
        assert stored[laid.campaign_id][0]["numbers"] == ["+12015550001", "+14155550001"]
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("limit", "value"),
    [
        # 15 contacts a statement (then 1), 38 plain entries (then 4), 27 destinations (then 3).
        ("MAX_PARAMETERS", 82),
        # 9 rows a statement (then 1) in every table.
        ("MAX_STATEMENT_ROWS", 9),
    ],
)
async def test_bulk_inserts_split_into_statements_and_pad_the_last(
    setup: Setup, monkeypatch: pytest.MonkeyPatch, limit: str, value: int
) -> None:
    from engine.store import leads as store

    monkeypatch.setattr(store, limit, value)
    mobile = {i: f"415555{i:04d}" for i in range(3, 51, 3)}
    priority = {i: "3" for i in range(7, 51, 7)}
    rows = "".join(
        f"C{i},n{i},201555{i:04d},{mobile.get(i, '')},,{priority.get(i, '')}\n"
        for i in range(1, 51)
    )
    report = await load(setup, "crm_id,name,phone,mobile,work,priority\n" + rows)
    assert report.loaded == 50
    stored = await entries(setup)
    assert [e["external_id"] for e in stored] == [f"C{i}" for i in range(1, 51)]
    assert [e["data"]["name"] for e in stored] == [f"n{i}" for i in range(1, 51)]
    assert [e["priority"] for e in stored] == [3 if i % 7 == 0 else 0 for i in range(1, 51)]
    assert [e["numbers"] for e in stored] == [
        [f"+1201555{i:04d}"] + ([f"+1415555{i:04d}"] if i % 3 == 0 else []) for i in range(1, 51)
    ]
    assert {e["load_id"] for e in stored} == {report.load_id}
    assert {e["campaign_id"] for e in stored} == {setup.campaign_id}


async def test_text_and_json_values_arrive_unchanged(setup: Setup) -> None:
    """Quoting, escapes and non-ASCII text survive the way to the database and back."""
    tricky = ['q"uo\\te', "é ü 漢字 \U0001f600", "tab\tnl\r", "\u2028", "", " spaced "]
    items = [
        {
            "phone": f"201555{i:04d}",
            "external_id": f"X{i}{text}",
            "data": {text or "empty": text, "n": i, "f": 1.5, "none": None, "list": [1, text]},
            "variables": {"v": text, "nested": {"k": [text]}},
        }
        for i, text in enumerate(tricky)
    ]
    assert (await load(setup, json.dumps(items), "json")).loaded == len(items)
    stored = await entries(setup)
    assert [e["external_id"] for e in stored] == [item["external_id"].strip() for item in items]
    assert [e["data"] for e in stored] == [item["data"] for item in items]
    assert [e["variables"] for e in stored] == [item["variables"] for item in items]


def test_json_text_is_the_encoders() -> None:
    import random
    import string

    from engine.store.leads import _JSON, encode_json

    rng = random.Random(5)
    alphabet = string.printable + '\u00e9\u2028\x00"\\\x7f\U0001f600'

    def text(most: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, most)))

    for _ in range(2000):
        value = {text(5): text(12) for _ in range(rng.randint(0, 6))}
        assert encode_json(value) == _JSON.encode(value)
    for other in ({}, {"a": 1}, {"a": None}, {1: "x"}, {"a": {"b": "c"}}, [], "x", {"a": True}):
        assert encode_json(other) == _JSON.encode(other)
