"""Calls: click-to-call and two-step calls, hang-up, transfer, history search."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from engine.auth.scope import campaign_scope
from engine.auth.service import Principal
from engine.dialer.leads.phones import InvalidNumber, PhoneNormalizer
from engine.dialplan.manual import ManualRequest
from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.http.api import STAFF, Api
from engine.http.keys import CONFIG, DB
from engine.http.routes.live import runtime_of
from engine.store import agents as agent_store
from engine.store import calls as call_store
from engine.store import campaigns as campaign_store

_EXTENSION = re.compile(r"^[0-9*#]{2,15}$")
CALLERS = frozenset({"admin", "supervisor", "agent", "external"})


class NewCall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: int | None = Field(None, description="the calling agent; an agent's own by default")
    number: str = Field(min_length=1, max_length=40)
    campaign_id: int = Field(description="the campaign the call counts for (dial plan, caller id)")
    contact_id: int | None = None


class CallStarted(BaseModel):
    call_id: str
    mode: Literal["live_leg", "two_step"]
    number: str


class Transfer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: int | None = Field(None, description="an available agent")
    number: str | None = Field(None, max_length=40, description="or a number (blind transfer)")


class CallRecord(BaseModel):
    call_id: str = Field(alias="uuid")
    campaign_id: int | None
    contact_id: int | None
    agent_id: int | None
    lead_id: int | None = Field(alias="spool_entry_id")
    direction: str
    source: str
    number: str
    created_at: datetime
    answered_at: datetime | None
    bridged_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    hangup_cause: int | None
    variables: dict[str, object]


class CallPage(BaseModel):
    items: list[CallRecord]
    total: int
    limit: int
    offset: int


class CallQuery(BaseModel):
    model_config = ConfigDict(extra="allow")  # var.<name>=value filters on call variables
    number: str | None = Field(None, description="source or destination")
    source: str | None = None
    destination: str | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    campaign_id: int | None = None
    agent_id: int | None = None
    contact_id: int | None = None
    outcome: str | None = None
    direction: Literal["outbound", "inbound", "manual"] | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


async def _agent_of(request: web.Request, principal: Principal, wanted: int | None) -> int:
    """Agents call as themselves; staff and CRMs name the agent."""
    async with request.app[DB].connect() as conn:
        if principal.role == "agent":
            own = await agent_store.agent_for_user(conn, principal.id)
            if own is None or wanted not in (None, own["id"]):
                raise Forbidden("agents place calls as themselves")
            return int(own["id"])
    if wanted is None:
        raise ValidationFailed("which agent calls?", [{"field": "agent_id", "message": "required"}])
    return wanted


async def _transfer(request: web.Request, call_id: str, body: Transfer) -> None:
    runtime = runtime_of(request)
    if (body.agent_id is None) == (body.number is None):
        raise ValidationFailed(
            "give either agent_id or number",
            [{"field": "agent_id", "message": "exactly one of agent_id and number"}],
        )
    if body.agent_id is not None:
        await runtime.calls.transfer(call_id, runtime.sessions.get(body.agent_id))
        return
    assert body.number is not None
    call = runtime.calls.live.get(call_id)
    if call is None:
        raise NotFound("no live call with that id", {"call_id": call_id})
    number = _dialable(request, body.number)
    async with request.app[DB].connect() as conn:
        campaign = await campaign_store.get_campaign(conn, call.plan.campaign_id)
    await runtime.calls.transfer_to_number(call_id, campaign["dial_template"].format(number=number))


async def _may_control(request: web.Request, principal: Principal, call_id: str) -> None:
    """An agent acts on its own call; a supervisor on its campaigns' calls."""
    if principal.role not in ("agent", "supervisor"):
        return
    async with request.app[DB].connect() as conn:
        row = await call_store.get_call(conn, call_id)
        if principal.role == "supervisor":
            scope = await campaign_scope(conn, principal)
            if not scope.everything:
                scope.require(row["campaign_id"] if row else -1)
            return
        own = await agent_store.agent_for_user(conn, principal.id)
    session = runtime_of(request).sessions.find(int(own["id"])) if own else None
    on_it = session is not None and session.state.call_id == call_id
    if not (on_it or (own is not None and row is not None and row["agent_id"] == own["id"])):
        raise Forbidden("agents act on their own calls only", {"call_id": call_id})


def _dialable(request: web.Request, raw: str) -> str:
    """E.164 when it is a phone number; an internal extension (digits) as it is."""
    try:
        return PhoneNormalizer(request.app[CONFIG].dialer.default_region).normalize(raw)
    except InvalidNumber:
        if _EXTENSION.match(raw):
            return raw
        raise ValidationFailed(
            "neither a phone number nor an extension", [{"field": "number", "message": raw}]
        ) from None


def register(api: Api) -> None:
    register_control(api)
    register_history(api)


def register_control(api: Api) -> None:
    @api.route(
        "POST",
        "/v1/calls",
        summary="Click-to-call (live leg) or two-step call",
        tag="calls",
        roles=CALLERS,
        body=NewCall,
        response=CallStarted,
        status=201,
        errors=(409,),
    )
    async def create_call(request: web.Request, principal: Principal, body: NewCall) -> CallStarted:
        runtime = runtime_of(request)
        agent_id = await _agent_of(request, principal, body.agent_id)
        number = _dialable(request, body.number)
        async with request.app[DB].connect() as conn:
            agent = await agent_store.get_agent(conn, agent_id)
            campaign = await campaign_store.get_campaign(conn, body.campaign_id)
            (await campaign_scope(conn, principal)).require(campaign["id"])
        manual = ManualRequest(
            number=number,
            endpoint=campaign["dial_template"].format(number=number),
            caller_id=campaign["caller_id"],
            ring_timeout=campaign["ring_timeout_seconds"],
            campaign_id=campaign["id"],
            contact_id=body.contact_id,
            wrapup_seconds=campaign["wrapup_seconds"],
        )
        if runtime.sessions.find(agent_id) is not None:
            call_id = await runtime.manual.click_to_call(agent_id, manual)
            return CallStarted(call_id=call_id, mode="live_leg", number=number)
        call_id = await runtime.manual.two_step_call(agent_id, agent["endpoint"], manual)
        return CallStarted(call_id=call_id, mode="two_step", number=number)

    @api.route(
        "POST",
        "/v1/calls/{call_id}/hangup",
        summary="Hang up a live call",
        tag="calls",
        roles=CALLERS,
        status=204,
    )
    async def hangup_call(request: web.Request, principal: Principal) -> None:
        runtime = runtime_of(request)
        call_id = request.match_info["call_id"]
        await _may_control(request, principal, call_id)
        if call_id in runtime.calls.live:
            await runtime.calls.hangup(call_id)
        elif call_id in runtime.inbound.live:
            await runtime.inbound.hangup(call_id)
        elif call_id in runtime.manual.two_step:
            await runtime.manual.hangup_two_step(call_id)
        else:
            raise NotFound("no live call with that id", {"call_id": call_id})

    @api.route(
        "POST",
        "/v1/calls/{call_id}/transfer",
        summary="Transfer a connected call to another available agent",
        tag="calls",
        roles=CALLERS,
        body=Transfer,
        status=204,
        errors=(409,),
    )
    async def transfer_call(request: web.Request, principal: Principal, body: Transfer) -> None:
        await _may_control(request, principal, request.match_info["call_id"])
        await _transfer(request, request.match_info["call_id"], body)


def register_history(api: Api) -> None:
    @api.route(
        "GET",
        "/v1/calls",
        summary="Call history search (var.NAME=value filters too)",
        tag="calls",
        roles=STAFF | {"external"},
        query=CallQuery,
        response=CallPage,
    )
    async def search_calls(
        request: web.Request, principal: Principal, query: CallQuery
    ) -> CallPage:
        extra = query.model_extra or {}
        variables = {k[4:]: str(v) for k, v in extra.items() if k.startswith("var.")}
        unknown = sorted(k for k in extra if not k.startswith("var."))
        if unknown:
            raise ValidationFailed(
                "unknown query parameters",
                [{"field": k, "message": "not a filter"} for k in unknown],
            )
        filters = query.model_dump(exclude={"limit", "offset"}, exclude_none=True)
        async with request.app[DB].connect() as conn:
            scope = await campaign_scope(conn, principal)
            rows, total = await call_store.search(
                conn,
                filters=filters,
                variables=variables,
                campaigns=scope.campaigns,
                limit=query.limit,
                offset=query.offset,
            )
        return CallPage(
            items=[CallRecord.model_validate(dict(r)) for r in rows],
            total=total,
            limit=query.limit,
            offset=query.offset,
        )

    @api.route(
        "GET",
        "/v1/calls/{call_id}",
        summary="One call record",
        tag="calls",
        roles=STAFF | {"external"},
        response=CallRecord,
    )
    async def get_call(request: web.Request, principal: Principal) -> CallRecord:
        async with request.app[DB].connect() as conn:
            row = await call_store.get_call(conn, request.match_info["call_id"])
            scope = await campaign_scope(conn, principal)
        if row is None:
            raise NotFound("no call with that id")
        scope.require(row["campaign_id"])
        return CallRecord.model_validate(dict(row))
