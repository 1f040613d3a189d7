"""The declarations loader and its validators, on their own."""

from __future__ import annotations

import pytest

from engine.sim.declarations import Declarations, MissingParameter, RequestError


def _channel() -> dict[str, object]:
    return {
        "id": "c1",
        "name": "Local/1@lab-00000000;1",
        "state": "Up",
        "protocol_id": "",
        "caller": {"name": "", "number": ""},
        "connected": {"name": "", "number": ""},
        "accountcode": "",
        "dialplan": {
            "context": "lab",
            "exten": "1",
            "priority": 1,
            "app_name": "",
            "app_data": "",
        },
        "creationtime": "2026-11-25T06:55:35.851+0000",
        "language": "en",
    }


def _event(**fields: object) -> dict[str, object]:
    return {
        "type": "ChannelDestroyed",
        "timestamp": "2026-11-25T06:55:35.851+0000",
        "cause": 16,
        "cause_txt": "Normal Clearing",
        "channel": _channel(),
        "asterisk_id": "x",
        "application": "trace",
        **fields,
    }


def test_loads_every_resource(declarations: Declarations) -> None:
    assert len(declarations.operations) > 100
    assert {"channels", "bridges", "events", "recordings"} <= set(declarations.apis)
    assert "StasisStart" in declarations.event_types()


def test_valid_event(declarations: Declarations) -> None:
    assert declarations.validate_event(_event()) == []


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"cause": "16"}, "expected int"),
        ({"application": None}, "expected string"),
        ({"bogus": 1}, "undeclared field"),
        ({"type": "NoSuchEvent"}, "unknown event type"),
    ],
)
def test_invalid_events(
    declarations: Declarations, change: dict[str, object], fragment: str
) -> None:
    problems = declarations.validate_event(_event(**change))
    assert any(fragment in p for p in problems), problems


def test_missing_required_and_nested(declarations: Declarations) -> None:
    event = _event()
    del event["cause_txt"]
    channel = _channel()
    channel["state"] = "Sleeping"
    del channel["dialplan"]
    event["channel"] = channel
    problems = declarations.validate_event(event)
    assert any("cause_txt" in p for p in problems)
    assert any("dialplan" in p for p in problems)
    assert any("Sleeping" in p for p in problems)


def test_match_prefers_literal_segments(declarations: Declarations) -> None:
    op, args = declarations.match("POST", "/channels/create")
    assert op.key == "channels.create"
    op, args = declarations.match("POST", "/channels/abc")
    assert (op.key, args) == ("channels.originateWithId", {"channelId": "abc"})


def test_parse_request(declarations: Declarations) -> None:
    op = declarations.by_key["bridges.addChannel"]
    args = declarations.parse_request(op, {"bridgeId": "b"}, [("channel", "a,b")], None)
    assert args["channel"] == ["a", "b"]
    with pytest.raises(MissingParameter):
        declarations.parse_request(op, {"bridgeId": "b"}, [], None)
    with pytest.raises(RequestError):
        declarations.parse_request(
            op, {"bridgeId": "b"}, [("channel", "a"), ("mute", "perhaps")], None
        )
    op = declarations.by_key["channels.originate"]
    args = declarations.parse_request(op, {}, [("endpoint", "Local/1@lab")], None)
    assert args["timeout"] == 30  # the declared default
