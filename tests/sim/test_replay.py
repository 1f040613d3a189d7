"""Replay each recorded Asterisk scenario against the simulator.

The trace's requests are sent in order (each once the events the trace saw
before it have arrived, and no earlier than its time, scaled); the answers
must match in status and body (ids, names' sequence numbers and times
aside), and every client-owned channel must see the same sequence of event
types and causes. The `;2` halves of Local pairs run Asterisk's dialplan,
whose application steps the simulator only sketches: they are not compared.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import Counter
from typing import Any

import pytest

from engine.sim.declarations import declarations_dir

TRACES_DIR = declarations_dir().parent / "asterisk-traces"
SCENARIOS = sorted(
    p.name for p in TRACES_DIR.glob("*.json") if p.name not in {"bad_credentials.json"}
)
_UNIQUEID = re.compile(r"^\d{9,}\.\d+$")
_SEQ = re.compile(r"-[0-9a-f]{8}(;[12])?")
_TIMES = {"creationtime", "timestamp", "startup_time", "last_reload_time", "date"}


class Ids:
    """Trace ids <-> simulator ids, learnt from the responses."""

    def __init__(self) -> None:
        self.to_sim: dict[str, str] = {}
        self.owned: set[str] = set()  # trace ids of the channels the client created

    def learn(self, trace_body: Any, sim_body: Any) -> None:
        both = isinstance(trace_body, dict) and isinstance(sim_body, dict)
        if both and "id" in trace_body and "id" in sim_body:
            self.to_sim[str(trace_body["id"])] = str(sim_body["id"])

    def trace(self, body: Any) -> Any:
        """A simulator body with the ids the trace used for the same objects."""
        text = json.dumps(body)
        for trace_id, sim_id in self.to_sim.items():
            text = text.replace(json.dumps(sim_id)[1:-1], json.dumps(trace_id)[1:-1])
        return json.loads(text)

    def sim(self, text: str) -> str:
        for trace_id, sim_id in self.to_sim.items():
            text = text.replace(trace_id, sim_id)
        return text


def normalize(value: Any) -> Any:
    """Drop what legitimately differs between two runs: times, generated ids, sequences."""
    if isinstance(value, dict):
        return {k: "<t>" if k in _TIMES else normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalize(v) for v in value]
        return sorted(items, key=json.dumps) if all(isinstance(i, dict) for i in items) else items
    if isinstance(value, str):
        if _UNIQUEID.match(value):
            return "<uniqueid>"
        return _SEQ.sub(r"-<seq>\1", value) if "/" in value else value
    return value


def signature(event: dict[str, Any]) -> tuple[Any, ...]:
    """What must match for an event: its type and the facts a dialer acts on."""
    extras: list[Any] = []
    for key in ("cause", "soft", "dialstatus", "variable", "args"):
        if key in event:
            extras.append((key, event[key]))
    if event["type"] == "ChannelStateChange":
        extras.append(("state", event["channel"]["state"]))
    if event["type"] == "ChannelVarset" and event["variable"] in ("STASISSTATUS", "DISPOSITION"):
        extras.append(("value", event["value"]))
    for key in ("recording", "playback"):
        if key in event:
            extras.append((key, event[key]["state"]))
    if "bridge" in event:
        extras.append(("bridge_channels", len(event["bridge"]["channels"])))
    return (event["type"], *extras)


def client_events(events: list[dict[str, Any]], owned: set[str]) -> list[dict[str, Any]]:
    """Events about the client's own channels, and channel-less ones (recordings, bridges)."""
    return [e for e in events if owner(e) in owned or owner(e) is None]


def by_owner(events: list[dict[str, Any]], rename: dict[str, str]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for event in events:
        key = owner(event)
        name = rename.get(key, key) if key else f"<{_object_kind(event)}>"
        grouped.setdefault(name, []).append(signature(event))
    return grouped


def _object_kind(event: dict[str, Any]) -> str:
    return next((k for k in ("recording", "playback", "bridge") if k in event), "application")


def owner(event: dict[str, Any]) -> str | None:
    """The id of the channel an event is about (Dial: its peer)."""
    for key in ("channel", "peer"):
        if isinstance(event.get(key), dict):
            return str(event[key]["id"])
    return None


def load_trace(name: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = json.loads((TRACES_DIR / name).read_text())
    return steps


def _owned_trace_ids(steps: list[dict[str, Any]]) -> set[str]:
    owned: set[str] = set()
    for request, response in _pairs(steps):
        body = response.get("body")
        creates = request["method"] == "POST" and re.fullmatch(
            r"/channels(/create|/[^/]+/snoop(/[^/]+)?)?", request["path"]
        )
        if creates and isinstance(body, dict) and "id" in body:
            owned.add(str(body["id"]))
    return owned


def _pairs(steps: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    pairs = []
    pending: list[dict[str, Any]] = []
    for step in steps:
        if step["kind"] == "request":
            pending.append(step)
        elif step["kind"] == "response" and pending:
            pairs.append((pending.pop(0), step))
    return pairs


async def _send(ari: Any, ids: Ids, request: dict[str, Any]) -> Any:
    path = ids.sim(request["path"])
    params = {k: ids.sim(str(v)) for k, v in (request.get("query") or {}).items()}
    return await ari.call(request["method"], path, params=params or None, body=request.get("body"))


def _compare_response(
    trace: dict[str, Any], got: Any, path: str, deleted: set[str], ids: Ids
) -> None:
    assert got.status == trace["status"], (path, got.status, got.body)
    expected = trace.get("body")
    if isinstance(expected, dict) and "_bytes" in expected:
        assert got.content_type == expected["_content_type"]
        assert got.raw[:4] == bytes.fromhex(expected["_head_hex"])[:4]
        assert got.raw[8:16] == bytes.fromhex(expected["_head_hex"])[8:16]
        return
    if path == "/asterisk/info":
        # Build and run facts are the machine's own; the shape must be Asterisk's.
        assert _shape(got.body) == _shape(expected)
        return
    body = ids.trace(got.body)
    if path == "/channels" and isinstance(body, list):
        # Asterisk destroys a hung-up channel a moment after its 204; the
        # simulator does it at once, so a list right after may lack it.
        expected = [c for c in expected if c["id"] not in deleted or c in body]
        # A ;2 half's dialplan position is Asterisk's test dialplan, only sketched here.
        body, expected = ([_without_dialplan(c) for c in x] for x in (body, expected))
    assert normalize(body) == normalize(expected), path


def _without_dialplan(channel: dict[str, Any]) -> dict[str, Any]:
    if str(channel["id"]).endswith(";2"):
        return {k: v for k, v in channel.items() if k != "dialplan"}
    return channel


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return type(value).__name__


async def _wait_events(log: Any, owned: set[str], count: int) -> None:
    # On time-out, the comparison that follows reports what is missing.
    with contextlib.suppress(TimeoutError):
        await log.wait_for(lambda evs: len(client_events(evs, owned)) >= count, within=3.0)


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_replay(ari: Any, scenario: str) -> None:
    steps = load_trace(scenario)
    trace_owned = _owned_trace_ids(steps)
    ids = Ids()
    sim_owned: set[str] = set()
    log = await ari.events("trace")
    loop = asyncio.get_running_loop()
    scale = ari.sim.pbx.time_scale
    start = loop.time()
    seen_before = 0
    pending: list[dict[str, Any]] = []
    deleted: set[str] = set()
    trace_events: list[dict[str, Any]] = []
    for step in steps:
        if step["kind"] == "event":
            trace_events.append(step["event"])
            if owner(step["event"]) in trace_owned or owner(step["event"]) is None:
                seen_before += 1
        elif step["kind"] == "request":
            await _wait_events(log, sim_owned, seen_before)
            delay = start + step["t_ms"] / 1000 / scale - loop.time()
            await asyncio.sleep(max(0.0, delay))
            pending.append(step)
        elif step["kind"] == "response":
            request = pending.pop(0)
            got = await _send(ari, ids, request)
            ids.learn(
                step.get("body"), got.body if got.content_type == "application/json" else None
            )
            sim_owned.update(ids.to_sim[t] for t in trace_owned if t in ids.to_sim)
            if request["method"] == "DELETE" and request["path"].startswith("/channels/"):
                deleted.add(request["path"].rsplit("/", 1)[-1])
            _compare_response(step, got, request["path"], deleted, ids)
    expected_events = client_events(trace_events, trace_owned)
    await _wait_events(log, sim_owned, len(expected_events))
    await asyncio.sleep(0.05)  # anything extra would show up now
    await log.close()
    rename = {sim_id: trace_id for trace_id, sim_id in ids.to_sim.items()}
    got = by_owner(client_events(log.events, sim_owned), rename)
    want = by_owner(expected_events, {})
    for key in set(got) | set(want):
        if key.startswith("<"):
            # Recording, playback and bridge events interleave with the
            # channels' as threads allow: compare them as a multiset.
            assert Counter(got.get(key, [])) == Counter(want.get(key, [])), key
        else:
            assert got.get(key) == want.get(key), key
