"""Lead loading: a CSV file into SQLite, against merely reading it with the csv module.

The load runs in a child process that reports its own peak RSS (VmHWM:
the parent's children include the simulators of the benchmarks run before,
and Linux carries `ru_maxrss` over execve from the bench process itself);
the baseline for memory is a child that only imports the loader. Targets:
1 M rows in 20 s or less, peak RSS 300 MB or less.

The machine may be shared: the rows carry the load average (1 min) at the
start and end of the load, and the load's CPU time (both threads: parsing in
the event loop, SQLite in aiosqlite's thread) is reported beside its wall
time, as it depends much less on what else runs.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROWS = 1_000_000
QUICK_ROWS = 20_000
_AREA_CODES = ("201", "212", "213", "305", "312", "415", "512", "617", "702", "917")

_CHILD = """
import asyncio, json, os, resource, sys, time
from datetime import UTC, datetime
from sqlalchemy import insert
from engine.dialer.leads import load_leads
from engine.store.db import create_engine
from engine.store.tables import campaigns, contact_databases

async def main(url, path):
    engine = create_engine(url)
    async with engine.begin() as conn:
        db = (await conn.execute(insert(contact_databases).values(
            name="bench", fields=["crm_id", "name", "phone", "mobile", "email", "city"],
            phone_fields=["phone", "mobile"], main_phone_field="phone",
            external_id_field="crm_id").returning(contact_databases.c.id))).scalar_one()
        campaign = (await conn.execute(insert(campaigns).values(
            name="bench", mode="predictive", contact_database_id=db
        ).returning(campaigns.c.id))).scalar_one()

    def chunks():
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 16):
                yield chunk

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    cpu_started = time.process_time()
    report = await load_leads(engine, campaign, chunks(), "csv", default_region="US",
        duplicate_policy="skip", now=datetime.now(UTC), source_name="bench.csv")
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    await engine.dispose()
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "loaded": report.loaded,
        "failed": report.failed, "load_avg": [load_before, os.getloadavg()[0]],
        "peak_mb": peak_mb()}))

def peak_mb():
    # The peak of this process's own memory: Linux carries ru_maxrss over
    # execve, so a child of a bench process grown by earlier benchmarks would
    # report the parent's size; VmHWM starts afresh with the new program.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

if sys.argv[1] == "load":
    asyncio.run(main(sys.argv[2], sys.argv[3]))
else:
    print(json.dumps({"peak_mb": peak_mb()}))
"""


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["crm_id", "name", "phone", "mobile", "email", "city"])
        for i in range(rows):
            area = rng.choice(_AREA_CODES)
            local = f"{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
            # Half already in E.164, half as people type them.
            phone = f"+1{area}{local}" if i % 2 else f"({area}) {local[:3]}-{local[3:]}"
            mobile = (
                f"+1{rng.choice(_AREA_CODES)}{rng.randint(2000000, 9999999)}" if i % 3 == 0 else ""
            )
            out.writerow(
                [f"C{i:08d}", f"Lead {i}", phone, mobile, f"lead{i}@example.com", "Springfield"]
            )


def _parse_only(path: Path) -> float:
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        for _row in csv.reader(handle):
            pass
    return time.perf_counter() - started


def _child(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    if done.returncode:
        raise RuntimeError(f"bench child failed: {done.stderr[-2000:]}")
    return done.stdout


def run(quick: bool = False) -> list[dict[str, Any]]:
    from engine.store import migrate

    rows = QUICK_ROWS if quick else ROWS
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "leads.csv"
        write_csv(path, rows)
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        migrate.upgrade(url)
        parse_seconds = _parse_only(path)
        idle_mb = json.loads(_child("idle"))["peak_mb"]
        result = json.loads(_child("load", url, str(path)))
        load_mb = result["peak_mb"]
    if result["loaded"] != rows:
        raise RuntimeError(f"bench loaded {result['loaded']} of {rows} rows")
    label = f"{rows:,} CSV rows"
    before, after = result["load_avg"]
    return [
        {
            "benchmark": f"leads: load {label} into SQLite (vs csv parse only), "
            f"load avg {before:.1f}->{after:.1f}",
            "figure": result["seconds"],
            "unit": "s",
            "baseline": parse_seconds,
            "ratio": result["seconds"] / parse_seconds,
            "load_avg": result["load_avg"],
        },
        {
            "benchmark": f"leads: CPU time of the load, {label} (vs csv parse only)",
            "figure": result["cpu_seconds"],
            "unit": "s",
            "baseline": parse_seconds,
            "ratio": result["cpu_seconds"] / parse_seconds,
        },
        {
            "benchmark": f"leads: load throughput, {label}",
            "figure": rows / result["seconds"],
            "unit": "rows/s",
            "baseline": rows / parse_seconds,
            "ratio": parse_seconds / result["seconds"],
        },
        {
            "benchmark": f"leads: peak RSS loading {label} (vs loader imported)",
            "figure": load_mb,
            "unit": "MB",
            "baseline": idle_mb,
            "ratio": load_mb / idle_mb,
        },
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
