"""The `leads` subcommands, called as the main command will call them."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
from pathlib import Path

import pytest

from engine.dialer.leads.cli import ProgressBar, add_parser
from engine.dialer.leads.model import LoadProgress
from engine.store.db import create_engine
from tests.conftest import make_config
from tests.dialer.leads.conftest import make_setup


def parse_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="dialspool")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def run(sqlite_url: str, *argv: str) -> int:
    args = parse_args(*argv)
    code: int = args.func(args, make_config(sqlite_url))
    return code


def test_load_list_and_remove(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def prepare() -> None:
        engine = create_engine(sqlite_url)
        await make_setup(engine)
        await engine.dispose()

    asyncio.run(prepare())
    leads = tmp_path / "leads.csv"
    leads.write_text("crm_id,phone,name\nA1,2015550123,Ana\nB2,12,Bob\n")

    assert run(sqlite_url, "leads", "load", str(leads), "--campaign", "Ventas") == 0
    out = capsys.readouterr()
    assert "load 1 (done): 1 loaded, 0 updated, 0 skipped, 1 failed" in out.out
    assert "line 3, phone: not a valid phone number: '12'" in out.out
    # Not a terminal: one final progress line on stderr.
    assert "2 rows" in out.err

    assert run(sqlite_url, "leads", "load", str(leads), "--campaign", "1", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["load_id"], report["skipped"], report["failed"]) == (2, 1, 1)

    assert run(sqlite_url, "leads", "loads", "--campaign", "Ventas") == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 3 and "leads.csv" in listing[1]

    assert run(sqlite_url, "leads", "remove", "1") == 0
    assert "removed 1 spool entries and 1 contacts" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("leads", "load", "FILE", "--campaign", "Nope"), "no campaign 'Nope'"),
        (("leads", "load", "missing.csv", "--campaign", "Ventas"), "no such file"),
        (("leads", "load", "FILE", "--campaign", "Ventas", "--region", "XX"), "unknown region"),
        (("leads", "load", "BAD", "--campaign", "Ventas"), "main phone"),
        (("leads", "loads", "--campaign", "42"), "no campaign '42'"),
        (("leads", "remove", "42"), "no lead load with id 42"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    sqlite_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    message: str,
) -> None:
    async def prepare() -> None:
        engine = create_engine(sqlite_url)
        await make_setup(engine)
        await engine.dispose()

    asyncio.run(prepare())
    good = tmp_path / "good.csv"
    good.write_text("phone\n2015550123\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nAna\n")
    files = {"FILE": str(good), "BAD": str(bad), "missing.csv": str(tmp_path / "missing.csv")}
    assert run(sqlite_url, *(files.get(a, a) for a in argv)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("dialspool: ") and message in err[-1]


def test_schema_not_migrated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/empty.db"
    assert run(url, "leads", "loads", "--campaign", "x") == 2
    assert "dialspool db upgrade" in capsys.readouterr().err


def progress(rows: int) -> LoadProgress:
    return LoadProgress(
        load_id=1, rows=rows, loaded=rows, updated=0, skipped=0, failed=0, bytes_read=rows * 10
    )


def test_progress_bar_redraws_on_a_terminal_and_prints_lines_otherwise() -> None:
    ticks = iter(float(i) for i in range(100))
    tty = io.StringIO()
    bar = ProgressBar(tty, total_bytes=1000, tty=True, clock=lambda: next(ticks))
    bar(progress(10))
    bar(progress(20))
    bar.finish(progress(20))
    text = tty.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n")
    assert "20 rows  20.0%" in text and "rows/s" in text

    log = io.StringIO()
    bar = ProgressBar(log, total_bytes=None, tty=False, every_rows=100, clock=lambda: 1.0)
    for rows in (40, 80, 120, 160, 250):
        bar(progress(rows))
    bar.finish(progress(250))
    lines = log.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["120", "250", "250"]
    assert "\r" not in log.getvalue()
