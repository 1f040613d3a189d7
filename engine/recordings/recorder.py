"""Live recordings of calls on the bridge that joins agent and customer, over ARI.

Every call flow (dialled, inbound, click-to-call, two-step) calls `record_call`
once the customer is bridged to an agent, when its campaign records every call,
and `stop` when the call ends, before the agent is freed (an agent's bridge
outlives the call: a late stop would record the next customer). The API calls
`start`, `stop`, `pause` and `unpause` on demand, on the bridge the call's
flow reports as its `CallSite`. Each recording is named after the call's uuid
(`<uuid>`, then `<uuid>-2`, ... for later takes, after a transfer, or when
Asterisk still holds a recording of that name), so the finished file can be
traced back to its call. When Asterisk reports a recording finished, the
`on_finished` sink hears about it once; it fetches and stores the file.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from engine.ari import errors as ari_errors
from engine.ari.client import AriClient
from engine.ari.dispatch import Subscription
from engine.ari.events import RecordingFailed, RecordingFinished
from engine.ari.models import LiveRecording
from engine.errors import Conflict, DialspoolError, NotFound
from engine.recordings.layout import MAX_TAKES, RECORDABLE, check_uuid, recording_name

log = logging.getLogger(__name__)

# Recent calls whose take numbers we remember, so a call's second recording gets
# `-2` even after the first one left Asterisk; older calls start again at 1.
_REMEMBERED_CALLS = 10_000


class RecordingState(StrEnum):
    RECORDING = "recording"
    PAUSED = "paused"


@dataclass
class Take:
    call_id: str
    name: str
    take: int
    fmt: str
    bridge_id: str
    state: RecordingState = RecordingState.RECORDING


@dataclass(frozen=True)
class CallSite:
    """A live call as on-demand recording sees it: where it can be recorded, whose it is."""

    bridge_id: str | None  # None while the customer is not with an agent
    agent_id: int | None
    campaign_id: int | None


@dataclass(frozen=True)
class Finished:
    """A recording Asterisk has stored, with what we know of it."""

    call_id: str
    name: str
    take: int
    fmt: str


FinishedSink = Callable[[Finished], None]
OrphanSink = Callable[[LiveRecording], None]


class CallRecorder:
    """Recordings in progress, by call uuid. Safe to `stop` calls never recorded."""

    def __init__(
        self,
        ari: AriClient,
        on_finished: FinishedSink | None = None,
        on_orphan: OrphanSink | None = None,
    ) -> None:
        self._ari = ari
        # What `start` records in when not told (the recordings service sets it).
        self.record_format = "wav"
        self.on_finished = on_finished
        # Recordings finishing that this process did not start (it restarted meanwhile).
        self.on_orphan = on_orphan
        self._live: dict[str, Take] = {}
        # Stopped (or stopping) takes stay here until Asterisk reports them finished.
        self._by_name: dict[str, Take] = {}
        self._last_take: OrderedDict[str, int] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._subscriptions: list[Subscription] = [
            ari.on(RecordingFinished, self._on_finished),
            ari.on(RecordingFailed, self._on_failed),
        ]

    def close(self) -> None:
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions.clear()

    # --- queries --------------------------------------------------------------------

    def state(self, call_id: str) -> RecordingState | None:
        take = self._live.get(call_id)
        return take.state if take is not None else None

    def recording_name(self, call_id: str) -> str | None:
        take = self._live.get(call_id)
        return take.name if take is not None else None

    def recording_calls(self) -> list[str]:
        return list(self._live)

    # --- commands -------------------------------------------------------------------

    async def record_call(self, call_id: str, bridge_id: str, fmt: str | None = None) -> bool:
        """A call flow's start, for a campaign that records every call: whether it started.

        A failure is logged, not raised: the call goes on, unrecorded.
        """
        try:
            await self.start(call_id, bridge_id, fmt)
        except (ari_errors.AriError, DialspoolError, ValueError) as exc:
            log.warning("call %s: recording did not start: %s", call_id, exc)
            return False
        return True

    async def move(self, call_id: str, bridge_id: str) -> None:
        """The customer changed bridges (a transfer): the recording follows as the next take.

        Called before the first agent is freed, like `stop`. A paused recording
        stays paused (but for the moment between start and pause that ARI allows).
        """
        take = self._live.get(call_id)
        if take is None or take.bridge_id == bridge_id:
            return
        await self.stop(call_id)
        if not await self.record_call(call_id, bridge_id, take.fmt):
            return
        if take.state is RecordingState.PAUSED:
            try:
                await self.pause(call_id)
            except (ari_errors.AriError, DialspoolError) as exc:
                log.warning("call %s: recording not paused again, stopped: %s", call_id, exc)
                await self.stop(call_id)

    async def start(self, call_id: str, bridge_id: str, fmt: str | None = None) -> None:
        """Record the bridge; nothing happens if the call is being recorded already."""
        fmt = fmt or self.record_format
        if fmt not in RECORDABLE:
            raise ValueError(f"cannot record in {fmt!r}; one of {', '.join(RECORDABLE)}")
        check_uuid(call_id)
        async with self._lock(call_id):
            if call_id in self._live:
                return
            take = self._last_take.get(call_id, 0) + 1
            while True:
                if take > MAX_TAKES:
                    raise Conflict(f"call {call_id} has too many recordings already")
                name = recording_name(call_id, take)
                try:
                    await self._ari.bridges.record(bridge_id, name, fmt, if_exists="fail")
                except ari_errors.Conflict:
                    take += 1  # Asterisk still holds a recording of that name
                    continue
                break
            self._remember(call_id, take)
            record = Take(call_id, name, take, fmt, bridge_id)
            self._live[call_id] = record
            self._by_name[name] = record
            log.info("call %s: recording %s on bridge %s", call_id, name, bridge_id)

    async def stop(self, call_id: str) -> None:
        """Stop and keep the recording; a no-op when the call is not being recorded."""
        async with self._lock(call_id):
            take = self._live.pop(call_id, None)
            if take is None:
                return
            try:
                await self._ari.recordings.stop(take.name)
            except ari_errors.NotFound:
                pass  # it ended by itself (the bridge went away): RecordingFinished follows
            except ari_errors.AriError as exc:
                log.warning("call %s: stopping recording %s failed: %s", call_id, take.name, exc)
        self._locks.pop(call_id, None)

    async def pause(self, call_id: str) -> None:
        await self._set_paused(call_id, True)

    async def unpause(self, call_id: str) -> None:
        await self._set_paused(call_id, False)

    async def _set_paused(self, call_id: str, paused: bool) -> None:
        async with self._lock(call_id):
            take = self._live.get(call_id)
            if take is None:
                raise NotFound(f"call {call_id} is not being recorded", {"call_id": call_id})
            try:
                if paused:
                    await self._ari.recordings.pause(take.name)
                else:
                    await self._ari.recordings.unpause(take.name)
            except ari_errors.NotFound:
                self._live.pop(call_id, None)
                raise NotFound(
                    f"call {call_id} is not being recorded", {"call_id": call_id}
                ) from None
            take.state = RecordingState.PAUSED if paused else RecordingState.RECORDING

    # --- events ---------------------------------------------------------------------

    def _on_finished(self, event: RecordingFinished) -> None:
        recording = event.recording
        take = self._forget(recording.name)
        if take is None:
            if self.on_orphan is not None and recording.state != "canceled":
                self.on_orphan(recording)
            return
        if recording.state == "canceled":
            log.info("call %s: recording %s cancelled", take.call_id, take.name)
            return
        if self.on_finished is not None:
            self.on_finished(Finished(take.call_id, take.name, take.take, take.fmt))

    def _on_failed(self, event: RecordingFailed) -> None:
        take = self._forget(event.recording.name)
        if take is not None:
            log.error(
                "call %s: recording %s failed: %s",
                take.call_id,
                take.name,
                event.recording.cause or "no cause given",
            )

    def _forget(self, name: str) -> Take | None:
        take = self._by_name.pop(name, None)
        if take is not None and self._live.get(take.call_id) is take:
            del self._live[take.call_id]  # ended without a stop: bridge gone, max duration
        return take

    def _lock(self, call_id: str) -> asyncio.Lock:
        return self._locks.setdefault(call_id, asyncio.Lock())

    def _remember(self, call_id: str, take: int) -> None:
        self._last_take[call_id] = take
        self._last_take.move_to_end(call_id)
        while len(self._last_take) > _REMEMBERED_CALLS:
            self._last_take.popitem(last=False)
