"""ffmpeg and ffprobe as subprocesses: probe a duration, convert to MP3.

Each run has a timeout; a run that overstays it, or whose caller is cancelled,
is killed and reaped so that no ffmpeg outlives the request for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class MediaError(Exception):
    """ffmpeg or ffprobe failed, timed out, or said something we cannot read."""


@dataclass(frozen=True)
class Tools:
    ffmpeg: str = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
    ffprobe: str = shutil.which("ffprobe") or "/usr/bin/ffprobe"
    # Telephony audio is 8 kHz mono: 16 kbit/s MP3 keeps speech clear at a
    # size close to the GSM original.
    mp3_bitrate: str = "16k"


DEFAULT_TOOLS = Tools()


async def run(args: Sequence[str], limit_seconds: float) -> bytes:
    """Run a tool; its standard output, or a `MediaError` with the end of its stderr."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        raise MediaError(f"cannot run {args[0]}: {exc}") from exc
    try:
        async with asyncio.timeout(limit_seconds):
            out, err = await proc.communicate()
    except TimeoutError:
        raise MediaError(f"{Path(args[0]).name} took longer than {limit_seconds:g} s") from None
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(Exception):
                await asyncio.shield(proc.communicate())
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise MediaError(f"{Path(args[0]).name} exited {proc.returncode}: {' | '.join(tail)}")
    return out


async def probe_duration(
    path: Path, *, limit_seconds: float = 30.0, tools: Tools = DEFAULT_TOOLS
) -> float:
    """Seconds of audio in `path`, as ffprobe reads the container."""
    out = await run(
        [tools.ffprobe, "-v", "error", "-show_entries", "format=duration",
         "-of", "default=noprint_wrappers=1:nokey=1", str(path)],
        limit_seconds,
    )  # fmt: skip
    text = out.decode("ascii", "replace").strip()
    try:
        seconds = float(text)
    except ValueError:
        raise MediaError(f"ffprobe gave no duration for {path.name}: {text!r}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise MediaError(f"ffprobe gave a bad duration for {path.name}: {text!r}")
    return seconds


def mp3_args(source: Path, target: Path, tools: Tools = DEFAULT_TOOLS) -> list[str]:
    """ffmpeg arguments: any input ffmpeg reads (GSM, WAV, GSM-in-WAV) to mono MP3."""
    return [
        tools.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        # One thread per conversion: the pool, not ffmpeg, spreads work over cores.
        "-threads", "1", "-i", str(source), "-vn", "-ac", "1",
        "-c:a", "libmp3lame", "-b:a", tools.mp3_bitrate,
        # LAME's fastest algorithm: at 8 kHz speech it sounds the same and runs ~2x faster.
        "-compression_level", "9",
        "-f", "mp3", str(target),
    ]  # fmt: skip


async def to_mp3(
    source: Path, target: Path, *, limit_seconds: float, tools: Tools = DEFAULT_TOOLS
) -> None:
    await run(mp3_args(source, target, tools), limit_seconds)
