"""What the client believes exists versus what Asterisk has, after a reconnect.

Asterisk does not queue events for a disconnected application: whatever
happened while the WebSocket was down (a callee hung up, a bridge was
destroyed, Asterisk restarted and lost every call) is only visible by listing
channels and bridges again. `Tracker` holds the ids the engine cares about,
fed by REST results (originate, create, snoop, bridge create) and by events
(StasisStart in, StasisEnd / ChannelDestroyed / BridgeDestroyed out);
`compute_resync` compares it with Asterisk's lists, purely.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from engine.ari.events import (
    AriMessage,
    BridgeCreated,
    BridgeDestroyed,
    ChannelDestroyed,
    StasisEnd,
    StasisStart,
)
from engine.ari.models import AriModel, Bridge, Channel


@dataclass(frozen=True)
class ResyncReport:
    """The difference found when the event stream (re)connected.

    `vanished_*`: tracked ids Asterisk no longer has; calls to close, with a
    cause such as "lost while disconnected from Asterisk". `unknown_*`: live
    objects the client does not track (a Local channel's `;2` half counts as
    known with its `;1` half). `channels` / `bridges`: the current state of
    the tracked objects still alive, which may have changed while
    disconnected (a ringing call answered, say).
    """

    at: float
    reconnect: bool
    vanished_channels: frozenset[str] = frozenset()
    unknown_channels: tuple[Channel, ...] = ()
    vanished_bridges: frozenset[str] = frozenset()
    unknown_bridges: tuple[Bridge, ...] = ()
    channels: Mapping[str, Channel] = field(default_factory=lambda: MappingProxyType({}))
    bridges: Mapping[str, Bridge] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def changed(self) -> bool:
        return bool(
            self.vanished_channels
            or self.unknown_channels
            or self.vanished_bridges
            or self.unknown_bridges
        )

    def unknown_in_application(self, app: str) -> tuple[Channel, ...]:
        """Unknown channels sitting in `app`: orphans the engine may want to hang up."""
        return tuple(ch for ch in self.unknown_channels if ch.in_application(app))


def _local_sibling(channel_id: str) -> str | None:
    """`abc;2` -> `abc`: the other half of a Local channel pair."""
    base, sep, half = channel_id.rpartition(";")
    return base if sep and half in ("1", "2") else None


def compute_resync(
    tracked_channels: Iterable[str],
    tracked_bridges: Iterable[str],
    live_channels: Iterable[Channel],
    live_bridges: Iterable[Bridge],
    *,
    at: float,
    reconnect: bool,
) -> ResyncReport:
    tracked_ch = frozenset(tracked_channels)
    tracked_br = frozenset(tracked_bridges)
    live_ch = {ch.id: ch for ch in live_channels}
    live_br = {br.id: br for br in live_bridges}
    unknown_ch = tuple(
        ch
        for ch_id, ch in live_ch.items()
        if ch_id not in tracked_ch and _local_sibling(ch_id) not in tracked_ch
    )
    return ResyncReport(
        at=at,
        reconnect=reconnect,
        vanished_channels=tracked_ch - live_ch.keys(),
        unknown_channels=unknown_ch,
        vanished_bridges=tracked_br - live_br.keys(),
        unknown_bridges=tuple(br for br_id, br in live_br.items() if br_id not in tracked_br),
        channels=MappingProxyType({k: v for k, v in live_ch.items() if k in tracked_ch}),
        bridges=MappingProxyType({k: v for k, v in live_br.items() if k in tracked_br}),
    )


class Tracker:
    """The channel and bridge ids the engine holds state for.

    Ids that ended recently are remembered (a bounded number of them) because
    a fast failure's ChannelDestroyed can be read before the originate answer
    that would start tracking the channel.
    """

    def __init__(self, *, remember_ended: int = 4096) -> None:
        self._channels: set[str] = set()
        self._bridges: set[str] = set()
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._remember_ended = remember_ended

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(self._channels)

    @property
    def bridges(self) -> frozenset[str]:
        return frozenset(self._bridges)

    def track_channel(self, channel_id: str) -> None:
        if channel_id not in self._ended:
            self._channels.add(channel_id)

    def untrack_channel(self, channel_id: str) -> None:
        self._channels.discard(channel_id)

    def track_bridge(self, bridge_id: str) -> None:
        self._bridges.add(bridge_id)

    def untrack_bridge(self, bridge_id: str) -> None:
        self._bridges.discard(bridge_id)

    def created(self, obj: AriModel) -> None:
        """A channel or bridge the client itself just brought into being."""
        if isinstance(obj, Channel):
            self.track_channel(obj.id)
        elif isinstance(obj, Bridge):
            self.track_bridge(obj.id)

    def observe(self, message: AriMessage) -> None:
        """Follow the lifecycle events of tracked objects."""
        if isinstance(message, StasisStart):
            self._channels.add(message.channel.id)
        elif isinstance(message, StasisEnd):
            # After StasisEnd the application hears nothing more of the channel.
            self._channels.discard(message.channel.id)
        elif isinstance(message, ChannelDestroyed):
            self._channels.discard(message.channel.id)
            self._ended[message.channel.id] = None
            if len(self._ended) > self._remember_ended:
                self._ended.popitem(last=False)
        elif isinstance(message, BridgeCreated):
            self._bridges.add(message.bridge.id)
        elif isinstance(message, BridgeDestroyed):
            self._bridges.discard(message.bridge.id)

    def apply(self, report: ResyncReport) -> None:
        """Forget what the report found vanished."""
        self._channels -= report.vanished_channels
        self._bridges -= report.vanished_bridges
