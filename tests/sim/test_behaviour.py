"""Simulator behaviour beyond the traces: auth, faults, PJSIP, AMD, media, apps."""

from __future__ import annotations

import asyncio
import json
import time
import wave
from io import BytesIO
from typing import Any

import aiohttp
import pytest

from engine.sim.declarations import declarations_dir

BAD = {"Authorization": aiohttp.encode_basic_auth("dialspool", "wrong")}


def _trace(name: str) -> Any:
    return json.loads((declarations_dir().parent / "asterisk-traces" / name).read_text())


# -- credentials ----------------------------------------------------------------


async def test_bad_credentials_rest_as_recorded(ari: Any) -> None:
    recorded = next(s for s in _trace("bad_credentials.json") if s["kind"] == "response")
    reply = await ari.call("GET", recorded["path"], headers=BAD)
    assert reply.status == recorded["status"] == 401
    assert reply.body == json.loads(recorded["body"])
    no_auth = await ari.call("GET", "/channels", headers={})
    assert no_auth.status == 401


async def test_bad_credentials_websocket(ari: Any) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
        await ari.session.ws_connect(ari.sim.ari_url + "/events?app=trace", headers=BAD)
    assert caught.value.status == 401


async def test_api_key_on_rest_and_websocket(ari: Any) -> None:
    key = "api_key=dialspool:dialspool"
    async with ari.session.get(f"{ari.sim.ari_url}/channels?{key}") as resp:
        assert resp.status == 200
    ws = await ari.session.ws_connect(f"{ari.sim.ari_url}/events?app=k&{key}")
    await ws.close()
    async with ari.session.get(f"{ari.sim.ari_url}/channels?api_key=dialspool:nope") as resp:
        assert resp.status == 401


async def test_control_api_needs_credentials(ari: Any) -> None:
    async with ari.session.get(ari.sim.url + "/_sim/counters") as resp:
        assert resp.status == 401


# -- faults and controls --------------------------------------------------------------


async def test_rest_failures_then_recovery(ari: Any) -> None:
    assert (await ari.control("POST", "/faults/rest", {"fail": 2, "status": 503})).status == 200
    assert (await ari.call("GET", "/channels")).status == 503
    assert (await ari.call("GET", "/channels")).status == 503
    assert (await ari.call("GET", "/channels")).status == 200


async def test_rest_delays(ari: Any) -> None:
    await ari.control("POST", "/faults/rest", {"delay_seconds": 0.2, "count": 1})
    started = time.monotonic()
    assert (await ari.call("GET", "/bridges")).status == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    await ari.call("GET", "/bridges")
    assert time.monotonic() - started < 0.2


async def test_drop_websocket(ari: Any) -> None:
    log = await ari.events("trace")
    reply = await ari.control("POST", "/faults/drop-websocket")
    assert reply.body == {"dropped": 1}
    await asyncio.wait_for(log.closed.wait(), 2)
    apps = await ari.call("GET", "/applications")
    assert apps.body == []


async def test_restart_destroys_everything(ari: Any) -> None:
    log = await ari.events("trace")
    await ari.call("POST", "/channels", {"endpoint": "Local/5001@lab", "app": "trace"})
    await ari.call("POST", "/bridges", {"type": "mixing"})
    reply = await ari.control("POST", "/faults/restart")
    assert reply.body == {"channels_lost": 2}
    await asyncio.wait_for(log.closed.wait(), 2)
    assert (await ari.call("GET", "/channels")).body == []
    assert (await ari.call("GET", "/bridges")).body == []
    assert (await ari.call("GET", "/applications")).body == []


async def test_counters_requests_and_reset(ari: Any) -> None:
    await ari.call("GET", "/channels")
    await ari.call("GET", "/channels/nope")
    log = (await ari.control("GET", "/requests")).body
    assert [(r["operation"], r["status"]) for r in log][-2:] == [
        ("channels.list", 200),
        ("channels.get", 404),
    ]
    counters = (await ari.control("GET", "/counters")).body
    assert counters["counters"]["rest_channels.list"] == 1
    await ari.control("POST", "/reset")
    assert (await ari.control("GET", "/requests")).body == []


async def test_profile_upload_toml_and_json(ari: Any) -> None:
    toml = '[[numbers]]\nmatch = "8*"\noutcome = "busy"\nring = 0.5\n'
    async with ari.session.post(
        ari.sim.url + "/_sim/profile",
        data=toml,
        headers={**_auth(), "Content-Type": "application/toml"},
    ) as resp:
        assert resp.status == 200
    assert ari.sim.pbx.world.plan("8123").outcome == "busy"
    reply = await ari.control("POST", "/profile", {"mix": {"congestion": 1.0}})
    assert reply.status == 200
    assert ari.sim.pbx.world.plan("123").outcome == "congestion"
    bad = await ari.control("POST", "/profile", {"mix": {"nobody": 1.0}})
    assert bad.status == 400


def _auth() -> dict[str, str]:
    return {"Authorization": aiohttp.encode_basic_auth("dialspool", "dialspool")}


# -- applications -----------------------------------------------------------------------


async def test_application_replaced(ari: Any) -> None:
    first = await ari.events("trace")
    second = await ari.events("trace")
    replaced = await first.wait_type("ApplicationReplaced")
    assert replaced["application"] == "trace"
    await asyncio.wait_for(first.closed.wait(), 2)
    await ari.call("POST", "/channels", {"endpoint": "Local/9001@agents", "app": "trace"})
    await second.wait_type("StasisStart")
    await second.close()


async def test_applications_resource(ari: Any) -> None:
    log = await ari.events("trace")
    reply = await ari.call("GET", "/applications/trace")
    assert reply.body["name"] == "trace"
    assert (await ari.call("GET", "/applications/nope")).status == 404
    bridge = (await ari.call("POST", "/bridges")).body
    sub = await ari.call(
        "POST", "/applications/trace/subscription", {"eventSource": f"bridge:{bridge['id']}"}
    )
    assert sub.body["bridge_ids"] == [bridge["id"]]
    bad = await ari.call("POST", "/applications/trace/subscription", {"eventSource": "bridge:x"})
    assert bad.status == 422
    await log.close()


async def test_subscribe_all_sees_channel_created(ari: Any) -> None:
    log = await ari.events("watcher", subscribe_all=True)
    await ari.call("POST", "/channels", {"endpoint": "Local/5001@lab", "app": "other"})
    created = await log.wait_type("ChannelCreated")
    assert created["application"] == "watcher"
    await log.close()


async def test_user_event(ari: Any) -> None:
    log = await ari.events("trace")
    reply = await ari.call(
        "POST",
        "/events/user/wrapup",
        params={"application": "trace"},
        body={"variables": {"agent": "9001"}},
    )
    assert reply.status == 204
    event = await log.wait_type("ChannelUserevent")
    assert event["eventname"] == "wrapup"
    assert event["userevent"] == {"agent": "9001"}
    await log.close()


# -- calls ----------------------------------------------------------------------------------


async def test_pjsip_is_one_channel(ari: Any) -> None:
    log = await ari.events("trace")
    reply = await ari.call(
        "POST", "/channels", {"endpoint": "PJSIP/5001@trunk", "app": "trace", "channelId": "p1"}
    )
    assert reply.body["name"].startswith("PJSIP/trunk-")
    await log.wait_type("StasisStart")
    assert [c["id"] for c in (await ari.call("GET", "/channels")).body] == ["p1"]
    await ari.call("DELETE", "/channels/p1", {"reason": "normal"})
    await log.wait_type("ChannelDestroyed")
    kinds = [(e["type"], e.get("channel", {}).get("state")) for e in log.of("p1")]
    assert kinds == [
        ("Dial", None),
        ("ChannelStateChange", "Ringing"),
        ("ChannelStateChange", "Up"),
        ("Dial", None),
        ("ChannelVarset", "Up"),
        ("StasisStart", "Up"),
        ("ChannelHangupRequest", "Up"),
        ("StasisEnd", "Up"),
        ("ChannelVarset", "Up"),
        ("ChannelDestroyed", "Up"),
    ]
    await log.close()


async def test_pjsip_busy_has_the_real_cause(ari: Any) -> None:
    log = await ari.events("trace")
    await ari.call("POST", "/channels", {"endpoint": "PJSIP/2001@trunk", "app": "trace"})
    destroyed = await log.wait_type("ChannelDestroyed")
    assert (destroyed["cause"], destroyed["cause_txt"]) == (17, "User busy")
    dial = [e for e in log.events if e["type"] == "Dial"]
    assert [d["dialstatus"] for d in dial] == ["", "BUSY"]
    await log.close()


async def test_time_scale_divides_ring_time(ari: Any) -> None:
    log = await ari.events("trace")
    started = time.monotonic()
    await ari.call("POST", "/channels", {"endpoint": "Local/1001@lab", "app": "trace"})
    await log.wait_type("StasisStart")
    elapsed = time.monotonic() - started
    ring = 2.0 / ari.sim.pbx.time_scale
    assert ring * 0.9 <= elapsed < ring + 0.5
    await log.close()


async def test_machine_detected_after_continue_into_amd(ari: Any) -> None:
    profile = {
        "numbers": [{"match": "7*", "outcome": "machine", "ring": 0.5, "talk": 60}],
        "amd": {"context": "amd", "detect": 1.0, "error_rate": 0, "notsure_rate": 0},
    }
    assert (await ari.control("POST", "/profile", profile)).status == 200
    log = await ari.events("trace")
    await ari.call(
        "POST", "/channels", {"endpoint": "PJSIP/7001@trunk", "app": "trace", "channelId": "m1"}
    )
    await log.wait_type("StasisStart")
    reply = await ari.call("POST", "/channels/m1/continue", {"context": "amd", "extension": "s"})
    assert reply.status == 204
    await log.wait_type("StasisStart", count=2)
    status = await ari.call("GET", "/channels/m1/variable", {"variable": "AMDSTATUS"})
    assert status.body == {"value": "MACHINE"}
    cause = await ari.call("GET", "/channels/m1/variable", {"variable": "AMDCAUSE"})
    assert cause.body["value"].startswith("LONGGREETING")
    kinds = [e["type"] for e in log.of("m1")][-7:]
    assert (
        kinds
        == [
            "StasisEnd",
            "ChannelVarset",
            "ChannelDialplan",
            "ChannelVarset",
            "ChannelVarset",
            "ChannelDialplan",
            "ChannelVarset",
        ]
        or kinds[-1] == "StasisStart"
    )
    await log.close()


async def test_originate_timeout_and_conflicts(ari: Any) -> None:
    log = await ari.events("trace")
    first = await ari.call("POST", "/channels/c1", {"endpoint": "Local/3001@lab", "app": "trace"})
    assert first.status == 200
    again = await ari.call("POST", "/channels/c1", {"endpoint": "Local/3001@lab", "app": "trace"})
    assert again.status == 409
    bogus = await ari.call("POST", "/channels", {"endpoint": "nonsense", "app": "trace"})
    assert bogus.body == {"message": "Invalid endpoint specified"}
    await ari.call("DELETE", "/channels/c1", {"reason": "busy"})
    destroyed = await log.wait_type("ChannelDestroyed")
    assert destroyed["cause"] == 17
    await log.close()


# -- media -------------------------------------------------------------------------------------


async def _answered(ari: Any, log: Any, channel_id: str) -> None:
    await ari.call(
        "POST", "/channels", {"endpoint": "Local/5001@lab", "app": "trace", "channelId": channel_id}
    )
    await log.wait_for(
        lambda evs: any(
            e["type"] == "StasisStart" and e["channel"]["id"] == channel_id for e in evs
        )
    )


async def test_channel_recording_wav_has_the_recorded_length(ari: Any) -> None:
    log = await ari.events("trace")
    await _answered(ari, log, "r1")
    params = {"name": "r1-rec", "format": "wav", "maxDurationSeconds": "2"}
    reply = await ari.call("POST", "/channels/r1/record", params)
    assert reply.status == 201
    finished = await log.wait_type("RecordingFinished")
    assert finished["recording"]["duration"] == 2
    audio = await ari.call("GET", "/recordings/stored/r1-rec/file")
    assert audio.content_type == "audio/wav"
    with wave.open(BytesIO(audio.raw)) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (8000, 2, 1)
        assert wav.getnframes() == 16000
    again = await ari.call("POST", "/channels/r1/record", params)
    assert again.status == 409
    await log.close()


async def test_gsm_recording(ari: Any) -> None:
    log = await ari.events("trace")
    await _answered(ari, log, "g1")
    params = {"name": "g1-rec", "format": "gsm", "maxDurationSeconds": "1"}
    assert (await ari.call("POST", "/channels/g1/record", params)).status == 201
    await log.wait_type("RecordingFinished")
    audio = await ari.call("GET", "/recordings/stored/g1-rec/file")
    assert audio.content_type == "audio/gsm"
    assert len(audio.raw) == 1650  # 50 frames of 33 bytes per second
    unknown = await ari.call("POST", "/channels/g1/record", {"name": "x", "format": "mp9"})
    assert unknown.status == 422
    await log.close()


async def test_playback_plays_then_finishes(ari: Any) -> None:
    log = await ari.events("trace")
    await _answered(ari, log, "s1")
    reply = await ari.call(
        "POST", "/channels/s1/play", {"media": "sound:hello-world,sound:beep", "playbackId": "pb"}
    )
    assert reply.body["state"] == "queued"
    await log.wait_type("PlaybackFinished")
    states = [(e["type"], e["playback"]["state"]) for e in log.events if "playback" in e]
    assert states == [
        ("PlaybackStarted", "playing"),
        ("PlaybackContinuing", "continuing"),
        ("PlaybackFinished", "done"),
    ]
    await log.close()


async def test_dynamic_config_objects(ari: Any) -> None:
    path = "/asterisk/config/dynamic/res_pjsip/endpoint/9001"
    fields = {"fields": [{"attribute": "context", "value": "agents"}]}
    assert (await ari.call("PUT", path, body=fields)).body == fields["fields"]
    assert (await ari.call("GET", path)).body == fields["fields"]
    endpoints = (await ari.call("GET", "/endpoints")).body
    assert [(e["technology"], e["resource"]) for e in endpoints] == [("PJSIP", "9001")]
    assert (await ari.call("DELETE", path)).status == 204
    assert (await ari.call("GET", path)).status == 404
    bad = await ari.call("GET", "/asterisk/config/dynamic/nope/endpoint/1")
    assert bad.body == {"message": "configClass 'nope' not found"}
