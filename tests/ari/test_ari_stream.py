"""The event stream against a loopback peer: connect, dispatch, drop, reconnect, resync."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from engine.ari import events as ev
from engine.ari.client import AriClient
from engine.ari.events import AriMessage
from engine.ari.resync import ResyncReport
from engine.ari.websocket import Backoff, ConnectionStatus, ReplacedPolicy
from engine.clock import VirtualClock
from engine.sim.declarations import Declarations
from tests.ari.peer import AriPeer, Reply, WsScript, sample_of
from tests.ari.support import (
    APP,
    FAST_BACKOFF,
    PASSWORD,
    USERNAME,
    InstantClock,
    eventually,
    trace_events,
)


def make_client(
    peer: AriPeer, clock: InstantClock, on_replaced: ReplacedPolicy = "stop"
) -> AriClient:
    return AriClient(
        peer.url,
        USERNAME,
        PASSWORD,
        APP,
        clock=clock,
        backoff=FAST_BACKOFF,
        on_replaced=on_replaced,
        request_timeout=2.0,
    )


@pytest.fixture
async def ari(peer: AriPeer, instant_clock: InstantClock) -> AsyncIterator[AriClient]:
    client = make_client(peer, instant_clock)
    reports: list[ResyncReport] = []
    client.on_resync(reports.append)
    await client.start()
    async with asyncio.timeout(3):
        await client.wait_connected()
    yield client
    await client.close()


def channel(decl: Declarations, channel_id: str, state: str = "Up") -> dict[str, Any]:
    return sample_of(decl, "Channel") | {"id": channel_id, "state": state}


def stasis_start(decl: Declarations, channel_id: str) -> dict[str, Any]:
    raw = sample_of(decl, "StasisStart")
    return raw | {"type": "StasisStart", "application": APP, "channel": channel(decl, channel_id)}


async def test_connects_with_declared_parameters_and_syncs_first(
    peer: AriPeer, ari: AriClient, decl: Declarations
) -> None:
    op, _ = decl.match("GET", "/events")
    assert op.key == "events.eventWebsocket"
    assert peer.ws_queries == [{"app": APP, "subscribeAll": "false"}]
    decl.parse_request(op, {}, peer.ws_queries[0].items(), None)
    assert ari.last_resync is not None and not ari.last_resync.reconnect
    # The resync listed channels and bridges before the stream was called connected.
    assert [r.path for r in peer.requests] in (
        ["/channels", "/bridges"],
        ["/bridges", "/channels"],
    )
    status = ari.status
    assert status.connected and status.connects == 1 and status.last_error is None


async def test_events_are_decoded_and_dispatched_in_order(peer: AriPeer, ari: AriClient) -> None:
    seen: list[AriMessage] = []
    ari.on(None, seen.append)
    raw = trace_events("agent_bridge_customer_record.json")
    for event in raw:
        await peer.push(event)
    await eventually(lambda: len(seen) == len(raw), what="all events")
    assert [m.type for m in seen] == [e["type"] for e in raw]
    assert all(type(m) is ev.EVENT_TYPES[m.type] for m in seen)
    # Both Stasis channels came and went, and the bridge is gone.
    assert ari.tracker.channels == frozenset()
    assert ari.tracker.bridges == frozenset()


async def test_bad_frames_and_bad_handlers_do_not_stop_the_reader(
    peer: AriPeer, ari: AriClient, decl: Declarations, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="engine.ari")
    starts: list[str] = []

    def broken(message: AriMessage) -> None:
        raise RuntimeError("bug in a handler")

    ari.on(ev.StasisStart, broken)
    ari.on(ev.StasisStart, lambda m: starts.append(m.channel.id))
    assert peer.current_ws is not None
    await peer.current_ws.send_str("{not json")
    await peer.current_ws.send_bytes(b"\x00binary")
    await peer.push({"type": "StasisStart"})
    await peer.push(stasis_start(decl, "c1"))
    await eventually(lambda: starts == ["c1"], what="StasisStart after junk")
    assert ari.status.connected and ari.status.connects == 1
    assert "invalid JSON" in caplog.text and "bug in a handler" in caplog.text


async def test_reconnects_after_a_drop_and_reports_what_vanished(
    peer: AriPeer, ari: AriClient, decl: Declarations, instant_clock: InstantClock
) -> None:
    statuses: list[ConnectionStatus] = []
    ari.on_status(statuses.append)
    reports: list[ResyncReport] = []
    ari.on_resync(reports.append)
    bridge = sample_of(decl, "Bridge") | {"id": "br-1"}
    peer.script("POST", "/bridges", Reply(200, bridge))
    await ari.bridges.create("mixing")
    await peer.push(stasis_start(decl, "stays"))
    await peer.push(stasis_start(decl, "hangs-up-meanwhile"))
    await eventually(lambda: len(ari.tracker.channels) == 2, what="tracked calls")
    heard: list[str] = []
    ari.on_channel("hangs-up-meanwhile", lambda m: heard.append(m.type))

    # While the WebSocket is down one call ends and a stranger appears.
    peer.channels = [channel(decl, "stays"), channel(decl, "stays;2"), channel(decl, "stranger")]
    peer.bridges = []
    await peer.drop()
    await eventually(lambda: ari.status.connects == 2, what="reconnect")

    assert len(reports) == 1
    report = reports[0]
    assert report.reconnect
    assert report.vanished_channels == {"hangs-up-meanwhile"}
    assert [c.id for c in report.unknown_channels] == ["stranger"]
    assert report.vanished_bridges == {"br-1"}
    assert set(report.channels) == {"stays"}
    assert ari.tracker.channels == {"stays"}
    assert ari.events.subscription_count() == 0  # the vanished call's handler is gone
    assert [s.state for s in statuses] == ["disconnected", "connecting", "connected"]
    assert statuses[0].last_error is not None and "closed by Asterisk" in statuses[0].last_error
    assert instant_clock.sleeps and instant_clock.sleeps[0] <= FAST_BACKOFF.initial
    assert heard == []


async def test_client_side_reconnect(peer: AriPeer, ari: AriClient) -> None:
    statuses: list[ConnectionStatus] = []
    ari.on_status(statuses.append)
    await ari.reconnect()
    await eventually(lambda: ari.status.connects == 2, what="reconnect")
    assert statuses[0].last_error == "dropped by the client"


async def test_resync_failure_drops_and_retries(
    peer: AriPeer, ari: AriClient, instant_clock: InstantClock
) -> None:
    peer.script("GET", "/channels", Reply(500, {"message": "busy"}), Reply(500, {"message": "x"}))
    await peer.drop()
    await eventually(lambda: ari.status.connects == 2, what="reconnect after resync failures")
    assert len(peer.ws_queries) == 4  # first, then two failed resyncs, then success
    assert ari.status.failures == 0
    assert len(instant_clock.sleeps) == 3
    # Each failure backs off further.
    assert instant_clock.sleeps[1] >= FAST_BACKOFF.initial * FAST_BACKOFF.factor * 0.5


async def test_refused_handshake_is_retried_and_reported(
    peer: AriPeer, instant_clock: InstantClock
) -> None:
    peer.ws_reject = 401
    client = make_client(peer, instant_clock)
    await client.start()
    try:
        await eventually(lambda: client.status.failures >= 3, what="failed attempts")
        status = client.status
        assert not status.connected
        assert status.last_error is not None and "401" in status.last_error
        peer.ws_reject = None
        async with asyncio.timeout(3):
            await client.wait_connected()
        assert client.status.failures == 0 and client.status.last_error is None
    finally:
        await client.close()
    assert client.status.state == "stopped"


async def test_application_replaced_stops_by_default(
    peer: AriPeer, ari: AriClient, decl: Declarations
) -> None:
    replaced: list[AriMessage] = []
    ari.on(ev.ApplicationReplaced, replaced.append)
    await peer.push(sample_of(decl, "ApplicationReplaced") | {"type": "ApplicationReplaced"})
    await eventually(lambda: ari.status.state == "stopped", what="stopped")
    assert len(replaced) == 1
    assert ari.status.last_error == "application replaced by another connection"
    await asyncio.sleep(0.05)
    assert len(peer.ws_queries) == 1  # it did not take the application back


async def test_application_replaced_may_reconnect(
    peer: AriPeer, instant_clock: InstantClock, decl: Declarations
) -> None:
    replaced = sample_of(decl, "ApplicationReplaced") | {"type": "ApplicationReplaced"}
    peer.ws_scripts = [WsScript(events=[replaced])]
    client = make_client(peer, instant_clock, on_replaced="reconnect")
    async with client:
        await eventually(lambda: client.status.connects == 2, what="reconnect after replaced")
    assert len(peer.ws_queries) == 2


async def test_close_while_disconnected_is_prompt(peer: AriPeer) -> None:
    peer.ws_reject = 503
    client = AriClient(peer.url, USERNAME, PASSWORD, APP, request_timeout=1.0)
    await client.start()
    await eventually(lambda: client.status.failures >= 1, what="a failure")
    async with asyncio.timeout(1):
        await client.close()
    assert client.status.state == "stopped"


async def test_retries_wait_on_the_injected_clock(peer: AriPeer) -> None:
    """Under a virtual clock nothing is retried until the clock is moved."""
    peer.ws_reject = 503
    clock = VirtualClock(start=1_000.0)
    backoff = Backoff(initial=5.0, factor=2.0, maximum=60.0, jitter=0.0)
    client = AriClient(peer.url, USERNAME, PASSWORD, APP, clock=clock, backoff=backoff)
    await client.start()
    try:
        await eventually(lambda: clock.next_wake() is not None, what="first backoff sleep")
        assert len(peer.ws_queries) == 1 and clock.next_wake() == 1_005.0
        await asyncio.sleep(0.05)
        assert len(peer.ws_queries) == 1  # real time passing changes nothing
        await clock.advance(5.0)
        await eventually(lambda: len(peer.ws_queries) == 2, what="second attempt")
        await eventually(lambda: clock.next_wake() == 1_015.0, what="doubled backoff")
        peer.ws_reject = None
        await clock.advance(10.0)
        async with asyncio.timeout(3):
            await client.wait_connected()
        assert client.status.since == 1_015.0  # status times come from the clock too
    finally:
        await client.close()
