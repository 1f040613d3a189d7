"""Recording conversion speed: GSM -> MP3 with the engine's own ffmpeg arguments.

Figures are seconds of audio per second of ffmpeg CPU time ("x real time per
core"), measured from the children's rusage so that other load on the machine
does not count; the baseline is ffmpeg merely decoding the same file to the
null muxer, in the same run. A second row runs one conversion per core at
once through the same code path, against converting the files one by one.
"""

from __future__ import annotations

import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from engine.recordings import media
from engine.recordings.media import DEFAULT_TOOLS, mp3_args

TARGET_X_REALTIME_PER_CORE = 300


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _make_gsm(path: Path, seconds: int) -> None:
    # Speech-like: a tone under a 3 Hz envelope, plus noise, so the codec has work to do.
    source = (
        f"sine=frequency=300:sample_rate=8000:duration={seconds},"
        "volume='0.5+0.5*sin(2*PI*3*t)':eval=frame"
    )
    await media.run(
        [DEFAULT_TOOLS.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", source, "-f", "lavfi", "-i",
         f"anoisesrc=color=pink:sample_rate=8000:amplitude=0.05:duration={seconds}",
         "-filter_complex", "amix=inputs=2:duration=shortest", "-ac", "1",
         "-c:a", "libgsm", "-f", "gsm", str(path)],
        600,
    )  # fmt: skip


async def _cpu_of(args: list[str]) -> float:
    before = _children_cpu()
    await media.run(args, 600)
    return _children_cpu() - before


def _decode_args(source: Path) -> list[str]:
    return [DEFAULT_TOOLS.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
            "-threads", "1", "-i", str(source), "-f", "null", "-"]  # fmt: skip


async def _measure(folder: Path, seconds: int, rounds: int) -> dict[str, float]:
    source = folder / "speech.gsm"
    await _make_gsm(source, seconds)
    convert, decode = [], []
    for n in range(rounds):
        convert.append(await _cpu_of(mp3_args(source, folder / f"out{n}.mp3")))
        decode.append(await _cpu_of(_decode_args(source)))
    cores = os.cpu_count() or 1
    started = time.perf_counter()
    for n in range(cores):
        await media.run(mp3_args(source, folder / f"serial{n}.mp3"), 600)
    serial = time.perf_counter() - started
    started = time.perf_counter()
    await asyncio.gather(
        *(media.run(mp3_args(source, folder / f"pool{n}.mp3"), 600) for n in range(cores))
    )
    pooled = time.perf_counter() - started
    return {
        "convert": seconds / min(convert),
        "decode": seconds / min(decode),
        "cores": cores,
        "serial": cores * seconds / serial,
        "pooled": cores * seconds / pooled,
    }


def run_bench(quick: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-recordings-") as tmp:
        return asyncio.run(_measure(Path(tmp), 120 if quick else 900, 1 if quick else 3))


def run(quick: bool = False) -> list[dict[str, Any]]:
    figures = run_bench(quick)
    return [
        {
            "benchmark": "recordings: GSM -> MP3, x real time per core "
            f"(target >= {TARGET_X_REALTIME_PER_CORE}; baseline: decode only)",
            "figure": figures["convert"],
            "unit": "x",
            "baseline": figures["decode"],
            "ratio": figures["convert"] / figures["decode"],
        },
        {
            "benchmark": f"recordings: {int(figures['cores'])} conversions at once, "
            "x real time wall clock (baseline: one by one)",
            "figure": figures["pooled"],
            "unit": "x",
            "baseline": figures["serial"],
            "ratio": figures["pooled"] / figures["serial"],
        },
    ]
