"""Lead loading over HTTP: the same streaming loader as `dialspool leads load`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from engine.auth.service import Principal
from engine.clock import utc_datetime
from engine.dialer.leads.loader import list_loads, load_leads, remove_load
from engine.http.api import ADMIN, Api
from engine.http.keys import CLOCK, CONFIG, DB
from engine.http.routes.campaigns import path_id, scoped_campaign_id
from engine.store import campaigns as campaign_store

LOADERS = frozenset({"admin", "supervisor", "external"})
CHUNK = 1 << 16


class LoadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["csv", "ucontact", "json"] = "csv"
    duplicates: Literal["skip", "update", "allow"] = "skip"
    region: str | None = Field(
        None, pattern=r"^[A-Z]{2}$", description="for numbers without a country code"
    )
    timezone: str | None = Field(None, description="IANA zone of rows that give none")
    extra: Literal["error", "ignore"] = "error"
    name: str = Field("upload", max_length=255, description="a name to list the load by")


class LineErrorOut(BaseModel):
    line: int
    field: str | None
    reason: str


class LoadReportOut(BaseModel):
    load_id: int
    campaign_id: int
    source_name: str
    format: str
    status: str
    loaded: int
    updated: int
    skipped: int
    failed: int
    errors_total: int
    errors: list[LineErrorOut]
    fatal: str | None = None


class LoadOut(BaseModel):
    id: int
    campaign_id: int
    source_name: str
    format: str
    status: str
    rows_loaded: int
    rows_failed: int
    created_at: datetime
    entries: int


class LoadList(BaseModel):
    items: list[LoadOut]


class RemovedOut(BaseModel):
    load_id: int
    entries_removed: int
    contacts_removed: int
    entries_kept: dict[str, int]
    contacts_kept: int
    load_deleted: bool


def register(api: Api) -> None:
    @api.route(
        "POST",
        "/v1/campaigns/{id}/leads",
        summary="Load leads (CSV, uContact base format or JSON), streamed",
        tag="leads",
        roles=LOADERS,
        query=LoadQuery,
        response=LoadReportOut,
        status=201,
    )
    async def load_campaign_leads(
        request: web.Request, principal: Principal, query: LoadQuery
    ) -> LoadReportOut:
        campaign_id = await scoped_campaign_id(request, principal)
        async with request.app[DB].connect() as conn:
            await campaign_store.get_campaign(conn, campaign_id)  # 404 before reading the body
        report = await load_leads(
            request.app[DB],
            campaign_id,
            request.content.iter_chunked(CHUNK),
            query.format,
            default_region=query.region or request.app[CONFIG].dialer.default_region,
            duplicate_policy=query.duplicates,
            now=utc_datetime(request.app[CLOCK].now()),
            source_name=query.name,
            extra_fields=query.extra,
            timezone=query.timezone,
        )
        return LoadReportOut.model_validate(report.as_dict())

    @api.route(
        "GET",
        "/v1/campaigns/{id}/loads",
        summary="A campaign's lead loads",
        tag="leads",
        roles=LOADERS,
        response=LoadList,
    )
    async def list_campaign_loads(request: web.Request, principal: Principal) -> LoadList:
        campaign_id = await scoped_campaign_id(request, principal)
        async with request.app[DB].connect() as conn:
            await campaign_store.get_campaign(conn, campaign_id)
        loads = await list_loads(request.app[DB], campaign_id)
        return LoadList(items=[LoadOut.model_validate(asdict(load)) for load in loads])

    @api.route(
        "DELETE",
        "/v1/loads/{id}",
        summary="Take a load back (leads not being dialled, contacts not in use)",
        tag="leads",
        roles=ADMIN,
        response=RemovedOut,
    )
    async def remove_lead_load(request: web.Request, principal: Principal) -> RemovedOut:
        done = await remove_load(request.app[DB], path_id(request))
        return RemovedOut.model_validate(asdict(done) | {"entries_kept": dict(done.entries_kept)})
