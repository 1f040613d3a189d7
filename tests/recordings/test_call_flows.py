"""Every call flow records per its campaign: inbound, click-to-call, two-step.

Against the simulator over real HTTP/WebSocket, with a real SQLite file and
real ffmpeg: a call of a campaign that records every call ends as
`recordings/YYYYMMDD/<call uuid>.mp3`, recorded on the bridge where agent and
customer meet and stopped before the agent is freed; on-demand control over
the API reaches inbound and two-step calls too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from engine.recordings.media import probe_duration
from tests.helpers import bearer, login
from tests.recordings.support import (
    SimStack,
    add_agents,
    day_of,
    engine_with_sim,
    eventually,
    ring,
    stored_rows,
)

DID = "5550100"


async def _inbound_campaign(stack: SimStack, recording_mode: str) -> int:
    campaign = await stack.api(
        "POST",
        "/v1/campaigns",
        {
            "name": "support",
            "mode": "inbound",
            "inbound_did": DID,
            "inbound_max_wait_seconds": 60,
            "inbound_announce_seconds": 0,
            "wrapup_seconds": 0,
            "recording_mode": recording_mode,
        },
        status=201,
    )
    await stack.api("POST", f"/v1/campaigns/{campaign['id']}/start")
    return int(campaign["id"])


async def _manual_campaign(stack: SimStack, recording_mode: str) -> int:
    campaign = await stack.api(
        "POST",
        "/v1/campaigns",
        {
            "name": "manual",
            "mode": "preview",
            "dial_template": "PJSIP/{number}@trunk",
            "caller_id": "+12025550100",
            "wrapup_seconds": 0,
            "recording_mode": recording_mode,
        },
        status=201,
    )
    return int(campaign["id"])


async def _inbound_call_id(stack: SimStack, caller: str) -> str | None:
    found = await stack.api("GET", f"/v1/calls?direction=inbound&number={caller}")
    return found["items"][0]["call_id"] if found["items"] else None


async def _ended(stack: SimStack, call_id: str) -> bool:
    return (await stack.api("GET", f"/v1/calls/{call_id}"))["ended_at"] is not None


async def _talking(stack: SimStack, agent_id: int, call_id: str) -> bool:
    status = await stack.api("GET", f"/v1/agents/{agent_id}/status")
    return bool(status["state"] == "talking" and status["call_id"] == call_id)


def _customer_in(stack: SimStack, bridge_id: str, channel_id: str) -> bool:
    bridge = stack.sim.state.bridges.get(bridge_id)
    return bridge is not None and channel_id in bridge.channels


def _recording_on(stack: SimStack, name: str) -> str | None:
    """The bridge (or channel) the simulator records `name` on, while it records."""
    live = stack.sim.state.live_recordings.get(name)
    return live.target_uri if live is not None else None


async def _check_mp3(root: Path, row: Any, uuid: str, name: str | None = None) -> None:
    day = day_of(row)
    assert row.uuid == uuid and row.format == "mp3"
    assert row.path == f"{day}/{name or uuid}.mp3"
    mp3 = root / row.path
    assert mp3.is_file() and mp3.stat().st_size == row.size_bytes
    assert abs(await probe_duration(mp3) - row.duration_seconds) < 0.6


async def test_an_inbound_call_to_a_campaign_recording_every_call(
    sqlite_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "store"
    async with engine_with_sim(sqlite_url, root) as stack:
        campaign = await _inbound_campaign(stack, "always")
        (anna,) = await add_agents(stack, campaign, [("anna", "PJSIP/9001")])
        bridge = stack.runtime.sessions.get(anna).bridge_id
        # The caller talks to Anna, then hangs up 20 world seconds after calling (2 s here).
        await ring(stack, DID, "12025550111", hangup_after=20)
        uuid = await eventually(lambda: _inbound_call_id(stack, "12025550111"))
        await eventually(lambda: _recording_on(stack, uuid) == f"bridge:{bridge}")
        assert stack.service.recorder is not None
        assert stack.service.recorder.recording_name(uuid) == uuid

        # Stopped before Anna was freed: once she is, nothing records her bridge.
        await eventually(lambda: stack.runtime.sessions.get(anna).state.available, within=20)
        assert not stack.sim.state.live_recordings
        await eventually(lambda: _ended(stack, uuid), within=20)
        rows = await eventually(lambda: stored_rows(stack, 1), within=20)
        record = await stack.api("GET", f"/v1/calls/{uuid}")

    assert record["direction"] == "inbound" and record["outcome"] == "answered"
    assert record["agent_id"] == anna and record["campaign_id"] == campaign
    (row,) = rows
    await _check_mp3(root, row, uuid)
    assert 10.0 < row.duration_seconds <= 20.5  # bridged within the caller's 20 s
    assert [p.name for p in (root / day_of(row)).iterdir()] == [f"{uuid}.mp3"]


async def test_inbound_recording_on_demand_over_the_api(sqlite_url: str, tmp_path: Path) -> None:
    root = tmp_path / "store"
    async with engine_with_sim(sqlite_url, root, convert_to_mp3="false") as stack:
        campaign = await _inbound_campaign(stack, "on_demand")
        (anna,) = await add_agents(stack, campaign, [("anna", "PJSIP/9001")])
        headers = bearer(await login(stack.client, "anna"))
        await ring(stack, DID, "12025550111")
        uuid = await eventually(lambda: _inbound_call_id(stack, "12025550111"))
        await eventually(lambda: _talking(stack, anna, uuid))
        assert not stack.sim.state.live_recordings  # on demand only
        # A second caller waits in line: not with an agent, nothing to record yet.
        await ring(stack, DID, "12025550122")
        waiting = await eventually(lambda: _inbound_call_id(stack, "12025550122"))
        await stack.api("POST", f"/v1/calls/{waiting}/recording/start", status=409)

        base = f"/v1/calls/{uuid}/recording"
        started = await stack.api("POST", f"{base}/start", headers=headers)
        assert started == {"call_id": uuid, "state": "recording"}
        bridge = stack.runtime.sessions.get(anna).bridge_id
        assert _recording_on(stack, uuid) == f"bridge:{bridge}"
        assert (await stack.api("POST", f"{base}/pause", headers=headers))["state"] == "paused"
        assert stack.sim.state.live_recordings[uuid].state == "paused"
        assert (await stack.api("POST", f"{base}/unpause"))["state"] == "recording"
        await asyncio.sleep(0.3)
        assert (await stack.api("POST", f"{base}/stop", headers=headers))["state"] == "stopped"
        rows = await eventually(lambda: stored_rows(stack, 1), within=20)

        # The caller hangs up; Anna takes the one waiting, who is not recorded.
        await stack.api("POST", f"/v1/calls/{uuid}/hangup", status=204)
        await eventually(lambda: _ended(stack, uuid))
        await eventually(lambda: _talking(stack, anna, waiting))
        assert not stack.sim.state.live_recordings
        await stack.api("POST", f"/v1/calls/{waiting}/hangup", status=204)
        await eventually(lambda: _ended(stack, waiting))
        await stack.service.settle()
        assert len(await stored_rows(stack, 1) or []) == 1

    (row,) = rows
    assert row.uuid == uuid and row.path == f"{day_of(row)}/{uuid}.wav" and row.format == "wav"
    assert (root / row.path).stat().st_size == row.size_bytes > 44


async def test_a_two_step_call_is_recorded_on_its_bridge(sqlite_url: str, tmp_path: Path) -> None:
    root = tmp_path / "store"
    async with engine_with_sim(sqlite_url, root) as stack:
        campaign = await _manual_campaign(stack, "always")
        # Not logged in: the agent's phone rings first, then the customer.
        (anna,) = await add_agents(stack, campaign, [("anna", "PJSIP/9003")], log_in=False)
        headers = bearer(await login(stack.client, "anna"))
        started = await stack.api(
            "POST",
            "/v1/calls",
            {"agent_id": anna, "number": "5002", "campaign_id": campaign},
            status=201,
        )
        assert started["mode"] == "two_step"
        uuid = started["call_id"]
        await eventually(lambda: _recording_on(stack, uuid) == f"bridge:dsx-{uuid}")
        # On demand too, by the agent whose call it is.
        base = f"/v1/calls/{uuid}/recording"
        assert (await stack.api("POST", f"{base}/pause", headers=headers))["state"] == "paused"
        assert (await stack.api("POST", f"{base}/unpause", headers=headers))["state"] == (
            "recording"
        )
        await asyncio.sleep(0.5)
        await stack.api("POST", f"/v1/calls/{uuid}/hangup", status=204)
        await eventually(lambda: _ended(stack, uuid), within=20)
        rows = await eventually(lambda: stored_rows(stack, 1), within=20)
        record = await stack.api("GET", f"/v1/calls/{uuid}")

    assert record["outcome"] == "answered" and record["agent_id"] == anna
    (row,) = rows
    await _check_mp3(root, row, uuid)
    assert row.duration_seconds > 2.0  # half a second at ten times speed, at least


async def test_a_two_step_call_of_a_campaign_that_never_records(
    sqlite_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "store"
    async with engine_with_sim(sqlite_url, root) as stack:
        campaign = await _manual_campaign(stack, "never")
        (anna,) = await add_agents(stack, campaign, [("anna", "PJSIP/9003")], log_in=False)
        started = await stack.api(
            "POST",
            "/v1/calls",
            {"agent_id": anna, "number": "5002", "campaign_id": campaign},
            status=201,
        )
        uuid = started["call_id"]
        await eventually(lambda: _customer_in(stack, f"dsx-{uuid}", f"dsc-{uuid}"))
        refused = await stack.api("POST", f"/v1/calls/{uuid}/recording/start", status=409)
        assert refused["error"]["details"] == {"recording_mode": "never"}
        await stack.api("POST", f"/v1/calls/{uuid}/hangup", status=204)
        await eventually(lambda: _ended(stack, uuid), within=20)
        assert stack.sim.pbx.counters["rest_bridges.record"] == 0
        assert await stored_rows(stack, 0) == []


async def test_click_to_call_is_recorded_and_the_recording_follows_a_transfer(
    sqlite_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "store"
    async with engine_with_sim(sqlite_url, root) as stack:
        campaign = await _manual_campaign(stack, "always")
        anna, bob = await add_agents(
            stack, campaign, [("anna", "PJSIP/9001"), ("bob", "PJSIP/9002")]
        )
        started = await stack.api(
            "POST",
            "/v1/calls",
            {"agent_id": anna, "number": "5001", "campaign_id": campaign},
            status=201,
        )
        assert started["mode"] == "live_leg"
        uuid = started["call_id"]
        anna_bridge = stack.runtime.sessions.get(anna).bridge_id
        bob_bridge = stack.runtime.sessions.get(bob).bridge_id
        await eventually(lambda: _recording_on(stack, uuid) == f"bridge:{anna_bridge}")
        await asyncio.sleep(0.3)

        await stack.api("POST", f"/v1/calls/{uuid}/transfer", {"agent_id": bob}, status=204)
        # Before Anna was freed, her bridge stopped recording; Bob's records the next take.
        assert _recording_on(stack, uuid) is None
        assert _recording_on(stack, f"{uuid}-2") == f"bridge:{bob_bridge}"
        await asyncio.sleep(0.3)
        await stack.api("POST", f"/v1/calls/{uuid}/hangup", status=204)
        await eventually(lambda: _ended(stack, uuid))
        assert not stack.sim.state.live_recordings
        rows = await eventually(lambda: stored_rows(stack, 2), within=20)

    # By take (each is fetched as it finishes, so their rows may come in either order).
    first, second = sorted(rows, key=lambda row: len(row.path))
    await _check_mp3(root, first, uuid)
    await _check_mp3(root, second, uuid, f"{uuid}-2")
    assert sorted(p.name for p in (root / day_of(first)).iterdir()) == [
        f"{uuid}-2.mp3",
        f"{uuid}.mp3",
    ]
