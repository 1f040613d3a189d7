"""`make bench`: run every benchmark and print one table.

A benchmark is a module `bench/bench_*.py` with `run(quick: bool) -> list[dict]`;
each row has benchmark, figure, unit, baseline (measured in the same run) and
ratio. `--quick` asks for a smaller run (used by the test suite to check that
every benchmark still runs); `--only NAME` runs the modules whose name contains NAME.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from pathlib import Path
from typing import Any

COLUMNS = ("benchmark", "figure", "unit", "baseline", "ratio")


def discover(only: str | None) -> list[str]:
    names = sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if info.name.startswith("bench_")
    )
    return [name for name in names if only is None or only in name]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "" if value is None else str(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    cells = [[_cell(row.get(column)) for column in COLUMNS] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(COLUMNS)]
    print("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for name in discover(args.only):
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        rows.extend(module.run(quick=args.quick))
        print(f"{name}: {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
