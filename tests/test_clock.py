"""The virtual clock wakes sleepers in time order and only when advanced."""

from __future__ import annotations

import asyncio

from engine.clock import LoopClock, VirtualClock


async def test_sleepers_wake_in_order_within_an_advance() -> None:
    clock = VirtualClock(start=1000.0)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))
        if name == "a":  # a sleep scheduled during the advance still fires in it
            await clock.sleep(1)
            woke.append(("a2", clock.now()))

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in (("b", 5), ("a", 2), ("c", 50))]
    await asyncio.sleep(0)
    await clock.advance(10)
    assert woke == [("a", 1002.0), ("a2", 1003.0), ("b", 1005.0)]
    assert clock.now() == 1010.0
    assert clock.monotonic() == 10.0
    await clock.advance(40)
    assert woke[-1] == ("c", 1050.0)
    await asyncio.gather(*tasks)


async def test_cancelled_sleeper_is_skipped() -> None:
    clock = VirtualClock()
    task = asyncio.create_task(clock.sleep(3))
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.sleep(0)
    assert clock.next_wake() is None
    await clock.advance(5)
    assert clock.now() == 5


async def test_loop_clock_is_real_time() -> None:
    clock = LoopClock()
    start = clock.monotonic()
    await clock.sleep(0.01)
    assert clock.monotonic() - start >= 0.01
    assert clock.now() > 1.7e9
