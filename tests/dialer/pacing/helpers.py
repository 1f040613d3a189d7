"""Snapshots built by hand for the policy tests."""

from __future__ import annotations

from engine.dialer.pacing import AgentState, AgentView, CampaignStats, Snapshot

NOW = 10_000.0


def snapshot(
    *,
    available: int = 0,
    talking: tuple[float, ...] = (),
    wrapping: tuple[float, ...] = (),
    paused: int = 0,
    dialling: tuple[float, ...] = (),
    waiting: tuple[float, ...] = (),
    stats: CampaignStats | None = None,
    now: float = NOW,
    max_lines_per_agent: float = 3.0,
) -> Snapshot:
    """Agents talking / wrapping for the given elapsed seconds; calls in flight
    and callees waiting given by their ages."""
    agents = [AgentView(AgentState.AVAILABLE, now - 5.0)] * available
    agents += [AgentView(AgentState.TALKING, now - e) for e in talking]
    agents += [AgentView(AgentState.WRAP_UP, now - e) for e in wrapping]
    agents += [AgentView(AgentState.PAUSED, now - 60.0)] * paused
    return Snapshot(
        now=now,
        agents=agents,
        dialling=[now - a for a in dialling],
        waiting=[now - w for w in waiting],
        stats=stats or CampaignStats(now),
        max_lines_per_agent=max_lines_per_agent,
    )
