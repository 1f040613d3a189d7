"""The engine's thin typed ARI client (Asterisk REST Interface).

`AriClient` is the facade; see `engine.ari.client`. Events are in
`engine.ari.events`, REST models in `engine.ari.models`, errors in
`engine.ari.errors`.
"""

from engine.ari.client import AriClient
from engine.ari.resync import ResyncReport
from engine.ari.websocket import Backoff, ConnectionStatus

__all__ = ["AriClient", "Backoff", "ConnectionStatus", "ResyncReport"]
