"""What a pacing policy is shown: one instant of the campaign, as a live engine sees it."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from engine.dialer.pacing.stats import CampaignStats


class AgentState(enum.Enum):
    AVAILABLE = "available"
    TALKING = "talking"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"
    # Chosen for an answered call that is being bridged: busy from now on.
    RESERVED = "reserved"


class AgentView(NamedTuple):
    """An agent's state and the instant it entered it (time in state = now - since).

    `since` rather than the elapsed time so that a caller can keep one view per
    agent and replace it only when the state changes.
    """

    state: AgentState
    since: float


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The campaign at `now`.

    `dialling` holds the dial instants of the calls in flight: originated, not
    yet known to be a live answer nor failed (a machine still under AMD is in
    flight). `waiting` holds the answer instants of live callees not yet routed
    to an agent. The sequences may be the caller's own buffers: a policy reads
    them during `decide` and keeps no reference.
    """

    now: float
    agents: Sequence[AgentView]
    dialling: Sequence[float]
    waiting: Sequence[float]
    stats: CampaignStats
    max_lines_per_agent: float = 3.0
    # Agents per state; computed from `agents` when not given. A caller that
    # keeps the tallies up to date saves a pass over every agent per decision.
    counts: Mapping[AgentState, int] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.counts is None:
            # list.count compares by identity first: far cheaper than hashing enums.
            states = list(map(_state, self.agents))
            object.__setattr__(self, "counts", {s: states.count(s) for s in AgentState})

    def count(self, state: AgentState) -> int:
        assert self.counts is not None
        return self.counts.get(state, 0)

    @property
    def active_agents(self) -> int:
        """Agents logged in and not paused: those calls can be dialled for."""
        return len(self.agents) - self.count(AgentState.PAUSED)

    @property
    def in_flight(self) -> int:
        """Lines held by calls not yet bridged to an agent."""
        return len(self.dialling) + len(self.waiting)

    def line_room(self) -> int:
        """How many more calls the lines-per-agent cap allows now."""
        cap = int(self.max_lines_per_agent * self.active_agents + 1e-9)
        return max(0, cap - self.in_flight)

    def progressive_lines(self) -> int:
        """One line per available agent not already covered by a call in flight."""
        available = self.count(AgentState.AVAILABLE)
        return max(0, min(available - self.in_flight, self.line_room()))


_state = attrgetter("state")


class PacingPolicy(Protocol):
    """Decides how many new calls to originate at one instant.

    `interval` is how often (seconds) the runner asks; `decide` may be called
    at other instants too and must tolerate it.
    """

    name: str
    interval: float

    def decide(self, snapshot: Snapshot) -> int: ...
