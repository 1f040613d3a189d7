"""Checkpoints off a bulk writer's path, on real SQLite files."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.store.checkpoints import Checkpoints, off_the_writer
from engine.store.db import create_engine

# A transaction of about 6 MB: more than the 1,000 pages (4 MB) past which a
# connection that checkpoints by itself would copy the log at its commit.
ROWS, ROW_BYTES = 1500, 4000


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/bulk.db")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x BLOB)"))
    try:
        yield engine
    finally:
        await engine.dispose()


def sizes(tmp_path: Path) -> tuple[int, int]:
    """The database file's and the log's sizes."""
    log = tmp_path / "bulk.db-wal"
    return (tmp_path / "bulk.db").stat().st_size, log.stat().st_size if log.exists() else 0


async def write(conn: AsyncConnection, checkpoints: Checkpoints) -> None:
    await checkpoints.ready()
    async with conn.begin():
        await conn.execute(
            text(
                "INSERT INTO t SELECT randomblob(:size) FROM "
                "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows) "
                "SELECT i FROM n)"
            ),
            {"size": ROW_BYTES, "rows": ROWS},
        )


async def autocheckpoint(conn: AsyncConnection) -> int:
    async with conn.begin():
        return int((await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar_one())


async def test_commits_are_copied_by_another_connection(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    async with engine.connect() as writer:
        async with off_the_writer(engine, writer) as checkpoints:
            assert await autocheckpoint(writer) == 0
            database_before, _ = sizes(tmp_path)
            await write(writer, checkpoints)
            # The commit left its pages in the log: the writer copied nothing.
            database, log = sizes(tmp_path)
            assert database == database_before
            assert log > ROWS * ROW_BYTES
            checkpoints.committed()
            await checkpoints.settle()
            assert checkpoints.runs == 1
            assert sizes(tmp_path)[0] > ROWS * ROW_BYTES
            for _ in range(2):
                await write(writer, checkpoints)
                checkpoints.committed()
        # The end empties the log and gives the writer its own setting back.
        assert sizes(tmp_path)[1] == 0
        assert checkpoints.runs >= 2
        assert await autocheckpoint(writer) == 1000
        async with writer.begin():
            assert (await writer.execute(text("SELECT count(*) FROM t"))).scalar_one() == 3 * ROWS


async def test_a_log_past_its_bound_is_rewound_before_the_next_write(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    async with engine.connect() as writer, off_the_writer(engine, writer) as checkpoints:
        checkpoints.max_log_frames = 1
        largest = 0
        for _ in range(8):
            await write(writer, checkpoints)
            checkpoints.committed()
            largest = max(largest, sizes(tmp_path)[1])
    # Unbounded, the log would hold all eight transactions: each began while
    # the last was being copied. Bounded, a write waits for the copy once the
    # log is past its bound, and then starts the log over.
    assert largest < 3.5 * ROWS * ROW_BYTES


async def test_the_writer_gets_its_setting_back_when_the_block_fails(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as writer:
        with pytest.raises(RuntimeError, match="parse error"):
            async with off_the_writer(engine, writer) as checkpoints:
                await write(writer, checkpoints)
                checkpoints.committed()
                raise RuntimeError("parse error")
        assert await autocheckpoint(writer) == 1000


async def test_a_reader_of_an_older_snapshot_does_not_hold_the_end_up(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """The last checkpoint waits a moment for readers, not the pool's busy timeout
    (10 s): other writers wait while it does."""
    async with aiosqlite.connect(tmp_path / "bulk.db") as reader:
        await reader.execute("BEGIN")
        async with reader.execute("SELECT count(*) FROM t") as cursor:
            assert await cursor.fetchone() == (0,)
        async with engine.connect() as writer:
            started = time.monotonic()
            async with off_the_writer(engine, writer) as checkpoints:
                await write(writer, checkpoints)
                checkpoints.committed()
            assert time.monotonic() - started < 5.0
            # Copied up to the reader's snapshot only, so not emptied.
            assert checkpoints.log_frames > 0
            assert sizes(tmp_path)[1] > 0
            async with writer.begin():
                timeout = (await writer.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
            assert timeout == 10000
        await reader.rollback()
    # Every pooled connection has the pool's own busy timeout.
    async with engine.connect() as a, engine.connect() as b:
        for conn in (a, b):
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one() == 10000
            await conn.commit()
