"""The composition root: builds the object graph and hands each part what it needs."""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import signal
from collections.abc import AsyncIterator

from aiohttp import web

from engine.auth.service import AuthService
from engine.clock import Clock, LoopClock
from engine.config import Config
from engine.dialer.campaign_service import CampaignService
from engine.dialer.dispositions import DispositionService
from engine.dialer.preview import PreviewDesk
from engine.errors import ConfigError
from engine.http.api import AUTH_SERVICE, Api
from engine.http.errors import error_middleware
from engine.http.keys import CLOCK, CONFIG, DB, HEALTH_SOURCES
from engine.http.middleware import request_id_middleware
from engine.http.routes import (
    agents,
    calls,
    campaigns,
    dispositions,
    docs,
    events,
    health,
    leads,
    live,
    preview,
    recordings,
    schedules,
    session,
    spool,
    users,
)
from engine.http.routes.campaigns import CAMPAIGNS
from engine.http.routes.dispositions import DISPOSITIONS
from engine.http.routes.preview import DESK
from engine.recordings.service import install as install_recordings
from engine.store import migrate
from engine.store.db import create_engine
from engine.telephony import RUNTIME, Runtime

log = logging.getLogger(__name__)


def build_api() -> Api:
    api = Api()
    for module in (
        health,
        session,
        users,
        campaigns,
        agents,
        live,
        calls,
        preview,
        schedules,
        recordings,
        dispositions,
        spool,
        leads,
        events,
        docs,
    ):
        module.register(api)
    return api


async def _database(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    engine = create_engine(config.database.url.get_secret_value(), echo=config.database.echo)
    try:
        current = await migrate.current_revision(engine)
        if current != migrate.head_revision():
            raise ConfigError(
                f"database schema is at {current or 'nothing'}, not at "
                f"{migrate.head_revision()}: run `dialspool db upgrade`"
            )
        app[DB] = engine
        app[AUTH_SERVICE] = AuthService(engine, app[CLOCK], config.auth)
        app[CAMPAIGNS] = CampaignService(engine, app[CLOCK])
        app[DISPOSITIONS] = DispositionService(engine, app[CLOCK])
        yield
    finally:
        await engine.dispose()


async def _telephony(app: web.Application) -> AsyncIterator[None]:
    """The ARI link, agent sessions and the dialer: everything that talks to Asterisk."""
    config = app[CONFIG]
    runtime = Runtime.build(config, app[DB], app[CLOCK], app[CAMPAIGNS])
    app[RUNTIME] = runtime
    app[DESK] = PreviewDesk()
    app[HEALTH_SOURCES]["ari"] = runtime
    await runtime.start()
    # What start-up built (modules, schemas, compiled queries, the object graph) lives
    # as long as the process: frozen, a full collection no longer walks it. Unfrozen,
    # one takes ~100 ms with the event loop held, in the middle of routing calls.
    gc.freeze()
    try:
        yield
    finally:
        await runtime.stop(config.http.shutdown_grace_seconds)
        # Collectable again once stopped (an embedding process or a test goes on).
        gc.unfreeze()


def create_app(config: Config, clock: Clock | None = None) -> web.Application:
    app = web.Application(
        middlewares=[request_id_middleware, error_middleware],
        client_max_size=config.http.max_body_bytes,
    )
    app[CONFIG] = config
    app[CLOCK] = clock or LoopClock()
    app[HEALTH_SOURCES] = {}
    app.cleanup_ctx.append(_database)
    if config.ari.enabled:
        app.cleanup_ctx.append(_telephony)
    secret = config.recordings.url_secret
    install_recordings(
        app,
        url_secret=secret.get_secret_value() if secret else secrets.token_bytes(32),
    )
    build_api().install(app)
    return app


async def serve(config: Config, *, run_seconds: float | None = None) -> None:
    """Serve until SIGINT / SIGTERM (or `run_seconds`), then drain and return."""
    app = create_app(config)
    runner = web.AppRunner(
        app, shutdown_timeout=config.http.shutdown_grace_seconds, access_log=None
    )
    await runner.setup()
    site = web.TCPSite(runner, config.http.host, config.http.port)
    await site.start()
    log.info("serving on http://%s:%d", config.http.host, config.http.port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if run_seconds is None:
            await stop.wait()
        else:
            await asyncio.wait_for(stop.wait(), run_seconds)
    except TimeoutError:
        pass
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        log.info("stopping: draining requests")
        await runner.cleanup()
        log.info("stopped")
