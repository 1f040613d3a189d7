"""Calling windows in the callee's local time, rule packs, and campaign hours.

A `WeeklySchedule` says, for each weekday of a zone's *wall clock*, which
half-open ranges [start, end) are open, minus holidays. "Open at instant t in
zone z" is decided on t's local wall time in z, so DST needs no special case
when checking; `next_open` finds the earliest open instant by looking only at
the instants where openness can change (range boundaries under either reading
of an ambiguous wall time, and the DST transitions themselves).

When the callee may be in several zones (a number whose prefix spans zones),
every check is conservative: the window must hold in all of them.

Rule packs and their sources (our reading; have counsel confirm for your use):

- ``us_tcpa``: 47 CFR 64.1200(c)(1), no telephone solicitation before 8 a.m.
  or after 9 p.m. at the called party's location; every day.
- ``us_states``: ``us_tcpa``, narrowed for the callees of states whose laws
  are stricter (hours, Sundays, attempts per 24 hours): see `us_states`.
- ``uk_ofcom``: Ofcom's persistent-misuse policy (2016 statement) sets no
  statutory hours; we follow common UK practice, Monday–Friday 08:00–21:00,
  Saturday–Sunday 09:00–21:00, no bank-holiday rule. Its abandoned-call (72 h)
  and AMD (same day) redial rules live in the retry policy.
- ``fr``: Code de la consommation L.223-1 and décret n° 2022-1313 (in force
  1 March 2023): Monday–Friday 10:00–13:00 and 14:00–20:00, never on
  weekends nor public holidays, at most 4 calls per consumer in 30 days.
- ``custom``: windows per weekday and holiday dates given by the campaign.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones

from engine.dialer.holidays import french_public_holidays
from engine.dialer.policy import RollingCap
from engine.dialer.us_states import STATE_RULES, StateRule, state_rule
from engine.errors import ValidationFailed

MINUTES_PER_DAY = 24 * 60
HolidayCalendar = Callable[[int], frozenset[date]]

# How far next_open looks before answering "never"; a year covers any weekly
# schedule with any set of holidays short of an empty one.
SEARCH_HORIZON = timedelta(days=366)
_WEEK = timedelta(days=7)
# Searches go week by week on a fixed grid (Mondays 00:00 UTC) to share a cache.
_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
# Offset changes are weeks apart at the very least (months, mostly): sampling
# daily finds each, and bisection then pins it to the second.
_OFFSET_SAMPLE = timedelta(days=1)


@dataclass(frozen=True, order=True)
class TimeRange:
    """[start, end) in minutes after local midnight; end 1440 is the next midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ValueError(f"bad time range {self.start}-{self.end}")

    @classmethod
    def parse(cls, start: str, end: str) -> TimeRange:
        return cls(_minutes(start), _minutes(end))

    def contains(self, local: datetime) -> bool:
        micros = (
            (local.hour * 60 + local.minute) * 60 + local.second
        ) * 1_000_000 + local.microsecond
        return self.start * 60_000_000 <= micros < self.end * 60_000_000


def _minutes(text: str) -> int:
    hours, sep, minutes = text.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"bad time {text!r}, expected HH:MM")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"bad time {text!r}")
    return value


@dataclass(frozen=True)
class WeeklySchedule:
    """Open ranges per weekday (index 0 is Monday, as `date.weekday()`), minus holidays."""

    days: tuple[tuple[TimeRange, ...], ...]
    holidays: frozenset[date] = frozenset()
    calendar: HolidayCalendar | None = None

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValueError("a weekly schedule has 7 days")

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays or (
            self.calendar is not None and day in self.calendar(day.year)
        )

    def ranges_on(self, day: date) -> tuple[TimeRange, ...]:
        return () if self.is_holiday(day) else self.days[day.weekday()]

    def contains(self, local: datetime) -> bool:
        return any(r.contains(local) for r in self.ranges_on(local.date()))

    @property
    def always_open(self) -> bool:
        full = (TimeRange(0, MINUTES_PER_DAY),)
        return self.calendar is None and not self.holidays and all(d == full for d in self.days)


ALWAYS_OPEN = WeeklySchedule(days=((TimeRange(0, MINUTES_PER_DAY),),) * 7)


@dataclass(frozen=True)
class RegionalRule:
    """Where a callee's region (a US state) is stricter than its pack."""

    window: WeeklySchedule
    rolling_cap: RollingCap | None = None


@dataclass(frozen=True)
class RulePack:
    name: str
    window: WeeklySchedule
    # A legal cap on attempts per callee, applied on top of the campaign's own caps.
    rolling_cap: RollingCap | None = None
    # Stricter rules for the callees of some regions, found by their number.
    regional: Callable[[str], RegionalRule | None] | None = None
    # Every cap `regional` may apply: how far back attempts must be read.
    regional_caps: tuple[RollingCap, ...] = ()

    def window_for(self, number: str) -> WeeklySchedule:
        rule = self.regional(number) if self.regional else None
        return rule.window if rule else self.window

    def rolling_caps_for(self, number: str) -> tuple[RollingCap, ...]:
        rule = self.regional(number) if self.regional else None
        caps = (self.rolling_cap, rule.rolling_cap if rule else None)
        return tuple(cap for cap in caps if cap is not None)

    @property
    def all_rolling_caps(self) -> tuple[RollingCap, ...]:
        return (*((self.rolling_cap,) if self.rolling_cap else ()), *self.regional_caps)


def _every_day(*ranges: TimeRange) -> tuple[tuple[TimeRange, ...], ...]:
    return (ranges,) * 7


US_TCPA = RulePack("us_tcpa", WeeklySchedule(_every_day(TimeRange.parse("08:00", "21:00"))))
UK_OFCOM = RulePack(
    "uk_ofcom",
    WeeklySchedule(
        ((TimeRange.parse("08:00", "21:00"),),) * 5 + ((TimeRange.parse("09:00", "21:00"),),) * 2
    ),
)
FR = RulePack(
    "fr",
    WeeklySchedule(
        ((TimeRange.parse("10:00", "13:00"), TimeRange.parse("14:00", "20:00")),) * 5 + ((),) * 2,
        calendar=french_public_holidays,
    ),
    rolling_cap=RollingCap(4, timedelta(days=30)),
)


def _state_rule(rule: StateRule) -> RegionalRule:
    weekdays = TimeRange.parse(*rule.monday_to_saturday)
    sunday = (TimeRange.parse(*rule.sunday),) if rule.sunday else ()
    window = WeeklySchedule(((weekdays,),) * 6 + (sunday,))
    # Every state's hours lie within the federal ones: the state's window is the pack's.
    federal = US_TCPA.window.days[0][0]
    assert all(federal.start <= r.start and r.end <= federal.end for r in (weekdays, *sunday))
    return RegionalRule(window, rule.rolling_cap)


_STATES: Mapping[str, RegionalRule] = {rule.state: _state_rule(rule) for rule in STATE_RULES}


def _us_state(number: str) -> RegionalRule | None:
    rule = state_rule(number)
    return _STATES[rule.state] if rule else None


US_STATES = RulePack(
    "us_states",
    US_TCPA.window,
    regional=_us_state,
    regional_caps=tuple({r.rolling_cap for r in STATE_RULES if r.rolling_cap}),
)
RULE_PACKS: Mapping[str, RulePack] = {
    pack.name: pack for pack in (US_TCPA, US_STATES, UK_OFCOM, FR)
}


def rule_pack(name: str, custom: Mapping[str, Any] | None = None) -> RulePack:
    """The pack a campaign names; ``custom`` is built from `custom`.

    `custom` is ``{"windows": [{"days": [0, 1], "start": "09:00", "end": "20:00"}],
    "holidays": ["2025-12-25"], "rolling": {"max": 4, "days": 30}}``.
    """
    if name in RULE_PACKS:
        return RULE_PACKS[name]
    if name != "custom":
        raise ValidationFailed("unknown rule pack", details={"rule_pack": name})
    spec = custom or {}
    windows = spec.get("windows") or []
    if not windows:
        raise ValidationFailed("a custom rule pack needs windows", details={"windows": "empty"})
    try:
        holidays = frozenset(date.fromisoformat(str(d)) for d in spec.get("holidays") or ())
        rolling = spec.get("rolling")
        cap = (
            RollingCap(int(rolling["max"]), timedelta(days=float(rolling["days"])))
            if rolling
            else None
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed("invalid custom rule pack", details={"error": str(exc)}) from exc
    return RulePack("custom", weekly_schedule(windows, holidays), rolling_cap=cap)


def campaign_hours(spec: Sequence[Mapping[str, Any]] | None) -> WeeklySchedule:
    """Parse `campaigns.hours`; an empty list means always open."""
    return weekly_schedule(spec) if spec else ALWAYS_OPEN


def weekly_schedule(
    spec: Iterable[Mapping[str, Any]], holidays: frozenset[date] = frozenset()
) -> WeeklySchedule:
    """``[{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}]`` (0 is Monday, end may be 24:00)."""
    days: list[list[TimeRange]] = [[] for _ in range(7)]
    try:
        for item in spec:
            span = TimeRange.parse(str(item["start"]), str(item["end"]))
            for day in item["days"]:
                if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                    raise ValueError(f"bad weekday {day!r}")
                days[day].append(span)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed("invalid weekly hours", details={"error": str(exc)}) from exc
    return WeeklySchedule(tuple(tuple(sorted(ranges)) for ranges in days), holidays)


# --- the callee's zones ----------------------------------------------------------------


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The zone `name`, or `default` when it is missing or unknown."""
    return _zone(name) or _zone(default) or ZoneInfo("UTC")


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=65_536)
def callee_zones(
    timezone: str | None, number: str, fallback: str = "UTC", region: str | None = None
) -> tuple[ZoneInfo, ...]:
    """Where the callee may be: the lead's zone, else every zone of the number.

    `number` is E.164, or national with `region` (ISO 3166 code). A number
    phonenumbers cannot place at all gets its country's zones, and failing
    that the `fallback` zone (the campaign's). Never empty.
    """
    if (lead_zone := _zone(timezone)) is not None:
        return (lead_zone,)
    names: tuple[str, ...] = ()
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None:
        names = phone_timezones.time_zones_for_number(parsed)
        if all(_zone(n) is None for n in names):
            names = phone_timezones.time_zones_for_geographical_number(parsed)
    found = tuple(z for z in dict.fromkeys(_zone(n) for n in names) if z is not None)
    return found or (zone(fallback),)


# --- open now, and when next ------------------------------------------------------------


def _check_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC datetime")


def is_open(schedule: WeeklySchedule, zones: Sequence[ZoneInfo], now: datetime) -> bool:
    """Whether `now` falls inside `schedule` on the wall clock of every zone."""
    _check_aware(now)
    if not zones:
        raise ValueError("no zone given")
    return all(schedule.contains(now.astimezone(place)) for place in zones)


def next_open(
    schedule: WeeklySchedule,
    zones: Sequence[ZoneInfo],
    now: datetime,
    horizon: timedelta = SEARCH_HORIZON,
) -> datetime | None:
    """The earliest instant >= `now` open in every zone, or None within `horizon`."""
    return next_open_all([(schedule, zones)], now, horizon)


Constraint = tuple[WeeklySchedule, Sequence[ZoneInfo]]


def next_open_all(
    constraints: Sequence[Constraint], now: datetime, horizon: timedelta = SEARCH_HORIZON
) -> datetime | None:
    """The earliest instant >= `now` at which every schedule is open in all its zones.

    For instance campaign hours in the campaign's zone and the calling window
    in the callee's zones at once.
    """
    if all(is_open(schedule, zones, now) for schedule, zones in constraints):
        return now
    end = now + horizon
    first_year, last_year = now.astimezone(UTC).year, end.astimezone(UTC).year
    pairs = [
        (schedule, place)
        for schedule, zones in constraints
        if not schedule.always_open
        for place in _distinct(tuple(zones), first_year, last_year)
    ]
    low = now.astimezone(UTC)
    while low < end:
        week = (low - _EPOCH) // _WEEK
        week_start = _EPOCH + week * _WEEK
        common: Sequence[Interval] = [(week_start, week_start + _WEEK)]
        for schedule, place in pairs:
            common = _intersect(common, _week_intervals(schedule, place, week))
            if not common:
                break
        found = _intersect(common, [(low, min(week_start + _WEEK, end))])
        if found:
            return found[0][0]
        low = _resume_at(pairs, week_start, end) if not common else week_start + _WEEK
    return None


def _resume_at(
    pairs: Sequence[tuple[WeeklySchedule, ZoneInfo]], week_start: datetime, end: datetime
) -> datetime:
    """Where to look after a week with no opening at all.

    A week without holidays or DST changes that has no opening proves that
    none comes before the next DST change: with fixed offsets the weekly
    pattern repeats, and holidays can only close more. Zones that never meet
    (a French pack on a number spanning the Americas) then cost a few weeks of
    search rather than a year.
    """
    week_end = week_start + _WEEK
    places = list(dict.fromkeys(place for _, place in pairs))
    if any(_transitions(place, week_start, week_end) for place in places):
        return week_end
    for schedule, place in pairs:
        day = week_start.astimezone(place).date() - timedelta(days=1)
        while day <= week_end.astimezone(place).date() + timedelta(days=1):
            if schedule.is_holiday(day):
                return week_end
            day += timedelta(days=1)
    upcoming = [t for place in places for t in _transitions(place, week_end, end)]
    return max(week_end, min(upcoming)) if upcoming else end


def _distinct(zones: tuple[ZoneInfo, ...], first_year: int, last_year: int) -> list[ZoneInfo]:
    """One zone per behaviour (same offset, same changes), furthest apart first.

    A number's candidate zones are often many names for one clock (15 names
    of UTC-4 without DST in the North American plan). Putting the extreme
    offsets first empties the intersection early when the zones never meet.
    """
    if len(zones) == 1:
        return list(zones)
    behaviours: dict[tuple[object, ...], ZoneInfo] = {}
    for place in dict.fromkeys(zones):
        signature = tuple(
            item for year in range(first_year, last_year + 1) for item in _changes(place, year)
        )
        behaviours.setdefault(signature, place)
    reference = datetime(first_year, 1, 1, tzinfo=UTC)
    ordered = sorted(
        behaviours.values(),
        key=lambda place: reference.astimezone(place).utcoffset() or timedelta(),
    )
    return [ordered[0], ordered[-1], *ordered[1:-1]][: len(ordered)]


@lru_cache(maxsize=4096)
def _changes(place: ZoneInfo, year: int) -> tuple[tuple[datetime, timedelta | None], ...]:
    """The offset at the start of `year`, then each change within it."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    stop = datetime(year + 1, 1, 1, tzinfo=UTC)
    offset = start.astimezone(place).utcoffset()
    changes = [(start, offset)]
    before = start
    while before < stop:
        after = min(before + _OFFSET_SAMPLE, stop)
        if (following := after.astimezone(place).utcoffset()) != offset:
            changes.append((_bisect_transition(place, before, after), following))
            offset = following
        before = after
    return tuple(changes)


def is_callable(pack: RulePack, number: str, zones: Sequence[ZoneInfo], now: datetime) -> bool:
    return is_open(pack.window_for(number), zones, now)


def next_window_start(
    pack: RulePack,
    number: str,
    zones: Sequence[ZoneInfo],
    now: datetime,
    horizon: timedelta = SEARCH_HORIZON,
) -> datetime | None:
    """The earliest instant >= `now` `number` may be called in all `zones`; None if
    none within `horizon`."""
    return next_open(pack.window_for(number), zones, now, horizon)


def next_local_midnight(zones: Sequence[ZoneInfo], at: datetime) -> datetime:
    """When the local day of `at` has ended in every zone (the latest of the midnights)."""
    _check_aware(at)
    midnights = []
    for place in zones:
        tomorrow = at.astimezone(place).date() + timedelta(days=1)
        midnights.append(datetime.combine(tomorrow, time(), tzinfo=place).astimezone(UTC))
    return max(midnights)


Interval = tuple[datetime, datetime]


@lru_cache(maxsize=16_384)
def _week_intervals(schedule: WeeklySchedule, place: ZoneInfo, week: int) -> tuple[Interval, ...]:
    """`_open_intervals` over one week of a fixed grid, so that searches share it."""
    start = _EPOCH + week * _WEEK
    return tuple(_open_intervals(schedule, place, start, start + _WEEK))


def _open_intervals(
    schedule: WeeklySchedule, place: ZoneInfo, low: datetime, high: datetime
) -> list[Interval]:
    """The open [start, end) intervals of one zone within [low, high), in UTC.

    Openness can only change where the wall clock reaches a range boundary
    (under either reading of an ambiguous wall time) or jumps (a DST change);
    between two such instants it is constant, so checking each piece's first
    instant is exact.
    """
    cuts = {low, high}
    cuts.update(t for t in _boundaries(schedule, place, low, high) if low < t < high)
    cuts.update(t for t in _transitions(place, low, high) if low < t < high)
    points = sorted(cuts)
    intervals: list[Interval] = []
    for start, stop in itertools.pairwise(points):
        if not schedule.contains(start.astimezone(place)):
            continue
        if intervals and intervals[-1][1] == start:
            intervals[-1] = (intervals[-1][0], stop)
        else:
            intervals.append((start, stop))
    return intervals


def _boundaries(
    schedule: WeeklySchedule, place: ZoneInfo, low: datetime, high: datetime
) -> Iterator[datetime]:
    day = low.astimezone(place).date() - timedelta(days=1)
    last = high.astimezone(place).date() + timedelta(days=1)
    while day <= last:
        for span in schedule.ranges_on(day):
            for minute in (span.start, span.end):
                wall = datetime.combine(day, time()) + timedelta(minutes=minute)
                # Both readings of an ambiguous wall time; a wall time skipped
                # by DST is caught by the transition itself.
                for fold in (0, 1):
                    yield wall.replace(tzinfo=place, fold=fold).astimezone(UTC)
        day += timedelta(days=1)


def _intersect(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    result: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        stop = min(first[i][1], second[j][1])
        if start < stop:
            result.append((start, stop))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result


def _transitions(place: ZoneInfo, low: datetime, high: datetime) -> list[datetime]:
    """The UTC offset changes of `place` within [low, high)."""
    years = range(low.astimezone(UTC).year, high.astimezone(UTC).year + 1)
    return [
        moment for year in years for moment, _ in _changes(place, year)[1:] if low <= moment < high
    ]


def _bisect_transition(place: ZoneInfo, low: datetime, high: datetime) -> datetime:
    # Transitions fall on whole seconds, so integer seconds keep the search exact.
    target = high.astimezone(place).utcoffset()
    lo, hi = math.floor(low.timestamp()), math.ceil(high.timestamp())
    while hi - lo > 1:
        middle = (lo + hi) // 2
        if datetime.fromtimestamp(middle, place).utcoffset() == target:
            hi = middle
        else:
            lo = middle
    return datetime.fromtimestamp(hi, UTC)
