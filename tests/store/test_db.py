"""The database engine's process-wide settings."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.store.db import create_engine


@pytest.fixture
def switch_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


async def test_a_sqlite_engine_lowers_the_gil_switch_interval(
    tmp_path: Path, switch_interval: None
) -> None:
    # aiosqlite's thread waits for the GIL after every statement.
    sys.setswitchinterval(0.005)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/a.db")
    await engine.dispose()
    assert sys.getswitchinterval() == pytest.approx(0.001)


async def test_the_switch_interval_is_never_raised(tmp_path: Path, switch_interval: None) -> None:
    sys.setswitchinterval(0.0002)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/a.db")
    await engine.dispose()
    assert sys.getswitchinterval() == pytest.approx(0.0002)
