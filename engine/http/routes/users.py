"""Users and API keys (admin only)."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from engine.auth.secrets import generate_password
from engine.auth.service import Principal
from engine.http.api import ADMIN, AUTH_SERVICE, Api
from engine.http.keys import DB
from engine.store import users as store


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    full_name: str
    active: bool


class UserList(BaseModel):
    items: list[UserOut]


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=150, pattern=r"^[A-Za-z0-9._@-]+$")
    role: Literal["admin", "supervisor", "agent"]
    password: str | None = Field(None, min_length=8, max_length=1024)


class CreatedUser(BaseModel):
    id: int
    username: str
    role: str
    password: str | None = Field(None, description="The generated password, shown once")


class NewApiKey(BaseModel):
    name: str = Field(min_length=1, max_length=150)
    role: Literal["admin", "supervisor", "agent", "external"] = "external"


class CreatedApiKey(BaseModel):
    name: str
    role: str
    key: str = Field(description="Shown once; only its hash is stored")


def register(api: Api) -> None:
    @api.route(
        "GET", "/v1/users", summary="List users", tag="users", roles=ADMIN, response=UserList
    )
    async def list_users(request: web.Request, principal: Principal) -> UserList:
        async with request.app[DB].connect() as conn:
            rows = await store.list_users(conn)
        return UserList(items=[UserOut.model_validate(dict(row)) for row in rows])

    @api.route(
        "POST",
        "/v1/users",
        summary="Create a user",
        tag="users",
        roles=ADMIN,
        body=NewUser,
        response=CreatedUser,
        status=201,
        errors=(409,),
    )
    async def create_user(request: web.Request, principal: Principal, body: NewUser) -> CreatedUser:
        password = body.password or generate_password()
        user_id = await request.app[AUTH_SERVICE].create_user(body.username, body.role, password)
        shown = None if body.password else password
        return CreatedUser(id=user_id, username=body.username, role=body.role, password=shown)

    @api.route(
        "POST",
        "/v1/api-keys",
        summary="Create an API key for an external system",
        tag="users",
        roles=ADMIN,
        body=NewApiKey,
        response=CreatedApiKey,
        status=201,
        errors=(409,),
    )
    async def create_api_key(
        request: web.Request, principal: Principal, body: NewApiKey
    ) -> CreatedApiKey:
        key = await request.app[AUTH_SERVICE].create_api_key(body.name, body.role)
        return CreatedApiKey(name=body.name, role=body.role, key=key)
