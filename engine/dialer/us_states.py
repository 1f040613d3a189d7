"""US states whose telemarketing laws are stricter than the TCPA's 08:00-21:00.

The ``us_states`` rule pack is the TCPA window everywhere, narrowed where the
callee's number belongs to one of these states, plus the state's cap on
attempts per callee where it has one. A number belongs to the state of its
area code and exchange (libphonenumber's geocoding), as in other dialers: a
ported mobile may live elsewhere, so a campaign that knows better should
give its leads a time zone and use a custom pack.

Our reading of each state's law as of 2025; have counsel confirm it for your
use. Where our reading is unsure the stricter rule is taken (a stricter
window only costs dialling time). State holidays (Alabama and Louisiana bar
some) are not modelled: add them with a custom pack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import phonenumbers
from phonenumbers import geocoder

from engine.dialer.policy import RollingCap

Hours = tuple[str, str]  # "HH:MM" start and end, local time


@dataclass(frozen=True)
class StateRule:
    state: str
    abbreviation: str
    monday_to_saturday: Hours
    sunday: Hours | None  # None: no calls on Sundays
    rolling_cap: RollingCap | None = None


def _every_day(state: str, abbreviation: str, hours: Hours) -> StateRule:
    return StateRule(state, abbreviation, hours, hours)


# Florida (Fla. Stat. 501.616(6)), Oklahoma (Okla. Stat. tit. 15, 775C.4) and
# Maryland (Stop the Spam Calls Act, 2023): 08:00-20:00 and at most three
# calls on one subject to a callee in 24 hours.
_THREE_A_DAY = RollingCap(3, timedelta(days=1))

STATE_RULES: tuple[StateRule, ...] = (
    StateRule("Florida", "FL", ("08:00", "20:00"), ("08:00", "20:00"), _THREE_A_DAY),
    StateRule("Oklahoma", "OK", ("08:00", "20:00"), ("08:00", "20:00"), _THREE_A_DAY),
    StateRule("Maryland", "MD", ("08:00", "20:00"), ("08:00", "20:00"), _THREE_A_DAY),
    _every_day("Washington State", "WA", ("08:00", "20:00")),  # RCW 80.36.390
    StateRule("Texas", "TX", ("09:00", "21:00"), ("12:00", "21:00")),  # Bus. & Com. 301.051
    _every_day("Connecticut", "CT", ("09:00", "20:00")),
    _every_day("Massachusetts", "MA", ("08:00", "20:00")),
    _every_day("Michigan", "MI", ("09:00", "21:00")),
    _every_day("Minnesota", "MN", ("09:00", "21:00")),  # Minn. Stat. 325E.27
    _every_day("Nevada", "NV", ("09:00", "20:00")),
    _every_day("New Mexico", "NM", ("09:00", "21:00")),
    _every_day("Kentucky", "KY", ("10:00", "21:00")),
    StateRule("Alabama", "AL", ("08:00", "20:00"), None),
    StateRule("Louisiana", "LA", ("08:00", "20:00"), None),
    StateRule("Mississippi", "MS", ("08:00", "20:00"), None),
)

# libphonenumber describes a North American number by its state ("Florida")
# or, for some exchanges, by a town and the state's postal code ("Miami, FL").
_BY_NAME: Mapping[str, StateRule] = {rule.state: rule for rule in STATE_RULES}
_BY_POSTAL_CODE: Mapping[str, StateRule] = {rule.abbreviation: rule for rule in STATE_RULES}
# The description is the same for every number of an area code and exchange.
_EXCHANGE = len("+1NPANXX")
_by_exchange: dict[str, StateRule | None] = {}


def state_rule(number: str) -> StateRule | None:
    """The stricter rule of the state the E.164 `number` belongs to, if any."""
    if not number.startswith("+1") or len(number) < _EXCHANGE:
        return None
    exchange = number[:_EXCHANGE]
    if exchange not in _by_exchange:
        _by_exchange[exchange] = _look_up(number)
    return _by_exchange[exchange]


def _look_up(number: str) -> StateRule | None:
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return None
    description = geocoder.description_for_number(parsed, "en")
    town, _, postal_code = description.rpartition(", ")
    if town:
        return _BY_POSTAL_CODE.get(postal_code)
    return _BY_NAME.get(description)
