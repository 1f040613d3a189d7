"""Recording real calls against the simulator: ARI recordings on the agent's bridge,
fetched over ARI, filed, converted to MP3, and on-demand control over the API."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.dialplan.outbound import LiveCall
from engine.http.keys import DB
from engine.recordings.media import probe_duration
from engine.recordings.recorder import CallRecorder
from engine.store.tables import calls, recordings
from engine.telephony import Runtime
from tests.e2e.support import add_leads
from tests.helpers import add_user, bearer, login
from tests.recordings.support import SimStack, engine_with_sim, eventually


async def _campaign(stack: SimStack, recording_mode: str, agents: list[tuple[str, str]]) -> int:
    """A progressive campaign with logged-in agents (name, endpoint); its id."""
    db = await stack.api(
        "POST",
        "/v1/contact-databases",
        {"name": "leads", "fields": ["phone"], "main_phone_field": "phone"},
        status=201,
    )
    campaign = await stack.api(
        "POST",
        "/v1/campaigns",
        {
            "name": "rec",
            "mode": "progressive",
            "contact_database_id": db["id"],
            "dial_template": "PJSIP/{number}@trunk",
            "wrapup_seconds": 0,
            "recording_mode": recording_mode,
            "rule_pack": "custom",
            "custom_rule_pack": {
                "windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}]
            },
        },
        status=201,
    )
    ids = []
    for username, endpoint in agents:
        await add_user(stack.client, username, "agent")
        agent = await stack.api(
            "POST",
            "/v1/agents",
            {"name": username, "endpoint": endpoint, "username": username},
            status=201,
        )
        ids.append(agent["id"])
    await stack.api("PUT", f"/v1/campaigns/{campaign['id']}/agents", {"agent_ids": ids})
    for agent_id in ids:
        await stack.api("POST", f"/v1/agents/{agent_id}/login", {})
    stack.campaign_db = db["id"]  # type: ignore[attr-defined]
    return int(campaign["id"])


def _bridged(runtime: Runtime) -> LiveCall | None:
    return next((c for c in runtime.calls.live.values() if c.agent is not None), None)


async def _record_like_the_call_flow(runtime: Runtime, recorder: CallRecorder) -> None:
    """What the call flow will do: start once bridged to an agent, stop when the call ends."""
    handled: set[str] = set()
    stops: list[asyncio.Task[None]] = []

    async def stop_at_end(call: LiveCall) -> None:
        await call.ended.wait()
        await recorder.stop(call.plan.call_id)

    try:
        while True:
            for call_id, call in list(runtime.calls.live.items()):
                if call.agent is not None and call_id not in handled:
                    handled.add(call_id)
                    await recorder.start(call_id, call.agent.bridge_id)
                    stops.append(asyncio.create_task(stop_at_end(call)))
            await asyncio.sleep(0.005)
    finally:
        await asyncio.gather(*stops)


async def _rows(stack: SimStack) -> list[Any]:
    async with stack.client.app[DB].connect() as conn:
        query = (
            select(recordings, calls.c.uuid, calls.c.created_at.label("started"))
            .join(calls, calls.c.id == recordings.c.call_id)
            .order_by(recordings.c.id)
        )
        return list((await conn.execute(query)).all())


async def test_a_call_recorded_always_ends_as_an_mp3_in_the_store(
    db_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "store"
    async with engine_with_sim(db_url, root) as stack:
        campaign = await _campaign(stack, "always", [("anna", "PJSIP/9001")])
        recorder = stack.service.recorder
        assert recorder is not None
        harness = asyncio.create_task(_record_like_the_call_flow(stack.runtime, recorder))
        try:
            await add_leads(db_url, campaign, stack.campaign_db, [["1001"]])  # type: ignore[attr-defined]
            await stack.api("POST", f"/v1/campaigns/{campaign}/start")
            # 1xxx answers after 2 s and talks 4.5 s (simulated time, ten times faster).
            await eventually(lambda: len(stack.sim.state.stored_recordings) == 1, within=20)
            await eventually(lambda: not stack.sim.state.stored_recordings, within=10)
            await stack.service.settle()
            rows = await _rows(stack)
        finally:
            harness.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await harness

    assert len(rows) == 1
    row = rows[0]
    day = row.started.astimezone(UTC).strftime("%Y%m%d")
    assert row.path == f"{day}/{row.uuid}.mp3" and row.format == "mp3"
    mp3 = root / day / f"{row.uuid}.mp3"
    assert mp3.is_file() and mp3.stat().st_size == row.size_bytes
    # The agent and the customer talked about 4.5 s of simulated time.
    assert 3.0 < row.duration_seconds < 7.0
    assert abs(await probe_duration(mp3) - row.duration_seconds) < 0.6
    assert sorted(p.name for p in (root / day).iterdir()) == [mp3.name]


async def test_recording_on_demand_over_the_api(db_url: str, tmp_path: Path) -> None:
    root = tmp_path / "store"
    async with engine_with_sim(db_url, root, convert_to_mp3="false") as stack:
        campaign = await _campaign(stack, "on_demand", [("anna", "PJSIP/9001")])
        await add_user(stack.client, "bob", "agent")
        anna = bearer(await login(stack.client, "anna"))
        bob = bearer(await login(stack.client, "bob"))
        await add_leads(db_url, campaign, stack.campaign_db, [["5001"]])  # type: ignore[attr-defined]
        await stack.api("POST", f"/v1/campaigns/{campaign}/start")
        call = await eventually(lambda: _bridged(stack.runtime), within=20)
        base = f"/v1/calls/{call.plan.call_id}/recording"

        await stack.api("POST", f"{base}/start", headers=bob, status=403)
        assert await stack.api("POST", f"{base}/start", headers=anna) == {
            "call_id": call.plan.call_id,
            "state": "recording",
        }
        await stack.api("POST", f"{base}/start", headers=anna)  # already: nothing changes
        assert (await stack.api("POST", f"{base}/pause"))["state"] == "paused"
        live = stack.sim.state.live_recordings[call.plan.call_id]
        assert live.state == "paused"
        assert (await stack.api("POST", f"{base}/unpause", headers=anna))["state"] == "recording"
        await asyncio.sleep(0.2)
        assert (await stack.api("POST", f"{base}/stop", headers=anna))["state"] == "stopped"
        assert (await stack.api("POST", f"{base}/stop"))["state"] == "stopped"
        await stack.api("POST", f"{base}/pause", status=404)
        # A second take of the same call gets its own name and file.
        await stack.api("POST", f"{base}/start")
        assert stack.service.recorder is not None
        assert stack.service.recorder.recording_name(call.plan.call_id) == call.plan.call_id + "-2"
        await asyncio.sleep(0.1)
        await stack.api("POST", f"{base}/stop")

        await stack.api("PATCH", f"/v1/campaigns/{campaign}", {"recording_mode": "never"})
        await stack.api("POST", f"{base}/start", status=409)
        await stack.api("POST", "/v1/calls/nosuchcall/recording/start", status=404)
        await stack.api("POST", "/v1/calls/bad..id/recording/start", status=400)

        await eventually(lambda: _two(stack), within=10)
        await stack.runtime.calls.hangup(call.plan.call_id)
        rows = await _rows(stack)

    uuid = call.plan.call_id
    day = rows[0].started.astimezone(UTC).strftime("%Y%m%d")
    # Each take is fetched as it finishes: a slow probe of the first lets the second in first.
    assert {r.path for r in rows} == {f"{day}/{uuid}.wav", f"{day}/{uuid}-2.wav"}
    assert all(r.format == "wav" and r.size_bytes > 44 for r in rows)
    for row in rows:
        assert (root / row.path).stat().st_size == row.size_bytes


async def _two(stack: SimStack) -> bool:
    await stack.service.settle()
    return len(await _rows(stack)) == 2 and not stack.sim.state.stored_recordings


async def test_recordings_this_process_did_not_start_are_adopted_or_recovered(
    sqlite_url: str, tmp_path: Path
) -> None:
    """After a restart: a finishing recording of one of our calls, or one Asterisk kept."""
    root = tmp_path / "store"
    async with engine_with_sim(sqlite_url, root, convert_to_mp3="false") as stack:
        campaign = await _campaign(stack, "on_demand", [("anna", "PJSIP/9001")])
        await add_leads(sqlite_url, campaign, stack.campaign_db, [["5001"]])  # type: ignore[attr-defined]
        await stack.api("POST", f"/v1/campaigns/{campaign}/start")
        call = await eventually(lambda: _bridged(stack.runtime), within=20)
        uuid, ari = call.plan.call_id, stack.runtime.ari
        assert call.agent is not None

        # Started by "the previous process": the recorder hears it finish, unknown to it.
        await ari.bridges.record(call.agent.bridge_id, uuid, "wav")
        await asyncio.sleep(0.1)
        await ari.recordings.stop(uuid)
        await eventually(lambda: _count(stack, 1), within=10)

        # Finished while nobody listened: found among Asterisk's stored recordings.
        assert stack.service.recorder is not None and stack.service.ingestor is not None
        stack.service.recorder.close()
        for name in (f"{uuid}-2", "voicemail-0001"):
            await ari.bridges.record(call.agent.bridge_id, name, "gsm")
            await asyncio.sleep(0.1)
            await ari.recordings.stop(name)
        await eventually(lambda: len(stack.sim.state.stored_recordings) == 2, within=10)
        assert await stack.service.ingestor.recover() == 1
        assert list(stack.sim.state.stored_recordings) == ["voicemail-0001"]
        assert await stack.service.ingestor.recover() == 0
        rows = await _rows(stack)
        await stack.runtime.calls.hangup(uuid)

    day = rows[0].started.astimezone(UTC).strftime("%Y%m%d")
    assert [(r.path, r.format) for r in rows] == [
        (f"{day}/{uuid}.wav", "wav"),
        (f"{day}/{uuid}-2.gsm", "gsm"),
    ]
    assert sorted(p.name for p in (root / day).iterdir()) == [f"{uuid}-2.gsm", f"{uuid}.wav"]


async def _count(stack: SimStack, expected: int) -> bool:
    await stack.service.settle()
    return len(await _rows(stack)) == expected
