"""GET /v1/events: the live event stream over a WebSocket.

Agent state changes, call events and screen-pops, as JSON text frames.
Agents see only their own events; supervisors the campaigns they supervise
(all, while none is assigned to them); admins everything. A client too slow
to read loses its oldest events and is told how many in a `dropped` frame.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from aiohttp import WSMsgType, web

from engine.auth.scope import campaign_scope
from engine.auth.service import Principal
from engine.errors import Forbidden
from engine.events import EngineEvent, Subscriber
from engine.http.api import Api
from engine.http.keys import DB
from engine.http.routes.live import PEOPLE, runtime_of
from engine.store import agents as agent_store

HEARTBEAT_SECONDS = 30.0


async def _filter(request: web.Request, principal: Principal) -> Callable[[EngineEvent], bool]:
    if principal.role == "admin":
        return lambda event: True
    async with request.app[DB].connect() as conn:
        if principal.role == "agent":
            agent = await agent_store.agent_for_user(conn, principal.id)
            if agent is None:
                raise Forbidden("this user is not an agent")
            agent_id = int(agent["id"])
            return lambda event: event.agent_id == agent_id
        scope = await campaign_scope(conn, principal)
    return lambda event: scope.allows(event.campaign_id)


async def _pump(ws: web.WebSocketResponse, subscriber: Subscriber) -> None:
    while True:
        event: EngineEvent = await subscriber.queue.get()
        if subscriber.dropped:
            await ws.send_json({"type": "dropped", "count": subscriber.dropped})
            subscriber.dropped = 0
        await ws.send_json(event.as_json())


def register(api: Api) -> None:
    @api.route(
        "GET",
        "/v1/events",
        summary="Live events (WebSocket; ?access_token= allowed)",
        tag="events",
        roles=PEOPLE,
        query_token=True,
    )
    async def events_socket(request: web.Request, principal: Principal) -> web.WebSocketResponse:
        runtime = runtime_of(request)
        accepts = await _filter(request, principal)
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS)
        await ws.prepare(request)
        subscriber = runtime.bus.subscribe(accepts)
        pump = asyncio.create_task(_pump(ws, subscriber))
        try:
            await ws.send_json({"type": "hello", "role": principal.role, "name": principal.name})
            async for message in ws:  # the client only closes; anything else is ignored
                if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            runtime.bus.unsubscribe(subscriber)
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await pump
        return ws
