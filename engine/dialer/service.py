"""The dialer: one runner per campaign, started and stopped as campaigns change.

At start it recovers from a crash before dialling anything: calls the
database still thinks are up but whose channel Asterisk no longer has are
closed, and claims without a live call go back to the spool (never lost,
never dialled twice). On stop it drains: no new calls, live calls finish
within a bounded time, and one line sums up what was left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from engine.aio import first_of
from engine.ari.client import AriClient
from engine.ari.errors import AriError
from engine.clock import utc_datetime
from engine.dialer.campaign_service import CampaignService
from engine.dialer.runner import CampaignRunner, RunnerDeps
from engine.dialer.spool import Outcome, release_orphaned_claims
from engine.store import calls as call_store
from engine.store import spool as spool_store

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
# Channel ids this engine gives its channels (customers, agents, manual, transfer,
# supervisors, snoops).
OUR_CHANNELS = ("dsc-", "dsa-", "dsm-", "dsx-", "dss-", "dsn-")


class DialerService:
    def __init__(self, deps: RunnerDeps, ari: AriClient, campaigns: CampaignService) -> None:
        self._deps = deps
        self._ari = ari
        self._campaigns = campaigns
        self.runners: dict[int, CampaignRunner] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._loop: asyncio.Task[None] | None = None
        self._refresh = asyncio.Event()

    async def start(self) -> None:
        self._loop = asyncio.create_task(self._supervise(), name="dialer")

    def refresh(self) -> None:
        """A campaign changed: look again now rather than at the next poll."""
        self._refresh.set()

    async def recover(self) -> None:
        """Close calls whose channel is gone; release claims without a live call.

        Channels a previous run of this engine left behind (its customers, agent
        legs, supervisors: our id prefixes) have nobody to follow them any more:
        they are hung up first, and their calls closed like the vanished ones.
        One engine per ARI application: a second node uses an application of its own.
        """
        live = set()
        for channel in await self._ari.channels.list():
            if channel.id.startswith(OUR_CHANNELS):
                with contextlib.suppress(AriError):
                    await self._ari.channels.hangup(channel.id, reason="normal")
            else:
                live.add(channel.id)
        now = utc_datetime(self._deps.clock.now())
        async with self._deps.db.begin() as conn:
            closed = 0
            for row in await call_store.open_calls(conn):
                if row["channel_id"] not in live:
                    await call_store.end_call(
                        conn, row["uuid"], ended_at=now, outcome=Outcome.FAILED.value, cause=None
                    )
                    closed += 1
            claims = await spool_store.in_flight(conn)
            released = await spool_store.release(
                conn, release_orphaned_claims(claims, live, now), now
            )
        if closed or released:
            log.warning(
                "recovery: closed %d calls whose channel was gone, released %d claims",
                closed,
                released,
            )

    async def _supervise(self) -> None:
        await self._ari.wait_connected()
        await self.recover()
        while True:
            try:
                await self._sync_runners()
            except Exception:
                log.exception("dialer: reading campaigns failed")
            await first_of(self._refresh.wait(), self._deps.clock.sleep(POLL_SECONDS))
            self._refresh.clear()

    async def _sync_runners(self) -> None:
        active = {
            c.id: c for c in await self._campaigns.find() if c.status in ("running", "paused")
        }
        for campaign_id, campaign in active.items():
            runner = self.runners.get(campaign_id)
            if runner is None:
                runner = CampaignRunner(campaign, self._deps)
                self.runners[campaign_id] = runner
                self._tasks[campaign_id] = asyncio.create_task(
                    runner.run(), name=f"campaign-{campaign_id}"
                )
                log.info("campaign %s: runner started (%s)", campaign.name, campaign.mode)
            else:
                runner.update(campaign)
        for campaign_id in [cid for cid in self.runners if cid not in active]:
            runner = self.runners[campaign_id]
            # Stopped: no more dialling; the runner goes once its calls have ended.
            runner.campaign = runner.campaign.model_copy(update={"status": "stopped"})
            if not runner.live:
                await self._retire(campaign_id)

    async def _retire(self, campaign_id: int) -> None:
        runner = self.runners.pop(campaign_id)
        runner.stop()
        task = self._tasks.pop(campaign_id)
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await runner.drain()

    async def stop(self, grace_seconds: float) -> None:
        """Stop originating; give live calls `grace_seconds` to end; then hang up the rest."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        for runner in self.runners.values():
            runner.campaign = runner.campaign.model_copy(update={"status": "stopped"})
            runner.stop()
        # A runner may be in the middle of a round: the calls it is originating
        # become live when it ends, and are drained with the others (taken
        # before, they would be left dialling, for the next start to release).
        rounds = list(self._tasks.values())
        if rounds:
            await asyncio.wait(rounds, timeout=grace_seconds)
        live = [call for runner in self.runners.values() for call in runner.live.values()]
        if live:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace_seconds):
                    await asyncio.gather(*(call.settled.wait() for call in live))
        left = [call for call in live if not call.ended.is_set()]
        for call in left:
            await self._deps.calls.hangup(call.plan.call_id)
        if left:
            # Their ChannelDestroyed events still have outcomes to record.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5.0):
                    await asyncio.gather(*(call.settled.wait() for call in live))
        for campaign_id in list(self.runners):
            await self._retire(campaign_id)
        log.info(
            "dialer stopped: %d calls finished during the drain, %d hung up",
            len(live) - len(left),
            len(left),
        )
