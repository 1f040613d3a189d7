"""The spool seen from outside: DNC lists, "why is this lead not dialled?", compliance."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from engine.auth.service import Principal
from engine.clock import utc_datetime
from engine.dialer import compliance
from engine.dialer.explain import explain_entry, tally_campaign
from engine.dialer.leads.phones import InvalidNumber, PhoneNormalizer
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.http.api import ADMIN, STAFF, Api
from engine.http.keys import CLOCK, CONFIG, DB
from engine.http.routes.campaigns import path_id, scoped_campaign_id
from engine.store import campaigns as campaign_store
from engine.store import spool as store

DNC_READERS = frozenset({"admin", "supervisor", "external"})


class NewDncList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=150)
    campaign_id: int | None = Field(None, description="None: the list applies to every campaign")


class DncList(BaseModel):
    id: int
    name: str
    campaign_id: int | None
    numbers: int = 0


class DncListList(BaseModel):
    items: list[DncList]


class DncNumbers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    numbers: list[str] = Field(min_length=1, max_length=10_000)
    reason: str = Field("", max_length=255)
    expires_at: AwareDatetime | None = None


class DncAdded(BaseModel):
    added: int
    already_listed: int


class DncCheckQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=1, max_length=40)
    campaign_id: int | None = None


class DncHit(BaseModel):
    list_id: int = Field(alias="id")
    name: str
    reason: str
    expires_at: datetime | None


class DncCheck(BaseModel):
    number: str
    blocked: bool
    lists: list[DncHit]


class WhyReason(BaseModel):
    rule: str
    lifts_at: datetime | None = Field(description="None: never by itself")
    destination: int | None = Field(description="the number's position; None: the whole lead")


class LeadWhy(BaseModel):
    lead_id: int
    eligible: bool
    number: str | None = Field(description="the number it would dial now")
    reasons: list[WhyReason]
    next_eligible_at: datetime | None
    final: bool = Field(description="it can never be dialled again")


class CampaignWhy(BaseModel):
    campaign_id: int
    waiting: int
    eligible_now: int
    blocked: dict[str, int]
    sampled: bool


class Rate(BaseModel):
    live_answered: int
    abandoned: int
    percent: float


class ComplianceOut(BaseModel):
    campaign_id: int
    at: datetime
    abandon_24h: Rate
    abandon_30d: Rate
    attempts_by_hour: dict[str, int]
    blocked_now: dict[str, int]


def _normalize(request: web.Request, numbers: list[str]) -> list[str]:
    phones = PhoneNormalizer(request.app[CONFIG].dialer.default_region)
    out, bad = [], []
    for index, raw in enumerate(numbers):
        try:
            out.append(phones.normalize(raw))
        except InvalidNumber:
            bad.append({"field": f"numbers.{index}", "message": f"not a valid number: {raw!r}"})
    if bad:
        raise ValidationFailed("invalid numbers; nothing was added", bad)
    return out


def register(api: Api) -> None:
    register_dnc(api)

    @api.route(
        "GET",
        "/v1/leads/{id}/why",
        summary="Why is this lead (spool entry) not dialled?",
        tag="spool",
        roles=STAFF,
        response=LeadWhy,
    )
    async def why_lead(request: web.Request, principal: Principal) -> LeadWhy:
        now = utc_datetime(request.app[CLOCK].now())
        async with request.app[DB].connect() as conn:
            verdict = await explain_entry(conn, path_id(request), now)
        return LeadWhy(
            lead_id=verdict.entry_id,
            eligible=verdict.eligible,
            number=verdict.destination.number if verdict.destination else None,
            reasons=[
                WhyReason(rule=r.block.value, lifts_at=r.lifts_at, destination=r.position)
                for r in verdict.reasons
            ],
            next_eligible_at=verdict.next_eligible_at,
            final=verdict.final,
        )

    @api.route(
        "GET",
        "/v1/campaigns/{id}/why",
        summary="Waiting leads per blocking rule (why the hopper is empty)",
        tag="spool",
        roles=STAFF,
        response=CampaignWhy,
    )
    async def why_campaign(request: web.Request, principal: Principal) -> CampaignWhy:
        now = utc_datetime(request.app[CLOCK].now())
        campaign_id = await scoped_campaign_id(request, principal)
        async with request.app[DB].connect() as conn:
            tally = await tally_campaign(conn, campaign_id, now)
        return CampaignWhy(**tally.__dict__)

    @api.route(
        "GET",
        "/v1/campaigns/{id}/compliance",
        summary="Abandon rates (24 h, 30 days), attempts by hour, blocked dials",
        tag="spool",
        roles=STAFF,
        response=ComplianceOut,
    )
    async def campaign_compliance(request: web.Request, principal: Principal) -> ComplianceOut:
        now = utc_datetime(request.app[CLOCK].now())
        campaign_id = await scoped_campaign_id(request, principal)
        async with request.app[DB].connect() as conn:
            found = await compliance.report(conn, campaign_id, now)
        return ComplianceOut(
            campaign_id=found.campaign_id,
            at=found.at,
            abandon_24h=Rate(**found.abandon_24h.__dict__, percent=found.abandon_24h.percent),
            abandon_30d=Rate(**found.abandon_30d.__dict__, percent=found.abandon_30d.percent),
            attempts_by_hour=found.attempts_by_hour,
            blocked_now=found.blocked_now,
        )


def register_dnc(api: Api) -> None:
    @api.route(
        "GET",
        "/v1/dnc-lists",
        summary="Do-not-call lists",
        tag="dnc",
        roles=DNC_READERS,
        response=DncListList,
    )
    async def list_dnc_lists(request: web.Request, principal: Principal) -> DncListList:
        async with request.app[DB].connect() as conn:
            rows = await store.dnc_lists_all(conn)
        return DncListList(items=[DncList.model_validate(dict(r)) for r in rows])

    @api.route(
        "POST",
        "/v1/dnc-lists",
        summary="Create a do-not-call list",
        tag="dnc",
        roles=ADMIN,
        body=NewDncList,
        response=DncList,
        status=201,
        errors=(409,),
    )
    async def create_dnc_list(
        request: web.Request, principal: Principal, body: NewDncList
    ) -> DncList:
        async with request.app[DB].begin() as conn:
            if body.campaign_id is not None:
                await campaign_store.get_campaign(conn, body.campaign_id)
            if any(r["name"] == body.name for r in await store.dnc_lists_all(conn)):
                raise Conflict(f"a DNC list named {body.name!r} exists")
            list_id = await store.dnc_list_id(conn, body.name, body.campaign_id)
        return DncList(id=list_id, name=body.name, campaign_id=body.campaign_id)

    @api.route(
        "POST",
        "/v1/dnc-lists/{id}/numbers",
        summary="Add numbers to a DNC list",
        tag="dnc",
        roles=frozenset({"admin", "supervisor", "external"}),
        body=DncNumbers,
        response=DncAdded,
    )
    async def add_dnc_numbers(
        request: web.Request, principal: Principal, body: DncNumbers
    ) -> DncAdded:
        numbers = _normalize(request, body.numbers)
        async with request.app[DB].begin() as conn:
            found = await store.dnc_list(conn, path_id(request))
            if found is None:
                raise NotFound(f"no DNC list {path_id(request)}")
            added = await store.add_to_dnc(
                conn, found["name"], numbers, reason=body.reason, expires_at=body.expires_at
            )
        return DncAdded(added=added, already_listed=len(set(numbers)) - added)

    @api.route(
        "DELETE",
        "/v1/dnc-lists/{id}/numbers/{number}",
        summary="Take a number off a DNC list",
        tag="dnc",
        roles=ADMIN,
        status=204,
    )
    async def remove_dnc_number(request: web.Request, principal: Principal) -> None:
        [number] = _normalize(request, [request.match_info["number"]])
        async with request.app[DB].begin() as conn:
            if not await store.remove_from_dnc(conn, path_id(request), number):
                raise NotFound("that number is not on that list", {"number": number})

    @api.route(
        "GET",
        "/v1/dnc/check",
        summary="Is this number blocked (for a campaign)?",
        tag="dnc",
        roles=DNC_READERS,
        query=DncCheckQuery,
        response=DncCheck,
    )
    async def check_dnc(
        request: web.Request, principal: Principal, query: DncCheckQuery
    ) -> DncCheck:
        [number] = _normalize(request, [query.number])
        now = utc_datetime(request.app[CLOCK].now())
        async with request.app[DB].connect() as conn:
            hits = await store.dnc_hits(conn, number, query.campaign_id, now)
        return DncCheck(
            number=number, blocked=bool(hits), lists=[DncHit.model_validate(dict(h)) for h in hits]
        )
