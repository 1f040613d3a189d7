"""Shared fixtures: real databases (SQLite files and the PostgreSQL server) and the app.

The storage tests run on both backends every time. PostgreSQL comes from
PG_TEST_URL (set by `make test`; the machine's server by default).
An unreachable server fails the run: it is never skipped.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.engine import make_url

from engine.app import create_app
from engine.clock import VirtualClock
from engine.config import Config, load_config
from engine.store import migrate

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def pg_base_url() -> str:
    return os.environ.get("PG_TEST_URL") or DEFAULT_PG_URL


async def _pg_admin(sql: str) -> None:
    url = make_url(pg_base_url())
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=url.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_database_url(name: str) -> str:
    return make_url(pg_base_url()).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test clones."""
    name = f"dialspool_tpl_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    migrate.upgrade(_pg_database_url(name))
    yield name
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A fresh, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "dialspool.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"dialspool_t_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _pg_database_url(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "dialspool.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


def make_config(db: str, **sections: dict[str, object]) -> Config:
    """A config for tests: the given database, ARI off unless asked, overrides per section."""
    env = {
        "DIALSPOOL_DATABASE_URL": db,
        "DIALSPOOL_ARI_ENABLED": "false",
        # Cheap Argon2 keeps the many log-ins of the suite fast; the algorithm is the same.
        "DIALSPOOL_AUTH_PASSWORD_HASH_TIME_COST": "1",
        "DIALSPOOL_AUTH_PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    for section, values in sections.items():
        for key, value in values.items():
            env[f"DIALSPOOL_{section.upper()}_{key.upper()}"] = str(value)
    return load_config(None, env)


@pytest.fixture
def clock() -> VirtualClock:
    import time

    return VirtualClock(start=time.time())


@pytest.fixture
async def client(
    aiohttp_client: object, db_url: str, clock: VirtualClock
) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The real app on a loopback port, on each backend."""
    app = create_app(make_config(db_url), clock=clock)
    yield await aiohttp_client(app)  # type: ignore[operator]
