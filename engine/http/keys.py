"""Typed keys for what the composition root puts into the aiohttp app."""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.clock import Clock
from engine.config import Config


class StatusSource(Protocol):
    """A part of the engine that reports its health (the ARI link, ...)."""

    def status(self) -> dict[str, Any]: ...


CONFIG: web.AppKey[Config] = web.AppKey("config", Config)
DB: web.AppKey[AsyncEngine] = web.AppKey("db", AsyncEngine)
CLOCK: web.AppKey[Clock] = web.AppKey("clock", Clock)
HEALTH_SOURCES: web.AppKey[dict[str, StatusSource]] = web.AppKey("health_sources", dict)
