"""Properties of the spool rules over random spools, clocks and outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.dialer.claims import Claim, ClaimRecord, release_orphaned_claims, select_claims
from engine.dialer.eligibility import closing_state, evaluate
from engine.dialer.ordering import order_key
from engine.dialer.outcomes import Outcome
from engine.dialer.policy import AttemptCaps, RetryPolicy, RollingCap
from engine.dialer.retry import Disposition, DispositionAction, apply_action, decide
from engine.dialer.us_states import state_rule
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
from engine.dialer.windows import (
    FR,
    UK_OFCOM,
    US_STATES,
    US_TCPA,
    TimeRange,
    WeeklySchedule,
    callee_zones,
    campaign_hours,
    is_callable,
    is_open,
    next_open,
    zone,
)

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NUMBERS = (
    "+12125550101",  # New York
    "+12125550102",
    "+14155550103",  # Los Angeles
    "+442071234567",  # London
    "+33142685300",  # Paris
    "+18005550104",  # toll free: every North American zone
    "+13055550105",  # Miami: Florida's 08:00-20:00, 3 calls a day
    "+12145550106",  # Dallas: Texas, Sundays from noon
)
# Around the US and EU DST changes, midsummer and French holidays.
BASES = (
    datetime(2025, 3, 8, 12, tzinfo=UTC),
    datetime(2025, 3, 29, 12, tzinfo=UTC),
    datetime(2025, 6, 6, 12, tzinfo=UTC),
    datetime(2025, 10, 25, 12, tzinfo=UTC),
    datetime(2025, 11, 1, 12, tzinfo=UTC),
    datetime(2025, 12, 23, 12, tzinfo=UTC),
)
LEAD_ZONES = (None, None, None, "America/Chicago", "Europe/Paris", "Australia/Lord_Howe")
HOURS = (
    [],
    [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}],
    [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "07:00", "end": "23:00"}],
)
CALL_OUTCOMES = tuple(Outcome)


@st.composite
def clocks(draw: st.DrawFn) -> datetime:
    base = draw(st.sampled_from(BASES))
    return base + timedelta(seconds=draw(st.integers(0, 7 * 86_400)))


@st.composite
def destination_lists(draw: st.DrawFn) -> tuple[DestinationView, ...]:
    numbers = draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3, unique=True))
    return tuple(
        DestinationView(
            position=i,
            number=number,
            priority=draw(st.integers(0, 2)),
            attempts=draw(st.integers(0, 3)),
            exhausted=draw(st.integers(0, 5)) == 0,
        )
        for i, number in enumerate(numbers)
    )


@st.composite
def spools(draw: st.DrawFn, now: datetime, max_size: int = 8) -> list[SpoolEntryView]:
    size = draw(st.integers(1, max_size))
    entries = []
    for entry_id in range(1, size + 1):
        expires = draw(st.none() | st.integers(-600, 20_000))
        entries.append(
            SpoolEntryView(
                id=entry_id,
                campaign_id=1,
                due_at=now + timedelta(minutes=draw(st.integers(-3_000, 600))),
                destinations=draw(destination_lists()),
                priority=draw(st.integers(0, 3)),
                state=draw(
                    st.sampled_from(
                        [SpoolState.PENDING] * 4
                        + [SpoolState.WAITING_RETRY] * 2
                        + [SpoolState.CLAIMED]
                    )
                ),
                expires_at=None if expires is None else now + timedelta(minutes=expires),
                attempts=draw(st.integers(0, 4)),
                is_callback=draw(st.integers(0, 4)) == 0,
                timezone=draw(st.sampled_from(LEAD_ZONES)),
            )
        )
    return entries


@st.composite
def campaigns(draw: st.DrawFn) -> CampaignView:
    rolling = draw(
        st.sampled_from([None, RollingCap(2, timedelta(days=1)), RollingCap(4, timedelta(days=30))])
    )
    caps = AttemptCaps(
        per_number=draw(st.sampled_from([None, 2, 4])),
        per_lead=draw(st.sampled_from([None, 3, 6])),
        rolling=rolling,
    )
    return CampaignView(
        id=1,
        status=draw(st.sampled_from([CampaignStatus.RUNNING] * 5 + [CampaignStatus.PAUSED])),
        rule_pack=draw(st.sampled_from([US_TCPA, US_STATES, UK_OFCOM, FR])),
        retry=RetryPolicy(caps=caps),
        hours=campaign_hours(draw(st.sampled_from(HOURS))),
        timezone=draw(st.sampled_from(["America/New_York", "Europe/London", "Europe/Paris"])),
    )


@st.composite
def contexts(draw: st.DrawFn, now: datetime) -> ComplianceContext:
    attempts = draw(
        st.lists(
            st.tuples(
                st.sampled_from(NUMBERS),
                st.integers(0, 40 * 24 * 60).map(lambda m: now - timedelta(minutes=m)),
                st.sampled_from(CALL_OUTCOMES),
            ),
            max_size=8,
        )
    )
    return ComplianceContext.of(
        dnc=draw(st.sets(st.sampled_from(NUMBERS), max_size=2)),
        live_numbers=draw(st.sets(st.sampled_from(NUMBERS), max_size=2)),
        recent_attempts=attempts,
    )


# --- what a claimed destination must satisfy, checked independently of the rules ---------


def _zones(entry: SpoolEntryView, number: str, campaign: CampaignView) -> tuple[ZoneInfo, ...]:
    return callee_zones(entry.timezone, number, campaign.timezone)


def _history(ctx: ComplianceContext, number: str, now: datetime) -> list[Attempt]:
    return [a for a in ctx.recent_attempts if a.number == number and a.at <= now]


def assert_claim_allowed(
    entry: SpoolEntryView,
    dest: DestinationView,
    campaign: CampaignView,
    ctx: ComplianceContext,
    now: datetime,
) -> None:
    zones = _zones(entry, dest.number, campaign)
    assert campaign.status is CampaignStatus.RUNNING
    assert entry.state in WAITING_STATES
    assert entry.due_at <= now
    assert entry.expires_at is None or entry.expires_at > now
    assert not dest.exhausted
    assert dest.number not in ctx.dnc, "a DNC number was chosen"
    assert is_callable(campaign.rule_pack, dest.number, zones, now), (
        "dialled outside the calling window"
    )
    state = state_rule(dest.number)
    if campaign.rule_pack is US_STATES and state is not None:
        for place in zones:
            local = now.astimezone(place)
            hours = state.sunday if local.weekday() == 6 else state.monday_to_saturday
            assert hours is not None, "dialled on a Sunday the state bars"
            assert hours[0] <= local.strftime("%H:%M") < hours[1], "outside the state's hours"
    assert is_open(campaign.hours, (zone(campaign.timezone),), now)
    caps = campaign.caps
    if not entry.is_callback:
        assert caps.per_lead is None or entry.attempts < caps.per_lead
        assert caps.per_number is None or dest.attempts < caps.per_number
    history = _history(ctx, dest.number, now)
    for cap in (caps.rolling, *campaign.rule_pack.rolling_caps_for(dest.number)):
        if cap is not None:
            recent = [a for a in history if now - a.at < cap.window]
            assert len(recent) < cap.max_attempts, "rolling cap exceeded"
    for attempt in history:
        if attempt.outcome is Outcome.ABANDONED:
            assert now - attempt.at >= campaign.retry.abandon_redial_block
        if attempt.outcome is Outcome.MACHINE:
            assert all(now.astimezone(z).date() > attempt.at.astimezone(z).date() for z in zones)


@SETTINGS
@given(st.data())
def test_claims_obey_every_rule(data: st.DataObject) -> None:
    now = data.draw(clocks())
    entries = data.draw(spools(now))
    campaign = data.draw(campaigns())
    ctx = data.draw(contexts(now))
    limit = data.draw(st.integers(1, 6))

    claims = select_claims(entries, campaign, ctx, now, limit)

    assert len(claims) <= limit
    numbers = [c.number for c in claims]
    assert len(set(numbers)) == len(numbers), "two entries for one number"
    assert not set(numbers) & ctx.live_numbers
    by_id = {e.id: e for e in entries}
    live = set(ctx.live_numbers)
    for claim in claims:
        entry = by_id[claim.entry_id]
        dest = entry.destination(claim.position)
        assert dest.number == claim.number
        assert_claim_allowed(entry, dest, campaign, ctx, now)
        # The claim path and the explaining path agree.
        verdict = evaluate(entry, campaign, replace(ctx, live_numbers=frozenset(live)), now)
        assert verdict.eligible
        assert verdict.destination == dest
        live.add(claim.number)
    keys = [order_key(by_id[c.entry_id], now) for c in claims]
    assert keys == sorted(keys)
    # Nothing eligible was passed over while there was room.
    if len(claims) < limit:
        claimed = {c.entry_id for c in claims}
        everything = replace(ctx, live_numbers=frozenset(live))
        for entry in entries:
            if entry.id not in claimed:
                assert not evaluate(entry, campaign, everything, now).eligible


@SETTINGS
@given(st.data())
def test_next_eligible_at_is_the_first_eligible_instant(data: st.DataObject) -> None:
    now = data.draw(clocks())
    entry = data.draw(spools(now, max_size=1))[0]
    campaign = data.draw(campaigns())
    ctx = data.draw(contexts(now))

    verdict = evaluate(entry, campaign, ctx, now)

    if verdict.eligible:
        assert verdict.destination is not None
        assert_claim_allowed(entry, verdict.destination, campaign, ctx, now)
        assert verdict.next_eligible_at == now
        return
    assert verdict.destination is None
    if verdict.final:
        assert verdict.next_eligible_at is None
        assert entry.state in TERMINAL_STATES or closing_state(verdict) is not None
        return
    at = verdict.next_eligible_at
    if at is None:
        return
    # Once the event blocks have lifted, the entry is eligible then and not a second before.
    quiet = replace(ctx, live_numbers=frozenset(), available_agents=None)
    resumed = replace(campaign, status=CampaignStatus.RUNNING)
    waiting = replace(entry, state=SpoolState.PENDING)
    assert evaluate(waiting, resumed, quiet, at).eligible
    if at - timedelta(seconds=1) >= now:
        assert not evaluate(waiting, resumed, quiet, at - timedelta(seconds=1)).eligible


ZONE_POOL = (
    "America/New_York",
    "Europe/London",
    "Europe/Paris",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "America/Santiago",  # changes at midnight
    "Asia/Kolkata",
)
DST_DAYS = (
    datetime(2025, 3, 8, tzinfo=UTC),
    datetime(2025, 3, 29, tzinfo=UTC),
    datetime(2025, 4, 5, tzinfo=UTC),
    datetime(2025, 9, 6, tzinfo=UTC),
    datetime(2025, 10, 4, tzinfo=UTC),
    datetime(2025, 10, 25, tzinfo=UTC),
    datetime(2025, 11, 1, tzinfo=UTC),
)


@st.composite
def schedules(draw: st.DrawFn) -> WeeklySchedule:
    days = []
    for _ in range(7):
        quarters = sorted(draw(st.sets(st.integers(0, 96), min_size=0, max_size=4)))
        ranges = tuple(
            TimeRange(a * 15, b * 15) for a, b in zip(quarters[::2], quarters[1::2], strict=False)
        )
        days.append(ranges)
    return WeeklySchedule(tuple(days))


def _brute_force(
    schedule: WeeklySchedule, zones: Sequence[ZoneInfo], now: datetime, horizon: timedelta
) -> datetime | None:
    if is_open(schedule, zones, now):
        return now
    # Openings fall on whole minutes (range starts and DST changes alike).
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute < now + horizon:
        if is_open(schedule, zones, minute):
            return minute
        minute += timedelta(minutes=1)
    return None


@settings(max_examples=30, deadline=None, database=None)
@given(
    schedules(),
    st.lists(st.sampled_from(ZONE_POOL), min_size=1, max_size=2, unique=True),
    st.sampled_from(DST_DAYS),
    st.integers(0, 3 * 86_400),
)
def test_next_open_matches_a_minute_by_minute_scan(
    schedule: WeeklySchedule, names: list[str], day: datetime, offset: int
) -> None:
    zones = tuple(ZoneInfo(n) for n in names)
    now = day + timedelta(seconds=offset)
    horizon = timedelta(days=2)
    assert next_open(schedule, zones, now, horizon) == _brute_force(schedule, zones, now, horizon)


# --- a whole campaign run: claims, outcomes, dispositions ----------------------------------


def _disposition(data: st.DataObject, entry: SpoolEntryView, now: datetime) -> Disposition:
    action = data.draw(st.sampled_from(list(DispositionAction)))
    at = now + timedelta(hours=data.draw(st.integers(1, 72)))
    late = entry.expires_at is not None and at >= entry.expires_at
    if action is DispositionAction.SCHEDULE and late:
        return Disposition(DispositionAction.NONE)
    return Disposition(action, at=at, agent_id=data.draw(st.none() | st.just(7)))


def _run_claim(
    data: st.DataObject,
    entry: SpoolEntryView,
    claim: Claim,
    campaign: CampaignView,
    now: datetime,
) -> tuple[SpoolEntryView, Outcome, tuple[str, ...]]:
    dest = entry.destination(claim.position)
    entry = replace(entry, state=SpoolState.DIALLING)
    outcome = data.draw(st.sampled_from(CALL_OUTCOMES))
    action = decide(entry, dest, outcome, campaign.retry, now)
    entry = apply_action(entry, action)
    added = action.dnc_add
    if outcome is Outcome.ANSWERED:
        disposition = _disposition(data, entry, now)
        action = decide(entry, entry.destination(claim.position), disposition, campaign.retry, now)
        entry = apply_action(entry, action)
        added += action.dnc_add
    return entry, outcome, added


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_a_campaign_run_loses_nothing_and_breaks_no_rule(data: st.DataObject) -> None:
    now = data.draw(clocks())
    spool = {e.id: e for e in data.draw(spools(now))}
    campaign = replace(data.draw(campaigns()), status=CampaignStatus.RUNNING)
    ctx = data.draw(contexts(now))
    ctx = replace(ctx, live_numbers=frozenset())
    # Start after a crash: the claims found in flight have no live call.
    orphans = [
        ClaimRecord(e.id, e.state, now - timedelta(hours=1), None)
        for e in spool.values()
        if e.state in IN_FLIGHT_STATES
    ]
    for release in release_orphaned_claims(orphans, set(), now):
        entry = spool[release.entry_id]
        spool[entry.id] = replace(entry, state=release.state, due_at=release.due_at)

    for _ in range(10):
        now += timedelta(minutes=data.draw(st.integers(5, 3 * 24 * 60)))
        claims = select_claims(spool.values(), campaign, ctx, now, limit=3)
        assert len({c.number for c in claims}) == len(claims)
        attempts = list(ctx.recent_attempts)
        dnc = dict(ctx.dnc)
        for claim in claims:
            entry = spool[claim.entry_id]
            assert_claim_allowed(entry, entry.destination(claim.position), campaign, ctx, now)
            entry, outcome, added = _run_claim(data, entry, claim, campaign, now)
            spool[entry.id] = entry
            attempts.append(Attempt(claim.number, now, outcome))
            dnc.update(dict.fromkeys(added))
        ctx = ComplianceContext.of(dnc=dnc, recent_attempts=attempts)
        # The shell's sweep: entries that can never be dialled are closed.
        for entry in list(spool.values()):
            if entry.state in WAITING_STATES:
                closing = closing_state(evaluate(entry, campaign, ctx, now))
                if closing is not None:
                    spool[entry.id] = replace(entry, state=closing)
        # Nothing lost: every entry waits for its next attempt or has ended.
        assert all(e.state in WAITING_STATES | TERMINAL_STATES for e in spool.values())
