"""Which entries a claim round takes, and which claims a crash left behind.

`select_claims` is what a campaign runner asks once it holds candidate rows
(on PostgreSQL read with ``FOR UPDATE SKIP LOCKED``, so that two nodes never
see the same row): the first `limit` eligible entries in dialling order, never
two for one number. The runner then marks them claimed in the same
transaction.

`release_orphaned_claims` is the recovery rule run at start-up (and
periodically with a grace): a claimed or dialling entry whose call is not live
goes back to pending, so no entry is lost, while one whose call is still live
stays claimed, so no number is dialled twice. The rule needs the channel id
recorded on the call row *before* the originate is sent (ARI lets us choose
``channelId``), otherwise a call under way would look orphaned.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.dialer.eligibility import assess
from engine.dialer.ordering import order_key
from engine.dialer.views import (
    CampaignStatus,
    CampaignView,
    ComplianceContext,
    SpoolEntryView,
    SpoolState,
)


@dataclass(frozen=True)
class Claim:
    entry_id: int
    position: int
    number: str


def select_claims(
    entries: Iterable[SpoolEntryView],
    campaign: CampaignView,
    ctx: ComplianceContext,
    now: datetime,
    limit: int,
) -> tuple[Claim, ...]:
    """Up to `limit` eligible entries, in `order_key` order, one per number."""
    if limit <= 0 or campaign.status is not CampaignStatus.RUNNING:
        return ()
    live = set(ctx.live_numbers)
    claims: list[Claim] = []
    for entry in sorted(entries, key=lambda e: order_key(e, now)):
        if len(claims) >= limit:
            break
        found = assess(entry, campaign, ctx, now, live, explain=False)
        if found.eligible and found.destination is not None:
            claims.append(Claim(entry.id, found.destination.position, found.destination.number))
            # The number is as good as on a live call from here on.
            live.add(found.destination.number)
    return tuple(claims)


@dataclass(frozen=True)
class ClaimRecord:
    entry_id: int
    state: SpoolState
    claimed_at: datetime | None
    # The channel of the entry's current call (calls.channel_id), None before originate.
    channel_id: str | None


@dataclass(frozen=True)
class Release:
    entry_id: int
    state: SpoolState
    due_at: datetime
    # The call may have reached the callee before its outcome was lost.
    was_dialling: bool


def release_orphaned_claims(
    claims: Iterable[ClaimRecord],
    live_channel_ids: Set[str],
    now: datetime,
    *,
    grace: timedelta = timedelta(0),
    redial_delay: timedelta = timedelta(minutes=5),
) -> tuple[Release, ...]:
    """The claims to put back to pending; every other claim stays as it is.

    `grace` spares claims younger than it that have no channel yet (an
    originate may be in flight); at start-up there is none, so pass 0. An entry
    that was dialling is due again only after `redial_delay`: its call may just
    have rung the callee.
    """
    released = []
    for claim in claims:
        if claim.state not in (SpoolState.CLAIMED, SpoolState.DIALLING):
            continue
        if claim.channel_id is not None and claim.channel_id in live_channel_ids:
            continue
        dialled = claim.state is SpoolState.DIALLING or claim.channel_id is not None
        fresh = claim.claimed_at is not None and now - claim.claimed_at < grace
        if fresh and claim.channel_id is None:
            continue
        due = now + redial_delay if dialled else now
        released.append(Release(claim.entry_id, SpoolState.PENDING, due, dialled))
    return tuple(released)
