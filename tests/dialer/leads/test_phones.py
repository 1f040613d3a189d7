"""Phone normalisation agrees with phonenumbers itself, on numbers generated from its metadata."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat

from engine.dialer.leads import InvalidNumber, PhoneNormalizer
from engine.dialer.leads.prefixes import deciding_digits

DIGITS = "0123456789"
REGIONS = ("US", "CA", "JM", "GB", "DE", "UY", "BR", "AR", "IT", "MX", "FR", "IN", "ES", "AU", "RU")
TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "voip", "general_desc")


def _metadata(region: str) -> PhoneMetadata:
    found = PhoneMetadata.metadata_for_region(region)
    assert found is not None
    return found


PATTERNS = sorted(
    {
        desc.national_number_pattern
        for region in REGIONS
        for desc in (getattr(_metadata(region), name) for name in TYPES)
        if desc is not None and desc.national_number_pattern
    }
)


def _reference(raw: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _ours(raw: str, region: str) -> str | None:
    try:
        return PhoneNormalizer(region).normalize(raw)
    except InvalidNumber:
        return None


@st.composite
def written_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """A national number of some region's pattern, written as people and CRMs write them,
    sometimes with a digit too many, too few or changed; and the region it is read in."""
    home = draw(st.sampled_from(REGIONS))
    meta = _metadata(home)
    descs = [getattr(meta, name) for name in TYPES]
    desc = draw(st.sampled_from([d for d in descs if d is not None and d.national_number_pattern]))
    nsn = draw(st.from_regex(desc.national_number_pattern, fullmatch=True, alphabet=DIGITS))
    damage = draw(st.sampled_from(["none", "none", "drop", "add", "change"]))
    spot = draw(st.integers(0, max(0, len(nsn) - 1)))
    digit = draw(st.sampled_from(DIGITS))
    if damage == "drop":
        nsn = nsn[:spot] + nsn[spot + 1 :]
    elif damage == "add":
        nsn = nsn[:spot] + digit + nsn[spot:]
    elif damage == "change":
        nsn = nsn[:spot] + digit + nsn[spot + 1 :]
    code = str(meta.country_code)
    style = draw(st.sampled_from(["e164", "spaced", "national", "prefixed", "code", "idd"]))
    if style == "e164":
        raw = f"+{code}{nsn}"
    elif style == "spaced":
        raw = f"+{code} ({nsn[:3]}) {nsn[3:6]}-{nsn[6:]}"
    elif style == "national":
        raw = nsn
    elif style == "prefixed":
        raw = f"{meta.national_prefix or ''}{nsn[:3]}.{nsn[3:]}"
    elif style == "code":
        raw = f"{code}{nsn}"
    else:
        raw = f"00 {code} {nsn}"
    region = draw(st.sampled_from([home, home, *REGIONS]))
    return raw, region


@settings(max_examples=1500, deadline=None, database=None)
@given(written_numbers())
def test_normalisation_is_phonenumbers(case: tuple[str, str]) -> None:
    raw, region = case
    assert _ours(raw, region) == _reference(raw, region)


@settings(max_examples=300, deadline=None, database=None)
@given(st.sampled_from(REGIONS), st.text(alphabet=DIGITS + "+ -()", min_size=1, max_size=18))
def test_any_digits_are_normalised_as_phonenumbers_does(region: str, raw: str) -> None:
    assert _ours(raw, region) == _reference(raw, region)


@pytest.mark.parametrize(
    ("pattern", "length", "expected"),
    [
        (r"(?:201|212)[2-9]\d{6}", 10, 4),
        (r"\d{7}", 7, 0),
        (r"12|3\d", 2, 2),
        (r"[0-35-9]\d{3}(?:\d{2})?", 6, 1),
        (r"1\d{3}", 5, 0),  # no sequence of that length: never matches
        (r"\d+", 4, None),
        (r"(?=1)\d", 1, None),
        (r"[^1]", 1, None),
    ],
)
def test_deciding_digits(pattern: str, length: int, expected: int | None) -> None:
    assert deciding_digits(pattern, length) == expected


@settings(max_examples=400, deadline=None, database=None)
@given(st.data())
def test_digits_past_the_deciding_ones_never_change_a_match(data: st.DataObject) -> None:
    pattern = data.draw(st.sampled_from(PATTERNS))
    if data.draw(st.booleans()):
        number = data.draw(st.from_regex(pattern, fullmatch=True, alphabet=DIGITS))
    else:
        number = data.draw(st.text(DIGITS, min_size=1, max_size=16))
    depth = deciding_digits(pattern, len(number))
    assert depth is not None, pattern
    rest = len(number) - depth
    other = number[:depth] + data.draw(st.text(DIGITS, min_size=rest, max_size=rest))
    assert (re.fullmatch(pattern, other) is None) == (re.fullmatch(pattern, number) is None)
