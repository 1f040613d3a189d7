"""Scheduled calls of a campaign: list, add, and remove by number and time range."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import insert, select

from engine.auth.service import Principal
from engine.clock import utc_datetime
from engine.dialer.leads.phones import InvalidNumber, PhoneNormalizer
from engine.errors import ValidationFailed
from engine.http.api import Api
from engine.http.keys import CLOCK, CONFIG, DB
from engine.http.routes.campaigns import scoped_campaign_id
from engine.store import campaigns as campaign_store
from engine.store import schedules as store
from engine.store.tables import contacts, scheduled_calls, spool_destinations, spool_entries

SCHEDULERS = frozenset({"admin", "supervisor", "agent", "external"})


class ScheduleQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None


class NewSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=1, max_length=40)
    at: AwareDatetime
    agent_id: int | None = Field(None, description="only this agent gets the call")
    contact_id: int | None = Field(None, description="an existing contact of the campaign")


class Scheduled(BaseModel):
    id: int
    campaign_id: int
    number: str
    call_at: datetime
    agent_id: int | None
    state: str
    lead_id: int | None = Field(None, alias="spool_entry_id")


class ScheduledList(BaseModel):
    items: list[Scheduled]


class Cancelled(BaseModel):
    cancelled: int


def _number(request: web.Request, raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return PhoneNormalizer(request.app[CONFIG].dialer.default_region).normalize(raw)
    except InvalidNumber:
        raise ValidationFailed(
            "not a valid phone number", [{"field": "number", "message": raw}]
        ) from None


def register(api: Api) -> None:
    @api.route(
        "GET",
        "/v1/campaigns/{id}/scheduled-calls",
        summary="Pending scheduled calls",
        tag="schedules",
        roles=SCHEDULERS,
        query=ScheduleQuery,
        response=ScheduledList,
    )
    async def list_scheduled_calls(
        request: web.Request, principal: Principal, query: ScheduleQuery
    ) -> ScheduledList:
        campaign_id = await scoped_campaign_id(request, principal)
        async with request.app[DB].connect() as conn:
            rows = await store.pending(
                conn, campaign_id, _number(request, query.number), query.since, query.until
            )
        return ScheduledList(items=[Scheduled.model_validate(dict(r)) for r in rows])

    @api.route(
        "POST",
        "/v1/campaigns/{id}/scheduled-calls",
        summary="Schedule a call at a time (top priority once due)",
        tag="schedules",
        roles=SCHEDULERS,
        body=NewSchedule,
        response=Scheduled,
        status=201,
    )
    async def create_scheduled_call(
        request: web.Request, principal: Principal, body: NewSchedule
    ) -> Scheduled:
        campaign_id = await scoped_campaign_id(request, principal)
        number = _number(request, body.number)
        now = utc_datetime(request.app[CLOCK].now())
        async with request.app[DB].begin() as conn:
            campaign = await campaign_store.get_campaign(conn, campaign_id)
            if campaign["contact_database_id"] is None:
                raise ValidationFailed("the campaign has no contact database")
            contact_id = body.contact_id
            if contact_id is None:
                created = await conn.execute(
                    insert(contacts)
                    .values(
                        database_id=campaign["contact_database_id"],
                        phone=number,
                        data={"phone": number},
                    )
                    .returning(contacts.c.id)
                )
                contact_id = int(created.scalar_one())
            entry = await conn.execute(
                insert(spool_entries)
                .values(
                    campaign_id=campaign_id,
                    contact_id=contact_id,
                    due_at=body.at,
                    is_callback=True,
                    bound_agent_id=body.agent_id,
                    created_at=now,
                )
                .returning(spool_entries.c.id)
            )
            entry_id = int(entry.scalar_one())
            await conn.execute(
                insert(spool_destinations).values(entry_id=entry_id, position=0, number=number)
            )
            result = await conn.execute(
                insert(scheduled_calls)
                .values(
                    campaign_id=campaign_id,
                    contact_id=contact_id,
                    spool_entry_id=entry_id,
                    number=number,
                    call_at=body.at,
                    agent_id=body.agent_id,
                )
                .returning(scheduled_calls.c.id)
            )
            row = (
                (
                    await conn.execute(
                        select(scheduled_calls).where(scheduled_calls.c.id == result.scalar_one())
                    )
                )
                .mappings()
                .one()
            )
        return Scheduled.model_validate(dict(row))

    @api.route(
        "DELETE",
        "/v1/campaigns/{id}/scheduled-calls",
        summary="Remove scheduled calls by number and time range",
        tag="schedules",
        roles=SCHEDULERS,
        query=ScheduleQuery,
        response=Cancelled,
    )
    async def cancel_scheduled_calls(
        request: web.Request, principal: Principal, query: ScheduleQuery
    ) -> Cancelled:
        if query.number is None and query.since is None and query.until is None:
            raise ValidationFailed(
                "name a number or a time range: removing every scheduled "
                "call needs since= and until="
            )
        now = utc_datetime(request.app[CLOCK].now())
        campaign_id = await scoped_campaign_id(request, principal)
        async with request.app[DB].begin() as conn:
            await campaign_store.get_campaign(conn, campaign_id)
            count = await store.cancel(
                conn,
                campaign_id,
                _number(request, query.number),
                query.since,
                query.until,
                now=now,
            )
        return Cancelled(cancelled=count)
