"""May this entry be dialled now, on which number, and if not, why and until when.

One function, `evaluate`, decides claims, answers "why is this lead not
dialled?" and, through `summarize`, "why is the hopper empty?": the three can
never disagree.

Rules hold for the entry (state, due, expiry, campaign running and in its
hours, lead cap, bound agent free) or for one destination (DNC, live call,
caps, redial blocks, the callee's calling window). The entry is eligible when
no entry rule blocks and one destination is free; the first free destination,
by priority (larger first) then position, is the one to dial.

Each blocking `Reason` says when it lifts. `lifts_at` None means either never
(`FINAL_BLOCKS`, a DNC entry without expiry) or on an event rather than at a
known time (`EVENT_BLOCKS`: the campaign is resumed, the live call ends, the
bound agent frees up). `next_eligible_at` assumes the event blocks lift and
finds the earliest instant every time-based rule allows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Set
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeGuard
from zoneinfo import ZoneInfo

from engine.dialer.outcomes import Outcome
from engine.dialer.views import (
    IN_FLIGHT_STATES,
    TERMINAL_STATES,
    Attempt,
    CampaignStatus,
    CampaignView,
    ComplianceContext,
    DestinationView,
    SpoolEntryView,
    SpoolState,
)
from engine.dialer.windows import (
    callee_zones,
    is_callable,
    is_open,
    next_local_midnight,
    next_open,
    next_open_all,
    next_window_start,
    zone,
)


class Block(StrEnum):
    """Why an entry is not dialled; the values are stable API ids."""

    FINISHED = "finished"
    IN_FLIGHT = "in_flight"
    NOT_DUE = "not_due"
    EXPIRED = "expired"
    CAMPAIGN_NOT_RUNNING = "campaign_not_running"
    OUTSIDE_CAMPAIGN_HOURS = "outside_campaign_hours"
    MAX_ATTEMPTS_LEAD = "max_attempts_lead"
    BOUND_AGENT_UNAVAILABLE = "bound_agent_unavailable"
    NO_DESTINATION_LEFT = "no_destination_left"
    OUTSIDE_CALLING_WINDOW = "outside_calling_window"
    DNC = "dnc"
    NUMBER_ON_LIVE_CALL = "number_on_live_call"
    MAX_ATTEMPTS_NUMBER = "max_attempts_number"
    ROLLING_WINDOW_CAP = "rolling_window_cap"
    ABANDON_REDIAL_BLOCK = "abandon_redial_block"
    MACHINE_SAME_DAY_BLOCK = "machine_same_day_block"


EVENT_BLOCKS = frozenset(
    {
        Block.IN_FLIGHT,
        Block.CAMPAIGN_NOT_RUNNING,
        Block.BOUND_AGENT_UNAVAILABLE,
        Block.NUMBER_ON_LIVE_CALL,
    }
)
# The entry can never be dialled again: the shell may move it to a terminal state.
FINAL_BLOCKS = frozenset(
    {Block.FINISHED, Block.EXPIRED, Block.MAX_ATTEMPTS_LEAD, Block.NO_DESTINATION_LEFT}
)


@dataclass(frozen=True)
class Reason:
    block: Block
    lifts_at: datetime | None
    # The destination concerned; None for a rule of the whole entry.
    position: int | None = None


@dataclass(frozen=True)
class Verdict:
    entry_id: int
    eligible: bool
    reasons: tuple[Reason, ...]
    destination: DestinationView | None
    next_eligible_at: datetime | None
    final: bool

    @property
    def blocks(self) -> frozenset[Block]:
        return frozenset(r.block for r in self.reasons)


@dataclass(frozen=True)
class _Round:
    """Everything a rule reads besides the entry and the destination."""

    campaign: CampaignView
    ctx: ComplianceContext
    live: Set[str]
    now: datetime
    # False on the claim path: only whether something blocks matters, not until when.
    explain: bool = True
    # True when searching the future: events are assumed to come.
    ignore_events: bool = False

    def keeps(self, reason: Reason | None) -> TypeGuard[Reason]:
        return reason is not None and not (self.ignore_events and reason.block in EVENT_BLOCKS)


@dataclass(frozen=True)
class Assessment:
    entry_reasons: tuple[Reason, ...]
    destination_reasons: tuple[Reason, ...]
    destination: DestinationView | None
    # Every remaining destination blocked for good.
    no_destination_left: bool

    @property
    def eligible(self) -> bool:
        return self.destination is not None and not self.entry_reasons

    @property
    def reasons(self) -> tuple[Reason, ...]:
        left = (Reason(Block.NO_DESTINATION_LEFT, None),) if self.no_destination_left else ()
        chosen = () if self.destination is not None else self.destination_reasons
        return self.entry_reasons + left + chosen


def evaluate(
    entry: SpoolEntryView, campaign: CampaignView, ctx: ComplianceContext, now: datetime
) -> Verdict:
    """Every rule that blocks `entry` at `now`, the number to dial if none does."""
    found = assess(entry, campaign, ctx, now, ctx.live_numbers)
    final = any(r.block in FINAL_BLOCKS for r in found.reasons)
    if found.eligible:
        next_at: datetime | None = now
    else:
        next_at = None if final else _next_eligible(entry, campaign, ctx, now)
    return Verdict(
        entry_id=entry.id,
        eligible=found.eligible,
        reasons=found.reasons,
        destination=found.destination if found.eligible else None,
        next_eligible_at=next_at,
        final=final,
    )


def closing_state(verdict: Verdict) -> SpoolState | None:
    """The terminal state for a waiting entry that can never be dialled, else None."""
    if not verdict.final or Block.FINISHED in verdict.blocks:
        return None
    return SpoolState.EXPIRED if Block.EXPIRED in verdict.blocks else SpoolState.FAILED


def summarize(verdicts: Iterable[Verdict]) -> dict[Block, int]:
    """How many entries each rule blocks (an entry counts once per rule), most first."""
    counts: Counter[Block] = Counter()
    for verdict in verdicts:
        counts.update(verdict.blocks)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0].value)))


def assess(
    entry: SpoolEntryView,
    campaign: CampaignView,
    ctx: ComplianceContext,
    now: datetime,
    live: Set[str],
    *,
    explain: bool = True,
) -> Assessment:
    """The rules without the search for when the entry is next eligible.

    With `explain` False (the claim path) a destination's rules stop at the
    first that blocks and periodic rules do not compute when they lift: the
    answer to "eligible, on which number?" is the same, the reasons are partial.
    """
    state = _Round(campaign, ctx, live, now, explain)
    entry_reasons = [r for r in _entry_reasons(entry, state) if state.keeps(r)]
    remaining = sorted(
        (d for d in entry.destinations if not d.exhausted), key=lambda d: (-d.priority, d.position)
    )
    blocked: list[Reason] = []
    chosen = None
    permanently_blocked = 0
    for dest in remaining:
        reasons = list(_destination_reasons(entry, dest, state))
        if not reasons:
            chosen = dest
            break
        blocked.extend(reasons)
        permanently_blocked += any(_permanent(r) for r in reasons)
    return Assessment(
        entry_reasons=tuple(entry_reasons),
        destination_reasons=tuple(blocked),
        destination=chosen,
        no_destination_left=chosen is None and permanently_blocked == len(remaining),
    )


def _permanent(reason: Reason) -> bool:
    return reason.lifts_at is None and reason.block not in EVENT_BLOCKS


def _next_eligible(
    entry: SpoolEntryView, campaign: CampaignView, ctx: ComplianceContext, now: datetime
) -> datetime | None:
    """The earliest instant every time-based rule allows, events assumed to come.

    Besides the two periodic rules (campaign hours, calling window), every
    time-based rule stays lifted once lifted (due, DNC expiry, rolling cap,
    redial blocks) as long as no call is made. So for each destination the
    answer is the first instant after the last of those lifts that is open in
    both the campaign's hours and the callee's window: one search.
    """
    state = _Round(campaign, ctx, frozenset(), now, explain=False, ignore_events=True)
    hours = (campaign.hours, (zone(campaign.timezone),))
    earliest = max(now, entry.due_at)
    best: datetime | None = None
    for dest in entry.destinations:
        if dest.exhausted:
            continue
        blocking = [r for rule in _MONOTONE_RULES if (r := rule(entry, dest, state)) is not None]
        lifts = [r.lifts_at for r in blocking]
        if None in lifts:
            continue
        start = max([earliest, *(d for d in lifts if d is not None)])
        window = (campaign.rule_pack.window_for(dest.number), _zones(entry, dest, state))
        opens = next_open_all([hours, window], start)
        if opens is not None and (best is None or opens < best):
            best = opens
    if best is not None and entry.expires_at is not None and best >= entry.expires_at:
        return None
    return best


# --- the rules of the entry -------------------------------------------------------------


def _entry_reasons(entry: SpoolEntryView, state: _Round) -> Iterable[Reason | None]:
    campaign, now = state.campaign, state.now
    if entry.state in TERMINAL_STATES:
        yield Reason(Block.FINISHED, None)
    elif entry.state in IN_FLIGHT_STATES:
        yield Reason(Block.IN_FLIGHT, None)
    if entry.due_at > now:
        yield Reason(Block.NOT_DUE, entry.due_at)
    if entry.expires_at is not None and entry.expires_at <= now:
        yield Reason(Block.EXPIRED, None)
    if campaign.status is not CampaignStatus.RUNNING:
        yield Reason(Block.CAMPAIGN_NOT_RUNNING, None)
    campaign_zone = (zone(campaign.timezone),)
    if not is_open(campaign.hours, campaign_zone, now):
        opens = next_open(campaign.hours, campaign_zone, now) if state.explain else None
        yield Reason(Block.OUTSIDE_CAMPAIGN_HOURS, opens)
    # A callback was asked for by the callee: the anti-harassment caps of the
    # campaign do not apply to it (the legal rolling cap still does).
    per_lead = campaign.caps.per_lead
    if per_lead is not None and entry.attempts >= per_lead and not entry.is_callback:
        yield Reason(Block.MAX_ATTEMPTS_LEAD, None)
    agents, bound = state.ctx.available_agents, entry.bound_agent_id
    if bound is not None and agents is not None and bound not in agents:
        yield Reason(Block.BOUND_AGENT_UNAVAILABLE, None)


# --- the rules of one destination -------------------------------------------------------

_DestinationRule = Callable[[SpoolEntryView, DestinationView, _Round], Reason | None]


def _destination_reasons(
    entry: SpoolEntryView, dest: DestinationView, state: _Round
) -> Iterator[Reason]:
    for rule in _DESTINATION_RULES:
        reason = rule(entry, dest, state)
        if state.keeps(reason):
            yield reason
            if not state.explain:
                return


def _dnc(entry: SpoolEntryView, dest: DestinationView, state: _Round) -> Reason | None:
    if dest.number not in state.ctx.dnc:
        return None
    expires = state.ctx.dnc[dest.number]
    if expires is not None and expires <= state.now:
        return None
    return Reason(Block.DNC, expires, dest.position)


def _live_call(entry: SpoolEntryView, dest: DestinationView, state: _Round) -> Reason | None:
    if dest.number in state.live:
        return Reason(Block.NUMBER_ON_LIVE_CALL, None, dest.position)
    return None


def _number_cap(entry: SpoolEntryView, dest: DestinationView, state: _Round) -> Reason | None:
    cap = state.campaign.caps.per_number
    if cap is not None and dest.attempts >= cap and not entry.is_callback:
        return Reason(Block.MAX_ATTEMPTS_NUMBER, None, dest.position)
    return None


def _rolling_cap(entry: SpoolEntryView, dest: DestinationView, state: _Round) -> Reason | None:
    own = state.campaign.caps.rolling
    caps = [*((own,) if own else ()), *state.campaign.rule_pack.rolling_caps_for(dest.number)]
    lifts = []
    for cap in caps:
        times = [a.at for a in _attempts(dest, state) if state.now - a.at < cap.window]
        if len(times) >= cap.max_attempts:
            # Lifts when enough of the oldest attempts have left the window.
            lifts.append(times[len(times) - cap.max_attempts] + cap.window)
    if not lifts:
        return None
    return Reason(Block.ROLLING_WINDOW_CAP, max(lifts), dest.position)


def _abandon_block(entry: SpoolEntryView, dest: DestinationView, state: _Round) -> Reason | None:
    block = state.campaign.retry.abandon_redial_block
    last = _last(dest, state, Outcome.ABANDONED)
    if not block or last is None or state.now >= last + block:
        return None
    return Reason(Block.ABANDON_REDIAL_BLOCK, last + block, dest.position)


def _machine_block(entry: SpoolEntryView, dest: DestinationView, state: _Round) -> Reason | None:
    last = _last(dest, state, Outcome.MACHINE)
    if not state.campaign.retry.machine_same_day_block or last is None:
        return None
    # The callee's day, in every zone they may be in.
    lifts = next_local_midnight(_zones(entry, dest, state), last)
    if state.now >= lifts:
        return None
    return Reason(Block.MACHINE_SAME_DAY_BLOCK, lifts, dest.position)


def _window(entry: SpoolEntryView, dest: DestinationView, state: _Round) -> Reason | None:
    zones = _zones(entry, dest, state)
    pack = state.campaign.rule_pack
    if is_callable(pack, dest.number, zones, state.now):
        return None
    opens = next_window_start(pack, dest.number, zones, state.now) if state.explain else None
    return Reason(Block.OUTSIDE_CALLING_WINDOW, opens, dest.position)


_DESTINATION_RULES: tuple[_DestinationRule, ...] = (
    _dnc,
    _live_call,
    _number_cap,
    _rolling_cap,
    _abandon_block,
    _machine_block,
    _window,
)
# The rules that, once lifted, stay lifted (as long as no new call is made).
_MONOTONE_RULES: tuple[_DestinationRule, ...] = (
    _dnc,
    _number_cap,
    _rolling_cap,
    _abandon_block,
    _machine_block,
)


def _zones(entry: SpoolEntryView, dest: DestinationView, state: _Round) -> tuple[ZoneInfo, ...]:
    return callee_zones(entry.timezone, dest.number, state.campaign.timezone)


def _attempts(dest: DestinationView, state: _Round) -> list[Attempt]:
    """The number's recent attempts, oldest first, including the destination's last."""
    known = list(state.ctx.attempts_by_number.get(dest.number, ()))
    if dest.last_attempt_at is not None and dest.last_outcome is not None:
        own = Attempt(dest.number, dest.last_attempt_at, dest.last_outcome)
        if own not in known:
            known.append(own)
            known.sort(key=lambda a: a.at)
    return [a for a in known if a.at <= state.now]


def _last(dest: DestinationView, state: _Round, outcome: Outcome) -> datetime | None:
    times = [a.at for a in _attempts(dest, state) if a.outcome is outcome]
    return times[-1] if times else None
