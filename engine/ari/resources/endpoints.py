"""`/endpoints`: agents' phones and trunks, their state and messages."""

from __future__ import annotations

import builtins
from collections.abc import Mapping

from engine.ari.models import Endpoint
from engine.ari.resources._base import Resource, variables_body
from engine.ari.rest import encode_path, parse, parse_list


class Endpoints(Resource):
    async def list(self) -> builtins.list[Endpoint]:
        return parse_list(Endpoint, await self._http.request("GET", "/endpoints"))

    async def list_by_tech(self, tech: str) -> builtins.list[Endpoint]:
        data = await self._http.request("GET", encode_path("/endpoints/{tech}", tech=tech))
        return parse_list(Endpoint, data)

    async def get(self, tech: str, resource: str) -> Endpoint:
        data = await self._http.request(
            "GET", encode_path("/endpoints/{tech}/{resource}", tech=tech, resource=resource)
        )
        return parse(Endpoint, data)

    async def send_message(
        self,
        to: str,
        from_: str,
        body: str | None = None,
        *,
        variables: Mapping[str, str] | None = None,
    ) -> None:
        await self._http.request(
            "PUT",
            "/endpoints/sendMessage",
            query={"to": to, "from": from_, "body": body},
            body=variables_body(variables),
        )

    async def send_message_to_endpoint(
        self,
        tech: str,
        resource: str,
        from_: str,
        body: str | None = None,
        *,
        variables: Mapping[str, str] | None = None,
    ) -> None:
        await self._http.request(
            "PUT",
            encode_path("/endpoints/{tech}/{resource}/sendMessage", tech=tech, resource=resource),
            query={"from": from_, "body": body},
            body=variables_body(variables),
        )

    async def refer(
        self,
        to: str,
        from_: str,
        refer_to: str,
        *,
        to_self: bool | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> None:
        await self._http.request(
            "POST",
            "/endpoints/refer",
            query={"to": to, "from": from_, "refer_to": refer_to, "to_self": to_self},
            body=variables_body(variables),
        )

    async def refer_to_endpoint(
        self,
        tech: str,
        resource: str,
        from_: str,
        refer_to: str,
        *,
        to_self: bool | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> None:
        await self._http.request(
            "POST",
            encode_path("/endpoints/{tech}/{resource}/refer", tech=tech, resource=resource),
            query={"from": from_, "refer_to": refer_to, "to_self": to_self},
            body=variables_body(variables),
        )
