"""Streamed download of a stored recording's file from the simulator, over real HTTP.

`open_stored_file` hands the body over chunk by chunk as it arrives; a body cut
short, or slower than the timeout, raises from the iteration, never returns a
short file as if it were whole.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.ari import errors
from engine.ari.client import AriClient
from engine.sim.server import RunningSim, start_sim
from engine.sim.state import StoredRecording
from tests.ari.peer import basic
from tests.ari.support import APP, FAST_BACKOFF, PASSWORD, USERNAME

SIZE = 300_000


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[RunningSim]:
    running = await start_sim(
        username=USERNAME, password=PASSWORD, recordings_dir=tmp_path / "asterisk"
    )
    yield running
    await running.close()


@pytest.fixture
async def ari(sim: RunningSim) -> AsyncIterator[AriClient]:
    client = AriClient(sim.ari_url, USERNAME, PASSWORD, APP, backoff=FAST_BACKOFF)
    await client.http.open()
    yield client
    await client.close()


def stored(sim: RunningSim, name: str, content: bytes) -> None:
    """A recording Asterisk holds: its file in the recordings folder, listed as stored."""
    path = sim.pbx.recordings_dir / f"{name}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    sim.state.stored_recordings[name] = StoredRecording(name, "wav", str(path), 10.0)


async def download_fault(sim: RunningSim, **body: Any) -> None:
    headers = {"Authorization": basic(USERNAME, PASSWORD)}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(f"{sim.url}/_sim/faults/download", json=body) as resp,
    ):
        assert resp.status == 200, await resp.text()


async def test_the_file_arrives_in_chunks(sim: RunningSim, ari: AriClient) -> None:
    content = os.urandom(SIZE)
    stored(sim, "rec-1", content)
    chunks = []
    async with ari.recordings.open_stored_file("rec-1", chunk_size=16_384) as download:
        assert download.content_type == "audio/wav"
        assert download.content_length == SIZE
        async for chunk in download:
            chunks.append(chunk)
        assert download.received == SIZE
    assert b"".join(chunks) == content
    assert len(chunks) >= SIZE // 16_384 and max(map(len, chunks)) <= 16_384
    # The same file, whole, through the plain call.
    assert (await ari.recordings.get_stored_file("rec-1")).content == content


async def test_a_download_cut_short_raises_after_its_chunks(
    sim: RunningSim, ari: AriClient
) -> None:
    content = os.urandom(SIZE)
    stored(sim, "rec-1", content)
    await download_fault(sim, after_bytes=100_000, action="cut")
    received = []
    with pytest.raises(errors.Unavailable, match="cut short"):
        async with ari.recordings.open_stored_file("rec-1", chunk_size=8192) as download:
            async for chunk in download:
                received.append(chunk)
    assert b"".join(received) == content[:100_000]
    # The fault was for one download: the next one is whole, on the same client.
    async with ari.recordings.open_stored_file("rec-1") as download:
        assert b"".join([chunk async for chunk in download]) == content


async def test_a_stalled_download_times_out_as_a_whole(sim: RunningSim, ari: AriClient) -> None:
    stored(sim, "rec-1", os.urandom(SIZE))
    await download_fault(sim, after_bytes=50_000, action="stall", stall_seconds=2.0)
    received = 0
    with pytest.raises(errors.RequestTimeout):
        async with ari.recordings.open_stored_file("rec-1", request_timeout=0.5) as download:
            async for chunk in download:
                received += len(chunk)
    assert received == 50_000


async def test_errors_come_before_any_chunk(sim: RunningSim, ari: AriClient) -> None:
    with pytest.raises(errors.NotFound, match="Recording not found"):
        async with ari.recordings.open_stored_file("no-such-recording"):
            pytest.fail("no download of a missing recording")
    headers = {"Authorization": basic(USERNAME, PASSWORD)}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(f"{sim.url}/_sim/faults/rest", json={"fail": 1, "status": 500}) as resp,
    ):
        assert resp.status == 200
    stored(sim, "rec-1", b"RIFF")
    with pytest.raises(errors.ServerError):
        async with ari.recordings.open_stored_file("rec-1"):
            pytest.fail("no download of a failed request")
    with pytest.raises(ValueError, match="chunk_size"):
        async with ari.recordings.open_stored_file("rec-1", chunk_size=0):
            pass


async def test_the_download_fault_control_checks_its_body(sim: RunningSim) -> None:
    headers = {"Authorization": basic(USERNAME, PASSWORD)}
    async with aiohttp.ClientSession(headers=headers) as session:
        for body in ({"action": "explode"}, {"after_bytes": -1}, {"after_bytes": "many"}):
            async with session.post(f"{sim.url}/_sim/faults/download", json=body) as resp:
                assert resp.status == 400, body
