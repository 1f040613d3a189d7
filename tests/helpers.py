"""Small helpers the tests share."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from engine.http.api import AUTH_SERVICE


async def add_user(
    client: TestClient, username: str, role: str, password: str = "pw-123456"
) -> None:  # type: ignore[type-arg]
    await client.app[AUTH_SERVICE].create_user(username, role, password)


async def login(client: TestClient, username: str, password: str = "pw-123456") -> str:  # type: ignore[type-arg]
    response = await client.post("/v1/login", json={"username": username, "password": password})
    assert response.status == 200, await response.text()
    body = await response.json()
    return str(body["token"])


async def user_token(client: TestClient, username: str, role: str) -> str:  # type: ignore[type-arg]
    await add_user(client, username, role)
    return await login(client, username)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def error_of(response: Any) -> dict[str, Any]:
    """The error object of a native-API error response, checking its shape."""
    body = await response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"id", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return dict(body["error"])
