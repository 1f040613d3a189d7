"""Routing of events to handlers, by event type and by channel or bridge id.

Handlers run one after another in the reader task, in event order, so a
per-call state machine sees its events in the order Asterisk sent them; a
handler should therefore be quick (hand long work to a task). A handler that
raises is logged and skipped: one bad handler must not stop the event stream.

Channel and bridge subscriptions end by themselves after the ChannelDestroyed
or BridgeDestroyed of their id has been delivered, so per-call handlers do not
pile up; `forget()` ends them early (e.g. for ids a resync found vanished).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from engine.ari.events import (
    AriEvent,
    AriMessage,
    BridgeDestroyed,
    ChannelDestroyed,
    MalformedMessage,
)

log = logging.getLogger(__name__)

E = TypeVar("E", bound=AriMessage)
Handler = Callable[[E], Awaitable[None] | None]
AnyHandler = Callable[[Any], Awaitable[None] | None]


class Subscription:
    """Returned by every `on*()`; `cancel()` unsubscribes (idempotent)."""

    def __init__(self, registry: dict[str, list[Subscription]], key: str, handler: AnyHandler):
        self._registry = registry
        self.key = key
        self.handler = handler

    def cancel(self) -> None:
        subs = self._registry.get(self.key)
        if subs is not None and self in subs:
            subs.remove(self)
            if not subs:
                del self._registry[self.key]

    def __repr__(self) -> str:
        return f"Subscription({self.key!r}, {self.handler!r})"


_ALL = "*"


def type_key(event_type: type[AriMessage] | str | None) -> str:
    if event_type is None:
        return _ALL
    return event_type if isinstance(event_type, str) else event_type.__name__


class Dispatcher:
    def __init__(self) -> None:
        self._by_type: dict[str, list[Subscription]] = {}
        self._by_channel: dict[str, list[Subscription]] = {}
        self._by_bridge: dict[str, list[Subscription]] = {}

    @overload
    def on(self, event_type: type[E], handler: Handler[E]) -> Subscription: ...

    @overload
    def on(self, event_type: str | None, handler: Handler[AriMessage]) -> Subscription: ...

    def on(self, event_type: type[E] | str | None, handler: Handler[E]) -> Subscription:
        """Every event of `event_type` (a class or a type name; None: every message)."""
        return self.on_type_key(type_key(event_type), handler)

    def on_type_key(self, key: str, handler: AnyHandler) -> Subscription:
        return self._add(self._by_type, key, handler)

    def on_channel(self, channel_id: str, handler: Handler[AriEvent]) -> Subscription:
        """Every event that concerns `channel_id` (see `AriEvent.channel_ids`)."""
        return self._add(self._by_channel, channel_id, handler)

    def on_bridge(self, bridge_id: str, handler: Handler[AriEvent]) -> Subscription:
        return self._add(self._by_bridge, bridge_id, handler)

    def forget(
        self, channel_ids: frozenset[str] = frozenset(), bridge_ids: frozenset[str] = frozenset()
    ) -> None:
        for channel_id in channel_ids:
            self._by_channel.pop(channel_id, None)
        for bridge_id in bridge_ids:
            self._by_bridge.pop(bridge_id, None)

    def subscription_count(self) -> int:
        return sum(
            len(subs)
            for registry in (self._by_type, self._by_channel, self._by_bridge)
            for subs in registry.values()
        )

    async def dispatch(self, message: AriMessage) -> None:
        for sub in self._matching(message):
            await self._call(sub, message)
        if isinstance(message, ChannelDestroyed):
            self.forget(channel_ids=frozenset({message.channel.id}))
        elif isinstance(message, BridgeDestroyed):
            self.forget(bridge_ids=frozenset({message.bridge.id}))

    def _matching(self, message: AriMessage) -> list[Subscription]:
        # A malformed StasisStart is not a StasisStart: only catch-all handlers hear it.
        typed = () if isinstance(message, MalformedMessage) else self._by_type.get(message.type, ())
        subs = [*typed, *self._by_type.get(_ALL, ())]
        channel_ids, bridge_ids = message.target_ids()
        for channel_id in sorted(channel_ids):
            subs.extend(self._by_channel.get(channel_id, ()))
        for bridge_id in sorted(bridge_ids):
            subs.extend(self._by_bridge.get(bridge_id, ()))
        if len(subs) < 2:
            return subs
        # A handler watching both legs of a Dial hears the event once.
        unique: list[Subscription] = []
        for sub in subs:
            if all(sub.handler != other.handler for other in unique):
                unique.append(sub)
        return unique

    @staticmethod
    async def _call(sub: Subscription, message: AriMessage) -> None:
        try:
            result = sub.handler(message)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("ARI event handler %r failed on %s", sub.handler, message.type)

    @staticmethod
    def _add(
        registry: dict[str, list[Subscription]], key: str, handler: AnyHandler
    ) -> Subscription:
        sub = Subscription(registry, key, handler)
        registry.setdefault(key, []).append(sub)
        return sub
