"""MP3 conversion with real ffmpeg on real files: verified, bounded, originals kept on failure."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from engine.clock import VirtualClock
from engine.config import RecordingsConfig
from engine.recordings.converter import ConversionSettings, Converter
from engine.recordings.media import probe_duration
from engine.recordings.service import Options, RecordingService
from engine.store.db import create_engine
from engine.store.tables import recordings
from tests.recordings.support import SECRET, add_call, add_recording, truncated_wav

STARTED = datetime(2025, 6, 30, 23, 59, 30, tzinfo=UTC)


# ffmpeg is the subject here; the few queries run on both backends in test_api.py.


@pytest.fixture
async def service(sqlite_url: str, tmp_path: Path) -> AsyncIterator[RecordingService]:
    """The service without telephony and not started: tests drive the converter."""
    db = create_engine(sqlite_url)
    config = RecordingsConfig(path=tmp_path / "store", convert_to_mp3=True)
    service = RecordingService(
        db,
        None,
        config,
        VirtualClock(time.time()),
        SECRET,
        options=Options(conversion=ConversionSettings(concurrency=2)),
    )
    yield service
    await service.close()
    await db.dispose()


def _ffmpeg_children() -> int:
    count = 0
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.NoSuchProcess):
            count += child.name() == "ffmpeg"
    return count


async def _row(service: RecordingService, recording_id: int) -> dict[str, object]:
    async with service.db.connect() as conn:
        row = (await conn.execute(select(recordings).where(recordings.c.id == recording_id))).one()
    return dict(row._mapping)


async def test_rows_in_gsm_wav_or_wav49_at_start_become_verified_mp3s(
    service: RecordingService,
) -> None:
    """A fresh process finds the rows left unconverted and converts them in its pool."""
    ids = {
        fmt: await add_recording(service, f"conv{fmt}", STARTED, fmt=fmt, seconds=3.0)
        for fmt in ("gsm", "wav", "wav49")
    }
    folder = service.root / "20250630"
    assert sorted(p.name for p in folder.iterdir()) == [
        "convgsm.gsm",
        "convwav.wav",
        "convwav49.wav",
    ]
    await service.start()
    await service.settle()

    for fmt, recording_id in ids.items():
        row = await _row(service, recording_id)
        mp3 = folder / f"conv{fmt}.mp3"
        assert row["path"] == f"20250630/conv{fmt}.mp3" and row["format"] == "mp3"
        assert row["size_bytes"] == mp3.stat().st_size > 0
        assert abs(float(row["duration_seconds"]) - 3.0) < 0.5  # type: ignore[arg-type]
    # Originals gone once verified, and no temporary file left behind.
    assert sorted(p.name for p in folder.iterdir()) == [
        "convgsm.mp3",
        "convwav.mp3",
        "convwav49.mp3",
    ]
    assert abs(await probe_duration(folder / "convwav49.mp3") - 3.0) < 0.5


async def test_a_corrupt_or_cut_off_original_is_kept_untouched(service: RecordingService) -> None:
    assert service.converter is not None
    folder = service.root / "20250630"
    corrupt = folder / "corrupt.wav"
    folder.mkdir(parents=True)
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 8)
    cut = truncated_wav(folder / "cut.wav", claimed_seconds=60, real_seconds=5)
    ids = []
    for uuid, path, seconds in (("corrupt", corrupt, 4.0), ("cut", cut, 60.0)):
        call_id = await add_call(service.db, uuid, STARTED)
        async with service.db.begin() as conn:
            from engine.store import recordings as store

            new = await store.insert_recording(
                conn,
                call_id=call_id,
                path=f"20250630/{path.name}",
                fmt="wav",
                duration=seconds,
                size=path.stat().st_size,
                created_at=STARTED,
            )
        assert new is not None
        ids.append(new)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    for recording_id in ids:
        assert not await service.converter.convert(recording_id)
        row = await _row(service, recording_id)
        assert row["format"] == "wav" and str(row["path"]).endswith(".wav")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


async def test_a_conversion_over_its_time_is_killed_and_the_original_kept(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = create_engine(sqlite_url)
    settings = ConversionSettings(concurrency=1, timeout_seconds=0.0, timeout_per_audio_second=0)
    service = RecordingService(db, None, RecordingsConfig(path=tmp_path), VirtualClock(), SECRET)
    converter = Converter(db, service.root, settings)
    try:
        recording_id = await add_recording(service, "slow", STARTED, fmt="gsm", seconds=30)
        assert not await converter.convert(recording_id)
        assert (await _row(service, recording_id))["format"] == "gsm"
        assert (tmp_path / "20250630" / "slow.gsm").is_file()
        assert _ffmpeg_children() == 0
    finally:
        await db.dispose()


async def test_the_pool_never_runs_more_ffmpeg_than_its_concurrency(
    service: RecordingService,
) -> None:
    converter = service.converter
    assert converter is not None
    ids = [
        await add_recording(service, f"many{n}", STARTED, fmt="gsm", seconds=10) for n in range(4)
    ]
    converter.start()
    for recording_id in ids:
        converter.enqueue(recording_id)
    converter.enqueue(ids[0])  # queued twice, converted once
    seen = set()
    while converter.converted < len(ids):
        seen.add(_ffmpeg_children())
        await asyncio.sleep(0.05)
    await converter.drain()
    assert converter.peak == 2 and max(seen) <= 2
    assert converter.converted == 4 and converter.failed == 0
    for recording_id in ids:
        assert (await _row(service, recording_id))["format"] == "mp3"
