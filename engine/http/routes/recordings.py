"""Call recordings: on-demand control of live calls, search, tags, download, signed URLs."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.engine import RowMapping

from engine.auth.service import Principal, require_role
from engine.errors import InvalidInput, NotFound
from engine.http.api import Api, authenticate
from engine.http.routes.campaigns import path_id
from engine.recordings.layout import CALL_UUID, FORMATS
from engine.recordings.search import RecordingQuery, encode_cursor
from engine.recordings.service import RECORDINGS, Action

PEOPLE = frozenset({"admin", "supervisor", "agent"})
_TAG = re.compile(r"^[\w .:/+-]{1,50}$")


class Recording(BaseModel):
    id: int
    call_id: str | None = Field(description="the call's uuid")
    campaign_id: int | None
    agent_id: int | None
    number: str | None
    source: str | None
    direction: str | None
    format: str
    duration_seconds: float | None
    size_bytes: int | None
    tags: list[str]
    disposition: str | None
    call_started_at: datetime | None
    created_at: datetime
    file_url: str


class RecordingPage(BaseModel):
    items: list[Recording]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


class Tags(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: list[str] = Field(max_length=50)

    @field_validator("tags")
    @classmethod
    def _clean(cls, tags: list[str]) -> list[str]:
        cleaned = list(dict.fromkeys(tag.strip() for tag in tags))
        bad = [tag for tag in cleaned if not _TAG.match(tag)]
        if bad:
            raise ValueError(f"tags are 1 to 50 letters, digits, spaces or .:/+-_ ({bad[:3]})")
        return cleaned


class FileQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    access_token: str | None = Field(
        None, max_length=200, description="from signed-url; replaces the Authorization header"
    )


class SignedUrlQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ttl_seconds: int = Field(300, ge=10, le=86_400)


class SignedUrl(BaseModel):
    url: str
    expires_at: datetime


class RecordingControl(BaseModel):
    call_id: str
    state: Literal["recording", "paused", "stopped"]


def _recording(row: RowMapping) -> Recording:
    return Recording(
        id=row["id"],
        call_id=row["call_uuid"],
        campaign_id=row["campaign_id"],
        agent_id=row["agent_id"],
        number=row["number"],
        source=row["source"],
        direction=row["direction"],
        format=row["format"],
        duration_seconds=row["duration_seconds"],
        size_bytes=row["size_bytes"],
        tags=list(row["tags"] or []),
        disposition=row["disposition"],
        call_started_at=row["call_started_at"],
        created_at=row["created_at"],
        file_url=f"/v1/recordings/{row['id']}/file",
    )


def _call_id(request: web.Request) -> str:
    raw = request.match_info["call_id"]
    if not CALL_UUID.match(raw):
        raise InvalidInput("call_id is not a call uuid", {"call_id": raw[:80]})
    return raw


async def _file_response(request: web.Request, row: RowMapping) -> web.FileResponse:
    service = request.app[RECORDINGS]
    path = service.file_of(row)
    fmt = FORMATS.get(row["format"])
    response = web.FileResponse(path, chunk_size=64 * 1024)
    response.content_type = fmt.content_type if fmt else "application/octet-stream"
    response.headers["Content-Disposition"] = f'attachment; filename="{path.name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def register(api: Api) -> None:
    @api.route(
        "GET",
        "/v1/recordings",
        summary="Search recordings (newest first); agents see their own calls only",
        tag="recordings",
        roles=PEOPLE,
        query=RecordingQuery,
        response=RecordingPage,
    )
    async def search_recordings(
        request: web.Request, principal: Principal, query: RecordingQuery
    ) -> RecordingPage:
        rows, more = await request.app[RECORDINGS].search(principal, query.to_filter())
        items = [_recording(row) for row in rows]
        return RecordingPage(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)

    @api.route(
        "GET",
        "/v1/recordings/{id}",
        summary="A recording",
        tag="recordings",
        roles=PEOPLE,
        response=Recording,
    )
    async def get_recording(request: web.Request, principal: Principal) -> Recording:
        return _recording(await request.app[RECORDINGS].get(principal, path_id(request)))

    @api.route(
        "PUT",
        "/v1/recordings/{id}/tags",
        summary="Replace a recording's tags",
        tag="recordings",
        roles=PEOPLE,
        body=Tags,
        response=Recording,
    )
    async def set_recording_tags(
        request: web.Request, principal: Principal, body: Tags
    ) -> Recording:
        service = request.app[RECORDINGS]
        return _recording(await service.set_tags(principal, path_id(request), body.tags))

    @api.route(
        "GET",
        "/v1/recordings/{id}/file",
        summary="The audio, with Range support; a bearer token or a signed URL's access_token",
        tag="recordings",
        roles=None,
        query=FileQuery,
        errors=(401, 403, 416),
    )
    async def recording_file(request: web.Request, query: FileQuery) -> web.StreamResponse:
        service = request.app[RECORDINGS]
        recording_id = path_id(request)
        if query.access_token is not None:
            row = await service.get_signed(recording_id, query.access_token)
        else:
            principal = await authenticate(request)
            require_role(principal, PEOPLE)
            row = await service.get(principal, recording_id)
        present = await asyncio.get_running_loop().run_in_executor(
            None, service.file_of(row).is_file
        )
        if not present:
            raise NotFound("the recording's file is missing", {"recording_id": recording_id})
        return await _file_response(request, row)

    @api.route(
        "POST",
        "/v1/recordings/{id}/signed-url",
        summary="A link to the audio that works without credentials until it expires",
        tag="recordings",
        roles=PEOPLE,
        query=SignedUrlQuery,
        response=SignedUrl,
    )
    async def sign_recording_url(
        request: web.Request, principal: Principal, query: SignedUrlQuery
    ) -> SignedUrl:
        service = request.app[RECORDINGS]
        recording_id = path_id(request)
        await service.get(principal, recording_id)
        token, expires = service.sign(recording_id, query.ttl_seconds)
        url = request.url.with_path(f"/v1/recordings/{recording_id}/file").with_query(
            access_token=token
        )
        return SignedUrl(url=str(url), expires_at=datetime.fromtimestamp(expires, tz=UTC))

    controls: tuple[tuple[Action, str], ...] = (
        ("start", "Start recording a live call (campaigns recording on demand or always)"),
        ("stop", "Stop recording a live call; the file is stored"),
        ("pause", "Pause a live call's recording (e.g. while a card number is read out)"),
        ("unpause", "Resume a paused recording"),
    )
    for action, summary in controls:
        _register_control(api, action, summary)


def _register_control(api: Api, action: Action, summary: str) -> None:
    async def handler(request: web.Request, principal: Principal) -> RecordingControl:
        call_id = _call_id(request)
        state = await request.app[RECORDINGS].control(principal, call_id, action)
        return RecordingControl(call_id=call_id, state=state or "stopped")

    handler.__name__ = f"recording_{action}"
    api.route(
        "POST",
        f"/v1/calls/{{call_id}}/recording/{action}",
        summary=summary,
        tag="recordings",
        roles=PEOPLE,
        response=RecordingControl,
        errors=(409,),
    )(handler)
