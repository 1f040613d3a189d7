"""Calling windows, rule packs and campaign hours, with fixed datetimes."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest

from engine.dialer.holidays import easter_sunday, french_public_holidays
from engine.dialer.us_states import state_rule
from engine.dialer.windows import (
    ALWAYS_OPEN,
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
    next_local_midnight,
    next_open,
    next_window_start,
    rule_pack,
    weekly_schedule,
)
from engine.errors import ValidationFailed

from .builders import NUMBER as NY_NUMBER
from .builders import utc

NEW_YORK = (ZoneInfo("America/New_York"),)
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
LONDON = (ZoneInfo("Europe/London"),)
PARIS = (ZoneInfo("Europe/Paris"),)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (1818, date(1818, 3, 22)),  # the earliest possible
        (1943, date(1943, 4, 25)),  # the latest possible
        (2000, date(2000, 4, 23)),
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_french_holidays_2025() -> None:
    days = french_public_holidays(2025, alsace_moselle=False)
    assert date(2025, 4, 21) in days  # Easter Monday
    assert date(2025, 5, 29) in days  # Ascension
    assert date(2025, 6, 9) in days  # Whit Monday
    assert {date(2025, 1, 1), date(2025, 7, 14), date(2025, 11, 11), date(2025, 12, 25)} <= days
    assert len(days) == 11
    assert french_public_holidays(2025) - days == {date(2025, 4, 18), date(2025, 12, 26)}


# --- US: 08:00-21:00 every day, across both DST changes -------------------------------


def test_us_spring_forward_day() -> None:
    # 2025-03-09: New York goes from 02:00 EST to 03:00 EDT; 08:00 EDT is 12:00 UTC.
    assert not is_callable(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 3, 9, 11, 59))
    assert is_callable(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 3, 9, 12, 0))
    assert next_window_start(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 3, 9, 5, 0)) == utc(
        2025, 3, 9, 12, 0
    )
    # 21:00 EDT is 01:00 UTC the next day.
    assert is_callable(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 3, 10, 0, 59))
    assert not is_callable(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 3, 10, 1, 0))


def test_us_fall_back_day() -> None:
    # 2025-11-02: back from 02:00 EDT to 01:00 EST; 08:00 EST is 13:00 UTC.
    assert not is_callable(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 11, 2, 12, 30))
    assert next_window_start(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 11, 2, 4, 0)) == utc(
        2025, 11, 2, 13
    )
    assert is_callable(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 11, 3, 1, 59))
    assert not is_callable(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 11, 3, 2, 0))


def test_window_end_is_exclusive_and_start_inclusive() -> None:
    assert is_callable(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 6, 10, 12, 0))
    assert not is_callable(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 6, 10, 11, 59, 59))
    assert not is_callable(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 6, 11, 1, 0))


def test_next_window_start_is_now_when_open() -> None:
    now = utc(2025, 6, 10, 15, 17, 3)
    assert next_window_start(US_TCPA, NY_NUMBER, NEW_YORK, now) == now


# --- UK: weekdays 08:00, weekends 09:00, across the EU DST changes ---------------------


def test_uk_spring_forward_sunday() -> None:
    # 2025-03-30 is a Sunday: BST from 01:00 UTC; 09:00 BST is 08:00 UTC.
    assert next_window_start(UK_OFCOM, NY_NUMBER, LONDON, utc(2025, 3, 30, 0, 30)) == utc(
        2025, 3, 30, 8
    )
    assert not is_callable(UK_OFCOM, NY_NUMBER, LONDON, utc(2025, 3, 30, 7, 59))
    # Monday starts at 08:00 BST.
    assert next_window_start(UK_OFCOM, NY_NUMBER, LONDON, utc(2025, 3, 30, 20)) == utc(
        2025, 3, 31, 7
    )


def test_uk_fall_back_sunday() -> None:
    # 2025-10-26 is a Sunday: GMT from 01:00 UTC; 09:00 GMT is 09:00 UTC.
    assert not is_callable(UK_OFCOM, NY_NUMBER, LONDON, utc(2025, 10, 26, 8, 30))
    assert next_window_start(UK_OFCOM, NY_NUMBER, LONDON, utc(2025, 10, 26, 0, 30)) == utc(
        2025, 10, 26, 9
    )
    assert is_callable(UK_OFCOM, NY_NUMBER, LONDON, utc(2025, 10, 26, 20, 59))


# --- France: two ranges on weekdays, no weekends, no public holidays --------------------


def test_france_lunch_break_and_evening() -> None:
    tuesday = utc(2025, 4, 22, 10, 30)  # 12:30 CEST
    assert is_callable(FR, NY_NUMBER, PARIS, tuesday)
    assert not is_callable(FR, NY_NUMBER, PARIS, utc(2025, 4, 22, 11, 30))  # 13:30 CEST
    assert next_window_start(FR, NY_NUMBER, PARIS, utc(2025, 4, 22, 11, 30)) == utc(2025, 4, 22, 12)
    assert not is_callable(FR, NY_NUMBER, PARIS, utc(2025, 4, 22, 18, 0))  # 20:00 CEST
    assert next_window_start(FR, NY_NUMBER, PARIS, utc(2025, 4, 22, 18)) == utc(2025, 4, 23, 8)


def test_france_skips_weekend_and_easter_monday() -> None:
    friday_evening = utc(2025, 4, 18, 18, 30)
    # Good Friday (Alsace-Moselle), weekend, Easter Monday: next is Tuesday 10:00 CEST.
    assert next_window_start(FR, NY_NUMBER, PARIS, friday_evening) == utc(2025, 4, 22, 8)
    assert not is_callable(FR, NY_NUMBER, PARIS, utc(2025, 4, 21, 9))


def test_france_eu_spring_forward_week() -> None:
    # Friday 28 March is still CET (10:00 = 09:00 UTC), Monday 31 March is CEST (08:00 UTC).
    assert is_callable(FR, NY_NUMBER, PARIS, utc(2025, 3, 28, 9, 0))
    assert next_window_start(FR, NY_NUMBER, PARIS, utc(2025, 3, 28, 19, 0)) == utc(2025, 3, 31, 8)


def test_france_christmas_week() -> None:
    # 24 Dec 20:30 CET; 25 and 26 are holidays, then the weekend.
    assert next_window_start(FR, NY_NUMBER, PARIS, utc(2025, 12, 24, 19, 30)) == utc(
        2025, 12, 29, 9
    )


def test_france_rule_pack_carries_the_rolling_cap() -> None:
    assert FR.rolling_cap is not None
    assert (FR.rolling_cap.max_attempts, FR.rolling_cap.window) == (4, timedelta(days=30))


# --- custom windows, DST edge cases ------------------------------------------------------


def test_window_starting_in_the_spring_forward_gap() -> None:
    pack = rule_pack("custom", {"windows": [{"days": [6], "start": "02:30", "end": "04:00"}]})
    # 02:30 does not exist on 2025-03-09 in New York: the window opens at the jump (03:00 EDT).
    assert next_window_start(pack, NY_NUMBER, NEW_YORK, utc(2025, 3, 9, 5)) == utc(2025, 3, 9, 7)
    assert not is_callable(pack, NY_NUMBER, NEW_YORK, utc(2025, 3, 9, 6, 59, 59))
    assert not is_callable(pack, NY_NUMBER, NEW_YORK, utc(2025, 3, 9, 8))  # 04:00 EDT


def test_window_reopening_at_the_fall_back() -> None:
    pack = rule_pack("custom", {"windows": [{"days": [6], "start": "00:30", "end": "01:30"}]})
    # 00:30-01:30 EDT, then the clock goes back to 01:00 EST (06:00 UTC): open again.
    assert is_callable(pack, NY_NUMBER, NEW_YORK, utc(2025, 11, 2, 5, 15))
    assert not is_callable(pack, NY_NUMBER, NEW_YORK, utc(2025, 11, 2, 5, 45))
    assert next_window_start(pack, NY_NUMBER, NEW_YORK, utc(2025, 11, 2, 5, 45)) == utc(
        2025, 11, 2, 6
    )
    assert not is_callable(pack, NY_NUMBER, NEW_YORK, utc(2025, 11, 2, 6, 30))


def test_custom_holidays_and_weekdays() -> None:
    pack = rule_pack(
        "custom",
        {
            "windows": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}],
            "holidays": ["2025-07-04"],
        },
    )
    assert not is_callable(pack, NY_NUMBER, NEW_YORK, utc(2025, 7, 4, 15))
    assert next_window_start(pack, NY_NUMBER, NEW_YORK, utc(2025, 7, 4, 15)) == utc(2025, 7, 7, 13)


def test_never_open_gives_none() -> None:
    every_day_a_holiday = WeeklySchedule(((TimeRange(9 * 60, 10 * 60),),) * 7, calendar=_all_days)
    assert next_open(every_day_a_holiday, NEW_YORK, utc(2025, 1, 1)) is None


@lru_cache
def _all_days(year: int) -> frozenset[date]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    return frozenset(first + timedelta(days=i) for i in range((last - first).days + 1))


# --- several candidate zones: the window must hold in all ------------------------------


def test_multi_zone_needs_every_zone_open() -> None:
    zones = (NEW_YORK[0], LOS_ANGELES)
    # 10:00 EDT is 07:00 PDT: New York is open, Los Angeles is not.
    assert is_callable(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 6, 10, 14))
    assert not is_callable(US_TCPA, NY_NUMBER, zones, utc(2025, 6, 10, 14))
    assert next_window_start(US_TCPA, NY_NUMBER, zones, utc(2025, 6, 10, 14)) == utc(
        2025, 6, 10, 15
    )
    # 21:00 EDT closes it although Los Angeles is at 18:00.
    assert not is_callable(US_TCPA, NY_NUMBER, zones, utc(2025, 6, 11, 1))


def test_toll_free_number_is_conservative() -> None:
    zones = callee_zones(None, "+18005551234")
    assert len(zones) > 10
    start = next_window_start(US_TCPA, NY_NUMBER, zones, utc(2025, 6, 10, 12))
    assert start is not None
    for place in zones:
        local = start.astimezone(place)
        assert 8 <= local.hour < 21, place


def test_callee_zones() -> None:
    assert callee_zones("Europe/Paris", "+12125550100") == (ZoneInfo("Europe/Paris"),)
    assert callee_zones(None, "+12125550100") == (ZoneInfo("America/New_York"),)
    assert callee_zones("Not/AZone", "+33142685300") == (ZoneInfo("Europe/Paris"),)
    assert callee_zones(None, "0142685300", region="FR") == (ZoneInfo("Europe/Paris"),)
    assert callee_zones(None, "garbage", fallback="Europe/London") == LONDON
    assert callee_zones(None, "garbage", fallback="Nowhere/Else") == (ZoneInfo("UTC"),)


# --- campaign hours ----------------------------------------------------------------------


def test_campaign_hours_parsing_and_checks() -> None:
    hours = campaign_hours([{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}])
    assert is_open(hours, NEW_YORK, utc(2025, 6, 10, 14))  # Tuesday 10:00 EDT
    assert not is_open(hours, NEW_YORK, utc(2025, 6, 14, 14))  # Saturday
    assert next_open(hours, NEW_YORK, utc(2025, 6, 13, 23)) == utc(2025, 6, 16, 13)
    assert campaign_hours([]) is ALWAYS_OPEN
    assert is_open(ALWAYS_OPEN, NEW_YORK, utc(2025, 6, 14, 3))


def test_hours_until_midnight() -> None:
    hours = weekly_schedule([{"days": [1], "start": "22:00", "end": "24:00"}])
    assert hours.days[1] == (TimeRange(22 * 60, 24 * 60),)
    assert is_open(hours, NEW_YORK, utc(2025, 6, 11, 3, 59))  # Tuesday 23:59 EDT


@pytest.mark.parametrize(
    "spec",
    [
        [{"days": [7], "start": "09:00", "end": "10:00"}],
        [{"days": [1], "start": "10:00", "end": "09:00"}],
        [{"days": [1], "start": "9h", "end": "10:00"}],
        [{"days": [1], "start": "09:60", "end": "10:00"}],
        [{"days": [1], "start": "09:00"}],
        [{"days": [True], "start": "09:00", "end": "10:00"}],
    ],
)
def test_bad_hours_are_refused(spec: list[dict[str, object]]) -> None:
    with pytest.raises(ValidationFailed):
        campaign_hours(spec)


def test_rule_pack_lookup() -> None:
    assert rule_pack("us_tcpa") is US_TCPA
    assert rule_pack("us_states") is US_STATES
    with pytest.raises(ValidationFailed):
        rule_pack("mars")
    with pytest.raises(ValidationFailed):
        rule_pack("custom", {})


def test_next_local_midnight_takes_the_latest_zone() -> None:
    at = utc(2025, 6, 10, 19)
    assert next_local_midnight(NEW_YORK, at) == utc(2025, 6, 11, 4)
    assert next_local_midnight((NEW_YORK[0], LOS_ANGELES), at) == utc(2025, 6, 11, 7)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        is_callable(US_TCPA, NY_NUMBER, NEW_YORK, utc(2025, 6, 10).replace(tzinfo=None))


def test_zones_that_meet_only_after_a_dst_change() -> None:
    # 09:00-10:00 in London and in Reykjavik (UTC all year): apart all summer,
    # together again once London is back on GMT (Sunday 26 October 2025).
    pack = rule_pack(
        "custom", {"windows": [{"days": list(range(7)), "start": "09:00", "end": "10:00"}]}
    )
    zones = (LONDON[0], ZoneInfo("Atlantic/Reykjavik"))
    assert next_window_start(pack, NY_NUMBER, zones, utc(2025, 6, 1)) == utc(2025, 10, 26, 9)
    assert (
        next_window_start(pack, NY_NUMBER, zones, utc(2025, 6, 1), horizon=timedelta(days=30))
        is None
    )


def test_zones_that_never_meet() -> None:
    # Paris and Honolulu are 11 or 12 hours apart: their 10:00-20:00 never overlap.
    zones = (PARIS[0], ZoneInfo("Pacific/Honolulu"))
    assert next_window_start(FR, NY_NUMBER, zones, utc(2025, 6, 10)) is None


# --- US states stricter than the TCPA ---------------------------------------------------

MIAMI = "+13055550100"  # described as "Florida"
FORT_LAUDERDALE = "+19542020100"  # described as "Fort Lauderdale, FL"
DALLAS = "+12145550100"
BIRMINGHAM = "+12055550100"  # Alabama
CENTRAL = (ZoneInfo("America/Chicago"),)


def test_states_are_found_by_name_or_postal_code() -> None:
    assert (rule := state_rule(MIAMI)) is not None and rule.state == "Florida"
    assert (rule := state_rule(FORT_LAUDERDALE)) is not None and rule.state == "Florida"
    assert state_rule(NY_NUMBER) is None  # New York: the TCPA's hours
    assert state_rule("+442071234567") is None
    assert state_rule("+1800") is None


def test_florida_stops_at_eight_in_the_evening() -> None:
    evening = utc(2025, 6, 11, 0, 30)  # Tuesday 20:30 EDT
    assert is_callable(US_TCPA, MIAMI, NEW_YORK, evening)
    assert not is_callable(US_STATES, MIAMI, NEW_YORK, evening)
    assert is_callable(US_STATES, MIAMI, NEW_YORK, utc(2025, 6, 10, 23, 59))
    assert next_window_start(US_STATES, MIAMI, NEW_YORK, evening) == utc(2025, 6, 11, 12)
    # A New York number keeps the federal hours under the same pack.
    assert is_callable(US_STATES, NY_NUMBER, NEW_YORK, evening)


def test_texas_sundays_start_at_noon() -> None:
    sunday_morning = utc(2025, 6, 15, 15)  # 10:00 CDT
    assert is_callable(US_TCPA, DALLAS, CENTRAL, sunday_morning)
    assert not is_callable(US_STATES, DALLAS, CENTRAL, sunday_morning)
    assert next_window_start(US_STATES, DALLAS, CENTRAL, sunday_morning) == utc(2025, 6, 15, 17)
    assert is_callable(US_STATES, DALLAS, CENTRAL, utc(2025, 6, 14, 14))  # Saturday 09:00


def test_alabama_takes_no_calls_on_sunday() -> None:
    sunday_noon = utc(2025, 6, 15, 17)
    assert not is_callable(US_STATES, BIRMINGHAM, CENTRAL, sunday_noon)
    monday_eight = utc(2025, 6, 16, 13)
    assert next_window_start(US_STATES, BIRMINGHAM, CENTRAL, sunday_noon) == monday_eight


def test_state_caps_come_with_the_number() -> None:
    assert US_STATES.rolling_caps_for(NY_NUMBER) == ()
    (cap,) = US_STATES.rolling_caps_for(MIAMI)
    assert (cap.max_attempts, cap.window) == (3, timedelta(days=1))
    assert cap in US_STATES.all_rolling_caps
    assert US_TCPA.rolling_caps_for(MIAMI) == ()
