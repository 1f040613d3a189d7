"""`/applications`: the Stasis applications and what they are subscribed to."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from engine.ari.models import Application
from engine.ari.resources._base import Resource
from engine.ari.rest import encode_path, parse, parse_list


def _path(template: str, name: str) -> str:
    return encode_path(template, applicationName=name)


class Applications(Resource):
    async def list(self) -> builtins.list[Application]:
        return parse_list(Application, await self._http.request("GET", "/applications"))

    async def get(self, name: str) -> Application:
        data = await self._http.request("GET", _path("/applications/{applicationName}", name))
        return parse(Application, data)

    async def subscribe(self, name: str, event_source: str | Sequence[str]) -> Application:
        """`event_source`: `channel:{id}`, `bridge:{id}`, `endpoint:{tech}[/{resource}]`, ..."""
        data = await self._http.request(
            "POST",
            _path("/applications/{applicationName}/subscription", name),
            query={"eventSource": event_source},
        )
        return parse(Application, data)

    async def unsubscribe(self, name: str, event_source: str | Sequence[str]) -> Application:
        data = await self._http.request(
            "DELETE",
            _path("/applications/{applicationName}/subscription", name),
            query={"eventSource": event_source},
        )
        return parse(Application, data)

    async def filter(self, name: str, event_filter: Mapping[str, Any] | None = None) -> Application:
        """Allow / disallow event types: `{"allowed": [{"type": "StasisStart"}], ...}`."""
        data = await self._http.request(
            "PUT",
            _path("/applications/{applicationName}/eventFilter", name),
            body=dict(event_filter) if event_filter is not None else None,
        )
        return parse(Application, data)
