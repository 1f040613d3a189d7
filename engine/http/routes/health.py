"""GET /v1/health: is the database reachable, is the PBX connected."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel
from sqlalchemy import text

from engine.http.api import Api
from engine.http.keys import DB, HEALTH_SOURCES


class Health(BaseModel):
    status: str  # "ok" when every part is, "degraded" otherwise
    database: dict[str, Any]
    components: dict[str, dict[str, Any]]


async def _database_status(request: web.Request) -> dict[str, Any]:
    engine = request.app[DB]
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not reachable"; the reason is shown
        return {"ok": False, "backend": engine.dialect.name, "error": type(exc).__name__}
    return {"ok": True, "backend": engine.dialect.name}


def register(api: Api) -> None:
    @api.route(
        "GET",
        "/v1/health",
        summary="Health of the engine",
        tag="system",
        roles=None,
        response=Health,
    )
    async def get_health(request: web.Request) -> Health:
        database = await _database_status(request)
        components = {name: src.status() for name, src in request.app[HEALTH_SOURCES].items()}
        healthy = database["ok"] and all(c.get("ok", False) for c in components.values())
        return Health(
            status="ok" if healthy else "degraded", database=database, components=components
        )
