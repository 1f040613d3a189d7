"""Every request the client builds, captured by a real loopback peer, against the declarations.

Each declared operation is called once with every optional parameter set, so
the check covers parameter names, required ones, allowed values, path
escaping and the body; the answer (generated from the declared response
model) must come back as the right typed model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import pytest

from engine.ari import models as m
from engine.ari.client import AriClient
from engine.sim.declarations import Declarations, Operation, RequestError, load_declarations
from tests.ari.peer import AriPeer, Recorded, basic, sample_of
from tests.ari.support import DECLARATIONS_DIR, PASSWORD, USERNAME, load_trace, trace_files

Call = Callable[[AriClient], Awaitable[Any]]
LOCAL = "Local/5001@lab"
CH = "cust-1;2"  # a Local channel half: the ';' must travel escaped
VARS = {"CAMPAIGN_ID": "7", "STATE": {"value": "new", "report_events": True}}

# operation key -> (call, type of the value it returns)
CALLS: dict[str, tuple[Call, Any]] = {
    # channels.json
    "channels.list": (lambda c: c.channels.list(), list),
    "channels.originate": (
        lambda c: c.channels.originate(
            LOCAL,
            app="dialspool",
            app_args="campaign=7,lead=42",
            extension="5001",
            context="lab",
            priority=1,
            label="start",
            caller_id="Dialspool <5550100>",
            ring_timeout=30,
            variables=VARS,
            channel_id="cust-1",
            other_channel_id="cust-1-other",
            originator="agent-1",
            formats=["ulaw", "alaw"],
        ),
        m.Channel,
    ),
    "channels.originateWithId": (
        lambda c: c.channels.originate_with_id(
            "cust-2",
            LOCAL,
            app="dialspool",
            app_args="a",
            extension="5001",
            context="lab",
            priority=1,
            label="l",
            caller_id="x",
            ring_timeout=30,
            variables={"A": "1"},
            other_channel_id="o",
            originator="agent-1",
            formats=["ulaw"],
        ),
        m.Channel,
    ),
    "channels.create": (
        lambda c: c.channels.create(
            LOCAL,
            "dialspool",
            app_args="a",
            channel_id="dial-1",
            other_channel_id="dial-1o",
            originator="agent-1",
            formats=["ulaw"],
            variables={"A": "1"},
        ),
        m.Channel,
    ),
    "channels.get": (lambda c: c.channels.get(CH), m.Channel),
    "channels.hangup": (lambda c: c.channels.hangup(CH, reason="no_answer"), type(None)),
    "channels.continueInDialplan": (
        lambda c: c.channels.continue_in_dialplan(
            CH, context="lab", extension="s", priority=2, label="x"
        ),
        type(None),
    ),
    "channels.move": (lambda c: c.channels.move(CH, "other", app_args="a"), type(None)),
    "channels.redirect": (lambda c: c.channels.redirect(CH, "PJSIP/agent-2"), type(None)),
    "channels.answer": (lambda c: c.channels.answer(CH), type(None)),
    "channels.ring": (lambda c: c.channels.ring(CH), type(None)),
    "channels.ringStop": (lambda c: c.channels.ring_stop(CH), type(None)),
    "channels.progress": (lambda c: c.channels.progress(CH), type(None)),
    "channels.sendDTMF": (
        lambda c: c.channels.send_dtmf(CH, "12#", before=10, between=100, duration=80, after=10),
        type(None),
    ),
    "channels.mute": (lambda c: c.channels.mute(CH, "in"), type(None)),
    "channels.unmute": (lambda c: c.channels.unmute(CH, "out"), type(None)),
    "channels.hold": (lambda c: c.channels.hold(CH), type(None)),
    "channels.unhold": (lambda c: c.channels.unhold(CH), type(None)),
    "channels.startMoh": (lambda c: c.channels.start_moh(CH, "default"), type(None)),
    "channels.stopMoh": (lambda c: c.channels.stop_moh(CH), type(None)),
    "channels.startSilence": (lambda c: c.channels.start_silence(CH), type(None)),
    "channels.stopSilence": (lambda c: c.channels.stop_silence(CH), type(None)),
    "channels.play": (
        lambda c: c.channels.play(
            CH,
            ["sound:hello-world", "tone:ring"],
            playback_id="pb-1",
            lang="en",
            offsetms=0,
            skipms=3000,
        ),
        m.Playback,
    ),
    "channels.playWithId": (
        lambda c: c.channels.play_with_id(CH, "pb-2", "tone:ring", lang="en", offsetms=1, skipms=2),
        m.Playback,
    ),
    "channels.record": (
        lambda c: c.channels.record(
            CH,
            "rec-1",
            "wav",
            max_duration_seconds=60,
            max_silence_seconds=5,
            if_exists="overwrite",
            beep=False,
            terminate_on="#",
        ),
        m.LiveRecording,
    ),
    "channels.getChannelVar": (lambda c: c.channels.get_variable(CH, "DISPOSITION"), str),
    "channels.setChannelVar": (
        lambda c: c.channels.set_variable(CH, "DISPOSITION", "SALE", report_events=True),
        type(None),
    ),
    "channels.getChannelVars": (lambda c: c.channels.get_variables(CH, ["A", "B"]), dict),
    "channels.setChannelVars": (lambda c: c.channels.set_variables(CH, VARS), type(None)),
    "channels.snoopChannel": (
        lambda c: c.channels.snoop(
            CH, "dialspool", spy="both", whisper="none", app_args="a", snoop_id="snoop-1"
        ),
        m.Channel,
    ),
    "channels.snoopChannelWithId": (
        lambda c: c.channels.snoop_with_id(
            CH, "snoop-2", "dialspool", spy="in", whisper="out", app_args="a"
        ),
        m.Channel,
    ),
    "channels.dial": (
        lambda c: c.channels.dial(CH, caller="agent-1", ring_timeout=30),
        type(None),
    ),
    "channels.rtpstatistics": (lambda c: c.channels.rtp_statistics(CH), m.RTPstat),
    "channels.externalMedia": (
        lambda c: c.channels.external_media(
            "dialspool",
            "slin16",
            channel_id="em-1",
            external_host="127.0.0.1:4000",
            encapsulation="rtp",
            transport="udp",
            connection_type="client",
            direction="both",
            data="d",
            transport_data="t",
            variables={"A": "1"},
        ),
        m.Channel,
    ),
    "channels.transfer_progress": (
        lambda c: c.channels.transfer_progress(CH, "channel_answered"),
        type(None),
    ),
    # bridges.json
    "bridges.list": (lambda c: c.bridges.list(), list),
    "bridges.create": (
        lambda c: c.bridges.create(
            ["mixing", "dtmf_events"],
            bridge_id="agent-9001",
            name="agent 9001",
            variables={"STATE": {"value": "waiting"}},
        ),
        m.Bridge,
    ),
    "bridges.createWithId": (
        lambda c: c.bridges.create_with_id("agent-9002", "holding", name="n", variables={}),
        m.Bridge,
    ),
    "bridges.get": (lambda c: c.bridges.get("b-1"), m.Bridge),
    "bridges.destroy": (lambda c: c.bridges.destroy("b-1"), type(None)),
    "bridges.getBridgeVar": (lambda c: c.bridges.get_variable("b-1", "STATE"), str),
    "bridges.setBridgeVar": (
        lambda c: c.bridges.set_variable("b-1", "STATE", "x", report_events=False),
        type(None),
    ),
    "bridges.getBridgeVars": (lambda c: c.bridges.get_variables("b-1", ["STATE"]), dict),
    "bridges.setBridgeVars": (
        lambda c: c.bridges.set_variables("b-1", {"STATE": "x"}),
        type(None),
    ),
    "bridges.addChannel": (
        lambda c: c.bridges.add_channel(
            "b-1",
            [CH, "agent-1"],
            role="participant",
            absorb_dtmf=True,
            mute=False,
            inhibit_connected_line_updates=True,
        ),
        type(None),
    ),
    "bridges.removeChannel": (lambda c: c.bridges.remove_channel("b-1", CH), type(None)),
    "bridges.setVideoSource": (lambda c: c.bridges.set_video_source("b-1", CH), type(None)),
    "bridges.clearVideoSource": (lambda c: c.bridges.clear_video_source("b-1"), type(None)),
    "bridges.startMoh": (lambda c: c.bridges.start_moh("b-1", "default"), type(None)),
    "bridges.stopMoh": (lambda c: c.bridges.stop_moh("b-1"), type(None)),
    "bridges.play": (
        lambda c: c.bridges.play(
            "b-1",
            "sound:queue-periodic-announce",
            playback_id="pb-3",
            announcer_format="ulaw",
            lang="en",
            offsetms=0,
            skipms=1000,
        ),
        m.Playback,
    ),
    "bridges.playWithId": (
        lambda c: c.bridges.play_with_id(
            "b-1", "pb-4", "tone:beep", announcer_format="ulaw", lang="en", offsetms=0, skipms=5
        ),
        m.Playback,
    ),
    "bridges.record": (
        lambda c: c.bridges.record(
            "b-1",
            "rec-2",
            "wav",
            recorder_format="ulaw",
            max_duration_seconds=3600,
            max_silence_seconds=0,
            if_exists="fail",
            beep=True,
            terminate_on="none",
        ),
        m.LiveRecording,
    ),
    # recordings.json
    "recordings.listStored": (lambda c: c.recordings.list_stored(), list),
    "recordings.getStored": (lambda c: c.recordings.get_stored("rec 1"), m.StoredRecording),
    "recordings.deleteStored": (lambda c: c.recordings.delete_stored("rec-1"), type(None)),
    "recordings.getStoredFile": (lambda c: c.recordings.get_stored_file("rec-1"), m.StoredFile),
    "recordings.copyStored": (
        lambda c: c.recordings.copy_stored("rec-1", "archive/rec-1"),
        m.StoredRecording,
    ),
    "recordings.getLive": (lambda c: c.recordings.get_live("rec-1"), m.LiveRecording),
    "recordings.cancel": (lambda c: c.recordings.cancel("rec-1"), type(None)),
    "recordings.stop": (lambda c: c.recordings.stop("rec-1"), type(None)),
    "recordings.pause": (lambda c: c.recordings.pause("rec-1"), type(None)),
    "recordings.unpause": (lambda c: c.recordings.unpause("rec-1"), type(None)),
    "recordings.mute": (lambda c: c.recordings.mute("rec-1"), type(None)),
    "recordings.unmute": (lambda c: c.recordings.unmute("rec-1"), type(None)),
    # playbacks.json
    "playbacks.get": (lambda c: c.playbacks.get("pb-1"), m.Playback),
    "playbacks.stop": (lambda c: c.playbacks.stop("pb-1"), type(None)),
    "playbacks.control": (lambda c: c.playbacks.control("pb-1", "pause"), type(None)),
    # endpoints.json
    "endpoints.list": (lambda c: c.endpoints.list(), list),
    "endpoints.listByTech": (lambda c: c.endpoints.list_by_tech("PJSIP"), list),
    "endpoints.get": (lambda c: c.endpoints.get("PJSIP", "agent-1001"), m.Endpoint),
    "endpoints.sendMessage": (
        lambda c: c.endpoints.send_message(
            "pjsip:agent-1001", "sip:dialspool", "hi", variables={"X-A": "1"}
        ),
        type(None),
    ),
    "endpoints.sendMessageToEndpoint": (
        lambda c: c.endpoints.send_message_to_endpoint(
            "PJSIP", "agent-1001", "sip:dialspool", "hi", variables={"X-A": "1"}
        ),
        type(None),
    ),
    "endpoints.refer": (
        lambda c: c.endpoints.refer(
            "pjsip:a", "sip:b", "sip:c", to_self=False, variables={"display_name": "D"}
        ),
        type(None),
    ),
    "endpoints.referToEndpoint": (
        lambda c: c.endpoints.refer_to_endpoint(
            "PJSIP", "agent-1001", "sip:b", "sip:c", to_self=True, variables={"A": "1"}
        ),
        type(None),
    ),
    # applications.json
    "applications.list": (lambda c: c.applications.list(), list),
    "applications.get": (lambda c: c.applications.get("dialspool"), m.Application),
    "applications.subscribe": (
        lambda c: c.applications.subscribe("dialspool", ["channel:c1", "bridge:b1"]),
        m.Application,
    ),
    "applications.unsubscribe": (
        lambda c: c.applications.unsubscribe("dialspool", "endpoint:PJSIP/agent-1001"),
        m.Application,
    ),
    "applications.filter": (
        lambda c: c.applications.filter(
            "dialspool", {"allowed": [{"type": "StasisStart"}], "disallowed": []}
        ),
        m.Application,
    ),
    # asterisk.json
    "asterisk.getInfo": (lambda c: c.asterisk.info(["build", "status"]), m.AsteriskInfo),
    "asterisk.ping": (lambda c: c.asterisk.ping(), m.AsteriskPing),
    "asterisk.getObject": (
        lambda c: c.asterisk.get_object("res_pjsip", "endpoint", "agent-1001"),
        dict,
    ),
    "asterisk.updateObject": (
        lambda c: c.asterisk.update_object(
            "res_pjsip", "endpoint", "agent-1001", {"context": "agents", "allow": "ulaw"}
        ),
        dict,
    ),
    "asterisk.deleteObject": (
        lambda c: c.asterisk.delete_object("res_pjsip", "endpoint", "agent-1001"),
        type(None),
    ),
    "asterisk.listModules": (lambda c: c.asterisk.list_modules(), list),
    "asterisk.getModule": (lambda c: c.asterisk.get_module("res_ari.so"), m.Module),
    "asterisk.loadModule": (lambda c: c.asterisk.load_module("res_ari.so"), type(None)),
    "asterisk.unloadModule": (lambda c: c.asterisk.unload_module("res_ari.so"), type(None)),
    "asterisk.reloadModule": (lambda c: c.asterisk.reload_module("res_ari.so"), type(None)),
    "asterisk.listLogChannels": (lambda c: c.asterisk.list_log_channels(), list),
    "asterisk.addLog": (lambda c: c.asterisk.add_log("dialspool", "notice,warning"), type(None)),
    "asterisk.deleteLog": (lambda c: c.asterisk.delete_log("dialspool"), type(None)),
    "asterisk.rotateLog": (lambda c: c.asterisk.rotate_log("dialspool"), type(None)),
    "asterisk.getGlobalVar": (lambda c: c.asterisk.get_global_var("G"), str),
    "asterisk.setGlobalVar": (lambda c: c.asterisk.set_global_var("G", "1"), type(None)),
    # deviceStates.json, mailboxes.json, sounds.json, events.json
    "deviceStates.list": (lambda c: c.rest.device_states.list(), list),
    "deviceStates.get": (lambda c: c.rest.device_states.get("Stasis:agent-1"), m.DeviceState),
    "deviceStates.update": (
        lambda c: c.rest.device_states.update("Stasis:agent-1", "INUSE"),
        type(None),
    ),
    "deviceStates.delete": (lambda c: c.rest.device_states.delete("Stasis:agent-1"), type(None)),
    "mailboxes.list": (lambda c: c.rest.mailboxes.list(), list),
    "mailboxes.get": (lambda c: c.rest.mailboxes.get("1001@default"), m.Mailbox),
    "mailboxes.update": (lambda c: c.rest.mailboxes.update("1001@default", 1, 2), type(None)),
    "mailboxes.delete": (lambda c: c.rest.mailboxes.delete("1001@default"), type(None)),
    "sounds.list": (lambda c: c.rest.sounds.list(lang="en", format="gsm"), list),
    "sounds.get": (lambda c: c.rest.sounds.get("hello-world"), m.Sound),
    "events.userEvent": (
        lambda c: c.rest.events.user_event(
            "wallboard", "dialspool", source=["channel:c1"], variables={"k": "v"}
        ),
        type(None),
    ),
    "events.claimChannel": (
        lambda c: c.rest.events.claim_channel("bc-1", "dialspool"),
        type(None),
    ),
}

# Served over the WebSocket, checked in the event stream tests.
NOT_REST = {"events.eventWebsocket"}


def check_request(decl: Declarations, rec: Recorded) -> Operation:
    """Assert that one captured request is valid for the declarations; its operation."""
    op, path_params = decl.match(rec.method, rec.path)
    decoded = {k: unquote(v) for k, v in path_params.items()}
    # Names declared, required ones present, types and allowed values respected.
    decl.parse_request(op, decoded, rec.query, rec.body)
    # Stricter than Asterisk: query parameters travel in the query, once each,
    # and a body is sent only for a declared body parameter, keyed by its name.
    names = [name for name, _ in rec.query]
    assert len(names) == len(set(names)), f"repeated query parameter in {names}"
    body_param = op.body_param
    if rec.body is not None:
        assert body_param is not None, f"{op.key} declares no body"
        if body_param.data_type == "containers":
            assert isinstance(rec.body, dict) and set(rec.body) == {body_param.name}
        else:
            assert isinstance(rec.body, dict)
    assert rec.authorization == basic(USERNAME, PASSWORD)
    return op


def test_every_declared_rest_operation_has_a_call() -> None:
    decl = load_declarations(DECLARATIONS_DIR)
    declared = {op.key for op in decl.operations}
    assert set(CALLS) == declared - NOT_REST


@pytest.mark.parametrize("key", sorted(CALLS))
async def test_request_is_valid_and_answer_is_typed(
    key: str, peer: AriPeer, client: AriClient, decl: Declarations
) -> None:
    peer.channels = [sample_of(decl, "Channel")]
    peer.bridges = [sample_of(decl, "Bridge")]
    call, expected = CALLS[key]
    result = await call(client)
    assert len(peer.requests) == 1, peer.requests
    op = check_request(decl, peer.requests[0])
    assert op.key == key
    assert isinstance(result, expected), (key, result)
    if isinstance(result, list):
        assert result, key
        model = m.REST_MODELS[op.response_class[5:-1]]
        assert all(isinstance(item, model) for item in result)


async def test_path_ids_are_escaped_whole(peer: AriPeer, client: AriClient) -> None:
    await client.channels.answer("a/b;2 c")
    assert peer.requests[-1].path == "/channels/a%2Fb%3B2%20c/answer"


async def test_query_encoding(peer: AriPeer, client: AriClient) -> None:
    await client.channels.originate(
        LOCAL, app="dialspool", ring_timeout=25, formats=["ulaw", "alaw"]
    )
    await client.bridges.add_channel("b", ["c1", "c2"], absorb_dtmf=False, mute=True)
    await client.channels.hangup("c1", reason_code=16)
    first, second, third = (r.query_dict for r in peer.requests)
    assert first == {
        "endpoint": LOCAL,
        "app": "dialspool",
        "timeout": "25",
        "formats": "ulaw,alaw",
    }
    assert peer.requests[0].body is None
    assert second == {"channel": "c1,c2", "absorbDTMF": "false", "mute": "true"}
    assert third == {"reason_code": "16"}


async def test_variables_travel_in_the_body(peer: AriPeer, client: AriClient) -> None:
    await client.channels.originate(LOCAL, app="dialspool", variables=VARS)
    assert peer.requests[0].body == {"variables": VARS}
    await client.asterisk.update_object("res_pjsip", "aor", "agent-1", {"max_contacts": "1"})
    assert peer.requests[1].body == {"fields": [{"attribute": "max_contacts", "value": "1"}]}


async def test_stored_file_is_bytes_with_its_content_type(peer: AriPeer, client: AriClient) -> None:
    stored = await client.recordings.get_stored_file("rec-1")
    assert stored.content.startswith(b"RIFF")
    assert stored.content_type == "audio/wav"


async def test_created_channels_and_bridges_are_tracked(
    peer: AriPeer, client: AriClient, decl: Declarations
) -> None:
    peer.script("POST", "/channels", _reply(decl, "Channel", id="cust-9"))
    peer.script("POST", "/bridges", _reply(decl, "Bridge", id="br-9"))
    peer.script("POST", "/channels/cust-9/snoop", _reply(decl, "Channel", id="snoop-9"))
    await client.channels.originate(LOCAL, app="dialspool")
    await client.bridges.create("mixing")
    await client.channels.snoop("cust-9", "dialspool", spy="in")
    assert client.tracker.channels == {"cust-9", "snoop-9"}
    assert client.tracker.bridges == {"br-9"}


def _reply(decl: Declarations, model: str, **fields: Any) -> Any:
    from tests.ari.peer import Reply

    return Reply(200, sample_of(decl, model) | fields)


@pytest.mark.parametrize(
    ("rec", "status"),
    [
        (Recorded("POST", "/channels/c1/answr", (), None, None), 404),
        (Recorded("PUT", "/channels/c1/answer", (), None, None), 405),
        (Recorded("POST", "/channels", (("app", "x"),), None, None), 400),
        (Recorded("POST", "/channels", (("endpoint", "x"), ("colour", "red")), None, None), 400),
        (Recorded("DELETE", "/channels/c1", (("reason", "bored"),), None, None), 400),
        (Recorded("POST", "/channels/c1/mute", (("direction", "sideways"),), None, None), 400),
    ],
)
def test_the_check_rejects_bad_requests(rec: Recorded, status: int) -> None:
    """The request check has teeth: unknown paths, names and values fail it."""
    decl = load_declarations(DECLARATIONS_DIR)
    with pytest.raises(RequestError) as info:
        check_request(decl, rec)
    assert info.value.status == status


def trace_answers() -> list[tuple[str, str, str, Any]]:
    """(trace, method, path, JSON body) of every successful JSON answer in the traces."""
    out = []
    for path in trace_files():
        request = None
        for step in load_trace(path.name):
            if step["kind"] == "request":
                request = step
            elif step["kind"] == "response" and request is not None:
                if step["status"] < 300 and step.get("content_type") == "application/json":
                    out.append((path.stem, request["method"], request["path"], step["body"]))
                request = None
    return out


def test_real_asterisk_answers_parse_as_the_declared_models() -> None:
    decl = load_declarations(DECLARATIONS_DIR)
    answers = trace_answers()
    assert len(answers) >= 20
    for trace, method, path, body in answers:
        op, _ = decl.match(method, path)
        name = op.response_class
        items = body if name.startswith("List[") else [body]
        model = m.REST_MODELS[name.removeprefix("List[").removesuffix("]")]
        for item in items:
            parsed = model.model_validate(item)
            assert parsed.model_extra == {}, (trace, method, path)


async def test_the_pool_is_sized(peer: AriPeer) -> None:
    ari = AriClient(peer.url, USERNAME, PASSWORD, "dialspool", pool_size=3)
    await ari.http.open()
    try:
        connector = ari.http.session.connector
        assert connector is not None and connector.limit == 3
    finally:
        await ari.close()
