"""/recordings, /playbacks and /sounds operations."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from engine.sim import events as ev
from engine.sim import media
from engine.sim.declarations import RequestError
from engine.sim.pbx import Pbx
from engine.sim.routes import NO_CONTENT, Reply, ok, route
from engine.sim.state import LiveRecording, Playback, StoredRecording


def _stored(pbx: Pbx, name: str) -> StoredRecording:
    rec = pbx.state.stored_recordings.get(name)
    if rec is None:
        raise RequestError(404, "Recording not found")
    return rec


def _live(pbx: Pbx, name: str) -> LiveRecording:
    rec = pbx.state.live_recordings.get(name)
    if rec is None:
        raise RequestError(404, "Recording not found")
    return rec


@route("recordings.listStored")
async def list_stored(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok([{"name": r.name, "format": r.format} for r in pbx.state.stored_recordings.values()])


@route("recordings.getStored")
async def get_stored(pbx: Pbx, args: dict[str, Any]) -> Reply:
    rec = _stored(pbx, args["recordingName"])
    return ok({"name": rec.name, "format": rec.format})


@route("recordings.deleteStored")
async def delete_stored(pbx: Pbx, args: dict[str, Any]) -> Reply:
    rec = _stored(pbx, args["recordingName"])
    path = await media.stored_file(pbx, rec.name)
    await asyncio.get_running_loop().run_in_executor(None, path.unlink)
    del pbx.state.stored_recordings[rec.name]
    return NO_CONTENT


@route("recordings.getStoredFile")
async def get_stored_file(pbx: Pbx, args: dict[str, Any]) -> Reply:
    rec = _stored(pbx, args["recordingName"])
    path = await media.stored_file(pbx, rec.name)
    data = await asyncio.get_running_loop().run_in_executor(None, path.read_bytes)
    return Reply(200, raw=data, content_type=media.CONTENT_TYPES.get(rec.format, "audio/basic"))


@route(
    "recordings.copyStored",
    missing={"destinationRecordingName": "Invalid destination recording name"},
)
async def copy_stored(pbx: Pbx, args: dict[str, Any]) -> Reply:
    rec = _stored(pbx, args["recordingName"])
    dest = args["destinationRecordingName"]
    try:
        media.check_name(dest)
    except RequestError:
        raise RequestError(400, "Invalid destination recording name") from None
    if dest in pbx.state.stored_recordings:
        raise RequestError(409, "A recording with the same name already exists on the system")
    source = await media.stored_file(pbx, rec.name)
    target = pbx.recordings_dir / f"{dest}.{rec.format}"
    target.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.get_running_loop().run_in_executor(None, shutil.copyfile, source, target)
    copy = StoredRecording(dest, rec.format, str(Path(target)), rec.duration)
    pbx.state.stored_recordings[dest] = copy
    return ok({"name": copy.name, "format": copy.format})


@route("recordings.getLive")
async def get_live(pbx: Pbx, args: dict[str, Any]) -> Reply:
    rec = _live(pbx, args["recordingName"])
    body = ev.recording_json(rec)
    body["duration"] = int(media.recorded_seconds(pbx, rec))
    return ok(body)


@route("recordings.cancel")
async def cancel(pbx: Pbx, args: dict[str, Any]) -> Reply:
    media.finish_recording(pbx, _live(pbx, args["recordingName"]), cancel=True)
    return NO_CONTENT


@route("recordings.stop")
async def stop(pbx: Pbx, args: dict[str, Any]) -> Reply:
    rec = _live(pbx, args["recordingName"])
    media.finish_recording(pbx, rec)
    return NO_CONTENT


@route("recordings.pause")
async def pause(pbx: Pbx, args: dict[str, Any]) -> Reply:
    rec = _live(pbx, args["recordingName"])
    if rec.paused_at is None:
        rec.paused_at, rec.state = pbx.now(), "paused"
    return NO_CONTENT


@route("recordings.unpause")
async def unpause(pbx: Pbx, args: dict[str, Any]) -> Reply:
    rec = _live(pbx, args["recordingName"])
    if rec.paused_at is not None:
        rec.paused_total += pbx.now() - rec.paused_at
        rec.paused_at, rec.state = None, "recording"
    return NO_CONTENT


@route("recordings.mute")
async def mute(pbx: Pbx, args: dict[str, Any]) -> Reply:
    _live(pbx, args["recordingName"]).muted = True
    return NO_CONTENT


@route("recordings.unmute")
async def unmute(pbx: Pbx, args: dict[str, Any]) -> Reply:
    _live(pbx, args["recordingName"]).muted = False
    return NO_CONTENT


def _playback(pbx: Pbx, playback_id: str) -> Playback:
    pb = pbx.state.playbacks.get(playback_id)
    if pb is None:
        raise RequestError(404, "Playback not found")
    return pb


@route("playbacks.get")
async def get_playback(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok(ev.playback_json(_playback(pbx, args["playbackId"])))


@route("playbacks.stop")
async def stop_playback(pbx: Pbx, args: dict[str, Any]) -> Reply:
    media.stop_playback(pbx, _playback(pbx, args["playbackId"]))
    return NO_CONTENT


@route(
    "playbacks.control",
    missing={"operation": "Missing operation"},
)
async def control_playback(pbx: Pbx, args: dict[str, Any]) -> Reply:
    pb = _playback(pbx, args["playbackId"])
    media.control_playback(pbx, pb, args["operation"])
    return NO_CONTENT


@route("sounds.list")
async def list_sounds(pbx: Pbx, args: dict[str, Any]) -> Reply:
    return ok([])


@route("sounds.get")
async def get_sound(pbx: Pbx, args: dict[str, Any]) -> Reply:
    raise RequestError(404, "Sound not found")
