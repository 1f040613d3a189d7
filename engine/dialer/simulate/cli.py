"""`dialspool simulate`: compare pacing policies on the benchmark scenarios.

engine/cli.py calls `add_parser(subparsers)`; the parser's `handler` default runs
the command and returns the process exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.dialer.simulate.report import format_table, summarize
from engine.dialer.simulate.runner import DEFAULT_POLICIES, POLICY_NAMES, run_many
from engine.dialer.simulate.scenario import builtin_ids, load
from engine.errors import DialspoolError


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="simulate pacing policies on scenarios in virtual time",
        description=(
            "Run pacing policies on scenarios (built in: S1..S5, or TOML files) and print "
            "medians over seeds. Every policy of a seed dials the same call list."
        ),
    )
    configure(parser)
    return parser


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"scenario ids or TOML paths (default: {' '.join(builtin_ids())})",
    )
    parser.add_argument("--seeds", type=int, help="seeds per scenario (default: the file's)")
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="first seed (default 0): other seeds give call lists the benchmark never saw",
    )
    parser.add_argument("--hours", type=float, help="shift length (default: the file's)")
    parser.add_argument(
        "--policy",
        action="append",
        choices=POLICY_NAMES,
        help=f"policy to run, repeatable (default: {' '.join(DEFAULT_POLICIES)})",
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--json", type=Path, help="write one object per scenario, policy, seed")
    parser.add_argument("--plot", type=Path, help="PNG of occupancy and abandons per hour")
    # engine/cli.py runs `handler(args)` for commands that need no engine configuration.
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        scenarios = [load(s) for s in (args.scenarios or builtin_ids())]
        if args.seeds is not None and args.seeds < 1:
            raise DialspoolError("--seeds must be at least 1")
        if args.hours is not None and args.hours <= 0:
            raise DialspoolError("--hours must be positive")
        if args.first_seed < 0:
            raise DialspoolError("--first-seed must not be negative")
        results = run_many(
            scenarios,
            args.policy or DEFAULT_POLICIES,
            seeds=args.seeds,
            hours=args.hours,
            jobs=args.jobs,
            first_seed=args.first_seed,
        )
        print(format_table(summarize(results)))
        if args.json:
            rows = [r.as_json() for r in results]
            args.json.write_text(json.dumps(rows, indent=1) + "\n")
        if args.plot:
            from engine.dialer.simulate.plot import plot

            plot(results, args.plot)
    except DialspoolError as exc:
        print(f"dialspool simulate: {exc.message}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dialspool simulate")
    configure(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
