"""Public holidays the rule packs need, computed: no calendar dependency."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Meeus/Jones/Butcher algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=256)
def french_public_holidays(year: int, alsace_moselle: bool = True) -> frozenset[date]:
    """The jours fériés of Code du travail L3133-1, plus (by default) Alsace-Moselle's.

    Alsace-Moselle (départements 57, 67, 68) also rests on Good Friday and
    26 December (L3134-13). A number does not tell us whether the callee lives
    there, so the default is the conservative union: two days a year lost
    nationally rather than one unlawful call.
    """
    easter = easter_sunday(year)
    days = {
        date(year, 1, 1),
        easter + timedelta(days=1),  # lundi de Pâques
        date(year, 5, 1),
        date(year, 5, 8),
        easter + timedelta(days=39),  # Ascension
        easter + timedelta(days=50),  # lundi de Pentecôte
        date(year, 7, 14),
        date(year, 8, 15),
        date(year, 11, 1),
        date(year, 11, 11),
        date(year, 12, 25),
    }
    if alsace_moselle:
        days |= {easter - timedelta(days=2), date(year, 12, 26)}
    return frozenset(days)
