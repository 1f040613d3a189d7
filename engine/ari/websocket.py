"""The event WebSocket: connect, read, reconnect with backoff, report state.

Reconnection: after a drop or a failed attempt the stream waits
`Backoff.delay(attempt)` on the injected clock (exponential, capped, with
jitter so a fleet of engines does not reconnect in step) and tries again,
forever, until `stop()`. Each successful connect first awaits `on_connect`
(the client's resync) before it delivers the events that arrived meanwhile;
if `on_connect` fails the connection is dropped and retried, because events
without a synced picture would be misread.

ApplicationReplaced: Asterisk sends it when another WebSocket subscribes to
the same application; from then on this connection gets no events. By
default (`on_replaced="stop"`) the stream stops for good and reports it, since
reconnecting would steal the application back and two engines would take it
from each other forever. `on_replaced="reconnect"` retries with backoff, for a
deployment that knows the other subscriber is transient.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import aiohttp

from engine.ari.events import ApplicationReplaced, AriMessage, MalformedMessage, decode_frame
from engine.ari.rest import AriHttp, encode_query
from engine.clock import Clock

log = logging.getLogger(__name__)

ReplacedPolicy = Literal["stop", "reconnect"]
StreamState = Literal["idle", "connecting", "connected", "disconnected", "stopped"]
Outcome = Literal["read", "retry", "stop"]


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff; `jitter` is the fraction of each delay drawn at random."""

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0
    jitter: float = 0.5

    def delay(self, attempt: int, rand: float) -> float:
        """The wait before retry number `attempt` (0-based); `rand` in [0, 1)."""
        base = min(self.maximum, self.initial * self.factor ** min(attempt, 64))
        return base * (1.0 - self.jitter * rand)


DEFAULT_BACKOFF = Backoff()


@dataclass(frozen=True)
class ConnectionStatus:
    """What /v1/health shows about Asterisk."""

    state: StreamState = "idle"
    since: float | None = None
    last_error: str | None = None
    connects: int = 0
    failures: int = 0  # consecutive failed attempts since the last good connect

    @property
    def connected(self) -> bool:
        return self.state == "connected"


class EventStream:
    def __init__(
        self,
        http: AriHttp,
        apps: str | Sequence[str],
        *,
        on_message: Callable[[AriMessage], Awaitable[None]],
        on_connect: Callable[[bool], Awaitable[None]],
        clock: Clock,
        subscribe_all: bool = False,
        backoff: Backoff = DEFAULT_BACKOFF,
        on_replaced: ReplacedPolicy = "stop",
        heartbeat: float | None = 30.0,
        connect_timeout: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self._apps = [apps] if isinstance(apps, str) else list(apps)
        self._on_message = on_message
        self._on_connect = on_connect
        self._clock = clock
        self._subscribe_all = subscribe_all
        self._backoff = backoff
        self._on_replaced = on_replaced
        self._heartbeat = heartbeat
        self._connect_timeout = connect_timeout
        self._rng = rng or random.Random()
        self._stopping = False
        self._dropping = False
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._status = ConnectionStatus()
        self._listeners: list[Callable[[ConnectionStatus], None]] = []

    @property
    def status(self) -> ConnectionStatus:
        return self._status

    def add_status_listener(self, listener: Callable[[ConnectionStatus], None]) -> None:
        self._listeners.append(listener)

    async def run(self) -> None:
        """Connect and read until `stop()` or until ApplicationReplaced stops the stream."""
        attempt = 0
        try:
            while not self._stopping:
                self._set(replace(self._status, state="connecting"))
                outcome = await self._connect_and_read()
                if outcome == "read":
                    attempt = 0
                if self._stopping or outcome == "stop":
                    break
                delay = self._backoff.delay(attempt, self._rng.random())
                attempt += 1
                log.info("ARI event stream: reconnecting in %.2f s (attempt %d)", delay, attempt)
                await self._clock.sleep(delay)
        finally:
            # Also when cancelled: /v1/health must not show a stopped client as connecting.
            if self._status.state != "stopped":
                self._set(replace(self._status, state="stopped"))

    async def stop(self) -> None:
        self._stopping = True
        ws = self._ws
        if ws is not None:
            await ws.close()

    async def drop(self) -> None:
        """Close the current connection; the stream reconnects as after any drop."""
        ws = self._ws
        if ws is not None:
            self._dropping = True
            await ws.close()

    async def _connect_and_read(self) -> Outcome:
        """One connection's life: "read" if it delivered events, "retry" if it did not."""
        try:
            ws = await self._connect()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self._failed(f"cannot connect: {_describe(exc)}")
            return "retry"
        self._ws = ws
        self._dropping = False
        try:
            try:
                await self._on_connect(self._status.connects > 0)
            except Exception as exc:
                self._failed(f"resync failed: {exc}")
                return "retry"
            self._set(
                replace(
                    self._status,
                    state="connected",
                    connects=self._status.connects + 1,
                    failures=0,
                    last_error=None,
                )
            )
            log.info("ARI event stream connected (app=%s)", ",".join(self._apps))
            return await self._read(ws)
        finally:
            self._ws = None
            await ws.close()

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        query = encode_query({"app": self._apps, "subscribeAll": self._subscribe_all})
        async with asyncio.timeout(self._connect_timeout):
            return await self._http.session.ws_connect(
                self._http.url("/events"), params=query, heartbeat=self._heartbeat
            )

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> Outcome:
        replaced = False
        async for frame in ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                continue  # Asterisk sends text frames only; pings are answered by aiohttp.
            message = decode_frame(frame.data)
            if isinstance(message, MalformedMessage):
                log.warning("ARI event not understood (%s): %.200r", message.error, frame.data)
            try:
                await self._on_message(message)
            except Exception:
                log.exception("ARI event processing failed on %s", message.type)
            if isinstance(message, ApplicationReplaced):
                replaced = True
                break
        if replaced:
            return self._replaced()
        if not self._stopping:
            reason = f"closed by Asterisk (code {ws.close_code})"
            if self._dropping:
                reason = "dropped by the client"
            elif ws.exception() is not None:
                reason = _describe(ws.exception())
            self._set(replace(self._status, state="disconnected", last_error=reason))
            log.warning("ARI event stream lost: %s", reason)
        return "read"

    def _replaced(self) -> Outcome:
        error = "application replaced by another connection"
        if self._on_replaced == "stop":
            log.error("ARI %s; event stream stopped (policy: stop)", error)
            self._set(replace(self._status, state="stopped", last_error=error))
            return "stop"
        log.warning("ARI %s; reconnecting (policy: reconnect)", error)
        self._set(replace(self._status, state="disconnected", last_error=error))
        # Not "read": two clients taking the application from each other back off.
        return "retry"

    def _failed(self, error: str) -> None:
        self._set(
            replace(
                self._status,
                state="disconnected",
                last_error=error,
                failures=self._status.failures + 1,
            )
        )
        log.warning("ARI event stream: %s", error)

    def _set(self, status: ConnectionStatus) -> None:
        if status.state != self._status.state:
            status = replace(status, since=self._clock.now())
        self._status = status
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                log.exception("ARI status listener %r failed", listener)


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return f"WebSocket handshake refused: {exc.status} {exc.message}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"
