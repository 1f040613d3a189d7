"""`dialspool leads load | loads | remove`.

Wired into the main command by `add_parser(subparsers)`. Errors a user can
fix (unknown campaign, bad option, unreadable file) exit 2 with one line on
stderr, like the rest of the command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.clock import LoopClock, utc_datetime
from engine.config import Config
from engine.dialer.explain import explain_entry
from engine.dialer.leads.loader import list_loads, load_leads, remove_load
from engine.dialer.leads.model import DUPLICATE_POLICIES, FORMATS, LoadProgress, LoadReport
from engine.errors import DialspoolError
from engine.store import leads as store
from engine.store import migrate
from engine.store.db import create_engine

T = TypeVar("T")

READ_BYTES = 1 << 16
_SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".txt": "ucontact"}


class _Usage(Exception):
    """A mistake the user can fix; exit 2."""


class ProgressBar:
    """Rows and rows/s on one line redrawn in place on a terminal, else a line every N rows."""

    def __init__(
        self,
        stream: IO[str],
        *,
        total_bytes: int | None,
        tty: bool | None = None,
        every_rows: int = 100_000,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.stream = stream
        self.total_bytes = total_bytes
        self.tty = stream.isatty() if tty is None else tty
        self.every_rows = every_rows
        self.clock = clock or LoopClock().monotonic
        self.started = self.clock()
        self._next_line_at = every_rows
        self._last_draw = 0.0
        self._drawn = False

    def text(self, p: LoadProgress) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        share = ""
        if self.total_bytes:
            share = f" {min(100.0, 100.0 * p.bytes_read / self.total_bytes):5.1f}%"
        return (
            f"{p.rows:>11,} rows{share}  {p.rows / elapsed:>9,.0f} rows/s  "
            f"loaded {p.loaded:,}  updated {p.updated:,}  skipped {p.skipped:,}  "
            f"failed {p.failed:,}"
        )

    def __call__(self, p: LoadProgress) -> None:
        if self.tty:
            now = self.clock()
            # Redrawing faster than the eye reads only costs time.
            if now - self._last_draw >= 0.1:
                self._last_draw = now
                self.stream.write("\r" + self.text(p) + "\x1b[K")
                self.stream.flush()
                self._drawn = True
        elif p.rows >= self._next_line_at:
            self._next_line_at = (p.rows // self.every_rows + 1) * self.every_rows
            self.stream.write(self.text(p) + "\n")
            self.stream.flush()

    def finish(self, p: LoadProgress | None) -> None:
        if p is not None and (self.tty or p.rows):
            self.stream.write(
                ("\r" if self.tty else "") + self.text(p) + ("\x1b[K\n" if self.tty else "\n")
            )
        elif self._drawn:
            self.stream.write("\n")
        self.stream.flush()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(READ_BYTES):
            yield chunk


async def _open(config: Config) -> AsyncEngine:
    engine = create_engine(config.database.url.get_secret_value())
    current = await migrate.current_revision(engine)
    if current != migrate.head_revision():
        await engine.dispose()
        raise _Usage("database schema is not up to date: run `dialspool db upgrade`")
    return engine


async def _campaign_id(engine: AsyncEngine, ref: str) -> int:
    async with engine.connect() as conn:
        found = await store.find_campaign(conn, ref)
    if found is None:
        raise _Usage(f"no campaign {ref!r}")
    return found


def _guarded(action: Callable[[], int]) -> int:
    try:
        return action()
    except (DialspoolError, _Usage) as exc:
        message = exc.message if isinstance(exc, DialspoolError) else str(exc)
        print(f"dialspool: {message}", file=sys.stderr)
        return 2


def print_report(report: LoadReport, out: IO[str], show_errors: int) -> None:
    print(
        f"load {report.load_id} ({report.status}): {report.loaded:,} loaded, "
        f"{report.updated:,} updated, {report.skipped:,} skipped, {report.failed:,} failed",
        file=out,
    )
    if report.unresolved_agents:
        print(f"{report.unresolved_agents:,} rows name an unknown agent (left unbound)", file=out)
    for error in report.errors[:show_errors]:
        print(f"  {error}", file=out)
    hidden = report.errors_total - min(show_errors, len(report.errors))
    if hidden > 0:
        print(f"  ... and {hidden:,} more errors", file=out)
    if report.fatal:
        print(f"stopped: {report.fatal}", file=out)


def cmd_leads_load(args: argparse.Namespace, config: Config) -> int:
    path: Path = args.file
    fmt = args.format or _SUFFIX_FORMATS.get(path.suffix.lower(), "csv")

    if not path.is_file():
        print(f"dialspool: no such file: {path}", file=sys.stderr)
        return 2
    size = path.stat().st_size

    async def run() -> LoadReport:
        engine = await _open(config)
        bar = ProgressBar(sys.stderr, total_bytes=size)
        last: list[LoadProgress] = []

        def progress(p: LoadProgress) -> None:
            last[:] = [p]
            bar(p)

        try:
            campaign_id = await _campaign_id(engine, args.campaign)
            try:
                return await load_leads(
                    engine,
                    campaign_id,
                    _file_chunks(path),
                    fmt,
                    default_region=args.region,
                    duplicate_policy=args.duplicates,
                    now=utc_datetime(LoopClock().now()),
                    source_name=path.name,
                    progress=progress,
                    extra_fields=args.extra,
                    timezone=args.timezone,
                    encoding=args.encoding,
                )
            finally:
                bar.finish(last[0] if last else None)
        finally:
            await engine.dispose()

    def action() -> int:
        report = asyncio.run(run())
        if args.json:
            print(json.dumps(report.as_dict(), indent=2))
        else:
            print_report(report, sys.stdout, args.show_errors)
        if report.fatal:
            print(f"dialspool: {report.fatal}", file=sys.stderr)
            return 2
        return 0

    return _guarded(action)


def cmd_leads_loads(args: argparse.Namespace, config: Config) -> int:
    async def run() -> list[Any]:
        engine = await _open(config)
        try:
            return await list_loads(engine, await _campaign_id(engine, args.campaign))
        finally:
            await engine.dispose()

    def action() -> int:
        loads = asyncio.run(run())
        print(
            f"{'id':>6}  {'created (UTC)':<19}  {'format':<8} {'status':<8} {'loaded':>9} "
            f"{'failed':>7} {'entries':>9}  source"
        )
        for load in loads:
            print(
                f"{load.id:>6}  {load.created_at:%Y-%m-%d %H:%M:%S}  {load.format:<8} "
                f"{load.status:<8} {load.rows_loaded:>9,} {load.rows_failed:>7,} "
                f"{load.entries:>9,}  {load.source_name}"
            )
        return 0

    return _guarded(action)


def cmd_leads_remove(args: argparse.Namespace, config: Config) -> int:
    async def run() -> Any:
        engine = await _open(config)
        try:
            return await remove_load(engine, args.load_id)
        finally:
            await engine.dispose()

    def action() -> int:
        done = asyncio.run(run())
        print(
            f"load {done.load_id}: removed {done.entries_removed:,} spool entries and "
            f"{done.contacts_removed:,} contacts"
        )
        if done.entries_kept:
            kept = ", ".join(f"{n:,} {state}" for state, n in sorted(done.entries_kept.items()))
            print(f"kept {kept} (being dialled or finished)")
        if done.contacts_kept:
            print(f"kept {done.contacts_kept:,} contacts still in use")
        return 0

    return _guarded(action)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `leads` on the main command's subparsers."""
    leads: argparse.ArgumentParser = subparsers.add_parser(
        "leads", help="lead files: load, list loads, remove a load"
    )
    sub = leads.add_subparsers(dest="action", required=True)

    load = sub.add_parser("load", help="load a lead file into a campaign")
    load.add_argument("file", type=Path)
    load.add_argument("--campaign", required=True, help="campaign id or name")
    load.add_argument(
        "--format", choices=FORMATS, help="default: from the file suffix (.json, .txt), else csv"
    )
    load.add_argument("--region", default="US", help="region of numbers written without +")
    load.add_argument("--duplicates", choices=DUPLICATE_POLICIES, default="skip")
    load.add_argument(
        "--extra", choices=("error", "ignore"), default="error", help="columns not in the database"
    )
    load.add_argument("--timezone", help="IANA zone of rows that give none")
    load.add_argument("--encoding", default="utf-8")
    load.add_argument("--show-errors", type=int, default=20, metavar="N")
    load.add_argument("--json", action="store_true", help="print the report as JSON")
    load.set_defaults(func=cmd_leads_load)

    loads = sub.add_parser("loads", help="list a campaign's loads")
    loads.add_argument("--campaign", required=True, help="campaign id or name")
    loads.set_defaults(func=cmd_leads_loads)

    remove = sub.add_parser("remove", help="take a load back (entries not being dialled)")
    remove.add_argument("load_id", type=int)
    remove.set_defaults(func=cmd_leads_remove)

    why = sub.add_parser("why", help="why is this lead (spool entry) not dialled?")
    why.add_argument("lead_id", type=int)
    why.set_defaults(func=cmd_leads_why)
    return leads


def cmd_leads_why(args: argparse.Namespace, config: Config) -> int:
    """Every rule that holds the lead back now, and when it next becomes eligible."""

    async def explain() -> int:
        engine = await _open(config)
        try:
            async with engine.connect() as conn:
                verdict = await explain_entry(conn, args.lead_id, utc_datetime(LoopClock().now()))
        finally:
            await engine.dispose()
        if verdict.eligible:
            number = verdict.destination.number if verdict.destination else "?"
            print(f"lead {verdict.entry_id} is eligible now: it would dial {number}")
            return 0
        print(f"lead {verdict.entry_id} is not dialled now because:")
        for reason in verdict.reasons:
            where = "" if reason.position is None else f" (number #{reason.position + 1})"
            lifts = reason.lifts_at.isoformat(timespec="seconds") if reason.lifts_at else "never"
            print(f"  - {reason.block.value}{where}: lifts {lifts}")
        if verdict.final:
            print("it can never be dialled again")
        elif verdict.next_eligible_at is not None:
            print(f"next eligible at {verdict.next_eligible_at.isoformat(timespec='seconds')}")
        return 0

    return _guarded(lambda: asyncio.run(explain()))
