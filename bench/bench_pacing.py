"""Pacing benchmark: the PACING.md scenarios S1..S5 under every policy.

`run(quick)` returns rows for the bench runner (baseline = progressive 1:1 in
the same run, ratio = predictive / baseline); `python -m bench.bench_pacing`
prints the full table (10 seeds, 8 h per scenario and policy).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from engine.dialer.simulate.report import Summary, format_table, summarize
from engine.dialer.simulate.runner import run_many
from engine.dialer.simulate.scenario import builtin_ids, load

POLICIES = ("progressive", "vicidial", "predictive", "foresight")


def _jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _summaries(quick: bool) -> list[Summary]:
    scenarios = [load(s) for s in builtin_ids()]
    # Quick: only proves every piece still runs (the test suite calls it).
    seeds, hours, jobs = (1, 0.1, 1) if quick else (10, 8.0, _jobs())
    results = run_many(scenarios, POLICIES, seeds=seeds, hours=hours, jobs=jobs)
    return summarize(results)


def _rows(summaries: list[Summary]) -> list[dict[str, Any]]:
    by_key = {(s.scenario, s.policy): s for s in summaries}
    rows: list[dict[str, Any]] = []
    for scenario in dict.fromkeys(s.scenario for s in summaries):
        base = by_key[scenario, "progressive"]
        ours = by_key[scenario, "predictive"]
        figures = (
            ("occupancy", "ratio", ours.occupancy, base.occupancy),
            ("connects per agent-hour", "1/(agent h)", ours.connects_per_agent_hour,
             base.connects_per_agent_hour),
            ("idle per connect", "s", ours.idle_per_connect, base.idle_per_connect),
            ("abandon rate, day", "%", 100 * ours.abandon_day, 100 * base.abandon_day),
            ("abandon rate, worst hour", "%", 100 * ours.abandon_worst_hour,
             100 * base.abandon_worst_hour),
            ("abandon rate, first hour", "%", 100 * ours.abandon_first_hour,
             100 * base.abandon_first_hour),
            ("seeds meeting all limits", "seeds", ours.meeting_limits, base.meeting_limits),
        )  # fmt: skip
        for name, unit, value, baseline in figures:
            rows.append(
                {
                    "benchmark": f"pacing {scenario} predictive: {name}",
                    "figure": round(value, 4),
                    "unit": unit,
                    "baseline": round(baseline, 4),
                    "ratio": round(value / baseline, 4) if baseline else None,
                }
            )
    return rows


def run(quick: bool = False) -> list[dict[str, Any]]:
    return _rows(_summaries(quick))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_pacing")
    parser.add_argument("--quick", action="store_true", help="1 seed of 6 minutes")
    args = parser.parse_args(argv)
    started = time.monotonic()
    summaries = _summaries(args.quick)
    print(format_table(summaries))
    print(f"({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
