"""The ARI boundary: event decoding + dispatch, originate round trips, simulator memory.

- decode + dispatch: JSON text frames shaped like the real Asterisk events in
  ../shared/asterisk-traces (read at run time: one template per event type, ids
  rewritten per synthetic call) go through `decode_frame` and a `Dispatcher`
  holding handlers by type and one per channel, as the engine subscribes them.
  Baseline: `json.loads` of the same frames. Target: >= 10,000 events/s.
- originate: POST /channels/{id} to a never-answering lab number (3xxx) through
  `AriClient`, 20 in flight, against `dialspool sim` in another process.
  Baseline: GET /asterisk/ping with the same concurrency (the HTTP floor).
  Target: >= 200 originates/s.
- memory: the simulator process's RSS growth per answered call held up (lab
  5xxx), against the size of the same channel as a plain parsed JSON dict
  (tracemalloc): the ratio is the simulator's overhead over the bare data.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import json
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any

import psutil

from bench._simproc import PASSWORD, USER, SimProcess, load_note, sim_process
from engine.ari.client import AriClient
from engine.ari.dispatch import Dispatcher
from engine.ari.errors import AriError
from engine.ari.events import (
    AriEvent,
    ChannelDestroyed,
    ChannelStateChange,
    Dial,
    StasisStart,
    decode_frame,
)

TRACES = Path(__file__).resolve().parents[2] / "shared" / "asterisk-traces"
# One call's events, in the order Asterisk sends them to the application.
CALL_SEQUENCE = (
    ("Dial", None),
    ("ChannelStateChange", "Ringing"),
    ("ChannelStateChange", "Up"),
    ("StasisStart", None),
    ("ChannelVarset", None),
    ("PlaybackFinished", None),
    ("ChannelDestroyed", None),
)
CONCURRENCY = 20


# --- decode + dispatch ----------------------------------------------------------


def _templates() -> dict[str, dict[str, Any]]:
    """The first real event of each type in CALL_SEQUENCE that concerns a channel."""
    wanted = {kind for kind, _ in CALL_SEQUENCE}
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(TRACES.glob("*.json")):
        for step in json.loads(path.read_text()):
            event = step.get("event") if step.get("kind") == "event" else None
            if not event or event["type"] not in wanted or event["type"] in found:
                continue
            if event["type"] == "PlaybackFinished" or "channel" in event or "peer" in event:
                found[event["type"]] = event
    missing = wanted - set(found)
    if missing:
        raise RuntimeError(f"no trace event of type {sorted(missing)} in {TRACES}")
    return found


def make_frames(calls: int) -> list[str]:
    templates = _templates()
    frames = []
    for index in range(calls):
        channel_id = f"dsc-bench{index:06d}"
        for kind, state in CALL_SEQUENCE:
            event = copy.deepcopy(templates[kind])
            if kind == "PlaybackFinished":
                event["playback"]["id"] = f"pb-{index}"
                event["playback"]["target_uri"] = f"channel:{channel_id}"
            else:
                channel = event["peer" if kind == "Dial" else "channel"]
                channel["id"] = channel_id
                channel["name"] = f"PJSIP/trunk-{index:08x}"
                if state is not None:
                    channel["state"] = state
            frames.append(json.dumps(event))
    return frames


class _Handlers:
    """What the engine hangs on the dispatcher: counters by type, a state machine per call."""

    def __init__(self) -> None:
        self.started = self.destroyed = self.dials = self.per_call = 0

    def on_start(self, event: StasisStart) -> None:
        self.started += 1

    def on_destroyed(self, event: ChannelDestroyed) -> None:
        self.destroyed += 1

    def on_dial(self, event: Dial) -> None:
        self.dials += 1

    async def on_call_event(self, event: AriEvent) -> None:
        # The shape of OutboundCalls._on_event: an isinstance ladder, async.
        if isinstance(event, ChannelStateChange | Dial | StasisStart | ChannelDestroyed):
            self.per_call += 1


async def _dispatch_round(frames: list[str], calls: int) -> tuple[float, _Handlers]:
    dispatcher = Dispatcher()
    handlers = _Handlers()
    dispatcher.on(StasisStart, handlers.on_start)
    dispatcher.on(ChannelDestroyed, handlers.on_destroyed)
    dispatcher.on(Dial, handlers.on_dial)
    for index in range(calls):
        dispatcher.on_channel(f"dsc-bench{index:06d}", handlers.on_call_event)
    started = time.perf_counter()
    for frame in frames:
        await dispatcher.dispatch(decode_frame(frame))
    seconds = time.perf_counter() - started
    assert handlers.started == handlers.destroyed == handlers.dials == calls, vars(handlers)
    assert dispatcher.subscription_count() == 3, "per-call subscriptions did not end"
    return seconds, handlers


def bench_decode(quick: bool) -> list[dict[str, Any]]:
    calls = 300 if quick else 3000
    rounds = 3 if quick else 7
    frames = make_frames(calls)
    decode_rates, loads_rates = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for frame in frames:
            json.loads(frame)
        loads_rates.append(len(frames) / (time.perf_counter() - started))
        seconds, _ = asyncio.run(_dispatch_round(frames, calls))
        decode_rates.append(len(frames) / seconds)
    figure, baseline = statistics.median(decode_rates), statistics.median(loads_rates)
    return [
        {
            "benchmark": "ari: events decoded + dispatched per s, 1 core, median "
            f"({len(frames)} frames, 7-type trace mix; baseline json.loads) [target >= 10,000]",
            "figure": figure,
            "unit": "events/s",
            "baseline": baseline,
            "ratio": figure / baseline,
        }
    ]


# --- originate round trips --------------------------------------------------------


async def _bounded(count: int, work: Any) -> float:
    """Run `work(i)` for i < count, CONCURRENCY at a time; the wall time taken."""
    queue = iter(range(count))

    async def worker() -> None:
        for index in queue:
            await work(index)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started


async def _originate_rates(sim: SimProcess, count: int, rounds: int) -> tuple[float, float]:
    await sim.wait_ready()
    originate_rates, ping_rates = [], []
    created: list[str] = []
    async with AriClient(sim.ari_url, USER, PASSWORD, app="bench", pool_size=50) as ari:
        async with asyncio.timeout(20):
            await ari.wait_connected()
        try:
            for round_ in range(rounds):

                async def ping(_: int) -> None:
                    await ari.asterisk.ping()

                ping_rates.append(count / await _bounded(count, ping))

                async def originate(index: int, round_: int = round_) -> None:
                    channel_id = f"dsc-orig{round_}-{index}"
                    await ari.channels.originate_with_id(
                        channel_id,
                        f"PJSIP/3{round_}{index:05d}@trunk",
                        app=ari.app,
                        app_args="bench",
                        ring_timeout=-1,
                    )
                    created.append(channel_id)

                originate_rates.append(count / await _bounded(count, originate))
        finally:
            pending = iter(list(created))

            async def hangup(_: int) -> None:
                channel_id = next(pending, None)
                if channel_id is not None:
                    await _quiet_hangup(ari, channel_id)

            await _bounded(len(created), hangup)
    return statistics.median(originate_rates), statistics.median(ping_rates)


def bench_originate(quick: bool) -> list[dict[str, Any]]:
    count = 100 if quick else 1000
    rounds = 1 if quick else 3
    with sim_process("lab", 50.0) as sim:
        figure, baseline = asyncio.run(_originate_rates(sim, count, rounds))
    return [
        {
            "benchmark": f"ari: originate round trips per s vs sim in another process, "
            f"{CONCURRENCY} in flight, median of {rounds}x{count} "
            "(baseline GET /asterisk/ping) [target >= 200]",
            "figure": figure,
            "unit": "req/s",
            "baseline": baseline,
            "ratio": figure / baseline,
        }
    ]


# --- memory per live call ----------------------------------------------------------


def _dict_bytes_per_channel(channels: list[dict[str, Any]]) -> float:
    """What one channel costs held as the parsed JSON dict Asterisk describes it with."""
    text = json.dumps(channels)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        parsed = json.loads(text)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(parsed) == len(channels)
    return (after - before) / len(channels)


async def _memory(sim: SimProcess, calls: int) -> tuple[float, float, int, float]:
    await sim.wait_ready()
    process = psutil.Process(sim.pid)
    answered: set[str] = set()
    all_up = asyncio.Event()
    async with AriClient(sim.ari_url, USER, PASSWORD, app="bench", pool_size=50) as ari:
        async with asyncio.timeout(20):
            await ari.wait_connected()

        def on_start(event: StasisStart) -> None:
            answered.add(event.channel.id)
            if len(answered) >= calls:
                all_up.set()

        ari.on(StasisStart, on_start)
        # Warm the simulator's code paths (and allocator) with a few calls first.
        warm = [f"dsc-warm-{i}" for i in range(20)]
        for channel_id in warm:
            await ari.channels.originate_with_id(
                channel_id, "PJSIP/5999@trunk", app=ari.app, app_args="bench"
            )
        await asyncio.sleep(0.5)
        for channel_id in warm:
            await _quiet_hangup(ari, channel_id)
        await asyncio.sleep(0.5)
        answered.clear()
        before = process.memory_info().rss
        try:

            async def originate(index: int) -> None:
                await ari.channels.originate_with_id(
                    f"dsc-mem-{index}", f"PJSIP/5{index:05d}@trunk", app=ari.app, app_args="bench"
                )

            await _bounded(calls, originate)
            async with asyncio.timeout(60):
                await all_up.wait()
            await asyncio.sleep(0.5)  # let the simulator settle its queues
            after = process.memory_info().rss
            channels = await ari.http.request("GET", "/channels")
            up = sum(1 for ch in channels if ch["state"] == "Up")
            dict_bytes = _dict_bytes_per_channel(channels)
        finally:
            await _bounded(calls, lambda index: _quiet_hangup(ari, f"dsc-mem-{index}"))
    return (after - before) / calls, dict_bytes, up, before


async def _quiet_hangup(ari: AriClient, channel_id: str) -> None:
    with contextlib.suppress(AriError):  # already gone
        await ari.channels.hangup(channel_id)


def bench_memory(quick: bool) -> list[dict[str, Any]]:
    calls = 100 if quick else 1000
    with sim_process("lab", 50.0) as sim:
        per_call, dict_bytes, up, idle = asyncio.run(_memory(sim, calls))
    return [
        {
            "benchmark": f"ari: sim RSS growth per answered call held up ({up} up; idle RSS "
            f"{idle / 2**20:.0f} MiB; baseline: the channel as a parsed JSON dict)",
            "figure": per_call / 1024,
            "unit": "KiB/call",
            "baseline": dict_bytes / 1024,
            "ratio": per_call / dict_bytes,
        }
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    rows = [*bench_decode(quick), *bench_originate(quick), *bench_memory(quick)]
    note = load_note()
    for row in rows:
        row["benchmark"] += f" ({note})"
    return rows
