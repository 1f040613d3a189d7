"""`dialspool sim`: run the PBX simulator until SIGINT / SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from engine.sim.profiles import BUILTIN, resolve_profile
from engine.sim.server import start_sim

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `sim` subcommand; its handler is in `args.handler`."""
    parser = subparsers.add_parser(
        "sim",
        help="run the ARI-compatible PBX simulator",
        description="Serve an Asterisk 22 look-alike ARI on HTTP + WebSocket.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--user", default="dialspool")
    parser.add_argument("--password", default="dialspool")
    parser.add_argument(
        "--profile",
        help=f"world profile: a TOML/JSON file or a built-in name ({', '.join(BUILTIN)})",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="world time runs this many times faster"
    )
    parser.add_argument("--recordings-dir", type=Path, help="where recordings are written")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler for `dialspool sim`: blocks until a signal stops the simulator."""
    if args.recordings_dir is not None:
        args.recordings_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(serve(args))


async def serve(args: argparse.Namespace) -> int:
    profile = resolve_profile(args.profile)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    recordings: Path | None = args.recordings_dir
    sim = await start_sim(
        args.host,
        args.port,
        username=args.user,
        password=args.password,
        profile=profile,
        seed=args.seed,
        time_scale=args.time_scale,
        recordings_dir=recordings,
    )
    log.info(
        "dialspool sim: ARI at %s (user %s), time scale %g", sim.ari_url, args.user, args.time_scale
    )
    try:
        await stop.wait()
    finally:
        await sim.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (`python -m engine.sim.cli`) until engine/cli.py wires `sim`."""
    parser = argparse.ArgumentParser(prog="dialspool")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
