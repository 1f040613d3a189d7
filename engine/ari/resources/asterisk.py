"""`/asterisk`: system information, dynamic configuration objects, modules, logs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from engine.ari.models import AsteriskInfo, AsteriskPing, ConfigTuple, LogChannel, Module, Variable
from engine.ari.resources._base import Resource
from engine.ari.rest import encode_path, parse, parse_list

InfoSection = Literal["build", "system", "config", "status"]


def _config_path(config_class: str, object_type: str, object_id: str) -> str:
    return encode_path(
        "/asterisk/config/dynamic/{configClass}/{objectType}/{id}",
        configClass=config_class,
        objectType=object_type,
        id=object_id,
    )


class Asterisk(Resource):
    async def info(self, only: InfoSection | Sequence[InfoSection] | None = None) -> AsteriskInfo:
        data = await self._http.request("GET", "/asterisk/info", query={"only": only})
        return parse(AsteriskInfo, data)

    async def ping(self) -> AsteriskPing:
        return parse(AsteriskPing, await self._http.request("GET", "/asterisk/ping"))

    # Dynamic configuration (sorcery), how agents' PJSIP endpoints are provisioned.

    async def get_object(
        self, config_class: str, object_type: str, object_id: str
    ) -> dict[str, str]:
        """E.g. `get_object("res_pjsip", "endpoint", "agent-1001")` -> its attributes."""
        data = await self._http.request("GET", _config_path(config_class, object_type, object_id))
        return _fields(parse_list(ConfigTuple, data))

    async def update_object(
        self,
        config_class: str,
        object_type: str,
        object_id: str,
        fields: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Create or update the object; the answer is its full set of attributes."""
        body = None
        if fields is not None:
            body = {"fields": [{"attribute": k, "value": v} for k, v in fields.items()]}
        data = await self._http.request(
            "PUT", _config_path(config_class, object_type, object_id), body=body
        )
        return _fields(parse_list(ConfigTuple, data))

    async def delete_object(self, config_class: str, object_type: str, object_id: str) -> None:
        await self._http.request("DELETE", _config_path(config_class, object_type, object_id))

    async def list_modules(self) -> list[Module]:
        return parse_list(Module, await self._http.request("GET", "/asterisk/modules"))

    async def get_module(self, name: str) -> Module:
        data = await self._http.request("GET", _module(name))
        return parse(Module, data)

    async def load_module(self, name: str) -> None:
        await self._http.request("POST", _module(name))

    async def unload_module(self, name: str) -> None:
        await self._http.request("DELETE", _module(name))

    async def reload_module(self, name: str) -> None:
        await self._http.request("PUT", _module(name))

    async def list_log_channels(self) -> list[LogChannel]:
        return parse_list(LogChannel, await self._http.request("GET", "/asterisk/logging"))

    async def add_log(self, name: str, configuration: str) -> None:
        await self._http.request("POST", _log(name), query={"configuration": configuration})

    async def delete_log(self, name: str) -> None:
        await self._http.request("DELETE", _log(name))

    async def rotate_log(self, name: str) -> None:
        await self._http.request("PUT", _log(name) + "/rotate")

    async def get_global_var(self, variable: str) -> str:
        data = await self._http.request("GET", "/asterisk/variable", query={"variable": variable})
        return parse(Variable, data).value

    async def set_global_var(self, variable: str, value: str | None = None) -> None:
        await self._http.request(
            "POST", "/asterisk/variable", query={"variable": variable, "value": value}
        )


def _module(name: str) -> str:
    return encode_path("/asterisk/modules/{moduleName}", moduleName=name)


def _log(name: str) -> str:
    return encode_path("/asterisk/logging/{logChannelName}", logChannelName=name)


def _fields(tuples: list[ConfigTuple]) -> dict[str, str]:
    return {t.attribute: t.value for t in tuples}
