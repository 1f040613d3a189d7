"""The `dialspool` command.

Errors a user can fix (bad config, bad arguments, duplicates) exit 2 with one
line on stderr; nothing is half-done.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from engine import __version__, logs
from engine.auth.secrets import generate_password
from engine.auth.service import AuthService
from engine.clock import LoopClock, utc_datetime
from engine.config import Config, load_config, masked
from engine.errors import DialspoolError
from engine.store import migrate
from engine.store import users as user_store
from engine.store.db import create_engine

T = TypeVar("T")

Command = Callable[[argparse.Namespace, Config], int]


class UsageError(Exception):
    """A mistake in the command line; exit 2."""


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def _with_auth(config: Config, action: Callable[[AuthService], Awaitable[T]]) -> T:
    engine = create_engine(config.database.url.get_secret_value())
    try:
        current = await migrate.current_revision(engine)
        if current != migrate.head_revision():
            raise UsageError("database schema is not up to date: run `dialspool db upgrade`")
        return await action(AuthService(engine, LoopClock(), config.auth))
    finally:
        await engine.dispose()


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from engine.app import serve

    asyncio.run(serve(config, run_seconds=args.seconds))
    return 0


def cmd_db_upgrade(args: argparse.Namespace, config: Config) -> int:
    migrate.upgrade(config.database.url.get_secret_value())
    print(f"database at revision {migrate.head_revision()}")
    return 0


def cmd_user_add(args: argparse.Namespace, config: Config) -> int:
    password = args.password or generate_password()

    async def add(auth: AuthService) -> int:
        return await auth.create_user(args.username, args.role, password)

    user_id = _run(_with_auth(config, add))
    print(f"user {args.username} ({args.role}) created with id {user_id}")
    if not args.password:
        print(f"password: {password}")
    return 0


def cmd_user_passwd(args: argparse.Namespace, config: Config) -> int:
    password = args.password or generate_password()

    async def change(auth: AuthService) -> bool:
        return await auth.set_password(args.username, password)

    if not _run(_with_auth(config, change)):
        raise UsageError(f"no user named {args.username!r}")
    print(f"password of {args.username} changed")
    if not args.password:
        print(f"password: {password}")
    return 0


def cmd_user_list(args: argparse.Namespace, config: Config) -> int:
    async def listing(auth: AuthService) -> list[Any]:
        async with auth.engine.connect() as conn:
            return await user_store.list_users(conn)

    rows = _run(_with_auth(config, listing))
    print(f"{'id':>4}  {'username':<24} {'role':<11} active")
    for row in rows:
        print(f"{row['id']:>4}  {row['username']:<24} {row['role']:<11} {row['active']}")
    return 0


def cmd_apikey_create(args: argparse.Namespace, config: Config) -> int:
    async def create(auth: AuthService) -> str:
        return await auth.create_api_key(args.name, args.role)

    key = _run(_with_auth(config, create))
    print(f"API key {args.name} ({args.role}) created; it is shown only now:")
    print(key)
    return 0


def cmd_config_show(args: argparse.Namespace, config: Config) -> int:
    print(json.dumps(masked(config), indent=2))
    return 0


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from engine.demo.run import run_demo

    return asyncio.run(run_demo(config, seconds=args.seconds, agents=args.agents, leads=args.leads))


def cmd_report_compliance(args: argparse.Namespace, config: Config) -> int:
    from engine.dialer.compliance import report
    from engine.store.leads import find_campaign

    async def build() -> Any:
        engine = create_engine(config.database.url.get_secret_value())
        try:
            async with engine.connect() as conn:
                campaign_id = await find_campaign(conn, args.campaign)
                if campaign_id is None:
                    raise UsageError(f"no campaign {args.campaign!r}")
                return await report(conn, campaign_id, utc_datetime(LoopClock().now()))
        finally:
            await engine.dispose()

    found = asyncio.run(build())
    print(f"campaign {found.campaign_id}, at {found.at.isoformat(timespec='seconds')}")
    for label, rate in (("24 h", found.abandon_24h), ("30 days", found.abandon_30d)):
        print(
            f"  abandon rate, {label}: {rate.percent:.2f} % "
            f"({rate.abandoned} of {rate.live_answered} answered by a person)"
        )
    print("  attempts by hour (UTC):")
    for hour, count in found.attempts_by_hour.items():
        print(f"    {hour}:00  {count}")
    print("  waiting leads blocked now, by rule:")
    for rule, count in sorted(found.blocked_now.items(), key=lambda item: -item[1]):
        print(f"    {rule:<28} {count}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dialspool", description=__doc__)
    parser.add_argument("--version", action="version", version=f"dialspool {__version__}")
    parser.add_argument("--config", type=Path, help="TOML configuration file")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the engine until SIGINT / SIGTERM")
    serve.add_argument("--seconds", type=float, help="stop after this many seconds")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    db.add_parser("upgrade", help="migrate to the latest schema").set_defaults(func=cmd_db_upgrade)

    user = sub.add_parser("user", help="users").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="create a user")
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, choices=["admin", "supervisor", "agent"])
    add.add_argument("--password", help="generated and printed when omitted")
    add.set_defaults(func=cmd_user_add)
    passwd = user.add_parser("passwd", help="change a user's password")
    passwd.add_argument("--username", required=True)
    passwd.add_argument("--password", help="generated and printed when omitted")
    passwd.set_defaults(func=cmd_user_passwd)
    user.add_parser("list", help="list users").set_defaults(func=cmd_user_list)

    apikey = sub.add_parser("apikey", help="API keys").add_subparsers(dest="action", required=True)
    create = apikey.add_parser("create", help="create an API key for an external system")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--role", default="external", choices=["admin", "supervisor", "agent", "external"]
    )
    create.set_defaults(func=cmd_apikey_create)

    config = sub.add_parser("config", help="configuration").add_subparsers(
        dest="action", required=True
    )
    config.add_parser(
        "show", help="print the effective configuration, secrets masked"
    ).set_defaults(func=cmd_config_show)
    demo = sub.add_parser("demo", help="a live predictive campaign against a running simulator")
    demo.add_argument("--seconds", type=float, help="stop after this many seconds")
    demo.add_argument("--agents", type=int, default=10)
    demo.add_argument("--leads", type=int, default=10_000)
    demo.set_defaults(func=cmd_demo)

    report = sub.add_parser("report", help="reports").add_subparsers(dest="action", required=True)
    compliance = report.add_parser("compliance", help="abandon rates, attempts, blocked dials")
    compliance.add_argument("--campaign", required=True, help="campaign id or name")
    compliance.set_defaults(func=cmd_report_compliance)

    from engine.dialer.leads import cli as leads_cli
    from engine.dialer.simulate import cli as simulate_cli
    from engine.sim import cli as sim_cli

    leads_cli.add_parser(sub)
    simulate_cli.add_parser(sub)

    sim_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
        logs.configure(config.logging.level, config.logging.format)
        if hasattr(args, "handler"):  # commands that need no engine configuration
            return int(args.handler(args))
        command: Command = args.func
        return command(args, config)
    except (DialspoolError, UsageError) as exc:
        message = exc.message if isinstance(exc, DialspoolError) else str(exc)
        print(f"dialspool: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
