"""ARI REST resources, one module per declaration file, grouped by `AriRest`."""

from __future__ import annotations

from engine.ari.resources._base import CreatedHook
from engine.ari.resources.applications import Applications
from engine.ari.resources.asterisk import Asterisk
from engine.ari.resources.bridges import Bridges
from engine.ari.resources.channels import Channels
from engine.ari.resources.endpoints import Endpoints
from engine.ari.resources.misc import DeviceStates, Events, Mailboxes, Sounds
from engine.ari.resources.playbacks import Playbacks
from engine.ari.resources.recordings import Recordings
from engine.ari.rest import AriHttp


class AriRest:
    """Every ARI REST resource over one transport: `rest.channels.originate(...)`."""

    def __init__(self, http: AriHttp, on_created: CreatedHook | None = None) -> None:
        self.http = http
        self.channels = Channels(http, on_created)
        self.bridges = Bridges(http, on_created)
        self.recordings = Recordings(http)
        self.playbacks = Playbacks(http)
        self.endpoints = Endpoints(http)
        self.applications = Applications(http)
        self.asterisk = Asterisk(http)
        self.device_states = DeviceStates(http)
        self.mailboxes = Mailboxes(http)
        self.sounds = Sounds(http)
        self.events = Events(http)


__all__ = [
    "Applications",
    "AriRest",
    "Asterisk",
    "Bridges",
    "Channels",
    "DeviceStates",
    "Endpoints",
    "Events",
    "Mailboxes",
    "Playbacks",
    "Recordings",
    "Sounds",
]
