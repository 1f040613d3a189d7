"""The ARI and routing benchmarks still run (quick mode) and print numeric figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _table(only: str) -> list[list[str]]:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", only],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.splitlines()
    dashes = next(i for i, line in enumerate(lines) if line.startswith("---"))
    widths = [len(part) for part in lines[dashes].split("  ")]
    rows = []
    for line in lines[dashes + 1 :]:
        cells, start = [], 0
        for width in widths:
            cells.append(line[start : start + width].strip())
            start += width + 2
        rows.append(cells)
    return rows


def _number(cell: str) -> float:
    return float(cell.replace(",", ""))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("only", ["bench_ari", "bench_routing"])
def test_quick_bench_prints_numeric_figures(only: str) -> None:
    rows = _table(only)
    assert rows, f"{only} printed no rows"
    for benchmark, figure, unit, baseline, _ratio in rows:
        assert benchmark.startswith(only.removeprefix("bench_")), benchmark
        assert unit
        assert _number(figure) == _number(figure)  # not NaN
        assert _number(baseline) > 0
