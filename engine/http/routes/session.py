"""Log-in and log-out with bearer tokens; who am I."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from engine.auth.service import Principal
from engine.http.api import ALL_ROLES, AUTH_SERVICE, Api, bearer_credential


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_in: int
    role: str


class Me(BaseModel):
    kind: str
    id: int
    name: str
    role: str


def register(api: Api) -> None:
    @api.route(
        "POST",
        "/v1/login",
        summary="Log in: get a bearer token",
        tag="auth",
        roles=None,
        body=LoginBody,
        response=TokenOut,
        errors=(401, 429),
    )
    async def login(request: web.Request, body: LoginBody) -> TokenOut:
        address = request.remote or "unknown"
        issued = await request.app[AUTH_SERVICE].login(body.username, body.password, address)
        return TokenOut(
            token=issued.token, expires_in=issued.expires_in, role=issued.principal.role
        )

    @api.route(
        "POST",
        "/v1/logout",
        summary="Log out: revoke this token",
        tag="auth",
        roles=ALL_ROLES,
        status=204,
    )
    async def logout(request: web.Request, principal: Principal) -> None:
        credential = bearer_credential(request)
        if credential is not None:
            await request.app[AUTH_SERVICE].logout(credential)

    @api.route(
        "GET",
        "/v1/me",
        summary="Who the credentials belong to",
        tag="auth",
        roles=ALL_ROLES,
        response=Me,
    )
    async def me(request: web.Request, principal: Principal) -> Me:
        return Me(kind=principal.kind, id=principal.id, name=principal.name, role=principal.role)
