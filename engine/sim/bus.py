"""Who hears which event: Stasis applications and their WebSocket sessions.

An application hears a channel's events while the channel is in it (from
StasisStart to StasisEnd) and while it holds an explicit subscription: the
channels it originated or created, the bridges it created, the sources it
subscribed to; `subscribeAll` hears everything.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter, deque
from collections.abc import Iterable
from typing import Any

from engine.sim.state import Bridge, Channel, PbxState

log = logging.getLogger(__name__)

Json = dict[str, Any]


class Session:
    """One /ari/events WebSocket: the apps it serves and its outgoing queue."""

    def __init__(self, apps: list[str], subscribe_all: bool) -> None:
        self.apps = list(dict.fromkeys(apps))
        self.subscribe_all = subscribe_all
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.closed = False

    def send(self, message: Json) -> None:
        if not self.closed:
            self.queue.put_nowait(json.dumps(message))

    def close(self) -> None:
        """Ask the session's writer to close the socket."""
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(None)


class EventBus:
    def __init__(self, state: PbxState, asterisk_id: str, history: int = 20000) -> None:
        self.state = state
        self.asterisk_id = asterisk_id
        self.sessions: dict[str, Session] = {}
        self.counts: Counter[str] = Counter()
        # Every delivered (application, event), for tests and /_sim/counters.
        self.history: deque[tuple[str, Json]] = deque(maxlen=history)

    # -- sessions ----------------------------------------------------------

    def connect(self, session: Session, now_event: Json | None = None) -> None:
        """Attach `session` to its apps, replacing any older session of the same app."""
        for name in session.apps:
            old = self.sessions.get(name)
            if old is not None and old is not session:
                if now_event is not None:
                    self._deliver(old, name, {**now_event, "type": "ApplicationReplaced"})
                old.apps = [a for a in old.apps if a != name]
                if not old.apps:
                    old.close()
            self.sessions[name] = session
            app = self.state.app(name)
            app.active = True
            app.subscribe_all = session.subscribe_all

    def disconnect(self, session: Session) -> None:
        session.close()
        for name in session.apps:
            if self.sessions.get(name) is session:
                del self.sessions[name]
                app = self.state.apps.get(name)
                if app is not None:
                    app.active = False

    def close_all(self) -> None:
        for session in list(self.sessions.values()):
            session.close()
            self.disconnect(session)

    # -- events ------------------------------------------------------------

    def audience(
        self, channels: Iterable[Channel] = (), bridges: Iterable[Bridge] = ()
    ) -> set[str]:
        names: set[str] = set()
        apps = self.state.apps.values()
        for ch in channels:
            if ch.stasis_app:
                names.add(ch.stasis_app)
            names.update(a.name for a in apps if ch.id in a.channel_ids)
        for br in bridges:
            names.update(a.name for a in apps if br.id in a.bridge_ids)
        names.update(a.name for a in apps if a.subscribe_all and a.active)
        return names

    def publish(
        self,
        event: Json,
        channels: Iterable[Channel] = (),
        bridges: Iterable[Bridge] = (),
        apps: Iterable[str] = (),
    ) -> None:
        names = self.audience(channels, bridges) | set(apps)
        self.counts[str(event["type"])] += 1
        for name in sorted(names):
            session = self.sessions.get(name)
            app = self.state.apps.get(name)
            if session is None or app is None or not app.wants(str(event["type"])):
                continue
            self._deliver(session, name, event)

    def _deliver(self, session: Session, app_name: str, event: Json) -> None:
        message = {**event, "asterisk_id": self.asterisk_id, "application": app_name}
        self.history.append((app_name, message))
        session.send(message)
