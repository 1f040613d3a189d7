"""Agents (people at phones), skills and pause reasons."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from engine.auth.service import Principal
from engine.errors import ValidationFailed
from engine.http.api import ADMIN, STAFF, Api
from engine.http.keys import DB
from engine.http.routes.campaigns import path_id
from engine.store import agents as store
from engine.store import users as user_store

_ENDPOINT = r"^(PJSIP|SIP|IAX2|Local|DAHDI)/[A-Za-z0-9._@+-]{1,120}$"


class NewAgent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=150)
    endpoint: str = Field(
        pattern=_ENDPOINT, description="the phone of the live leg, e.g. PJSIP/1001"
    )
    username: str | None = Field(None, description="the user who logs in as this agent")


class AgentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=150)
    endpoint: str | None = Field(None, pattern=_ENDPOINT)
    active: bool | None = None


class Agent(BaseModel):
    id: int
    name: str
    endpoint: str
    active: bool
    username: str | None


class AgentList(BaseModel):
    items: list[Agent]


class AgentSkill(BaseModel):
    model_config = ConfigDict(extra="forbid")
    capacity: int = Field(100, ge=0, le=100)
    enabled: bool = True


class AgentSkillOut(AgentSkill):
    skill_id: int
    name: str


class AgentSkillList(BaseModel):
    items: list[AgentSkillOut]


class NewSkill(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=150)
    description: str = Field("", max_length=2000)


class Skill(NewSkill):
    id: int


class SkillList(BaseModel):
    items: list[Skill]


class NewPauseReason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=150)
    productive: bool = False


class PauseReason(NewPauseReason):
    id: int
    active: bool


class PauseReasonList(BaseModel):
    items: list[PauseReason]


def register(api: Api) -> None:
    register_agents(api)
    register_catalogues(api)


def register_agents(api: Api) -> None:
    @api.route(
        "GET", "/v1/agents", summary="List agents", tag="agents", roles=STAFF, response=AgentList
    )
    async def list_agents(request: web.Request, principal: Principal) -> AgentList:
        async with request.app[DB].connect() as conn:
            rows = await store.list_agents(conn)
        return AgentList(items=[Agent.model_validate(dict(row)) for row in rows])

    @api.route(
        "POST",
        "/v1/agents",
        summary="Create an agent",
        tag="agents",
        roles=ADMIN,
        body=NewAgent,
        response=Agent,
        status=201,
        errors=(409,),
    )
    async def create_agent(request: web.Request, principal: Principal, body: NewAgent) -> Agent:
        async with request.app[DB].begin() as conn:
            user_id = None
            if body.username is not None:
                user = await user_store.user_by_name(conn, body.username)
                if user is None:
                    raise ValidationFailed(
                        "unknown user", [{"field": "username", "message": "no such user"}]
                    )
                user_id = user["id"]
            agent_id = await store.create_agent(
                conn, {"name": body.name, "endpoint": body.endpoint, "user_id": user_id}
            )
            return Agent.model_validate(dict(await store.get_agent(conn, agent_id)))

    @api.route(
        "GET", "/v1/agents/{id}", summary="An agent", tag="agents", roles=STAFF, response=Agent
    )
    async def get_agent(request: web.Request, principal: Principal) -> Agent:
        async with request.app[DB].connect() as conn:
            return Agent.model_validate(dict(await store.get_agent(conn, path_id(request))))

    @api.route(
        "PATCH",
        "/v1/agents/{id}",
        summary="Change an agent",
        tag="agents",
        roles=ADMIN,
        body=AgentPatch,
        response=Agent,
        errors=(409,),
    )
    async def update_agent(request: web.Request, principal: Principal, body: AgentPatch) -> Agent:
        agent_id = path_id(request)
        async with request.app[DB].begin() as conn:
            values = body.model_dump(exclude_unset=True)
            if values:
                await store.update_agent(conn, agent_id, values)
            return Agent.model_validate(dict(await store.get_agent(conn, agent_id)))

    @api.route(
        "GET",
        "/v1/agents/{id}/skills",
        summary="An agent's skills",
        tag="agents",
        roles=STAFF,
        response=AgentSkillList,
    )
    async def list_agent_skills(request: web.Request, principal: Principal) -> AgentSkillList:
        async with request.app[DB].connect() as conn:
            agent_id = path_id(request)
            await store.get_agent(conn, agent_id)
            rows = await store.agent_skill_rows(conn, agent_id)
        return AgentSkillList(items=[AgentSkillOut.model_validate(dict(r)) for r in rows])

    @api.route(
        "PUT",
        "/v1/agents/{id}/skills/{skill_id}",
        summary="Give an agent a skill (capacity 0-100)",
        tag="agents",
        roles=STAFF,
        body=AgentSkill,
        response=AgentSkillList,
    )
    async def set_agent_skill(
        request: web.Request, principal: Principal, body: AgentSkill
    ) -> AgentSkillList:
        agent_id = path_id(request)
        async with request.app[DB].begin() as conn:
            await store.set_agent_skill(
                conn, agent_id, path_id(request, "skill_id"), body.capacity, body.enabled
            )
            rows = await store.agent_skill_rows(conn, agent_id)
        return AgentSkillList(items=[AgentSkillOut.model_validate(dict(r)) for r in rows])


def register_catalogues(api: Api) -> None:
    """Skills and pause reasons."""

    @api.route(
        "GET", "/v1/skills", summary="List skills", tag="agents", roles=STAFF, response=SkillList
    )
    async def list_skills(request: web.Request, principal: Principal) -> SkillList:
        async with request.app[DB].connect() as conn:
            rows = await store.list_skills(conn)
        return SkillList(items=[Skill.model_validate(dict(row)) for row in rows])

    @api.route(
        "POST",
        "/v1/skills",
        summary="Create a skill",
        tag="agents",
        roles=ADMIN,
        body=NewSkill,
        response=Skill,
        status=201,
        errors=(409,),
    )
    async def create_skill(request: web.Request, principal: Principal, body: NewSkill) -> Skill:
        async with request.app[DB].begin() as conn:
            skill_id = await store.create_skill(conn, body.name, body.description)
        return Skill(id=skill_id, **body.model_dump())

    @api.route(
        "GET",
        "/v1/pause-reasons",
        summary="List pause reasons",
        tag="agents",
        roles=frozenset({"admin", "supervisor", "agent"}),
        response=PauseReasonList,
    )
    async def list_pause_reasons(request: web.Request, principal: Principal) -> PauseReasonList:
        async with request.app[DB].connect() as conn:
            rows = await store.list_pause_reasons(conn)
        return PauseReasonList(items=[PauseReason.model_validate(dict(row)) for row in rows])

    @api.route(
        "POST",
        "/v1/pause-reasons",
        summary="Create a pause reason",
        tag="agents",
        roles=ADMIN,
        body=NewPauseReason,
        response=PauseReason,
        status=201,
        errors=(409,),
    )
    async def create_pause_reason(
        request: web.Request, principal: Principal, body: NewPauseReason
    ) -> PauseReason:
        async with request.app[DB].begin() as conn:
            reason_id = await store.create_pause_reason(conn, body.name, body.productive)
        return PauseReason(id=reason_id, active=True, **body.model_dump())
