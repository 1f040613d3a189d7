"""Dialling order, claim selection and crash recovery."""

from __future__ import annotations

from datetime import timedelta

from engine.dialer.claims import (
    Claim,
    ClaimRecord,
    Release,
    release_orphaned_claims,
    select_claims,
)
from engine.dialer.ordering import order_key
from engine.dialer.views import CampaignStatus, ComplianceContext, SpoolState

from .builders import NOON, NUMBER, OTHER, campaign, dest, entry

EMPTY = ComplianceContext()
HOUR = timedelta(hours=1)


def test_order_due_callback_first_then_priority_due_time_and_age() -> None:
    entries = [
        entry(1, priority=0, due_at=NOON - HOUR),
        entry(2, priority=5, due_at=NOON - HOUR),
        entry(3, priority=5, due_at=NOON - 2 * HOUR),
        entry(4, priority=0, due_at=NOON, is_callback=True),
        entry(5, priority=9, due_at=NOON + HOUR),  # not due yet
        entry(6, priority=5, due_at=NOON - 2 * HOUR),
        entry(7, priority=9, due_at=NOON + HOUR, is_callback=True),  # not due yet
    ]
    ordered = sorted(entries, key=lambda e: order_key(e, NOON))
    assert [e.id for e in ordered] == [4, 3, 6, 2, 1, 5, 7]


def test_select_claims_in_order_up_to_the_limit() -> None:
    entries = [
        entry(1, destinations=(dest(0, "+12125550101"),), priority=1),
        entry(2, destinations=(dest(0, "+12125550102"),), priority=3),
        entry(3, destinations=(dest(0, "+12125550103"),), priority=2),
    ]
    claims = select_claims(entries, campaign(), EMPTY, NOON, limit=2)
    assert claims == (Claim(2, 0, "+12125550102"), Claim(3, 0, "+12125550103"))


def test_select_claims_never_two_entries_for_one_number() -> None:
    entries = [
        entry(1, destinations=(dest(0, NUMBER),)),
        entry(2, destinations=(dest(0, NUMBER), dest(1, OTHER))),
        entry(3, destinations=(dest(0, NUMBER),)),
    ]
    claims = select_claims(entries, campaign(), EMPTY, NOON, limit=10)
    # Entry 2 falls back to its alternate; entry 3 has none.
    assert claims == (Claim(1, 0, NUMBER), Claim(2, 1, OTHER))


def test_select_claims_skips_live_numbers_and_paused_campaigns() -> None:
    ctx = ComplianceContext.of(live_numbers=[NUMBER])
    assert select_claims([entry()], campaign(), ctx, NOON, limit=5) == ()
    paused = campaign(status=CampaignStatus.PAUSED)
    assert select_claims([entry()], paused, EMPTY, NOON, limit=5) == ()
    assert select_claims([entry()], campaign(), EMPTY, NOON, limit=0) == ()


def test_select_claims_skips_ineligible_and_goes_on() -> None:
    entries = [
        entry(1, due_at=NOON + HOUR, destinations=(dest(0, "+12125550101"),)),
        entry(2, state=SpoolState.DIALLING, destinations=(dest(0, "+12125550102"),)),
        entry(3, destinations=(dest(0, "+12125550103"),)),
    ]
    assert select_claims(entries, campaign(), EMPTY, NOON, limit=5) == (
        Claim(3, 0, "+12125550103"),
    )


def test_release_orphaned_claims() -> None:
    claims = [
        # Claimed, never originated: back to pending, due now.
        ClaimRecord(1, SpoolState.CLAIMED, NOON - HOUR, None),
        # Dialling, the call is still up: it stays.
        ClaimRecord(2, SpoolState.DIALLING, NOON - HOUR, "chan-2"),
        # Dialling, the channel is gone: back to pending after the redial delay.
        ClaimRecord(3, SpoolState.DIALLING, NOON - HOUR, "chan-3"),
        # Not a claim.
        ClaimRecord(4, SpoolState.PENDING, None, None),
        ClaimRecord(5, SpoolState.DONE, NOON - HOUR, "chan-5"),
    ]
    released = release_orphaned_claims(claims, {"chan-2"}, NOON)
    assert released == (
        Release(1, SpoolState.PENDING, NOON, was_dialling=False),
        Release(3, SpoolState.PENDING, NOON + timedelta(minutes=5), was_dialling=True),
    )


def test_release_spares_fresh_claims_within_the_grace() -> None:
    fresh = ClaimRecord(1, SpoolState.CLAIMED, NOON - timedelta(seconds=5), None)
    stale = ClaimRecord(2, SpoolState.CLAIMED, NOON - timedelta(minutes=5), None)
    released = release_orphaned_claims([fresh, stale], set(), NOON, grace=timedelta(seconds=30))
    assert [r.entry_id for r in released] == [2]
    # At start-up nothing is in flight: every claim without a live call goes back.
    assert len(release_orphaned_claims([fresh, stale], set(), NOON)) == 2
