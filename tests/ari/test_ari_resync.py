"""Pure parts of reconnecting: the resync comparison, the tracker, the backoff."""

from __future__ import annotations

import random

import pytest

from engine.ari.events import decode_message
from engine.ari.models import Bridge, Channel
from engine.ari.resync import Tracker, compute_resync
from engine.ari.websocket import Backoff
from tests.ari.support import load_trace, trace_events


def live_channels() -> list[Channel]:
    """The `GET /channels` answer of the playback trace: a Local pair and a snoop."""
    steps = load_trace("playback_tone_and_snoop.json")
    request = next(
        i for i, s in enumerate(steps) if s.get("method") == "GET" and s["path"] == "/channels"
    )
    response = next(s for s in steps[request:] if s["kind"] == "response")
    return [Channel.model_validate(c) for c in response["body"]]


def live_bridge() -> Bridge:
    steps = load_trace("errors.json")
    body = next(s["body"] for s in steps if s["kind"] == "response" and "bridge_type" in s["body"])
    return Bridge.model_validate(body)


def test_vanished_unknown_and_still_alive() -> None:
    bridge = live_bridge()
    report = compute_resync(
        {"play-7dbfc779", "gone-1"},
        {"bridge-gone", bridge.id},
        live_channels(),
        [bridge],
        at=100.0,
        reconnect=True,
    )
    assert report.vanished_channels == {"gone-1"}
    # The ';2' half of a tracked Local channel is known through its ';1' half.
    assert [c.id for c in report.unknown_channels] == ["snoop-e1227b39"]
    assert report.vanished_bridges == {"bridge-gone"}
    assert report.unknown_bridges == ()
    assert set(report.channels) == {"play-7dbfc779"}
    assert report.channels["play-7dbfc779"].state == "Up"
    assert set(report.bridges) == {bridge.id}
    assert report.changed and report.reconnect and report.at == 100.0


def test_nothing_tracked_everything_unknown() -> None:
    report = compute_resync((), (), live_channels(), [live_bridge()], at=0.0, reconnect=False)
    assert {c.id for c in report.unknown_channels} == {
        "play-7dbfc779",
        "play-7dbfc779;2",
        "snoop-e1227b39",
    }
    assert [c.id for c in report.unknown_in_application("trace")] == ["play-7dbfc779"]
    assert len(report.unknown_bridges) == 1
    assert report.changed and not report.reconnect


def test_no_change() -> None:
    report = compute_resync(
        {"play-7dbfc779", "snoop-e1227b39"}, (), live_channels(), [], at=0.0, reconnect=True
    )
    assert not report.changed


def test_tracker_follows_a_call() -> None:
    tracker = Tracker()
    tracker.track_channel("trace-a5294237")  # what originate does
    seen = []
    for raw in trace_events("answered_remote_hangup.json"):
        tracker.observe(decode_message(raw))
        seen.append(tracker.channels)
    assert all(s == {"trace-a5294237"} for s in seen[:-3])
    assert tracker.channels == frozenset()


def test_tracker_follows_bridges_and_stasis() -> None:
    tracker = Tracker()
    events = [decode_message(e) for e in trace_events("agent_bridge_customer_record.json")]
    tracker.track_bridge("1fb928c1-773d-428a-a9d7-a56aa0844a66")
    for message in events[:12]:
        tracker.observe(message)
    assert tracker.channels == {"agent-3e373fa3"}  # entered Stasis
    for message in events[12:]:
        tracker.observe(message)
    assert tracker.channels == frozenset()
    assert tracker.bridges == frozenset()


def test_a_destroyed_channel_is_not_tracked_late() -> None:
    """A fast busy's ChannelDestroyed can be read before the originate answer."""
    tracker = Tracker()
    for raw in trace_events("busy.json"):
        tracker.observe(decode_message(raw))
    tracker.track_channel("1795589743.2")
    assert tracker.channels == frozenset()
    tracker.track_channel("fresh")
    assert tracker.channels == {"fresh"}


def test_tracker_forgets_what_vanished() -> None:
    tracker = Tracker()
    tracker.track_channel("a")
    tracker.track_channel("b")
    tracker.track_bridge("x")
    tracker.apply(compute_resync({"a", "b"}, {"x"}, [], [], at=0, reconnect=True))
    assert tracker.channels == frozenset() and tracker.bridges == frozenset()


def test_backoff_grows_is_capped_and_jittered() -> None:
    backoff = Backoff(initial=0.5, factor=2.0, maximum=30.0, jitter=0.5)
    assert [backoff.delay(n, 0.0) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert backoff.delay(3, 0.5) == pytest.approx(3.0)
    assert backoff.delay(10_000, 0.0) == 30.0
    rng = random.Random(7)
    delays = [backoff.delay(4, rng.random()) for _ in range(200)]
    assert all(4.0 <= d <= 8.0 for d in delays)
    assert len(set(delays)) > 150  # spread out, not in step


def test_backoff_without_jitter_is_exact() -> None:
    backoff = Backoff(initial=1.0, factor=3.0, maximum=100.0, jitter=0.0)
    assert [backoff.delay(n, 0.99) for n in range(6)] == [1, 3, 9, 27, 81, 100]
