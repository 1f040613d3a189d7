"""`AriClient`: the one object the engine holds to talk to Asterisk.

It ties the parts together: REST resources over a pooled session
(`client.channels.originate(...)`), one event WebSocket with reconnect
(`engine.ari.websocket`), dispatch of typed events to handlers
(`client.on(StasisStart, handler)`, `client.on_channel(id, handler)`) and,
after every (re)connect, a resync whose `ResyncReport` goes to the
`on_resync` handlers before any further event is delivered.

Channels the client originates, creates or snoops and bridges it creates are
tracked automatically, as are channels entering the application
(StasisStart); `client.tracker` takes ids the engine restored from its
database, so that after a restart it learns which calls are gone. Channel and
bridge subscriptions of vanished ids are dropped once the resync handlers ran.

    async with AriClient(url, user, password, app="dialspool") as ari:
        ari.on(StasisStart, on_start)          # every call entering the app
        ari.on_resync(close_vanished_calls)    # after every (re)connect
        channel = await ari.channels.originate(
            "PJSIP/5551234@trunk", app=ari.app, channel_id=call_id, ring_timeout=25
        )
        ari.on_channel(channel.id, call.on_event)
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar, overload

from engine.ari.dispatch import Dispatcher, Handler, Subscription, type_key
from engine.ari.events import AriEvent, AriMessage
from engine.ari.resources import (
    Applications,
    AriRest,
    Asterisk,
    Bridges,
    Channels,
    Endpoints,
    Playbacks,
    Recordings,
)
from engine.ari.rest import AriHttp
from engine.ari.resync import ResyncReport, Tracker, compute_resync
from engine.ari.websocket import (
    DEFAULT_BACKOFF,
    Backoff,
    ConnectionStatus,
    EventStream,
    ReplacedPolicy,
)
from engine.clock import Clock, LoopClock

if TYPE_CHECKING:
    from engine.config import AriConfig

log = logging.getLogger(__name__)

E = TypeVar("E", bound=AriMessage)
ResyncHandler = Callable[[ResyncReport], Awaitable[None] | None]


class AriClient:
    """REST resources, the event stream, dispatch and resync for one application.

    `url` is the ARI root (`http://host:8088/ari`). Use as `async with
    AriClient(...) as ari:` or call `start()` / `close()`.
    """

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        app: str,
        *,
        subscribe_all: bool = False,
        request_timeout: float = 5.0,
        pool_size: int = 50,
        clock: Clock | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        on_replaced: ReplacedPolicy = "stop",
        heartbeat: float | None = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.app = app
        self.clock: Clock = clock or LoopClock()
        self.http = AriHttp(url, username, password, pool_size=pool_size, timeout=request_timeout)
        self.tracker = Tracker()
        self.events = Dispatcher()
        self.rest = AriRest(self.http, on_created=self.tracker.created)
        self.last_resync: ResyncReport | None = None
        self._resync_handlers: list[ResyncHandler] = []
        self._connected = asyncio.Event()
        self._stream = EventStream(
            self.http,
            app,
            on_message=self._on_message,
            on_connect=self._on_connect,
            clock=self.clock,
            subscribe_all=subscribe_all,
            backoff=backoff,
            on_replaced=on_replaced,
            heartbeat=heartbeat,
            rng=rng,
        )
        self._stream.add_status_listener(self._status_changed)
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_config(cls, config: AriConfig, *, clock: Clock | None = None) -> AriClient:
        return cls(
            config.url,
            config.username,
            config.password.get_secret_value(),
            config.app,
            request_timeout=config.request_timeout_seconds,
            pool_size=config.pool_size,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"AriClient({str(self.http.base_url)!r}, app={self.app!r})"

    # --- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Open the session and start the event stream (connecting in the background)."""
        await self.http.open()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._stream.run(), name=f"ari-events-{self.app}")

    async def close(self) -> None:
        await self._stream.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.http.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def wait_connected(self) -> None:
        """Until the event stream is connected and resynced (wrap in asyncio.timeout)."""
        await self._connected.wait()

    async def reconnect(self) -> None:
        """Drop the event WebSocket; it reconnects and resyncs as after any drop."""
        await self._stream.drop()

    @property
    def status(self) -> ConnectionStatus:
        return self._stream.status

    def on_status(self, listener: Callable[[ConnectionStatus], None]) -> None:
        self._stream.add_status_listener(listener)

    # --- REST --------------------------------------------------------------

    @property
    def channels(self) -> Channels:
        return self.rest.channels

    @property
    def bridges(self) -> Bridges:
        return self.rest.bridges

    @property
    def recordings(self) -> Recordings:
        return self.rest.recordings

    @property
    def playbacks(self) -> Playbacks:
        return self.rest.playbacks

    @property
    def endpoints(self) -> Endpoints:
        return self.rest.endpoints

    @property
    def applications(self) -> Applications:
        return self.rest.applications

    @property
    def asterisk(self) -> Asterisk:
        return self.rest.asterisk

    # --- events ------------------------------------------------------------

    @overload
    def on(self, event_type: type[E], handler: Handler[E]) -> Subscription: ...

    @overload
    def on(self, event_type: str | None, handler: Handler[AriMessage]) -> Subscription: ...

    def on(self, event_type: type[E] | str | None, handler: Handler[E]) -> Subscription:
        """Every event of a type (class or name; None: every message). See Dispatcher."""
        return self.events.on_type_key(type_key(event_type), handler)

    def on_channel(self, channel_id: str, handler: Handler[AriEvent]) -> Subscription:
        return self.events.on_channel(channel_id, handler)

    def on_bridge(self, bridge_id: str, handler: Handler[AriEvent]) -> Subscription:
        return self.events.on_bridge(bridge_id, handler)

    def on_resync(self, handler: ResyncHandler) -> Callable[[], None]:
        """Hear every `ResyncReport`; returns a function that unsubscribes."""
        self._resync_handlers.append(handler)
        return lambda: self._resync_handlers.remove(handler)

    # --- resync ------------------------------------------------------------

    async def resync(self, *, reconnect: bool = True) -> ResyncReport:
        """Compare tracked ids with Asterisk's channels and bridges; tell the handlers."""
        channels, bridges = await asyncio.gather(self.channels.list(), self.bridges.list())
        report = compute_resync(
            self.tracker.channels,
            self.tracker.bridges,
            channels,
            bridges,
            at=self.clock.now(),
            reconnect=reconnect,
        )
        self.tracker.apply(report)
        self.last_resync = report
        _log_report(report, self.app)
        for handler in list(self._resync_handlers):
            try:
                result = handler(report)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("ARI resync handler %r failed", handler)
        self.events.forget(report.vanished_channels, report.vanished_bridges)
        return report

    async def _on_connect(self, reconnect: bool) -> None:
        await self.resync(reconnect=reconnect)

    async def _on_message(self, message: AriMessage) -> None:
        self.tracker.observe(message)
        await self.events.dispatch(message)

    def _status_changed(self, status: ConnectionStatus) -> None:
        if status.connected:
            self._connected.set()
        else:
            self._connected.clear()


def _log_report(report: ResyncReport, app: str) -> None:
    if not report.changed:
        log.info("ARI resync: nothing changed (%d channels tracked)", len(report.channels))
        return
    log.warning(
        "ARI resync: %d channels and %d bridges vanished, %d unknown channels "
        "(%d in %s), %d unknown bridges",
        len(report.vanished_channels),
        len(report.vanished_bridges),
        len(report.unknown_channels),
        len(report.unknown_in_application(app)),
        app,
        len(report.unknown_bridges),
    )
