"""The campaign scope of the principal behind a request (see engine/auth/scope.py)."""

from __future__ import annotations

from aiohttp import web

from engine.auth.scope import CampaignScope, campaign_scope
from engine.auth.service import Principal
from engine.http.keys import DB


async def request_scope(request: web.Request, principal: Principal) -> CampaignScope:
    async with request.app[DB].connect() as conn:
        return await campaign_scope(conn, principal)
