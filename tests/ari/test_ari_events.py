"""The pure event decoder against real Asterisk traces and the declarations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.ari import events as ev
from engine.ari.events import (
    EVENT_TYPES,
    AriEvent,
    MalformedMessage,
    MissingParams,
    UnknownEvent,
    decode_frame,
    decode_message,
)
from engine.ari.models import REST_MODELS, AriModel
from engine.sim.declarations import Declarations
from tests.ari.peer import sample_of
from tests.ari.support import DECLARATIONS_DIR, trace_events, trace_files


def declared_event_types() -> set[str]:
    """Event model ids that derive from Event, read straight from events.json."""
    doc = json.loads((DECLARATIONS_DIR / "events.json").read_text())
    models: dict[str, Any] = doc["models"]
    parents = {sub: mid for mid, m in models.items() for sub in m.get("subTypes", [])}

    def derives_from_event(mid: str) -> bool:
        while mid in parents:
            mid = parents[mid]
            if mid == "Event":
                return True
        return False

    return {mid for mid in models if derives_from_event(mid)}


def test_handled_event_types_equal_the_declared_ones() -> None:
    assert set(EVENT_TYPES) == declared_event_types()
    assert all(name == cls.__name__ for name, cls in EVENT_TYPES.items())


@pytest.mark.parametrize("path", trace_files(), ids=lambda p: p.stem)
def test_every_trace_event_decodes_to_its_class(path: Path) -> None:
    events = trace_events(path.name)
    for raw in events:
        message = decode_message(raw)
        assert type(message) is EVENT_TYPES[raw["type"]], (raw["type"], message)
        assert isinstance(message, AriEvent)
        assert message.application == "trace"
        assert message.timestamp.tzinfo is not None
        assert message.model_extra == {}, f"{raw['type']} left fields unmodelled"


def test_trace_events_through_the_frame_decoder_too() -> None:
    raw = trace_events("agent_bridge_customer_record.json")[0]
    assert decode_frame(json.dumps(raw)) == decode_message(raw)
    assert decode_frame(json.dumps(raw).encode()) == decode_message(raw)


def test_declared_sample_of_every_event_type_decodes(decl: Declarations) -> None:
    for name, cls in EVENT_TYPES.items():
        raw = sample_of(decl, name) | {"type": name}
        message = decode_message(raw)
        assert type(message) is cls, (name, message)


def test_unknown_type_becomes_a_generic_event_with_typed_accessors() -> None:
    raw = dict(trace_events("answered_remote_hangup.json")[-1])
    raw["type"] = "ChannelTeleported"
    raw["planet"] = "Mars"
    message = decode_message(raw)
    assert type(message) is UnknownEvent
    assert message.type == "ChannelTeleported"
    assert message.channel is not None and message.channel.id == "trace-a5294237"
    assert message.model_extra == {"planet": "Mars", "cause": 16, "cause_txt": "Normal Clearing"}
    assert message.channel_ids() == {"trace-a5294237"}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ([1, 2], "not a JSON object"),
        ({"timestamp": "x"}, "no event type"),
        ({"type": 5}, "no event type"),
        ({"type": "StasisStart", "application": "a"}, "timestamp"),
        (
            {"type": "ChannelDestroyed", "application": "a", "timestamp": "2026-01-01T00:00:00Z"},
            "channel",
        ),
    ],
)
def test_malformed_messages_never_raise(data: Any, error: str) -> None:
    message = decode_message(data)
    assert isinstance(message, MalformedMessage)
    assert error in message.error


def test_invalid_json_frame_is_malformed() -> None:
    message = decode_frame("{not json")
    assert isinstance(message, MalformedMessage)
    assert message.error.startswith("invalid JSON")
    assert isinstance(decode_frame(b"\xff\xfe"), MalformedMessage)


def test_missing_params_is_typed() -> None:
    message = decode_message({"type": "MissingParams", "params": ["app"]})
    assert isinstance(message, MissingParams)
    assert message.params == ("app",)


def test_routing_ids_of_trace_events() -> None:
    decoded = [decode_message(e) for e in trace_events("agent_bridge_customer_record.json")]
    dial = next(m for m in decoded if isinstance(m, ev.Dial) and m.dialstatus == "ANSWER")
    assert dial.channel_ids() == {dial.peer.id}
    assert dial.caller is None  # an originate has no calling channel

    entered = next(m for m in decoded if isinstance(m, ev.ChannelEnteredBridge))
    assert entered.channel_ids() == {"agent-3e373fa3"}
    assert entered.bridge_ids() == {"1fb928c1-773d-428a-a9d7-a56aa0844a66"}

    rec = next(m for m in decoded if isinstance(m, ev.RecordingStarted))
    assert rec.bridge_ids() == {"1fb928c1-773d-428a-a9d7-a56aa0844a66"}
    assert rec.channel_ids() == frozenset()

    played = [decode_message(e) for e in trace_events("playback_tone_and_snoop.json")]
    started = next(m for m in played if isinstance(m, ev.PlaybackStarted))
    assert started.channel_ids() == {"play-7dbfc779"}


def test_specific_fields_of_trace_events() -> None:
    decoded = [decode_message(e) for e in trace_events("busy.json")]
    destroyed = [m for m in decoded if isinstance(m, ev.ChannelDestroyed)]
    assert sorted((m.channel.id, m.cause) for m in destroyed) == [
        ("1795589743.2", 0),
        ("1795589743.3", 17),
    ]
    start = next(
        m
        for m in map(decode_message, trace_events("agent_bridge_customer_record.json"))
        if isinstance(m, ev.StasisStart) and m.channel.id == "cust-f982162f"
    )
    assert start.channel.dialplan.app_data == "trace,campaign=7,lead=42"
    assert start.channel.in_application("trace")


def _modelled_classes() -> dict[str, type[AriModel]]:
    nested = {
        cls.__name__: cls
        for cls in (
            ev.ContactInfo,
            ev.Peer,
            ev.AdditionalParam,
            ev.RequiredDestination,
            ev.ReferTo,
            ev.ReferredBy,
            ev.RESTHeader,
            ev.RESTQueryStringParameter,
            ev.RESTRequest,
        )
    }
    return {**REST_MODELS, **nested, **EVENT_TYPES, "MissingParams": MissingParams}


def test_models_follow_the_declared_fields_and_optionality(decl: Declarations) -> None:
    classes = _modelled_classes()
    # Every declared model is modelled, bar the abstract bases.
    assert set(decl.models) - set(classes) == {"Message", "Event"}
    for model_id, cls in classes.items():
        declared = decl.model_properties(model_id)
        fields = {(f.alias or name): f for name, f in cls.model_fields.items()}
        required = {name for name, f in fields.items() if f.is_required()}
        for name, spec in declared.items():
            assert name in fields, f"{model_id}.{name} not modelled"
            assert (name in required) == bool(spec.get("required")), f"{model_id}.{name}"
        extra = set(fields) - set(declared)
        # The base event's optional typed accessors are ours, not Asterisk's.
        assert extra <= {"channel", "bridge", "playback", "recording", "endpoint"}, model_id
        assert not (extra & required), model_id
