"""The database engine: the URL picks SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")

# aiosqlite runs every connection in a thread of its own, which needs the GIL
# back after each statement SQLite ran without it. A busy event loop hands the
# GIL over only every switch interval: at the interpreter's 5 ms, a lead load
# (parsing in the loop, inserting in the thread) spent a tenth of its time with
# the thread waiting, and each query of a call being routed could wait as long.
# At 1 ms, 300,000 rows load in 8.3 s instead of 9.1 s (medians of 5), and the
# routing bench's p99 with 500 calls up falls from 32.8 to 18.5 ms (medians of
# 3, on a busy machine). The interval is process-wide, so it is only ever lowered.
_GIL_SWITCH_SECONDS = 0.001


def _share_the_gil() -> None:
    if sys.getswitchinterval() > _GIL_SWITCH_SECONDS:
        sys.setswitchinterval(_GIL_SWITCH_SECONDS)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; foreign keys are off by default in
    # SQLite; the busy timeout waits out a concurrent writer instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # The driver's own BEGIN handling is off: _on_sqlite_begin starts transactions.
    dbapi_connection.isolation_level = None


def _on_sqlite_begin(connection: Any) -> None:
    # A deferred SQLite transaction that reads, then writes, fails at once with
    # "database is locked" if another writer committed in between (the busy
    # timeout does not apply). Taking the write lock at BEGIN makes it wait its
    # turn instead; readers are never blocked in WAL mode, only writers queue.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ValueError(
            f"unsupported database URL scheme {parsed.drivername!r}; "
            f"use one of {', '.join(SUPPORTED_DRIVERS)}"
        )
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        _share_the_gil()
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)
