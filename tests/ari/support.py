"""Shared data and helpers of the ARI client tests."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from engine.ari.websocket import Backoff

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
TRACES_DIR = SHARED / "asterisk-traces"
DECLARATIONS_DIR = SHARED / "asterisk-ari"

USERNAME = "dialspool"
PASSWORD = "s3cret-pw"
APP = "dialspool"

FAST_BACKOFF = Backoff(initial=0.01, factor=2.0, maximum=0.05, jitter=0.5)


def trace_files() -> list[Path]:
    return sorted(p for p in TRACES_DIR.glob("*.json"))


def load_trace(name: str) -> list[dict[str, Any]]:
    data = json.loads((TRACES_DIR / name).read_text())
    assert isinstance(data, list)
    return data


def trace_events(name: str) -> list[dict[str, Any]]:
    return [step["event"] for step in load_trace(name) if step["kind"] == "event"]


class InstantClock:
    """Real wall time, but sleeping only records the wish and yields once."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


async def eventually(predicate: Any, within: float = 3.0, what: str = "") -> None:
    """Poll `predicate` until true; fail after `within` seconds of real time."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.005)
