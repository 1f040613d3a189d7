"""Campaigns and their contact databases."""

from __future__ import annotations

import re
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.auth.service import Principal
from engine.dialer.campaign_service import CampaignService
from engine.dialer.campaigns import Campaign, CampaignPatch, NewCampaign
from engine.errors import InvalidInput
from engine.http.api import ADMIN, STAFF, Api
from engine.http.keys import DB
from engine.http.scope import request_scope
from engine.store import campaigns as store
from engine.telephony import RUNTIME

CAMPAIGNS: web.AppKey[CampaignService] = web.AppKey("campaigns", CampaignService)

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def path_id(request: web.Request, name: str = "id") -> int:
    raw = request.match_info[name]
    if not raw.isdigit():
        raise InvalidInput(f"{name} must be a positive integer", {name: raw})
    return int(raw)


async def scoped_campaign_id(request: web.Request, principal: Principal) -> int:
    """The campaign of the path, once it is one the principal may act on."""
    campaign_id = path_id(request)
    (await request_scope(request, principal)).require(campaign_id)
    return campaign_id


class CampaignList(BaseModel):
    items: list[Campaign]


class StatusQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["draft", "running", "paused", "stopped", "finished"] | None = None


class AgentIds(BaseModel):
    agent_ids: list[int] = Field(max_length=10_000)


class UserIds(BaseModel):
    user_ids: list[int] = Field(max_length=1000)


class NewContactDatabase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=150)
    fields: list[str] = Field(min_length=1, max_length=200)
    main_phone_field: str
    phone_fields: list[str] = Field(default_factory=list)
    external_id_field: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> NewContactDatabase:
        bad = [name for name in self.fields if not _FIELD.match(name)]
        if bad:
            raise ValueError(f"field names are letters, digits and _: {bad}")
        if len(set(self.fields)) != len(self.fields):
            raise ValueError("field names must be unique")
        known = set(self.fields)
        if self.main_phone_field not in known:
            raise ValueError("main_phone_field must be one of the fields")
        if not set(self.phone_fields) <= known:
            raise ValueError("phone_fields must be among the fields")
        if self.external_id_field is not None and self.external_id_field not in known:
            raise ValueError("external_id_field must be one of the fields")
        if self.main_phone_field not in self.phone_fields:
            self.phone_fields.insert(0, self.main_phone_field)
        return self


class ContactDatabase(NewContactDatabase):
    model_config = ConfigDict(extra="ignore")
    id: int


class ContactDatabaseList(BaseModel):
    items: list[ContactDatabase]


def register(api: Api) -> None:
    @api.route(
        "GET",
        "/v1/campaigns",
        summary="List campaigns",
        tag="campaigns",
        roles=STAFF,
        response=CampaignList,
        query=StatusQuery,
    )
    async def list_campaigns(
        request: web.Request, principal: Principal, query: StatusQuery
    ) -> CampaignList:
        scope = await request_scope(request, principal)
        found = await request.app[CAMPAIGNS].find(query.status)
        return CampaignList(items=[c for c in found if scope.allows(c.id)])

    @api.route(
        "POST",
        "/v1/campaigns",
        summary="Create a campaign (draft)",
        tag="campaigns",
        roles=ADMIN,
        body=NewCampaign,
        response=Campaign,
        status=201,
        errors=(409,),
    )
    async def create_campaign(
        request: web.Request, principal: Principal, body: NewCampaign
    ) -> Campaign:
        return await request.app[CAMPAIGNS].create(body)

    @api.route(
        "GET",
        "/v1/campaigns/{id}",
        summary="A campaign",
        tag="campaigns",
        roles=STAFF,
        response=Campaign,
    )
    async def get_campaign(request: web.Request, principal: Principal) -> Campaign:
        return await request.app[CAMPAIGNS].get(await scoped_campaign_id(request, principal))

    @api.route(
        "PATCH",
        "/v1/campaigns/{id}",
        summary="Change a campaign's settings",
        tag="campaigns",
        roles=STAFF,
        body=CampaignPatch,
        response=Campaign,
        errors=(409,),
    )
    async def update_campaign(
        request: web.Request, principal: Principal, body: CampaignPatch
    ) -> Campaign:
        campaign_id = await scoped_campaign_id(request, principal)
        return await request.app[CAMPAIGNS].update(campaign_id, body)

    @api.route(
        "DELETE",
        "/v1/campaigns/{id}",
        summary="Delete a stopped or draft campaign",
        tag="campaigns",
        roles=ADMIN,
        status=204,
        errors=(409,),
    )
    async def delete_campaign(request: web.Request, principal: Principal) -> None:
        await request.app[CAMPAIGNS].delete(path_id(request))

    for action, summary in (
        ("start", "Start (or resume) dialling"),
        ("pause", "Pause: no new calls; live calls go on"),
        ("stop", "Stop the campaign"),
    ):
        _register_action(api, action, summary)

    @api.route(
        "PUT",
        "/v1/campaigns/{id}/agents",
        summary="Set the agents of a campaign",
        tag="campaigns",
        roles=STAFF,
        body=AgentIds,
        response=AgentIds,
    )
    async def set_campaign_agents(
        request: web.Request, principal: Principal, body: AgentIds
    ) -> AgentIds:
        campaign_id = await scoped_campaign_id(request, principal)
        ids = await request.app[CAMPAIGNS].set_agents(campaign_id, body.agent_ids)
        return AgentIds(agent_ids=ids)

    @api.route(
        "PUT",
        "/v1/campaigns/{id}/supervisors",
        summary="Set the supervisors who see a campaign's live events",
        tag="campaigns",
        roles=ADMIN,
        body=UserIds,
        response=UserIds,
    )
    async def set_campaign_supervisors(
        request: web.Request, principal: Principal, body: UserIds
    ) -> UserIds:
        campaign_id = path_id(request)
        ids = sorted(set(body.user_ids))
        async with request.app[DB].begin() as conn:
            await store.get_campaign(conn, campaign_id)
            await store.set_supervisors(conn, campaign_id, ids)
        return UserIds(user_ids=ids)

    @api.route(
        "GET",
        "/v1/contact-databases",
        summary="List contact databases",
        tag="campaigns",
        roles=STAFF,
        response=ContactDatabaseList,
    )
    async def list_contact_databases(
        request: web.Request, principal: Principal
    ) -> ContactDatabaseList:
        async with request.app[DB].connect() as conn:
            rows = await store.list_contact_databases(conn)
        return ContactDatabaseList(items=[ContactDatabase.model_validate(dict(r)) for r in rows])

    @api.route(
        "POST",
        "/v1/contact-databases",
        summary="Create a contact database (its field schema)",
        tag="campaigns",
        roles=ADMIN,
        body=NewContactDatabase,
        response=ContactDatabase,
        status=201,
        errors=(409,),
    )
    async def create_contact_database(
        request: web.Request, principal: Principal, body: NewContactDatabase
    ) -> ContactDatabase:
        async with request.app[DB].begin() as conn:
            database_id = await store.create_contact_database(conn, body.model_dump())
            row = await store.get_contact_database(conn, database_id)
        return ContactDatabase.model_validate(dict(row))


def _register_action(api: Api, action: str, summary: str) -> None:
    async def handler(request: web.Request, principal: Principal) -> Campaign:
        campaign_id = await scoped_campaign_id(request, principal)
        campaign = await request.app[CAMPAIGNS].transition(campaign_id, action)
        if (runtime := request.app.get(RUNTIME)) is not None:
            runtime.dialer.refresh()  # act on it now, not at the next poll
        return campaign

    handler.__name__ = f"{action}_campaign"
    api.route(
        "POST",
        f"/v1/campaigns/{{id}}/{action}",
        summary=summary,
        tag="campaigns",
        roles=STAFF,
        response=Campaign,
        errors=(409,),
    )(handler)
