"""HTTP failures become the documented exceptions, carrying Asterisk's message."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from pydantic import SecretStr

from engine.ari import errors
from engine.ari.client import AriClient
from engine.config import AriConfig
from tests.ari.peer import AriPeer, Reply
from tests.ari.support import APP, PASSWORD, USERNAME, load_trace


def trace_errors() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(trace, request, response) for every error Asterisk answered in the traces."""
    out = []
    for name in ("errors.json", "playback_tone_and_snoop.json"):
        steps = load_trace(name)
        pending: dict[str, Any] | None = None
        for step in steps:
            if step["kind"] == "request":
                pending = step
            elif step["kind"] == "response" and pending is not None:
                if step["status"] >= 400:
                    out.append((name, pending, step))
                pending = None
    return out


EXPECTED_CLASS = {400: errors.BadRequest, 404: errors.NotFound, 500: errors.ServerError}


@pytest.mark.parametrize(
    ("trace", "request_step", "response"),
    trace_errors(),
    ids=lambda v: v if isinstance(v, str) else None,
)
async def test_trace_errors_map_to_exceptions(
    trace: str,
    request_step: dict[str, Any],
    response: dict[str, Any],
    peer: AriPeer,
    client: AriClient,
) -> None:
    method, path = request_step["method"], request_step["path"]
    peer.script(method, path, Reply(response["status"], response["body"]))
    with pytest.raises(errors.AriError) as info:
        await client.http.request(method, path, query=request_step["query"])
    exc = info.value
    assert type(exc) is EXPECTED_CLASS[response["status"]]
    assert exc.status == response["status"]
    body = response["body"]
    assert exc.message == body.get("message", body.get("error"))
    assert (exc.method, exc.path) == (method, path)


def test_the_traces_hold_the_errors_we_expect() -> None:
    statuses = sorted(resp["status"] for _, _, resp in trace_errors())
    assert statuses == [400, 400, 400, 404, 404, 404, 404, 404, 404, 500, 500]


async def test_typed_calls_raise_typed_errors(peer: AriPeer, client: AriClient) -> None:
    peer.script("GET", "/channels/gone", Reply(404, {"message": "Channel not found"}))
    with pytest.raises(errors.NotFound, match="Channel not found"):
        await client.channels.get("gone")

    peer.script(
        "POST", "/channels/c1/record", Reply(409, {"message": "Channel is not in a Stasis app"})
    )
    with pytest.raises(errors.Conflict) as conflict:
        await client.channels.record("c1", "r", "wav")
    assert conflict.value.message == "Channel is not in a Stasis app"

    peer.script(
        "POST",
        "/bridges/b1/addChannel",
        Reply(422, {"message": "Channel not in Stasis application"}),
    )
    with pytest.raises(errors.Unprocessable, match="not in Stasis"):
        await client.bridges.add_channel("b1", "c1")

    peer.script("DELETE", "/playbacks/p1", Reply(503, {"message": "Shutting down"}))
    with pytest.raises(errors.ServerError, match="Shutting down"):
        await client.playbacks.stop("p1")


async def test_bad_credentials(peer: AriPeer) -> None:
    expected = next(s for s in load_trace("bad_credentials.json") if s["kind"] == "response")
    async with AriClient(peer.url, USERNAME, "wrong", APP, request_timeout=2.0) as ari:
        with pytest.raises(errors.Unauthorized) as info:
            await ari.channels.list()
    assert info.value.status == expected["status"] == 401
    assert info.value.message == "Authentication required"


async def test_non_json_and_empty_error_bodies(peer: AriPeer, client: AriClient) -> None:
    peer.script("GET", "/asterisk/ping", Reply(502, b"Bad gateway here", content_type="text/plain"))
    with pytest.raises(errors.ServerError, match="Bad gateway here"):
        await client.asterisk.ping()
    peer.script("GET", "/asterisk/ping", Reply(418, b"", content_type="text/plain"))
    with pytest.raises(errors.AriError) as info:
        await client.asterisk.ping()
    assert type(info.value) is errors.AriError
    assert info.value.status == 418
    assert info.value.message == "I'm a Teapot"


async def test_unexpected_answers(peer: AriPeer, client: AriClient) -> None:
    peer.script("GET", "/channels/c1", Reply(200, {"id": "c1"}))
    with pytest.raises(errors.AriError, match="unexpected Channel"):
        await client.channels.get("c1")
    peer.script("GET", "/channels", Reply(200, {"not": "a list"}))
    with pytest.raises(errors.AriError, match="expected a list"):
        await client.channels.list()
    peer.script("GET", "/asterisk/ping", Reply(200, b"{oops", content_type="application/json"))
    with pytest.raises(errors.AriError, match="invalid JSON"):
        await client.asterisk.ping()


async def test_unreachable_asterisk_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on `port` any more.
    async with AriClient(f"http://127.0.0.1:{port}/ari", USERNAME, PASSWORD, APP) as ari:
        with pytest.raises(errors.Unavailable) as info:
            await ari.channels.list()
    assert "cannot reach Asterisk" in info.value.message
    assert info.value.status is None


async def test_slow_asterisk_times_out(peer: AriPeer) -> None:
    peer.script("GET", "/asterisk/info", Reply(200, {}, delay=0.3))
    async with AriClient(peer.url, USERNAME, PASSWORD, APP, request_timeout=0.05) as ari:
        with pytest.raises(errors.RequestTimeout, match=r"within 0\.05 s"):
            await ari.asterisk.info()


async def test_the_password_is_never_shown(
    peer: AriPeer, client: AriClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="engine.ari")
    peer.script("GET", "/channels/x", Reply(500, {"message": "boom"}))
    with pytest.raises(errors.ServerError) as info:
        await client.channels.get("x")
    await client.channels.list()
    shown = [caplog.text, str(info.value), repr(client), repr(client.http)]
    assert "GET /channels" in caplog.text
    assert not any(PASSWORD in text for text in shown)


def test_built_from_config_without_showing_the_password() -> None:
    config = AriConfig(url="http://pbx:8088/ari", password=SecretStr(PASSWORD), pool_size=7)
    ari = AriClient.from_config(config)
    assert str(ari.http.base_url) == "http://pbx:8088/ari"
    assert ari.http.pool_size == 7 and ari.http.timeout == config.request_timeout_seconds
    assert ari.app == config.app
    assert PASSWORD not in repr(ari) and PASSWORD not in repr(ari.http)
