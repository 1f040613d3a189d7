"""Secrets never reach the logs: a real log-in with a known password and API key."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient

from engine import logs
from engine.http.api import AUTH_SERVICE
from tests.helpers import add_user, bearer


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.configure("DEBUG", "json", stream)
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


async def test_password_token_and_key_are_never_logged(
    client: TestClient, log_stream: io.StringIO
) -> None:
    password = "Tr0ub4dor-and-3"
    await add_user(client, "alice", "admin", password)
    key = await client.app[AUTH_SERVICE].create_api_key("crm")
    wrong = await client.post("/v1/login", json={"username": "alice", "password": password + "x"})
    assert wrong.status == 401
    ok = await client.post("/v1/login", json={"username": "alice", "password": password})
    token = (await ok.json())["token"]
    await client.get("/v1/me", headers=bearer(token))
    await client.get("/v1/me", headers={"Authorization": f"Key={key}"})
    await client.get(f"/v1/me?access_token={token}")
    logging.getLogger("test").info("Authorization: Bearer %s password=%s", token, password)

    output = log_stream.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    assert any(line["message"].startswith("POST /v1/login 200") for line in lines)
    for secret in (password, password + "x", token, key):
        assert secret not in output


def test_redact_masks_common_forms() -> None:
    text = logs.redact('Authorization: Bearer abc password=hunter2 {"token": "t0k"} pg://u:pw@h/d')
    for secret in ("abc", "hunter2", "t0k", ":pw@"):
        assert secret not in text
