"""Migrations build the schema of engine/store/tables.py, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from engine.store import migrate
from engine.store.db import create_engine
from engine.store.tables import metadata


def _diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _indexes(conn: Connection) -> dict[str, list[list[str]]]:
    inspector = inspect(conn)
    return {
        table: [list(ix["column_names"]) for ix in inspector.get_indexes(table)]
        for table in inspector.get_table_names()
    }


async def test_migrated_schema_matches_the_tables(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            indexes = await conn.run_sync(_indexes)
    finally:
        await engine.dispose()
    # The hot paths are indexed.
    assert ["campaign_id", "state", "priority", "due_at"] in indexes["spool_entries"]
    assert ["number", "created_at"] in indexes["calls"]
    assert ["created_at"] in indexes["calls"]
    assert ["number"] in indexes["dnc_entries"]


def test_upgrade_from_empty_is_idempotent(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
    migrate.upgrade(url)
    migrate.upgrade(url)  # a second run changes nothing and does not fail
    assert (tmp_path / "fresh.db").exists()
