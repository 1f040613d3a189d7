"""Agent sessions (log-in, pause, wrap-up) and live status of agents and campaigns."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.agents.sessions import AgentSession
from engine.auth.service import Principal
from engine.errors import Conflict, Forbidden, ValidationFailed
from engine.http.api import STAFF, Api
from engine.http.keys import CLOCK, DB
from engine.http.routes.campaigns import path_id
from engine.http.scope import request_scope
from engine.store import agents as agent_store
from engine.store import campaigns as campaign_store
from engine.telephony import RUNTIME, Runtime

PEOPLE = frozenset({"admin", "supervisor", "agent"})


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign_ids: list[int] | None = Field(
        None, description="the campaigns to work on; all the agent's campaigns when omitted"
    )


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=150)


class SuperviseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["listen", "whisper", "barge"]
    endpoint: str = Field(
        pattern=r"^(PJSIP|SIP|IAX2|Local)/[A-Za-z0-9._@+-]{1,120}$",
        description="the supervisor's phone",
    )


class Supervising(BaseModel):
    supervision_id: str
    mode: str
    agent_id: int


class AgentStatus(BaseModel):
    agent_id: int
    name: str
    state: str
    since: float
    seconds_in_state: float
    pause_reason: str | None
    call_id: str | None
    campaign_ids: list[int]


class AgentStatusList(BaseModel):
    items: list[AgentStatus]


class CampaignLive(BaseModel):
    campaign_id: int
    name: str
    status: str
    mode: str
    agents_logged_in: int
    agents_available: int
    agents_paused: int
    agents_busy: int
    calls_dialling: int
    callers_waiting: int
    dialled: int
    answered: int
    connected: int
    abandoned: int
    abandon_rate_percent: float
    completed: int
    average_hold_seconds: float
    average_talk_seconds: float
    longest_hold_now_seconds: float
    service_level_percent: float | None = Field(
        description="connected within 20 s, of callers answered and resolved"
    )
    outcomes: dict[str, int]


class CampaignLiveList(BaseModel):
    items: list[CampaignLive]


def runtime_of(request: web.Request) -> Runtime:
    runtime = request.app.get(RUNTIME)
    if runtime is None:
        raise Conflict("telephony is disabled in this engine's configuration (ari.enabled)")
    return runtime


def _status(session: AgentSession, now: float) -> AgentStatus:
    since = session.state.since.timestamp()
    return AgentStatus(
        agent_id=session.agent_id,
        name=session.name,
        state=session.status.value,
        since=since,
        seconds_in_state=round(max(0.0, now - since), 3),
        pause_reason=session.state.pause_reason,
        call_id=session.state.call_id,
        campaign_ids=sorted(session.campaigns),
    )


async def _check_pause_reason(request: web.Request, reason: str) -> None:
    """Once an admin has configured pause reasons, only those may be given."""
    async with request.app[DB].connect() as conn:
        reasons = {r["name"] for r in await agent_store.list_pause_reasons(conn) if r["active"]}
    if reasons and reason not in reasons:
        raise ValidationFailed(
            "not a configured pause reason",
            [{"field": "reason", "message": f"one of: {', '.join(sorted(reasons))}"}],
        )


async def _own_agent(conn: AsyncConnection, principal: Principal, agent_id: int) -> None:
    """Agents act on themselves only; staff on anyone."""
    if principal.role in STAFF:
        return
    agent = await agent_store.get_agent(conn, agent_id)
    if principal.kind != "user" or agent["user_id"] != principal.id:
        raise Forbidden("agents may only act on their own session", {"agent_id": agent_id})


async def checked_agent(request: web.Request, principal: Principal) -> int:
    agent_id = path_id(request)
    async with request.app[DB].connect() as conn:
        await _own_agent(conn, principal, agent_id)
    return agent_id


def register(api: Api) -> None:
    @api.route(
        "POST",
        "/v1/agents/{id}/login",
        summary="Log the agent in: its phone is called",
        tag="agent sessions",
        roles=PEOPLE,
        body=LoginBody,
        response=AgentStatus,
        errors=(409,),
    )
    async def agent_login(
        request: web.Request, principal: Principal, body: LoginBody
    ) -> AgentStatus:
        runtime = runtime_of(request)
        agent_id = path_id(request)
        async with request.app[DB].connect() as conn:
            await _own_agent(conn, principal, agent_id)
            agent = await agent_store.get_agent(conn, agent_id)
            assigned = set(await campaign_store.campaigns_of_agent(conn, agent_id))
            skills = {
                row["skill_id"]: row["capacity"]
                for row in await agent_store.agent_skill_rows(conn, agent_id)
                if row["enabled"]
            }
        if not agent["active"]:
            raise Conflict("this agent is deactivated")
        wanted = set(body.campaign_ids) if body.campaign_ids is not None else assigned
        if not wanted <= assigned:
            raise ValidationFailed(
                "the agent is not assigned to these campaigns",
                [
                    {
                        "field": "campaign_ids",
                        "message": f"not assigned: {sorted(wanted - assigned)}",
                    }
                ],
            )
        session = await runtime.sessions.login(
            agent_id, agent["name"], agent["endpoint"], frozenset(wanted), skills
        )
        return _status(session, request.app[CLOCK].now())

    @api.route(
        "POST",
        "/v1/agents/{id}/logout",
        summary="Log out: the live leg is hung up",
        tag="agent sessions",
        roles=PEOPLE,
        status=204,
        errors=(409,),
    )
    async def agent_logout(request: web.Request, principal: Principal) -> None:
        await runtime_of(request).sessions.logout(await checked_agent(request, principal))

    @api.route(
        "POST",
        "/v1/agents/{id}/pause",
        summary="Pause with a reason",
        tag="agent sessions",
        roles=PEOPLE,
        body=PauseBody,
        response=AgentStatus,
        errors=(409,),
    )
    async def agent_pause(
        request: web.Request, principal: Principal, body: PauseBody
    ) -> AgentStatus:
        agent_id = await checked_agent(request, principal)
        await _check_pause_reason(request, body.reason)
        session = runtime_of(request).sessions.pause(agent_id, body.reason)
        return _status(session, request.app[CLOCK].now())

    for action, summary in (
        ("unpause", "Back to work"),
        ("wrapup-done", "End the wrap-up now"),
        ("reconnect", "Call the agent's phone again after the leg dropped"),
    ):
        _register_action(api, action, summary)

    @api.route(
        "GET",
        "/v1/agents/{id}/status",
        summary="An agent's live state",
        tag="agent sessions",
        roles=PEOPLE,
        response=AgentStatus,
    )
    async def agent_status(request: web.Request, principal: Principal) -> AgentStatus:
        agent_id = await checked_agent(request, principal)
        return _status(runtime_of(request).sessions.get(agent_id), request.app[CLOCK].now())

    register_supervision(api)


def register_supervision(api: Api) -> None:
    @api.route(
        "POST",
        "/v1/agents/{id}/supervise",
        summary="Listen to, whisper to or barge in on an agent (via snoop channels)",
        tag="supervision",
        roles=STAFF,
        body=SuperviseBody,
        response=Supervising,
        status=201,
        errors=(409,),
    )
    async def supervise_agent(
        request: web.Request, principal: Principal, body: SuperviseBody
    ) -> Supervising:
        runtime = runtime_of(request)
        session = runtime.sessions.get(path_id(request))
        scope = await request_scope(request, principal)
        if not scope.allows_any(session.campaigns):
            raise Forbidden(
                "this agent works on none of the campaigns you supervise",
                {"agent_id": session.agent_id},
            )
        started = await runtime.supervision.start(body.mode, session, body.endpoint)
        return Supervising(supervision_id=started.id, mode=started.mode, agent_id=started.agent_id)

    @api.route(
        "DELETE",
        "/v1/supervisions/{supervision_id}",
        summary="Stop supervising",
        tag="supervision",
        roles=STAFF,
        status=204,
    )
    async def stop_supervision(request: web.Request, principal: Principal) -> None:
        await runtime_of(request).supervision.stop(request.match_info["supervision_id"])

    @api.route(
        "GET",
        "/v1/live/agents",
        summary="Every logged-in agent's live state",
        tag="supervision",
        roles=STAFF,
        response=AgentStatusList,
    )
    async def live_agents(request: web.Request, principal: Principal) -> AgentStatusList:
        now = request.app[CLOCK].now()
        scope = await request_scope(request, principal)
        sessions = runtime_of(request).sessions.all()
        return AgentStatusList(
            items=[_status(s, now) for s in sessions if scope.allows_any(s.campaigns)]
        )

    @api.route(
        "GET",
        "/v1/live/campaigns",
        summary="Live figures of the active campaigns",
        tag="supervision",
        roles=STAFF,
        response=CampaignLiveList,
    )
    async def live_campaigns(request: web.Request, principal: Principal) -> CampaignLiveList:
        scope = await request_scope(request, principal)
        figures = campaign_figures(runtime_of(request))
        return CampaignLiveList(items=[f for f in figures if scope.allows(f.campaign_id)])


def campaign_figures(runtime: Runtime, now: float | None = None) -> list[CampaignLive]:
    now = runtime.ari.clock.now() if now is None else now
    items = []
    for runner in runtime.dialer.runners.values():
        agents = runtime.sessions.of_campaign(runner.id)
        states = [s.status.value for s in agents]
        counters = runner.counters
        items.append(
            CampaignLive(
                campaign_id=runner.id,
                name=runner.campaign.name,
                status=runner.campaign.status,
                mode=runner.campaign.mode,
                agents_logged_in=len(agents),
                agents_available=states.count("idle"),
                agents_paused=states.count("paused") + states.count("disconnected"),
                agents_busy=sum(
                    states.count(s) for s in ("reserved", "ringing", "talking", "wrap_up")
                ),
                calls_dialling=sum(1 for c in runner.live.values() if c.answered_at is None),
                callers_waiting=runtime.router.waiting_count(runner.id),
                dialled=counters.dialled,
                answered=counters.live,
                connected=counters.routed,
                abandoned=counters.abandoned,
                abandon_rate_percent=round(100 * counters.abandoned / counters.live, 2)
                if counters.live
                else 0.0,
                completed=counters.completed,
                average_hold_seconds=_mean(counters.hold_seconds, counters.routed),
                average_talk_seconds=_mean(counters.talk_seconds, counters.completed),
                longest_hold_now_seconds=round(
                    max((now - t for t in runtime.router.waiting_since(runner.id)), default=0.0),
                    2,
                ),
                service_level_percent=_percent(
                    counters.within_service_level, counters.routed + counters.abandoned
                ),
                outcomes=dict(counters.outcomes),
            )
        )
    return items


def _mean(total: float, count: int) -> float:
    return round(total / count, 2) if count else 0.0


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _register_action(api: Api, action: str, summary: str) -> None:
    async def handler(request: web.Request, principal: Principal) -> AgentStatus:
        agent_id = await checked_agent(request, principal)
        sessions = runtime_of(request).sessions
        if action == "unpause":
            session = sessions.unpause(agent_id)
        elif action == "wrapup-done":
            session = sessions.wrapup_done(agent_id)
        else:
            session = await sessions.reconnect(agent_id)
        return _status(session, request.app[CLOCK].now())

    handler.__name__ = "agent_" + action.replace("-", "_")
    api.route(
        "POST",
        f"/v1/agents/{{id}}/{action}",
        summary=summary,
        tag="agent sessions",
        roles=PEOPLE,
        response=AgentStatus,
        errors=(409,),
    )(handler)
