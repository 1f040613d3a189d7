"""Authentication cost per request: token lookup vs the database round trip alone."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from engine.auth.service import AuthService
from engine.clock import LoopClock
from engine.config import AuthConfig
from engine.store import migrate
from engine.store.db import create_engine


async def _measure(db_path: Path, rounds: int) -> tuple[float, float]:
    engine = create_engine(f"sqlite+aiosqlite:///{db_path}")
    service = AuthService(engine, LoopClock(), AuthConfig())
    try:
        await service.create_user("bench", "agent", "bench-password")
        token = (await service.login("bench", "bench-password", "127.0.0.1")).token
        auth_times, select_times = [], []
        for _ in range(rounds):
            started = time.perf_counter()
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            select_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            await service.authenticate(token)
            auth_times.append(time.perf_counter() - started)
        return statistics.median(auth_times), statistics.median(select_times)
    finally:
        await engine.dispose()


def run(quick: bool = False) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        migrate.upgrade(f"sqlite+aiosqlite:///{db_path}")
        auth, select = asyncio.run(_measure(db_path, 50 if quick else 500))
    return [
        {
            "benchmark": "auth: bearer token check (SQLite), median",
            "figure": auth * 1e6,
            "unit": "µs",
            "baseline": select * 1e6,
            "ratio": auth / select,
        }
    ]
