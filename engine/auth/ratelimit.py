"""A sliding-window counter of login attempts per key (user name, address)."""

from __future__ import annotations

from collections import defaultdict, deque


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float = 60.0) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def _prune(self, key: str, now: float) -> deque[float]:
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]  # keeps the table from growing with every address seen
            return deque()
        return hits

    def allowed(self, key: str, now: float) -> bool:
        return len(self._prune(key, now)) < self.limit

    def retry_after(self, key: str, now: float) -> float:
        hits = self._prune(key, now)
        return max(0.0, hits[0] + self.window - now) if len(hits) >= self.limit else 0.0

    def hit(self, key: str, now: float) -> None:
        self._prune(key, now)
        self._hits[key].append(now)
