"""Preview dialling for agents: next lead, dial it, or skip it with a reason."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from engine.auth.service import Principal
from engine.dialer import preview
from engine.dialer.runner import CampaignRunner
from engine.errors import Conflict
from engine.http.api import Api
from engine.http.routes.campaigns import path_id
from engine.http.routes.live import PEOPLE, checked_agent, runtime_of
from engine.telephony import Runtime

DESK: web.AppKey[preview.PreviewDesk] = web.AppKey("preview_desk", preview.PreviewDesk)


class NextLead(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign_id: int


class Skip(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=200)


class LeadOut(BaseModel):
    lead_id: int
    campaign_id: int
    number: str
    contact: dict[str, Any]
    external_id: str | None


class Dialled(BaseModel):
    call_id: str
    lead_id: int
    number: str


def _runner(runtime: Runtime, campaign_id: int) -> CampaignRunner:
    runner = runtime.dialer.runners.get(campaign_id)
    if runner is None or runner.campaign.status != "running":
        raise Conflict("the campaign is not running", {"campaign_id": campaign_id})
    if runner.campaign.mode != "preview":
        raise Conflict("the campaign is not a preview campaign", {"mode": runner.campaign.mode})
    return runner


def _desk(request: web.Request) -> preview.PreviewDesk:
    desk = request.app.get(DESK)
    if desk is None:
        raise Conflict("telephony is disabled in this engine's configuration (ari.enabled)")
    return desk


def register(api: Api) -> None:
    @api.route(
        "POST",
        "/v1/agents/{id}/preview/next",
        summary="Claim the agent's next lead to preview (204: none left now)",
        tag="preview",
        roles=PEOPLE,
        body=NextLead,
        response=LeadOut,
        errors=(409,),
    )
    async def preview_next(
        request: web.Request, principal: Principal, body: NextLead
    ) -> LeadOut | None:
        agent_id = await checked_agent(request, principal)
        runtime = runtime_of(request)
        session = runtime.sessions.get(agent_id)
        if body.campaign_id not in session.campaigns:
            raise Conflict("the agent is not working on this campaign")
        lead = await preview.next_lead(_runner(runtime, body.campaign_id), session)
        if lead is None:
            return None
        _desk(request).offered(agent_id, lead)
        return LeadOut(
            lead_id=lead.lead_id,
            campaign_id=lead.campaign_id,
            number=lead.number,
            contact=lead.contact,
            external_id=lead.external_id,
        )

    @api.route(
        "POST",
        "/v1/agents/{id}/preview/{lead_id}/dial",
        summary="Dial the previewed lead on the agent's live leg",
        tag="preview",
        roles=PEOPLE,
        response=Dialled,
        status=201,
        errors=(409,),
    )
    async def preview_dial(request: web.Request, principal: Principal) -> Dialled:
        agent_id = await checked_agent(request, principal)
        runtime = runtime_of(request)
        lead = _desk(request).peek(agent_id, path_id(request, "lead_id"))
        call_id = await preview.dial(
            _runner(runtime, lead.campaign_id), runtime.sessions.get(agent_id), lead
        )
        _desk(request).take(agent_id, lead.lead_id)
        return Dialled(call_id=call_id, lead_id=lead.lead_id, number=lead.number)

    @api.route(
        "POST",
        "/v1/agents/{id}/preview/{lead_id}/skip",
        summary="Skip the previewed lead (offered again later)",
        tag="preview",
        roles=PEOPLE,
        body=Skip,
        status=204,
        errors=(409,),
    )
    async def preview_skip(request: web.Request, principal: Principal, body: Skip) -> None:
        agent_id = await checked_agent(request, principal)
        lead = _desk(request).peek(agent_id, path_id(request, "lead_id"))
        await preview.skip(
            _runner(runtime_of(request), lead.campaign_id), agent_id, lead.lead_id, body.reason
        )
        _desk(request).take(agent_id, lead.lead_id)
