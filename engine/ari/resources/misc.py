"""The small resources: device states, mailboxes, sounds, user events and claims."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Literal

from engine.ari.models import DeviceState, Mailbox, Sound
from engine.ari.resources._base import Resource, variables_body
from engine.ari.rest import encode_path, parse, parse_list

DeviceStateValue = Literal[
    "NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD"
]


class DeviceStates(Resource):
    """Custom device states (`Stasis:<name>`), e.g. to light an agent's BLF key."""

    async def list(self) -> builtins.list[DeviceState]:
        return parse_list(DeviceState, await self._http.request("GET", "/deviceStates"))

    async def get(self, name: str) -> DeviceState:
        data = await self._http.request("GET", _device(name))
        return parse(DeviceState, data)

    async def update(self, name: str, state: DeviceStateValue) -> None:
        await self._http.request("PUT", _device(name), query={"deviceState": state})

    async def delete(self, name: str) -> None:
        await self._http.request("DELETE", _device(name))


class Mailboxes(Resource):
    async def list(self) -> builtins.list[Mailbox]:
        return parse_list(Mailbox, await self._http.request("GET", "/mailboxes"))

    async def get(self, name: str) -> Mailbox:
        return parse(Mailbox, await self._http.request("GET", _mailbox(name)))

    async def update(self, name: str, old_messages: int, new_messages: int) -> None:
        await self._http.request(
            "PUT",
            _mailbox(name),
            query={"oldMessages": old_messages, "newMessages": new_messages},
        )

    async def delete(self, name: str) -> None:
        await self._http.request("DELETE", _mailbox(name))


class Sounds(Resource):
    async def list(
        self, *, lang: str | None = None, format: str | None = None
    ) -> builtins.list[Sound]:
        data = await self._http.request("GET", "/sounds", query={"lang": lang, "format": format})
        return parse_list(Sound, data)

    async def get(self, sound_id: str) -> Sound:
        data = await self._http.request("GET", encode_path("/sounds/{soundId}", soundId=sound_id))
        return parse(Sound, data)


class Events(Resource):
    """The REST side of events.json (the WebSocket side is `engine.ari.websocket`)."""

    async def user_event(
        self,
        event_name: str,
        application: str,
        *,
        source: str | Sequence[str] | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> None:
        """Raise a ChannelUserevent for `application`, e.g. to mark a call for a wallboard."""
        await self._http.request(
            "POST",
            encode_path("/events/user/{eventName}", eventName=event_name),
            query={"application": application, "source": source},
            body=variables_body(variables),
        )

    async def claim_channel(self, channel_id: str, application: str) -> None:
        """Claim a broadcast channel (CallBroadcast); Conflict if another app won it."""
        await self._http.request(
            "POST", "/events/claim", query={"channelId": channel_id, "application": application}
        )


def _device(name: str) -> str:
    return encode_path("/deviceStates/{deviceName}", deviceName=name)


def _mailbox(name: str) -> str:
    return encode_path("/mailboxes/{mailboxName}", mailboxName=name)
