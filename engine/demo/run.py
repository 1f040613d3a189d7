"""Run the demo: seed, serve, log the agents in, start the campaign, show progress."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from typing import TextIO

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.app import create_app
from engine.clock import LoopClock
from engine.config import Config
from engine.demo.seed import DemoSetup, seed
from engine.dialer.campaign_service import CampaignService
from engine.dialer.runner import RunnerCounters
from engine.http.keys import DB
from engine.http.routes.campaigns import CAMPAIGNS
from engine.http.routes.live import CampaignLive, campaign_figures
from engine.store import agents as agent_store
from engine.store import spool as spool_store
from engine.store.db import create_engine
from engine.telephony import RUNTIME, Runtime


def _line(figures: CampaignLive | None, elapsed: float, spool: dict[str, int]) -> str:
    if figures is None:
        return f"{elapsed:6.0f}s  starting..."
    waiting = spool.get("pending", 0) + spool.get("waiting_retry", 0)
    return (
        f"{elapsed:6.0f}s  agents {figures.agents_available:>2} idle {figures.agents_busy:>2} busy"
        f" | dialled {figures.dialled:>5}  in flight {figures.calls_dialling:>3}"
        f"  answered {figures.answered:>4}  connected {figures.connected:>4}"
        f"  abandoned {figures.abandoned:>3} ({figures.abandon_rate_percent:.1f}%)"
        f" | leads to dial {waiting:>5}  done {spool.get('done', 0):>4}"
    )


async def _log_in_agents(runtime: Runtime, setup: DemoSetup, db: AsyncEngine) -> None:
    async with db.connect() as conn:
        for agent_id in setup.agent_ids:
            agent = await agent_store.get_agent(conn, agent_id)
            await runtime.sessions.login(
                agent_id, agent["name"], agent["endpoint"], frozenset({setup.campaign_id}), {}
            )


async def run_demo(
    config: Config, *, seconds: float | None, agents: int, leads: int, out: TextIO = sys.stdout
) -> int:
    db = create_engine(config.database.url.get_secret_value())
    try:
        setup = await seed(db, LoopClock(), agents_count=agents, leads=leads)
    finally:
        await db.dispose()
    print(
        f"campaign {setup.campaign_name!r}: {setup.leads} leads, {agents} agents "
        f"(predictive, abandon cap 3 %)",
        file=out,
    )

    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, config.http.host, config.http.port).start()
    print(
        f"engine on http://{config.http.host}:{config.http.port} (docs at /docs), "
        f"PBX at {config.ari.url}",
        file=out,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime = app[RUNTIME]
    campaigns: CampaignService = app[CAMPAIGNS]
    started = time.monotonic()
    try:
        async with asyncio.timeout(15):
            await runtime.ari.wait_connected()
        await _log_in_agents(runtime, setup, app[DB])
        await campaigns.transition(setup.campaign_id, "start")
        runtime.dialer.refresh()
        spool: dict[str, int] = {}
        while not stop.is_set():
            elapsed = time.monotonic() - started
            if seconds is not None and elapsed >= seconds:
                break
            async with app[DB].connect() as conn:
                spool = await spool_store.counts_by_state(conn, setup.campaign_id)
            figures = next(
                (f for f in campaign_figures(runtime) if f.campaign_id == setup.campaign_id), None
            )
            print(_line(figures, elapsed, spool), file=out, flush=True)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await stop.wait()
        await campaigns.transition(setup.campaign_id, "pause")
        # The runner's own tally: it goes on counting the calls the drain ends.
        runner_of_campaign = runtime.dialer.runners.get(setup.campaign_id)
        final = runner_of_campaign.counters if runner_of_campaign else None
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await runner.cleanup()  # drains the dialer: live calls end or are hung up
    db = create_engine(config.database.url.get_secret_value())
    try:
        async with db.connect() as conn:
            spool = await spool_store.counts_by_state(conn, setup.campaign_id)
    finally:
        await db.dispose()
    _summary(final, spool, setup, out)
    return 0


def _summary(
    counters: RunnerCounters | None, spool: dict[str, int], setup: DemoSetup, out: TextIO
) -> None:
    print("\nsummary", file=out)
    if counters is not None:
        rate = 100 * counters.abandoned / counters.live if counters.live else 0.0
        print(
            f"  dialled {counters.dialled}, answered by a person {counters.live}, "
            f"connected to an agent {counters.routed}, abandoned {counters.abandoned} "
            f"({rate:.2f} % of answered)",
            file=out,
        )
        print(
            "  outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(counters.outcomes.items())),
            file=out,
        )
    total = sum(spool.values())
    print(
        "  leads: "
        + ", ".join(f"{k} {v}" for k, v in sorted(spool.items()))
        + f" = {total} of {setup.leads} loaded"
        + (" (every lead accounted for)" if total == setup.leads else " (MISMATCH)"),
        file=out,
    )
