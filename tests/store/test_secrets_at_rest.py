"""No plaintext password, token or API key in the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from engine.auth.service import AuthService
from engine.clock import LoopClock
from engine.config import AuthConfig
from engine.store.db import create_engine
from engine.store.tables import api_keys, auth_tokens, users


async def test_no_plaintext_secret_is_stored(db_url: str) -> None:
    engine = create_engine(db_url)
    service = AuthService(engine, LoopClock(), AuthConfig())
    password = "Plain-Text-Password-77"
    try:
        await service.create_user("alice", "admin", password)
        token = (await service.login("alice", password, "127.0.0.1")).token
        key = await service.create_api_key("crm")
        async with engine.connect() as conn:
            stored = [
                str(value)
                for table in (users, auth_tokens, api_keys)
                for row in await conn.execute(select(table))
                for value in row
            ]
            if engine.dialect.name == "postgresql":
                # Everything PostgreSQL holds for these tables, as text.
                dump = await conn.execute(
                    text(
                        "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM users) t "
                        "UNION ALL SELECT string_agg(t::text, ' ') FROM (SELECT * FROM api_keys) t"
                    )
                )
                stored += [str(value) for (value,) in dump]
    finally:
        await engine.dispose()
    blob = " ".join(stored)
    if db_url.startswith("sqlite"):
        db_file = Path(db_url.split(":///", 1)[1])
        for path in (db_file, db_file.with_name(db_file.name + "-wal")):
            if path.exists():
                blob += path.read_bytes().decode("latin-1")
    assert "alice" in blob  # the check does see the stored rows
    for secret in (password, token, key):
        assert secret not in blob
    assert "$argon2id$" in blob
