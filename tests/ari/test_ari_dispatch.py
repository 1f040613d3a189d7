"""Dispatch of typed events to handlers by type, channel and bridge."""

from __future__ import annotations

import logging

import pytest

from engine.ari import events as ev
from engine.ari.dispatch import Dispatcher
from engine.ari.events import AriMessage, decode_message
from tests.ari.support import trace_events


def decoded(trace: str) -> list[AriMessage]:
    return [decode_message(e) for e in trace_events(trace)]


async def test_by_type_class_name_and_all() -> None:
    dispatcher = Dispatcher()
    starts: list[ev.StasisStart] = []
    named: list[str] = []
    everything: list[str] = []
    dispatcher.on(ev.StasisStart, starts.append)
    dispatcher.on("ChannelDestroyed", lambda m: named.append(m.type))
    dispatcher.on(None, lambda m: everything.append(m.type))
    messages = decoded("answered_remote_hangup.json")
    for message in messages:
        await dispatcher.dispatch(message)
    assert [s.channel.id for s in starts] == ["trace-a5294237"]
    assert named == ["ChannelDestroyed", "ChannelDestroyed"]
    assert everything == [m.type for m in messages]


async def test_by_channel_in_order_then_forgotten_after_destroy() -> None:
    dispatcher = Dispatcher()
    seen: list[str] = []

    async def on_call(message: AriMessage) -> None:
        seen.append(message.type)

    dispatcher.on_channel("trace-a5294237", on_call)
    for message in decoded("answered_remote_hangup.json"):
        await dispatcher.dispatch(message)
    assert seen == [
        "Dial",
        "ChannelStateChange",
        "Dial",
        "ChannelVarset",
        "StasisStart",
        "ChannelHangupRequest",
        "StasisEnd",
        "ChannelVarset",
        "ChannelDestroyed",
    ]
    assert dispatcher.subscription_count() == 0


async def test_by_bridge_including_recordings_into_it() -> None:
    dispatcher = Dispatcher()
    seen: list[str] = []
    dispatcher.on_bridge("1fb928c1-773d-428a-a9d7-a56aa0844a66", lambda m: seen.append(m.type))
    for message in decoded("agent_bridge_customer_record.json"):
        await dispatcher.dispatch(message)
    assert seen == [
        "ChannelEnteredBridge",
        "ChannelEnteredBridge",
        "RecordingStarted",
        "RecordingFinished",
        "ChannelLeftBridge",
        "ChannelLeftBridge",
        "BridgeDestroyed",
    ]
    assert dispatcher.subscription_count() == 0


async def test_a_failing_handler_is_logged_and_the_rest_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dispatcher = Dispatcher()
    after: list[str] = []

    def broken(message: AriMessage) -> None:
        raise RuntimeError("handler bug")

    async def broken_async(message: AriMessage) -> None:
        raise ValueError("async handler bug")

    dispatcher.on(None, broken)
    dispatcher.on(None, broken_async)
    dispatcher.on(None, lambda m: after.append(m.type))
    with caplog.at_level(logging.ERROR, logger="engine.ari.dispatch"):
        for message in decoded("busy.json"):
            await dispatcher.dispatch(message)
    assert len(after) == len(trace_events("busy.json"))
    assert "handler bug" in caplog.text and "async handler bug" in caplog.text


async def test_one_handler_hears_an_event_once_and_cancel_works() -> None:
    dispatcher = Dispatcher()
    seen: list[str] = []
    handler = seen.append
    dial = next(m for m in decoded("agent_bridge_customer_record.json") if isinstance(m, ev.Dial))
    sub_type = dispatcher.on(ev.Dial, handler)
    dispatcher.on_channel(dial.peer.id, handler)
    await dispatcher.dispatch(dial)
    assert len(seen) == 1
    sub_type.cancel()
    sub_type.cancel()  # idempotent
    await dispatcher.dispatch(dial)
    assert len(seen) == 2  # still heard through the channel subscription
    dispatcher.forget(channel_ids=frozenset({dial.peer.id}))
    await dispatcher.dispatch(dial)
    assert len(seen) == 2
    assert dispatcher.subscription_count() == 0


async def test_handlers_may_subscribe_while_dispatching() -> None:
    dispatcher = Dispatcher()
    per_call: list[str] = []

    def on_start(message: ev.StasisStart) -> None:
        dispatcher.on_channel(message.channel.id, lambda m: per_call.append(m.type))

    dispatcher.on(ev.StasisStart, on_start)
    for message in decoded("answered_remote_hangup.json"):
        await dispatcher.dispatch(message)
    assert per_call == ["ChannelHangupRequest", "StasisEnd", "ChannelVarset", "ChannelDestroyed"]


async def test_malformed_and_unknown_messages_reach_catch_all_only() -> None:
    dispatcher = Dispatcher()
    seen: list[AriMessage] = []
    dispatcher.on(None, seen.append)
    dispatcher.on("", lambda m: pytest.fail("no type, no typed handler"))
    dispatcher.on(ev.StasisStart, lambda m: pytest.fail("a broken StasisStart is not one"))
    await dispatcher.dispatch(decode_message({"no": "type"}))
    await dispatcher.dispatch(decode_message({"type": "StasisStart", "application": "a"}))
    await dispatcher.dispatch(
        decode_message({"type": "Future", "application": "a", "timestamp": "2026-01-01T00:00Z"})
    )
    assert [type(m).__name__ for m in seen] == [
        "MalformedMessage",
        "MalformedMessage",
        "UnknownEvent",
    ]
