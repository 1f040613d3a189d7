"""Summaries of simulated runs: medians over seeds, seeds within the limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median

from engine.dialer.simulate.metrics import RunResult


@dataclass(frozen=True, slots=True)
class Summary:
    scenario: str
    policy: str
    seeds: int
    occupancy: float
    abandon_day: float
    abandon_worst_hour: float
    abandon_first_hour: float
    connects_per_agent_hour: float
    idle_per_connect: float
    peak_lines: float
    meeting_limits: int  # day, first hour and every clock hour
    meeting_day_first: int  # day and first hour


def summarize(results: Iterable[RunResult]) -> list[Summary]:
    groups: dict[tuple[str, str], list[RunResult]] = {}
    for r in results:
        groups.setdefault((r.scenario, r.policy), []).append(r)
    out = []
    for (scenario, policy), runs in groups.items():
        out.append(
            Summary(
                scenario=scenario,
                policy=policy,
                seeds=len(runs),
                occupancy=median(r.occupancy for r in runs),
                abandon_day=median(r.abandon_day for r in runs),
                abandon_worst_hour=median(r.abandon_worst_hour for r in runs),
                abandon_first_hour=median(r.abandon_first_hour for r in runs),
                connects_per_agent_hour=median(r.connects_per_agent_hour for r in runs),
                idle_per_connect=median(r.idle_per_connect for r in runs),
                peak_lines=median(r.peak_lines for r in runs),
                meeting_limits=sum(r.meets_limits for r in runs),
                meeting_day_first=sum(r.meets_day_and_first_hour for r in runs),
            )
        )
    return out


_HEADER = (
    f"{'scenario':<9}{'policy':<13}{'occup':>7}{'day%':>7}{'worst%':>8}{'1st h%':>8}"
    f"{'conn/ah':>9}{'idle/c s':>9}{'peak':>6}{'ok all':>8}{'ok d+1h':>8}"
)


def format_table(summaries: Iterable[Summary]) -> str:
    lines = [
        "medians over seeds; ok = seeds meeting day <= 3 %, first hour <= 3 % "
        "(and every clock hour <= 4 % for 'ok all')",
        _HEADER,
    ]
    for s in summaries:
        lines.append(
            f"{s.scenario:<9}{s.policy:<13}{s.occupancy:>7.3f}{100 * s.abandon_day:>7.2f}"
            f"{100 * s.abandon_worst_hour:>8.2f}{100 * s.abandon_first_hour:>8.2f}"
            f"{s.connects_per_agent_hour:>9.1f}{s.idle_per_connect:>9.1f}{s.peak_lines:>6.0f}"
            f"{s.meeting_limits:>5}/{s.seeds:<2}{s.meeting_day_first:>5}/{s.seeds:<2}"
        )
    return "\n".join(lines)
