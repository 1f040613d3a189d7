"""The recordings feature as one service: what the HTTP routes and the call flow use.

It ties the parts together (recorder -> ingest -> converter; retention; signed
URLs) and decides who may see what: staff every recording, an agent only those
of its own calls. `install()` builds it in an aiohttp app's cleanup context.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.ari import errors as ari_errors
from engine.ari.models import LiveRecording
from engine.auth.scope import campaign_scope
from engine.auth.service import Principal
from engine.clock import Clock
from engine.config import RecordingsConfig
from engine.errors import Conflict, DialspoolError, Forbidden, NotAuthenticated, NotFound
from engine.recordings.converter import ConversionSettings, Converter
from engine.recordings.ingest import Ingestor, IngestSettings
from engine.recordings.layout import RECORDABLE, inside
from engine.recordings.recorder import CallRecorder, CallSite, Finished, RecordingState
from engine.recordings.retention import RetentionSweeper
from engine.recordings.signing import UrlSigner
from engine.store import recordings as store
from engine.store.recordings import RecordingFilter

if TYPE_CHECKING:
    from engine.telephony import Runtime

log = logging.getLogger(__name__)

STAFF = frozenset({"admin", "supervisor"})


class TelephonyUnavailable(DialspoolError):
    """Asterisk could not be reached for a call's recording."""

    status = 503
    error_id = "telephony-unavailable"


Action = Literal["start", "stop", "pause", "unpause"]


@dataclass(frozen=True)
class Options:
    """Tuning with sensible defaults; none of it is in the config file yet."""

    conversion: ConversionSettings | None = None
    ingest: IngestSettings = field(default_factory=IngestSettings)
    sweep_interval_seconds: float = 3600.0
    record_format: str = "wav"
    # How long close() waits for recordings being fetched to reach the store.
    close_grace_seconds: float = 5.0


class RecordingService:
    def __init__(
        self,
        db: AsyncEngine,
        runtime: Runtime | None,
        config: RecordingsConfig,
        clock: Clock,
        url_secret: str | bytes,
        *,
        options: Options | None = None,
    ) -> None:
        self.options = options or Options()
        if self.options.record_format not in RECORDABLE:
            raise ValueError(f"record_format must be one of {', '.join(RECORDABLE)}")
        self.db = db
        self.root = Path(config.path).absolute()
        self.clock = clock
        self.config = config
        self.signer = UrlSigner(url_secret)
        self.runtime = runtime
        self.converter = (
            Converter(db, self.root, self.options.conversion) if config.convert_to_mp3 else None
        )
        self.sweeper = RetentionSweeper(
            db,
            self.root,
            clock,
            config.retention_days,
            interval_seconds=self.options.sweep_interval_seconds,
        )
        self.ingestor: Ingestor | None = None
        self.recorder: CallRecorder | None = None
        if runtime is not None:
            self.ingestor = Ingestor(
                runtime.ari,
                db,
                self.root,
                clock,
                stored=self.converter.enqueue if self.converter else None,
                settings=self.options.ingest,
            )
            # The call flow may hold a recorder of its own (built with the Runtime): that
            # one is used, so that both start and stop recordings through the same object.
            existing = getattr(runtime, "recorder", None)
            self.recorder = existing if isinstance(existing, CallRecorder) else None
            if self.recorder is None:
                self.recorder = CallRecorder(runtime.ari)
            self.recorder.record_format = self.options.record_format
            self.recorder.on_finished = self._finished
            self.recorder.on_orphan = self._orphan
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sweeping: asyncio.Task[None] | None = None

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: self.root.mkdir(parents=True, exist_ok=True)
        )
        if self.converter is not None:
            self.converter.start()
            queued = await self.converter.requeue()
            if queued:
                log.info("%d recordings queued for MP3 conversion", queued)
        if self.sweeper.enabled:
            self._sweeping = asyncio.create_task(self.sweeper.run(), name="recordings-retention")
        if self.ingestor is not None:
            self._spawn(self.ingestor.recover())

    async def close(self) -> None:
        """Let fetches under way finish (briefly), then stop the workers.

        Recordings still live are left alone: the calls end during the telephony
        drain, Asterisk keeps their files, and `recover()` fetches them at the next start.
        """
        if self.recorder is not None:
            self.recorder.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self.options.close_grace_seconds)
        tasks = [*self._tasks, *([self._sweeping] if self._sweeping else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.converter is not None:
            await self.converter.close()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("recording task failed", exc_info=task.exception())

    def _finished(self, finished: Finished) -> None:
        assert self.ingestor is not None
        self._spawn(
            self.ingestor.ingest(finished.name, finished.call_id, finished.fmt, finished.take)
        )

    def _orphan(self, recording: LiveRecording) -> None:
        assert self.ingestor is not None
        self._spawn(self.ingestor.adopt(recording.name, recording.format))

    async def settle(self) -> None:
        """Wait for fetches and conversions under way (tests and orderly shutdowns)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))
        if self.converter is not None:
            await self.converter.drain()

    # --- who may see what ------------------------------------------------------------

    async def _agent_scope(self, principal: Principal) -> int | None:
        """None for staff; the principal's own agent id for an agent (0: it has none)."""
        if principal.role in STAFF:
            return None
        if principal.kind != "user":
            return 0
        async with self.db.connect() as conn:
            return await store.agent_of_user(conn, principal.id) or 0

    async def get(self, principal: Principal, recording_id: int) -> RowMapping:
        async with self.db.connect() as conn:
            row = await store.get_recording(conn, recording_id)
            (await campaign_scope(conn, principal)).require(row["campaign_id"])
        scope = await self._agent_scope(principal)
        if scope is not None and row["agent_id"] != scope:
            raise Forbidden("agents may only reach recordings of their own calls")
        return row

    async def get_signed(self, recording_id: int, token: str) -> RowMapping:
        """The recording a signed URL opens, whoever presents it."""
        if not self.token_valid(recording_id, token):
            raise NotAuthenticated("this link is invalid or has expired")
        async with self.db.connect() as conn:
            return await store.get_recording(conn, recording_id)

    async def search(
        self, principal: Principal, wanted: RecordingFilter
    ) -> tuple[list[RowMapping], bool]:
        scope = await self._agent_scope(principal)
        async with self.db.connect() as conn:
            campaigns = (await campaign_scope(conn, principal)).campaigns
            return await store.search(conn, wanted, only_agent=scope, only_campaigns=campaigns)

    async def set_tags(
        self, principal: Principal, recording_id: int, tags: list[str]
    ) -> RowMapping:
        await self.get(principal, recording_id)
        async with self.db.begin() as conn:
            await store.set_tags(conn, recording_id, tags)
            return await store.get_recording(conn, recording_id)

    def file_of(self, row: RowMapping) -> Path:
        return inside(self.root, row["path"])

    # --- signed URLs -----------------------------------------------------------------

    def sign(self, recording_id: int, ttl_seconds: int) -> tuple[str, int]:
        expires = int(self.clock.now()) + ttl_seconds
        return self.signer.token(recording_id, expires), expires

    def token_valid(self, recording_id: int, token: str) -> bool:
        return self.signer.valid(recording_id, token, self.clock.now())

    # --- on-demand control of live calls ----------------------------------------------

    async def control(self, principal: Principal, call_id: str, action: Action) -> str | None:
        """Start, stop, pause or unpause a live call's recording; its state after."""
        if self.runtime is None or self.recorder is None:
            raise Conflict("telephony is disabled in this engine's configuration (ari.enabled)")
        site = self._site(call_id)
        if site is None:
            raise NotFound(f"no live call {call_id}", {"call_id": call_id})
        await self._may_control(principal, site.agent_id, site.campaign_id)
        try:
            if action == "start":
                if site.bridge_id is None:
                    raise Conflict("the call is not with an agent yet")
                await self.recorder.start(call_id, site.bridge_id)
            elif action == "stop":
                await self.recorder.stop(call_id)
            elif action == "pause":
                await self.recorder.pause(call_id)
            else:
                await self.recorder.unpause(call_id)
        except ari_errors.Unavailable as exc:
            raise TelephonyUnavailable(f"Asterisk did not answer: {exc.message}") from None
        except ari_errors.AriError as exc:
            raise Conflict(f"Asterisk refused: {exc.message}", {"status": exc.status}) from None
        state = self.recorder.state(call_id)
        return state.value if isinstance(state, RecordingState) else None

    def _site(self, call_id: str) -> CallSite | None:
        """The live call `call_id`, whichever flow carries it: dialled, inbound, two-step."""
        assert self.runtime is not None
        live = self.runtime.calls.live.get(call_id)  # dialled and click-to-call
        if live is None:
            return self.runtime.inbound.site(call_id) or self.runtime.manual.site(call_id)
        agent = live.agent
        return CallSite(
            agent.bridge_id if agent is not None else None,
            agent.agent_id if agent is not None else None,
            live.plan.campaign_id or None,
        )

    async def _may_control(
        self, principal: Principal, agent_id: int | None, campaign_id: int | None
    ) -> None:
        """Staff on their campaigns' calls, an agent on its own; never where nothing records."""
        async with self.db.connect() as conn:
            (await campaign_scope(conn, principal)).require(campaign_id)
            if principal.role not in STAFF:
                owner = await store.agent_user(conn, agent_id) if agent_id is not None else None
                if principal.kind != "user" or owner is None or owner != principal.id:
                    raise Forbidden("agents may only control recordings of their own calls")
            mode = None if campaign_id is None else await store.recording_mode(conn, campaign_id)
        if mode == "never":
            raise Conflict("this campaign never records calls", {"recording_mode": mode})


RECORDINGS: web.AppKey[RecordingService] = web.AppKey("recordings", RecordingService)


def install(
    app: web.Application, *, url_secret: str | bytes, options: Options | None = None
) -> None:
    """Build the service when the app starts: after the database and telephony contexts."""

    async def recordings_context(app: web.Application) -> AsyncIterator[None]:
        from engine.http.keys import CLOCK, CONFIG, DB
        from engine.telephony import RUNTIME

        service = RecordingService(
            app[DB],
            app.get(RUNTIME),
            app[CONFIG].recordings,
            app[CLOCK],
            url_secret,
            options=options,
        )
        app[RECORDINGS] = service
        await service.start()
        try:
            yield
        finally:
            await service.close()

    app.cleanup_ctx.append(recordings_context)
