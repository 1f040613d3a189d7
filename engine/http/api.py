"""Route definitions that carry their own contract.

Each native endpoint is declared once with its method, path, roles, body model
and response model. The same declaration wires the aiohttp route, checks
authentication and role, parses and validates the body, and feeds the
OpenAPI document (engine/http/openapi.py), so the document cannot drift.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from engine.auth.service import AuthService, Principal, require_role
from engine.errors import InvalidInput, NotAuthenticated, ValidationFailed

AUTH_SERVICE: web.AppKey[AuthService] = web.AppKey("auth_service", AuthService)
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)

ALL_ROLES = frozenset({"admin", "supervisor", "agent", "external"})
STAFF = frozenset({"admin", "supervisor"})
ADMIN = frozenset({"admin"})

Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    roles: frozenset[str] | None  # None: public (no credentials needed)
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    # Browsers cannot set headers on a WebSocket: such routes also take ?access_token=.
    query_token: bool = False


@dataclass
class Api:
    """The native API's endpoints, in declaration order."""

    endpoints: list[Endpoint] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        roles: frozenset[str] | None,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        query: type[BaseModel] | None = None,
        errors: tuple[int, ...] = (),
        query_token: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(
                Endpoint(
                    method,
                    path,
                    handler,
                    summary,
                    tag,
                    roles,
                    body,
                    response,
                    status,
                    query,
                    errors,
                    query_token,
                )
            )
            return handler

        return register

    def install(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_route(endpoint.method, endpoint.path, _wrap(endpoint))


def bearer_credential(request: web.Request) -> str | None:
    """The token or API key of `Authorization: Bearer X` or `Authorization: Key=X`."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if header.startswith("Key="):
        return header[4:].strip() or None
    return None


async def authenticate(request: web.Request, *, query_token: bool = False) -> Principal:
    credential = bearer_credential(request)
    if credential is None and query_token:
        credential = request.query.get("access_token") or None
    if credential is None:
        raise NotAuthenticated("credentials required: Authorization: Bearer <token> or Key=<key>")
    return await request.app[AUTH_SERVICE].authenticate(credential)


def validation_details(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(part) for part in err["loc"]) or "(body)", "message": err["msg"]}
        for err in exc.errors()
    ]


async def _parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(reason="the body must be application/json")
    raw = await request.read()
    try:
        data = json.loads(raw or b"null")
    except ValueError as exc:
        raise InvalidInput("the body is not valid JSON", {"reason": str(exc)}) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("the body has invalid fields", validation_details(exc)) from None


def _parse_query(request: web.Request, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise ValidationFailed("invalid query parameters", validation_details(exc)) from None


def _wrap(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        kwargs: dict[str, Any] = {}
        if endpoint.roles is not None:
            principal = await authenticate(request, query_token=endpoint.query_token)
            require_role(principal, endpoint.roles)
            request[PRINCIPAL] = principal
            kwargs["principal"] = principal
        if endpoint.body is not None:
            kwargs["body"] = await _parse_body(request, endpoint.body)
        if endpoint.query is not None:
            kwargs["query"] = _parse_query(request, endpoint.query)
        result = await endpoint.handler(request, **kwargs)
        if isinstance(result, web.StreamResponse):
            return result
        if result is None:
            return web.Response(status=204)
        payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
        return web.json_response(payload, status=endpoint.status)

    handle.__name__ = endpoint.handler.__name__
    return handle
