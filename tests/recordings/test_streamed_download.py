"""A finished recording is streamed from Asterisk to disk, never held whole in memory.

The simulator's download faults hold the file part-way (the bytes so far must
already be on disk, under a temporary name in the day folder) or cut it short
(nothing partial may remain; Asterisk keeps its copy for a later recovery).
"""

from __future__ import annotations

from pathlib import Path

from tests.recordings.support import (
    SimStack,
    add_agents,
    day_of,
    engine_with_sim,
    eventually,
    recording_rows,
    sim_fault,
    stored_rows,
)

HELD_AFTER = 32_768  # bytes; a call's WAV is about 16 kB per second of talk


async def _recorded_call(stack: SimStack) -> str:
    """A click-to-call of a campaign that records every call: 1001 talks 4.5 world s."""
    campaign = await stack.api(
        "POST",
        "/v1/campaigns",
        {
            "name": "manual",
            "mode": "preview",
            "dial_template": "PJSIP/{number}@trunk",
            "wrapup_seconds": 0,
            "recording_mode": "always",
        },
        status=201,
    )
    (anna,) = await add_agents(stack, campaign["id"], [("anna", "PJSIP/9001")])
    started = await stack.api(
        "POST",
        "/v1/calls",
        {"agent_id": anna, "number": "1001", "campaign_id": campaign["id"]},
        status=201,
    )
    return str(started["call_id"])


def _files(root: Path) -> list[tuple[str, int]]:
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*") if p.is_file()
    )


async def test_the_file_is_written_as_it_arrives(sqlite_url: str, tmp_path: Path) -> None:
    root = tmp_path / "store"
    async with engine_with_sim(sqlite_url, root, convert_to_mp3="false") as stack:
        await sim_fault(
            stack, "download", {"after_bytes": HELD_AFTER, "action": "stall", "stall_seconds": 2}
        )
        uuid = await _recorded_call(stack)
        # Held part-way: what came so far is on disk, under a temporary name.
        held = await eventually(
            lambda: [f for f in _files(root) if f[0].endswith(".part")], within=20
        )
        (part,) = held
        day_folder = Path(part[0]).parent
        assert Path(part[0]).name.startswith(f".{uuid}.")
        await eventually(lambda: _files(root) == [(part[0], HELD_AFTER)], within=5)
        assert await recording_rows(stack) == []
        # The rest follows: the file takes its name, the temporary one is gone.
        rows = await eventually(lambda: stored_rows(stack, 1), within=20)
        assert stack.sim.pbx.counters["faults_downloads"] == 1

    (row,) = rows
    assert Path(row.path).parent == day_folder and day_of(row) == str(day_folder)
    assert row.path == f"{day_of(row)}/{uuid}.wav"
    assert _files(root) == [(row.path, row.size_bytes)]
    assert row.size_bytes > HELD_AFTER


async def test_a_download_cut_short_leaves_nothing_behind(sqlite_url: str, tmp_path: Path) -> None:
    root = tmp_path / "store"
    async with engine_with_sim(sqlite_url, root, convert_to_mp3="false") as stack:
        await sim_fault(stack, "download", {"after_bytes": HELD_AFTER, "action": "cut"})
        uuid = await _recorded_call(stack)
        await eventually(lambda: stack.sim.pbx.counters["faults_downloads"] == 1, within=20)
        await stack.service.settle()
        # No partial file, no row; Asterisk keeps its copy.
        assert _files(root) == []
        assert await recording_rows(stack) == []
        assert list(stack.sim.state.stored_recordings) == [uuid]

        # The next start's recovery fetches it whole.
        assert stack.service.ingestor is not None
        assert await stack.service.ingestor.recover() == 1
        rows = await eventually(lambda: stored_rows(stack, 1), within=10)

    (row,) = rows
    assert row.path == f"{day_of(row)}/{uuid}.wav"
    assert _files(root) == [(row.path, row.size_bytes)]
    assert row.size_bytes > HELD_AFTER
