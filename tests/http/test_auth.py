"""Log-in, tokens, API keys and role checks through the real server."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from engine.clock import VirtualClock
from engine.http.api import AUTH_SERVICE
from tests.helpers import add_user, bearer, error_of, login, user_token


async def test_login_returns_a_bearer_token_that_authenticates(client: TestClient) -> None:
    await add_user(client, "alice", "supervisor")
    response = await client.post("/v1/login", json={"username": "alice", "password": "pw-123456"})
    assert response.status == 200
    body = await response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 8 * 3600
    assert body["role"] == "supervisor"
    me = await client.get("/v1/me", headers=bearer(body["token"]))
    assert (await me.json()) == {"kind": "user", "id": 1, "name": "alice", "role": "supervisor"}


async def test_wrong_password_and_unknown_user_are_401(client: TestClient) -> None:
    await add_user(client, "alice", "agent")
    for name, password in (("alice", "wrong-pass"), ("nobody", "pw-123456")):
        response = await client.post("/v1/login", json={"username": name, "password": password})
        assert response.status == 401
        assert (await error_of(response))["id"] == "not-authenticated"


async def test_expired_token_is_401(client: TestClient, clock: VirtualClock) -> None:
    token = await user_token(client, "alice", "agent")
    assert (await client.get("/v1/me", headers=bearer(token))).status == 200
    await clock.advance(8 * 3600 + 1)
    response = await client.get("/v1/me", headers=bearer(token))
    assert response.status == 401
    assert (await error_of(response))["id"] == "not-authenticated"


async def test_revoked_token_is_401(client: TestClient) -> None:
    token = await user_token(client, "alice", "agent")
    assert (await client.post("/v1/logout", headers=bearer(token))).status == 204
    response = await client.get("/v1/me", headers=bearer(token))
    assert response.status == 401


async def test_wrong_role_is_403(client: TestClient) -> None:
    token = await user_token(client, "agent1", "agent")
    response = await client.get("/v1/users", headers=bearer(token))
    assert response.status == 403
    error = await error_of(response)
    assert error["id"] == "forbidden"
    assert error["details"] == {"role": "agent", "allowed": ["admin"]}


async def test_missing_or_garbage_credentials_are_401(client: TestClient) -> None:
    assert (await client.get("/v1/me")).status == 401
    assert (await client.get("/v1/me", headers=bearer("not-a-token"))).status == 401
    assert (await client.get("/v1/me", headers={"Authorization": "Basic eDp5"})).status == 401


async def test_api_key_works_as_key_and_as_bearer(client: TestClient) -> None:
    admin = await user_token(client, "root", "admin")
    created = await client.post("/v1/api-keys", json={"name": "crm"}, headers=bearer(admin))
    assert created.status == 201
    key = (await created.json())["key"]
    for header in (f"Key={key}", f"Bearer {key}"):
        me = await client.get("/v1/me", headers={"Authorization": header})
        assert me.status == 200
        assert (await me.json())["role"] == "external"
    # An external system is not an admin.
    forbidden = await client.get("/v1/users", headers={"Authorization": f"Key={key}"})
    assert forbidden.status == 403


async def test_admin_creates_users_and_gets_a_generated_password(client: TestClient) -> None:
    admin = await user_token(client, "root", "admin")
    created = await client.post(
        "/v1/users", json={"username": "bob", "role": "agent"}, headers=bearer(admin)
    )
    assert created.status == 201
    password = (await created.json())["password"]
    assert password and len(password) >= 12
    assert await login(client, "bob", password)
    listing = await (await client.get("/v1/users", headers=bearer(admin))).json()
    assert [u["username"] for u in listing["items"]] == ["bob", "root"]


async def test_login_is_rate_limited_per_user(client: TestClient, clock: VirtualClock) -> None:
    await add_user(client, "alice", "agent")
    statuses = []
    for _ in range(11):
        response = await client.post("/v1/login", json={"username": "alice", "password": "bad"})
        statuses.append(response.status)
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    body = await error_of(
        await client.post("/v1/login", json={"username": "alice", "password": "pw-123456"})
    )
    assert body["id"] == "too-many-requests"
    await clock.advance(61)
    assert await login(client, "alice")


async def test_authenticate_service_rejects_revoked_api_key_hash_lookup(client: TestClient) -> None:
    service = client.app[AUTH_SERVICE]
    key = await service.create_api_key("wallboard", "supervisor")
    principal = await service.authenticate(key)
    assert (principal.kind, principal.name, principal.role) == (
        "api_key",
        "wallboard",
        "supervisor",
    )
