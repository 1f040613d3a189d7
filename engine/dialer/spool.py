"""The spool rules: the one import the shell and the simulator need.

Pure functions of immutable views and an explicit `now` (an aware UTC
datetime); nothing here reads a clock, a database or the network.

- eligibility (engine/dialer/eligibility.py): `evaluate` says whether an entry
  may be dialled now, on which number, every rule that blocks it and when each
  lifts; `summarize` aggregates verdicts for a campaign;
- ordering (engine/dialer/ordering.py): `order_key`, due callbacks first, then
  priority, due time and age;
- claims (engine/dialer/claims.py): `select_claims` for a claim round,
  `release_orphaned_claims` for crash recovery;
- retry (engine/dialer/retry.py): `decide` maps a call outcome or an agent's
  disposition to a `SpoolAction` through the campaign's retry policy;
- calling windows and rule packs (engine/dialer/windows.py).
"""

from __future__ import annotations

from engine.dialer.claims import (
    Claim,
    ClaimRecord,
    Release,
    release_orphaned_claims,
    select_claims,
)
from engine.dialer.eligibility import (
    EVENT_BLOCKS,
    FINAL_BLOCKS,
    Block,
    Reason,
    Verdict,
    closing_state,
    evaluate,
    summarize,
)
from engine.dialer.ordering import OrderKey, order_key
from engine.dialer.outcomes import Outcome
from engine.dialer.policy import AttemptCaps, RetryPolicy, RetryRule, RollingCap
from engine.dialer.retry import (
    Callback,
    DestinationUpdate,
    Disposition,
    DispositionAction,
    SpoolAction,
    apply_action,
    decide,
    next_alternate,
)
from engine.dialer.views import (
    IN_FLIGHT_STATES,
    TERMINAL_STATES,
    WAITING_STATES,
    Attempt,
    CampaignStatus,
    CampaignView,
    ComplianceContext,
    DestinationView,
    SpoolEntryView,
    SpoolState,
)

__all__ = [
    "EVENT_BLOCKS",
    "FINAL_BLOCKS",
    "IN_FLIGHT_STATES",
    "TERMINAL_STATES",
    "WAITING_STATES",
    "Attempt",
    "AttemptCaps",
    "Block",
    "Callback",
    "CampaignStatus",
    "CampaignView",
    "Claim",
    "ClaimRecord",
    "ComplianceContext",
    "DestinationUpdate",
    "DestinationView",
    "Disposition",
    "DispositionAction",
    "OrderKey",
    "Outcome",
    "Reason",
    "Release",
    "RetryPolicy",
    "RetryRule",
    "RollingCap",
    "SpoolAction",
    "SpoolEntryView",
    "SpoolState",
    "Verdict",
    "apply_action",
    "closing_state",
    "decide",
    "evaluate",
    "next_alternate",
    "order_key",
    "release_orphaned_claims",
    "select_claims",
    "summarize",
]
