"""Occupancy and abandon rate per clock hour, one panel pair per scenario (PNG).

matplotlib is optional: it is imported only here, and its absence is reported
as a clear error.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from statistics import median

from engine.dialer.simulate.metrics import RunResult
from engine.errors import InvalidInput


def _per_hour_median(runs: Sequence[RunResult], attr: str) -> list[float]:
    series = [getattr(r, attr) for r in runs]
    width = min(len(s) for s in series)
    return [median(s[h] for s in series) for h in range(width)]


def plot(results: Sequence[RunResult], path: Path) -> None:
    try:
        # Imported by name: matplotlib is an optional dependency, absent from type checks.
        matplotlib = importlib.import_module("matplotlib")
        matplotlib.use("Agg")
        plt = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        raise InvalidInput("--plot needs matplotlib: pip install matplotlib") from None

    scenarios = list(dict.fromkeys(r.scenario for r in results))
    fig, axes = plt.subplots(len(scenarios), 2, figsize=(11, 3.2 * len(scenarios)), squeeze=False)
    for row, scenario in zip(axes, scenarios, strict=True):
        runs = [r for r in results if r.scenario == scenario]
        for policy in dict.fromkeys(r.policy for r in runs):
            mine = [r for r in runs if r.policy == policy]
            occ = _per_hour_median(mine, "occupancy_by_hour")
            ab = [100 * x for x in _per_hour_median(mine, "abandon_by_hour")]
            hours = [h + 0.5 for h in range(len(occ))]
            row[0].plot(hours, occ, marker="o", label=policy)
            row[1].plot(hours, ab, marker="o", label=policy)
        limits = runs[0].limits
        row[1].axhline(100 * limits.hour, color="red", linestyle="--", linewidth=0.8)
        row[1].axhline(100 * limits.day, color="orange", linestyle=":", linewidth=0.8)
        row[0].set_title(f"{scenario}: occupancy per hour (median over seeds)")
        row[1].set_title(f"{scenario}: abandon % per hour (median over seeds)")
        row[0].set_xlabel("hour of shift")
        row[1].set_xlabel("hour of shift")
        row[0].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
