"""Campaign status changes as data: which action moves which status where."""

from __future__ import annotations

from engine.errors import Conflict

TRANSITIONS: dict[str, dict[str, str]] = {
    "start": {"draft": "running", "paused": "running", "stopped": "running"},
    "pause": {"running": "paused"},
    "stop": {"draft": "stopped", "running": "stopped", "paused": "stopped"},
    # The runner finishes a campaign whose spool has nothing left to dial.
    "finish": {"running": "finished"},
}


class IllegalCampaignTransition(Conflict):
    error_id = "illegal-transition"


def next_status(action: str, status: str) -> str:
    try:
        return TRANSITIONS[action][status]
    except KeyError:
        allowed = sorted(TRANSITIONS.get(action, {}))
        raise IllegalCampaignTransition(
            f"cannot {action} a campaign that is {status}",
            {"action": action, "status": status, "allowed_from": allowed},
        ) from None
