"""The engine's own event bus: agent state changes, call events, screen-pops.

Publishers never wait: each subscriber has a bounded queue, and a subscriber
too slow to keep up loses its oldest events (and is told how many) rather
than slowing the call path down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineEvent:
    type: str  # e.g. "agent.state", "call.answered", "call.ended", "screen_pop"
    at: float
    data: dict[str, Any]
    # Who may see it: the campaign and the agent it concerns (None: not specific).
    campaign_id: int | None = None
    agent_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "at": self.at, **self.data}


@dataclass
class Subscriber:
    accepts: Callable[[EngineEvent], bool]
    queue: asyncio.Queue[EngineEvent] = field(default_factory=lambda: asyncio.Queue(1000))
    dropped: int = 0


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, accepts: Callable[[EngineEvent], bool] = lambda _: True) -> Subscriber:
        subscriber = Subscriber(accepts)
        self._subscribers.append(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    def publish(self, event: EngineEvent) -> None:
        for subscriber in self._subscribers:
            if not subscriber.accepts(event):
                continue
            if subscriber.queue.full():
                subscriber.queue.get_nowait()
                subscriber.dropped += 1
            subscriber.queue.put_nowait(event)
