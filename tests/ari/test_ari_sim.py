"""The client against the PBX simulator: real HTTP and WebSocket, faults injected.

The simulator checks every request against the declarations (a malformed one
would come back as BadRequest), so these tests also validate what the client
sends; every event it emits must decode to its typed class.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from engine.ari import errors
from engine.ari import events as ev
from engine.ari.client import AriClient
from engine.ari.events import AriMessage
from engine.ari.resync import ResyncReport
from engine.sim.profiles import lab_profile
from engine.sim.server import RunningSim, start_sim
from tests.ari.peer import basic
from tests.ari.support import APP, FAST_BACKOFF, PASSWORD, USERNAME, eventually

TIME_SCALE = 10.0  # simulated seconds per real second: a 1 s ring takes 0.1 s


# One simulator for the module (its shutdown takes a second), reset before each test.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_sim() -> AsyncIterator[RunningSim]:
    running = await start_sim(
        username=USERNAME, password=PASSWORD, profile=lab_profile(), time_scale=TIME_SCALE
    )
    yield running
    await running.close()


@pytest_asyncio.fixture(loop_scope="module")
async def sim(shared_sim: RunningSim) -> RunningSim:
    await sim_control(shared_sim, "reset")
    return shared_sim


class Heard:
    """Every message the client dispatched, and the resync reports."""

    def __init__(self, ari: AriClient) -> None:
        self.messages: list[AriMessage] = []
        self.reports: list[ResyncReport] = []
        ari.on(None, self.messages.append)
        ari.on_resync(self.reports.append)

    def of(self, kind: type[ev.AriEvent], channel_id: str | None = None) -> list[Any]:
        return [
            m
            for m in self.messages
            if isinstance(m, kind) and (channel_id is None or channel_id in m.channel_ids())
        ]

    async def wait(self, kind: type[ev.AriEvent], channel_id: str | None = None) -> Any:
        await eventually(lambda: self.of(kind, channel_id), what=f"{kind.__name__} {channel_id}")
        return self.of(kind, channel_id)[0]


@pytest_asyncio.fixture(loop_scope="module")
async def ari(sim: RunningSim) -> AsyncIterator[AriClient]:
    client = AriClient(
        sim.ari_url, USERNAME, PASSWORD, APP, backoff=FAST_BACKOFF, request_timeout=2.0
    )
    await client.start()
    async with asyncio.timeout(3):
        await client.wait_connected()
    yield client
    await client.close()


@pytest.fixture
def heard(ari: AriClient) -> Heard:
    return Heard(ari)


async def sim_control(sim: RunningSim, action: str, body: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": basic(USERNAME, PASSWORD)}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(f"{sim.url}/_sim/{action}", json=body) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return await resp.json()


def assert_all_typed(heard: Heard) -> None:
    odd = [m for m in heard.messages if type(m) is not ev.EVENT_TYPES.get(m.type)]
    assert odd == [], "the simulator sent events the client could not type"
    extra = [m for m in heard.messages if m.model_extra]
    assert extra == [], "the simulator sent undeclared fields"


async def test_agent_bridge_customer_record(ari: AriClient, heard: Heard) -> None:
    agent = await ari.channels.originate(
        "Local/9001@agents", app=APP, channel_id="agent-1", caller_id="Agent 9001"
    )
    await heard.wait(ev.StasisStart, agent.id)
    bridge = await ari.bridges.create("mixing", name="agent-9001")
    await ari.bridges.add_channel(bridge.id, agent.id)
    customer = await ari.channels.originate(
        "Local/5001@lab",
        app=APP,
        app_args="campaign=7,lead=42",
        channel_id="cust-1",
        ring_timeout=30,
        variables={"CAMPAIGN_ID": "7", "LEAD_ID": "42"},
    )
    start = await heard.wait(ev.StasisStart, customer.id)
    assert start.args == ("campaign=7", "lead=42")  # Asterisk splits appArgs on commas
    await ari.bridges.add_channel(bridge.id, customer.id)
    await heard.wait(ev.ChannelEnteredBridge, customer.id)
    assert set((await ari.bridges.get(bridge.id)).channels) == {agent.id, customer.id}

    recording = await ari.bridges.record(bridge.id, "rec-1", "wav", if_exists="fail")
    assert recording.target == ("bridge", bridge.id)
    await heard.wait(ev.RecordingStarted)
    await asyncio.sleep(0.05)
    await ari.recordings.stop("rec-1")
    finished = await heard.wait(ev.RecordingFinished)
    assert finished.recording.state == "done"
    assert [r.name for r in await ari.recordings.list_stored()] == ["rec-1"]
    audio = await ari.recordings.get_stored_file("rec-1")
    assert audio.content[:4] == b"RIFF" and audio.content_type == "audio/wav"

    assert await ari.channels.get_variable(customer.id, "CAMPAIGN_ID") == "7"
    await ari.channels.hangup(customer.id, reason="normal")
    destroyed = await heard.wait(ev.ChannelDestroyed, customer.id)
    assert destroyed.cause == 16
    await ari.bridges.destroy(bridge.id)
    await ari.channels.hangup(agent.id)
    await heard.wait(ev.ChannelDestroyed, agent.id)
    await ari.recordings.delete_stored("rec-1")
    assert ari.tracker.channels == frozenset()
    assert ari.tracker.bridges == frozenset()
    assert_all_typed(heard)


async def test_busy_call(ari: AriClient, heard: Heard) -> None:
    channel = await ari.channels.originate("Local/2001@lab", app=APP, ring_timeout=30)
    destroyed = await heard.wait(ev.ChannelDestroyed, channel.id)
    dial = [d for d in heard.of(ev.Dial, channel.id) if d.dialstatus]
    assert [d.dialstatus for d in dial] == ["BUSY"]
    # As in the busy trace: the ';1' half goes with cause 0, the ';2' half with 17.
    assert destroyed.cause == 0, heard.of(ev.ChannelDestroyed)
    assert not heard.of(ev.StasisStart, channel.id)
    assert channel.id not in ari.tracker.channels
    assert_all_typed(heard)


async def test_play_variables_snoop(ari: AriClient, heard: Heard) -> None:
    channel = await ari.channels.originate("Local/5002@lab", app=APP, channel_id="play-1")
    await heard.wait(ev.StasisStart, channel.id)
    playback = await ari.channels.play(channel.id, "sound:hello-world", playback_id="pb-1")
    assert playback.id == "pb-1" and playback.target == ("channel", channel.id)
    finished = await heard.wait(ev.PlaybackFinished, channel.id)
    assert finished.playback.id == "pb-1"
    snoop = await ari.channels.snoop(channel.id, APP, spy="both", snoop_id="snoop-1")
    await heard.wait(ev.StasisStart, snoop.id)
    assert snoop.id in ari.tracker.channels
    await ari.channels.set_variable(channel.id, "DISPOSITION", "SALE")
    assert await ari.channels.get_variable(channel.id, "DISPOSITION") == "SALE"
    listed = {c.id for c in await ari.channels.list()}
    assert {channel.id, snoop.id} <= listed
    await ari.channels.hangup(snoop.id)
    await ari.channels.hangup(channel.id, reason="normal")
    await heard.wait(ev.ChannelDestroyed, channel.id)
    assert_all_typed(heard)


async def test_errors_from_the_simulator(ari: AriClient, sim: RunningSim) -> None:
    with pytest.raises(errors.NotFound, match="Channel not found"):
        await ari.channels.get("no-such-channel")
    with pytest.raises(errors.NotFound, match="Bridge not found"):
        await ari.bridges.add_channel("no-such-bridge", "no-such-channel")
    with pytest.raises(errors.NotFound, match="Recording not found"):
        await ari.recordings.get_stored_file("no-such-recording")
    await sim_control(sim, "faults/rest", {"fail": 1, "status": 500})
    with pytest.raises(errors.ServerError) as failed:
        await ari.asterisk.info()
    assert failed.value.message == "Internal Server Error"
    await sim_control(sim, "faults/rest", {"fail": 1, "status": 503})
    with pytest.raises(errors.ServerError):
        await ari.channels.list()
    assert (await ari.asterisk.info()).system is not None


async def test_bad_credentials_against_the_simulator(sim: RunningSim) -> None:
    async with AriClient(sim.ari_url, USERNAME, "wrong", APP, backoff=FAST_BACKOFF) as ari:
        with pytest.raises(errors.Unauthorized, match="Authentication required"):
            await ari.asterisk.ping()
        await eventually(lambda: ari.status.failures >= 1, what="a refused handshake")
        assert ari.status.last_error is not None and "401" in ari.status.last_error


async def test_reconnects_after_a_dropped_websocket(
    ari: AriClient, heard: Heard, sim: RunningSim
) -> None:
    channel = await ari.channels.originate("Local/5003@lab", app=APP, channel_id="up-1")
    await heard.wait(ev.StasisStart, channel.id)
    assert (await sim_control(sim, "faults/drop-websocket"))["dropped"] == 1
    await eventually(lambda: ari.status.connects == 2, what="reconnect")
    report = heard.reports[-1]
    assert report.reconnect and not report.changed
    assert report.channels[channel.id].state == "Up"
    # Events flow again on the new connection.
    await ari.channels.hangup(channel.id)
    await heard.wait(ev.ChannelDestroyed, channel.id)
    assert_all_typed(heard)


async def test_reconnects_after_a_restart_and_reports_lost_calls(
    ari: AriClient, heard: Heard, sim: RunningSim
) -> None:
    channel = await ari.channels.originate("Local/5004@lab", app=APP, channel_id="lost-1")
    await heard.wait(ev.StasisStart, channel.id)
    bridge = await ari.bridges.create("mixing", bridge_id="br-lost")
    await ari.bridges.add_channel(bridge.id, channel.id)
    await heard.wait(ev.ChannelEnteredBridge, channel.id)
    per_call: list[str] = []
    ari.on_channel(channel.id, lambda m: per_call.append(m.type))

    await sim_control(sim, "faults/restart")
    await eventually(lambda: ari.status.connects == 2, what="reconnect after restart")
    report = heard.reports[-1]
    assert report.reconnect
    assert report.vanished_channels == {channel.id}
    assert report.vanished_bridges == {bridge.id}
    assert report.unknown_channels == () and report.unknown_bridges == ()
    assert ari.tracker.channels == frozenset() and ari.tracker.bridges == frozenset()
    assert ari.events.subscription_count() == 1  # only the test's catch-all is left
    # The PBX works again after its restart.
    again = await ari.channels.originate("Local/5005@lab", app=APP)
    await heard.wait(ev.StasisStart, again.id)
    await ari.channels.hangup(again.id)
    assert_all_typed(heard)


async def test_a_second_client_replaces_the_first(ari: AriClient, sim: RunningSim) -> None:
    async with AriClient(sim.ari_url, USERNAME, PASSWORD, APP, backoff=FAST_BACKOFF) as other:
        async with asyncio.timeout(3):
            await other.wait_connected()
        await eventually(lambda: ari.status.state == "stopped", what="first client stopped")
        assert ari.status.last_error == "application replaced by another connection"
        assert other.status.connected
