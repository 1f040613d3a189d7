"""Every error class leaves as {"error": {"id", "message", "details"}} with its status."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from engine.app import create_app
from engine.clock import VirtualClock
from tests.conftest import make_config
from tests.helpers import bearer, error_of, user_token


async def test_unknown_route_is_404(client: TestClient) -> None:
    response = await client.get("/v1/no-such-thing")
    assert response.status == 404
    assert (await error_of(response))["id"] == "not-found"


async def test_wrong_method_is_405_with_allowed_methods(client: TestClient) -> None:
    response = await client.delete("/v1/health")
    assert response.status == 405
    error = await error_of(response)
    assert error["id"] == "method-not-allowed"
    assert "GET" in error["details"]["allowed"]


async def test_bad_json_is_400(client: TestClient) -> None:
    response = await client.post(
        "/v1/login", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await error_of(response))["id"] == "invalid-input"


async def test_non_json_body_is_415(client: TestClient) -> None:
    response = await client.post(
        "/v1/login",
        data="username=a&password=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 415
    assert (await error_of(response))["id"] == "unsupported-media-type"


async def test_invalid_fields_are_422_naming_each_field(client: TestClient) -> None:
    admin = await user_token(client, "root", "admin")
    response = await client.post(
        "/v1/users", json={"username": "bad name!", "role": "king"}, headers=bearer(admin)
    )
    assert response.status == 422
    error = await error_of(response)
    assert error["id"] == "validation-failed"
    assert sorted(d["field"] for d in error["details"]) == ["role", "username"]


async def test_duplicate_is_409_and_changes_nothing(client: TestClient) -> None:
    admin = await user_token(client, "root", "admin")
    response = await client.post(
        "/v1/users", json={"username": "root", "role": "agent"}, headers=bearer(admin)
    )
    assert response.status == 409
    assert (await error_of(response))["id"] == "conflict"
    users = await (await client.get("/v1/users", headers=bearer(admin))).json()
    assert [(u["username"], u["role"]) for u in users["items"]] == [("root", "admin")]


async def test_body_too_large_is_413(
    aiohttp_client: object, sqlite_url: str, clock: VirtualClock
) -> None:
    app = create_app(make_config(sqlite_url, http={"max_body_bytes": 2048}), clock=clock)
    client = await aiohttp_client(app)  # type: ignore[operator]
    response = await client.post("/v1/login", json={"username": "a" * 4096, "password": "x"})
    assert response.status == 413
    assert (await error_of(response))["id"] == "body-too-large"


async def test_unexpected_failure_is_500_without_internals(
    aiohttp_client: object, sqlite_url: str, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_config(sqlite_url), clock=clock)

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("secret internal detail /etc/passwd")

    app.router.add_get("/v1/broken", broken)
    client = await aiohttp_client(app)  # type: ignore[operator]
    with caplog.at_level(logging.ERROR):
        response = await client.get("/v1/broken", headers={"X-Request-Id": "req-42"})
    assert response.status == 500
    error = await error_of(response)
    assert error["id"] == "internal-error"
    assert error["details"] == {"request_id": "req-42"}
    assert "secret internal detail" not in await response.text()
    assert "secret internal detail" in caplog.text  # ...but it is logged for the operator
    assert response.headers["X-Request-Id"] == "req-42"
