"""Disposition options per campaign, and dispositions that drive the spool."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from engine.auth.service import Principal
from engine.dialer.dispositions import DispositionService
from engine.errors import Forbidden, ValidationFailed
from engine.http.api import ADMIN, STAFF, Api
from engine.http.keys import DB
from engine.http.routes.campaigns import path_id, scoped_campaign_id
from engine.store import agents as agent_store
from engine.store import campaigns as campaign_store
from engine.store import dispositions as store
from engine.telephony import RUNTIME

DISPOSITIONS: web.AppKey[DispositionService] = web.AppKey("dispositions", DispositionService)
WRITERS = frozenset({"admin", "supervisor", "agent", "external"})

Action = Literal["none", "respool", "respool_alternative", "blacklist", "schedule"]


class NewOption(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=150)
    parent_id: int | None = None
    level: int = Field(1, ge=1, le=3)
    hidden: bool = False
    action: Action = "none"
    success: bool = False


class OptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=150)
    hidden: bool | None = None
    action: Action | None = None
    success: bool | None = None


class Option(NewOption):
    id: int
    campaign_id: int


class OptionList(BaseModel):
    items: list[Option]


class NewDisposition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign_id: int
    contact_id: int
    option_id: int
    call_id: str | None = Field(None, description="the call's uuid")
    comments: str = Field("", max_length=4000)
    callback_at: AwareDatetime | None = Field(None, description="for a SCHEDULE option")
    callback_agent_id: int | None = Field(None, description="bind the callback to an agent")


class NewDispositionWithContact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign_id: int
    contact: dict[str, str] = Field(description="the contact's fields, main phone required")
    option_id: int
    call_id: str | None = None
    comments: str = Field("", max_length=4000)
    callback_at: AwareDatetime | None = None
    callback_agent_id: int | None = None


class DispositionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    option_id: int | None = None
    comments: str | None = Field(None, max_length=4000)
    callback_at: AwareDatetime | None = None
    callback_agent_id: int | None = None


class Disposition(BaseModel):
    id: int
    campaign_id: int
    contact_id: int
    option_id: int
    call_id: int | None
    agent_id: int | None
    comments: str
    callback_at: datetime | None
    created_at: datetime
    updated_at: datetime | None
    spool_state: str | None = Field(None, description="the lead's spool state after the action")


class DispositionList(BaseModel):
    items: list[Disposition]


class DispositionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign_id: int | None = None
    agent_id: int | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


async def _acting_agent(request: web.Request, principal: Principal) -> int | None:
    """The agent behind an agent's credentials (None for staff and external systems)."""
    if principal.role != "agent":
        return None
    async with request.app[DB].connect() as conn:
        agent = await agent_store.agent_for_user(conn, principal.id)
    if agent is None:
        raise Forbidden("this user is not an agent")
    return int(agent["id"])


def _end_wrapup(request: web.Request, agent_id: int | None, call_uuid: str | None) -> None:
    """A disposition ends the agent's wrap-up of that call."""
    runtime = request.app.get(RUNTIME)
    if runtime is None or agent_id is None or call_uuid is None:
        return
    session = runtime.sessions.find(agent_id)
    wrapping = session is not None and session.status.value == "wrap_up"
    if wrapping and session is not None and session.state.call_id in (call_uuid, None):
        runtime.sessions.wrapup_done(agent_id)


def register(api: Api) -> None:
    register_options(api)

    @api.route(
        "POST",
        "/v1/dispositions",
        summary="Disposition a contact (drives the spool)",
        tag="dispositions",
        roles=WRITERS,
        body=NewDisposition,
        response=Disposition,
        status=201,
        errors=(409,),
    )
    async def create_disposition(
        request: web.Request, principal: Principal, body: NewDisposition
    ) -> Disposition:
        agent_id = await _acting_agent(request, principal)
        row = await request.app[DISPOSITIONS].create(
            body.campaign_id,
            body.contact_id,
            body.option_id,
            call_uuid=body.call_id,
            agent_id=agent_id,
            comments=body.comments,
            callback_at=body.callback_at,
            callback_agent_id=body.callback_agent_id,
        )
        _end_wrapup(request, agent_id, body.call_id)
        return Disposition.model_validate(row)

    @api.route(
        "POST",
        "/v1/dispositions/with-contact",
        summary="Create a contact and its disposition in one call",
        tag="dispositions",
        roles=WRITERS,
        body=NewDispositionWithContact,
        response=Disposition,
        status=201,
    )
    async def create_contact_disposition(
        request: web.Request, principal: Principal, body: NewDispositionWithContact
    ) -> Disposition:
        agent_id = await _acting_agent(request, principal)
        row = await request.app[DISPOSITIONS].create_with_contact(
            body.campaign_id,
            body.contact,
            body.option_id,
            call_uuid=body.call_id,
            agent_id=agent_id,
            comments=body.comments,
            callback_at=body.callback_at,
            callback_agent_id=body.callback_agent_id,
        )
        _end_wrapup(request, agent_id, body.call_id)
        return Disposition.model_validate(row)

    @api.route(
        "PATCH",
        "/v1/dispositions/{id}",
        summary="Modify a disposition (re-applies it)",
        tag="dispositions",
        roles=WRITERS,
        body=DispositionPatch,
        response=Disposition,
    )
    async def modify_disposition(
        request: web.Request, principal: Principal, body: DispositionPatch
    ) -> Disposition:
        disposition_id = path_id(request)
        agent_id = await _acting_agent(request, principal)
        if agent_id is not None:
            async with request.app[DB].connect() as conn:
                current = await store.get(conn, disposition_id)
            if current["agent_id"] != agent_id:
                raise Forbidden("agents may only modify their own dispositions")
        row = await request.app[DISPOSITIONS].modify(
            disposition_id,
            option_id=body.option_id,
            comments=body.comments,
            callback_at=body.callback_at,
            callback_agent_id=body.callback_agent_id,
        )
        return Disposition.model_validate(row)

    @api.route(
        "GET",
        "/v1/dispositions",
        summary="Dispositions (an agent sees its own)",
        tag="dispositions",
        roles=WRITERS,
        query=DispositionQuery,
        response=DispositionList,
    )
    async def list_dispositions(
        request: web.Request, principal: Principal, query: DispositionQuery
    ) -> DispositionList:
        agent_id = await _acting_agent(request, principal)
        if agent_id is not None and query.agent_id not in (None, agent_id):
            raise Forbidden("agents see only their own dispositions")
        async with request.app[DB].connect() as conn:
            rows = await store.search(
                conn,
                agent_id=agent_id or query.agent_id,
                campaign_id=query.campaign_id,
                limit=query.limit,
                offset=query.offset,
            )
        return DispositionList(items=[Disposition.model_validate(dict(r)) for r in rows])


def register_options(api: Api) -> None:
    @api.route(
        "GET",
        "/v1/campaigns/{id}/disposition-options",
        summary="A campaign's disposition options",
        tag="dispositions",
        roles=WRITERS,
        response=OptionList,
    )
    async def list_disposition_options(request: web.Request, principal: Principal) -> OptionList:
        async with request.app[DB].connect() as conn:
            campaign_id = path_id(request)
            await campaign_store.get_campaign(conn, campaign_id)
            rows = await store.list_options(conn, campaign_id)
        return OptionList(items=[Option.model_validate(dict(r)) for r in rows])

    @api.route(
        "POST",
        "/v1/campaigns/{id}/disposition-options",
        summary="Add a disposition option",
        tag="dispositions",
        roles=STAFF,
        body=NewOption,
        response=Option,
        status=201,
        errors=(409,),
    )
    async def create_disposition_option(
        request: web.Request, principal: Principal, body: NewOption
    ) -> Option:
        campaign_id = await scoped_campaign_id(request, principal)
        async with request.app[DB].begin() as conn:
            await campaign_store.get_campaign(conn, campaign_id)
            if body.parent_id is not None:
                parent = await store.get_option(conn, body.parent_id)
                if parent["campaign_id"] != campaign_id or parent["level"] != body.level - 1:
                    raise ValidationFailed(
                        "the parent must be an option one level up",
                        [{"field": "parent_id", "message": "wrong campaign or level"}],
                    )
            elif body.level != 1:
                raise ValidationFailed(
                    "options below level 1 need a parent",
                    [{"field": "parent_id", "message": "required"}],
                )
            option_id = await store.create_option(
                conn, body.model_dump() | {"campaign_id": campaign_id}
            )
            return Option.model_validate(dict(await store.get_option(conn, option_id)))

    @api.route(
        "PATCH",
        "/v1/disposition-options/{id}",
        summary="Change a disposition option",
        tag="dispositions",
        roles=ADMIN,
        body=OptionPatch,
        response=Option,
        errors=(409,),
    )
    async def update_disposition_option(
        request: web.Request, principal: Principal, body: OptionPatch
    ) -> Option:
        option_id = path_id(request)
        async with request.app[DB].begin() as conn:
            await store.get_option(conn, option_id)
            values = body.model_dump(exclude_unset=True)
            if values:
                await store.update_option(conn, option_id, values)
            return Option.model_validate(dict(await store.get_option(conn, option_id)))
