"""Recordings (real audio files) and playbacks on channels and bridges."""

from __future__ import annotations

import asyncio
import logging
import math
import shutil
import wave
from array import array
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.sim import bridging
from engine.sim import events as ev
from engine.sim.declarations import RequestError
from engine.sim.pbx import Pbx
from engine.sim.state import Bridge, Channel, LiveRecording, Playback, StoredRecording

log = logging.getLogger(__name__)

RATE = 8000
CONTENT_TYPES = {"wav": "audio/wav", "gsm": "audio/gsm", "sln": "audio/sln"}


def formats_available() -> set[str]:
    """wav and raw slin always; gsm when ffmpeg can encode it."""
    found = {"wav", "sln"}
    if shutil.which("ffmpeg"):
        found.add("gsm")
    return found


# -- audio --------------------------------------------------------------------


@lru_cache(maxsize=1)
def _one_second() -> bytes:
    """A second of quiet two-tone audio with a syllable-like envelope."""
    samples = array("h")
    for n in range(RATE):
        t = n / RATE
        envelope = 0.5 + 0.5 * math.sin(2 * math.pi * 3 * t)
        value = (
            3000
            * envelope
            * (math.sin(2 * math.pi * 300 * t) + 0.5 * math.sin(2 * math.pi * 850 * t))
        )
        samples.append(int(value))
    return samples.tobytes()


def pcm(seconds: float) -> bytes:
    frames = max(0, round(seconds * RATE))
    second = _one_second()
    whole, rest = divmod(frames, RATE)
    return second * whole + second[: rest * 2]


def write_wav(path: Path, seconds: float, append: bool = False) -> None:
    data = pcm(seconds)
    if append and path.exists():
        with wave.open(str(path), "rb") as old:
            data = old.readframes(old.getnframes()) + data
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(data)


async def write_gsm(path: Path, seconds: float) -> None:
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0",
        "-c:a", "libgsm", "-f", "gsm", str(path),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate(pcm(seconds))
    if proc.returncode != 0:
        log.error("ffmpeg failed writing %s: %s", path, err.decode(errors="replace").strip())


async def write_audio(path: Path, fmt: str, seconds: float, append: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "gsm":
        await write_gsm(path, seconds)
    elif fmt == "wav":
        await asyncio.get_running_loop().run_in_executor(None, write_wav, path, seconds, append)
    else:
        data = pcm(seconds)
        await asyncio.get_running_loop().run_in_executor(None, path.write_bytes, data)


# -- recordings -----------------------------------------------------------------


def check_name(name: str) -> None:
    if not name or name.startswith("/") or ".." in name.split("/"):
        raise RequestError(400, "Recording name invalid")


def start_recording(
    pbx: Pbx,
    target: Channel | Bridge,
    *,
    name: str,
    fmt: str,
    max_duration: int,
    if_exists: str,
) -> tuple[LiveRecording, dict[str, Any]]:
    """Start recording; also returns the body of the 201, taken while still queued."""
    check_name(name)
    if fmt not in formats_available():
        raise RequestError(422, "specified format is unknown on this system")
    busy = name in pbx.state.live_recordings
    if busy or (if_exists == "fail" and name in pbx.state.stored_recordings):
        raise RequestError(409, f"Recording '{name}' already exists and can not be overwritten")
    kind = "bridge" if isinstance(target, Bridge) else "channel"
    rec = LiveRecording(
        name=name,
        format=fmt,
        target_uri=f"{kind}:{target.id}",
        started_at=pbx.now(),
        max_duration=max_duration,
        if_exists=if_exists,
    )
    pbx.state.live_recordings[name] = rec
    queued = ev.recording_json(rec)
    if isinstance(target, Bridge):
        suffix = pbx.state.next_channel_suffix()
        recorder = pbx.new_channel("recorder", f"Recorder/ARI-{suffix};2", None)
        recorder.state = "Up"
        rec.recorder_channel_id = recorder.id
        bridging.add(pbx, target, recorder, internal=True)
    rec.state = "recording"
    rec.started_at = pbx.now()
    _emit_recording(pbx, "RecordingStarted", rec)
    if max_duration > 0:
        pbx.after(max_duration, lambda: finish_recording(pbx, rec), f"rec:{name}")
    pbx.counters["recordings_started"] += 1
    return rec, queued


def _target(pbx: Pbx, rec: LiveRecording) -> tuple[list[Channel], list[Bridge]]:
    kind, _, ident = rec.target_uri.partition(":")
    if kind == "bridge":
        bridge = pbx.state.bridges.get(ident)
        return [], [bridge] if bridge else []
    ch = pbx.find_channel(ident)
    return [ch] if ch else [], []


def _emit_recording(pbx: Pbx, kind: str, rec: LiveRecording) -> None:
    channels, bridges = _target(pbx, rec)
    pbx.emit(ev.recording_event(kind, pbx.now(), rec), channels, bridges)


def recorded_seconds(pbx: Pbx, rec: LiveRecording) -> float:
    paused = rec.paused_total + (pbx.now() - rec.paused_at if rec.paused_at else 0.0)
    return max(0.0, (pbx.now() - rec.started_at - paused) * pbx.time_scale)


def finish_recording(pbx: Pbx, rec: LiveRecording, cancel: bool = False) -> None:
    """Stop a live recording: event now, file written in the background."""
    if pbx.state.live_recordings.get(rec.name) is not rec:
        return
    seconds = recorded_seconds(pbx, rec)
    if rec.max_duration:
        seconds = min(seconds, float(rec.max_duration))
    del pbx.state.live_recordings[rec.name]
    pbx.cancel_timers(f"rec:{rec.name}")
    if rec.recorder_channel_id:
        recorder = pbx.find_channel(rec.recorder_channel_id)
        if recorder is not None:
            bridging.leave_current(pbx, recorder)
            pbx.destroy(recorder, 16)
    rec.state = "canceled" if cancel else "done"
    rec.duration = None if cancel else int(seconds)
    _emit_recording(pbx, "RecordingFinished", rec)
    if cancel:
        return
    path = pbx.recordings_dir / f"{rec.name}.{rec.format}"
    append = rec.if_exists == "append" and rec.name in pbx.state.stored_recordings
    previous = pbx.state.stored_recordings.get(rec.name)
    total = seconds + (previous.duration if append and previous else 0.0)
    pbx.state.stored_recordings[rec.name] = StoredRecording(rec.name, rec.format, str(path), total)
    task = asyncio.get_running_loop().create_task(write_audio(path, rec.format, seconds, append))
    pbx.pending_writes[rec.name] = task
    task.add_done_callback(lambda _t: pbx.pending_writes.pop(rec.name, None))


def recordings_on(pbx: Pbx, uri: str) -> list[LiveRecording]:
    return [r for r in pbx.state.live_recordings.values() if r.target_uri == uri]


def channel_gone(pbx: Pbx, ch: Channel) -> None:
    for rec in recordings_on(pbx, f"channel:{ch.id}"):
        finish_recording(pbx, rec)
    for pb in [p for p in pbx.state.playbacks.values() if p.target_uri == f"channel:{ch.id}"]:
        stop_playback(pbx, pb)


def bridge_gone(pbx: Pbx, bridge: Bridge) -> None:
    for rec in recordings_on(pbx, f"bridge:{bridge.id}"):
        finish_recording(pbx, rec)
    for pb in [p for p in pbx.state.playbacks.values() if p.target_uri == f"bridge:{bridge.id}"]:
        stop_playback(pbx, pb)


async def stored_file(pbx: Pbx, name: str) -> Path:
    pending = pbx.pending_writes.get(name)
    if pending is not None:
        await asyncio.shield(pending)
    stored = pbx.state.stored_recordings.get(name)
    if stored is None:
        raise RequestError(404, "Recording not found")
    path = Path(stored.path)
    if not await asyncio.get_running_loop().run_in_executor(None, path.exists):
        raise RequestError(403, "Recording could not be opened")
    return path


# -- playbacks --------------------------------------------------------------------


def start_playback(
    pbx: Pbx, target: Channel | Bridge, media: list[str], lang: str | None, playback_id: str
) -> Playback:
    kind = "bridge" if isinstance(target, Bridge) else "channel"
    pb = Playback(
        id=playback_id, media=list(media), target_uri=f"{kind}:{target.id}", language=lang or "en"
    )
    pbx.state.playbacks[pb.id] = pb
    pbx.after(0, lambda: _play_current(pbx, pb), f"pb:{pb.id}")
    pbx.counters["playbacks_started"] += 1
    return pb


def _emit_playback(pbx: Pbx, kind: str, pb: Playback) -> None:
    ident = pb.target_uri.partition(":")[2]
    ch = pbx.find_channel(ident)
    bridge = pbx.state.bridges.get(ident)
    pbx.emit(ev.playback_event(kind, pbx.now(), pb), [ch] if ch else [], [bridge] if bridge else [])


def _media_seconds(pbx: Pbx, uri: str) -> float:
    if uri.startswith("recording:"):
        stored = pbx.state.stored_recordings.get(uri.partition(":")[2])
        if stored is not None:
            return stored.duration
    return pbx.profile.playback_seconds


def _play_current(pbx: Pbx, pb: Playback) -> None:
    if pbx.state.playbacks.get(pb.id) is not pb:
        return
    uri = pb.media_uri
    if pb.state == "queued":
        pb.state = "playing"
        _emit_playback(pbx, "PlaybackStarted", pb)
    else:
        _emit_playback(pbx, "PlaybackContinuing", pb)
        pb.state = "playing"
    missing = (
        uri.startswith("recording:") and uri.partition(":")[2] not in pbx.state.stored_recordings
    )
    if pbx.profile.playback_fails(uri) or missing:
        pb.state = "failed"
        _finish_playback(pbx, pb)
        return
    pbx.after(_media_seconds(pbx, uri), lambda: _advance(pbx, pb), f"pb:{pb.id}")


def _advance(pbx: Pbx, pb: Playback) -> None:
    if pb.index + 1 < len(pb.media):
        pb.index += 1
        pb.state = "continuing"
        _play_current(pbx, pb)
        return
    pb.state = "done"
    _finish_playback(pbx, pb)


def _finish_playback(pbx: Pbx, pb: Playback) -> None:
    pbx.cancel_timers(f"pb:{pb.id}")
    _emit_playback(pbx, "PlaybackFinished", pb)
    pbx.state.playbacks.pop(pb.id, None)


def stop_playback(pbx: Pbx, pb: Playback) -> None:
    if pbx.state.playbacks.get(pb.id) is pb:
        pb.state = "done"
        _finish_playback(pbx, pb)


def control_playback(pbx: Pbx, pb: Playback, operation: str) -> None:
    if operation == "pause":
        if pb.state != "playing":
            raise RequestError(409, "Can only pause while media is playing")
        pb.state = "paused"
        pbx.cancel_timers(f"pb:{pb.id}")
    elif operation == "unpause":
        if pb.state != "paused":
            raise RequestError(409, "Can only unpause while media is playing")
        pb.state = "playing"
        pbx.after(_media_seconds(pbx, pb.media_uri), lambda: _advance(pbx, pb), f"pb:{pb.id}")
    elif operation == "restart":
        pbx.cancel_timers(f"pb:{pb.id}")
        pb.state = "playing"
        pbx.after(_media_seconds(pbx, pb.media_uri), lambda: _advance(pbx, pb), f"pb:{pb.id}")
