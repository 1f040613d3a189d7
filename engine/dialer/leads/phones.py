"""Phone numbers to E.164, and IANA zone checks.

`phonenumbers.parse` + `is_valid_number` cost about 100 µs a number: a million
leads would spend more than a minute there alone. `PhoneNormalizer` keeps
phonenumbers as the authority but answers the common shapes itself: digits
with common punctuation, with or without '+', where its replay of
phonenumbers' rules (country code extraction, national prefix stripping,
validity by number type) is unambiguous; validity it remembers by the leading
digits that decide it (prefixes.py). Anything else, and every number the fast
path would reject, goes to phonenumbers, so the fast path can only ever
accept what phonenumbers accepts, with the same result (tests compare both
on random input and on numbers generated from phonenumbers' own patterns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberDesc, PhoneNumberFormat
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from engine.dialer.leads.prefixes import deciding_digits

_PUNCTUATION = str.maketrans("", "", " \t-.()/\u00a0")
_TYPE_DESCS = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
_NON_GEO = "001"
# Answers remembered per region and length, at most: a bound on memory for
# patterns that look at many digits.
_MAX_ANSWERS = 100_000


class InvalidNumber(ValueError):
    """The text is not a valid phone number for its region."""


@dataclass(frozen=True, slots=True)
class _RegionCheck:
    """Validity for one region, as phonenumbers' `_number_type_helper` decides it."""

    general: re.Pattern[str]
    general_lengths: frozenset[int]
    leading_digits: re.Pattern[str] | None
    # Per national-number length: one alternation of every number type allowed at that length.
    by_length: dict[int, re.Pattern[str] | None]
    types: tuple[tuple[frozenset[int], str], ...]
    # Per length: how many leading digits decide validity (None: unknown), and
    # the answers so far by those digits. A region's patterns rarely look past
    # the first four to seven digits, so a file's numbers share few of them.
    decided_by: dict[int, int | None]
    answers: dict[int, dict[str, bool]]

    def valid(self, nsn: str) -> bool:
        """Whether the national number, ASCII digits only, is valid in this region."""
        length = len(nsn)
        try:
            depth = self.decided_by[length]
        except KeyError:
            depth = self.decided_by[length] = self._deciding_digits(length)
            self.answers[length] = {}
        if depth is None:
            return self._valid(nsn)
        answers = self.answers[length]
        key = nsn[:depth]
        found = answers.get(key)
        if found is None:
            found = self._valid(nsn)
            if len(answers) < _MAX_ANSWERS:
                answers[key] = found
        return found

    def _deciding_digits(self, length: int) -> int | None:
        depths = [deciding_digits(self.general.pattern, length)]
        depths += [deciding_digits(pattern, length) for _lengths, pattern in self.types]
        return None if None in depths else max(d for d in depths if d is not None)

    def _valid(self, nsn: str) -> bool:
        length = len(nsn)
        if self.general_lengths and length not in self.general_lengths:
            return False
        if self.general.fullmatch(nsn) is None:
            return False
        try:
            pattern = self.by_length[length]
        except KeyError:
            alternatives = [p for lengths, p in self.types if not lengths or length in lengths]
            pattern = (
                re.compile("|".join(f"(?:{p})" for p in alternatives)) if alternatives else None
            )
            self.by_length[length] = pattern
        return pattern is not None and pattern.fullmatch(nsn) is not None


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the fast path needs about a region that numbers are parsed from."""

    country_code: int
    country_code_str: str
    idd: re.Pattern[str] | None
    national_prefix: re.Pattern[str] | None
    transform: bool
    general: re.Pattern[str]
    max_length: int


def _metadata(region: str) -> tuple[PhoneMetadata, PhoneNumberDesc] | None:
    meta = PhoneMetadata.metadata_for_region(region, None)
    if meta is None or meta.general_desc is None or not meta.general_desc.national_number_pattern:
        return None
    return meta, meta.general_desc


def _region_check(region: str) -> _RegionCheck | None:
    found = _metadata(region)
    if found is None:
        return None
    meta, general = found
    types: list[tuple[frozenset[int], str]] = []
    for name in _TYPE_DESCS:
        desc = getattr(meta, name)
        if desc is not None and desc.national_number_pattern:
            types.append((frozenset(desc.possible_length), desc.national_number_pattern))
    return _RegionCheck(
        general=re.compile(general.national_number_pattern or ""),
        general_lengths=frozenset(general.possible_length),
        leading_digits=re.compile(meta.leading_digits) if meta.leading_digits else None,
        by_length={},
        types=tuple(types),
        decided_by={},
        answers={},
    )


@cache
def _country_checks(country_code: int) -> tuple[_RegionCheck, ...] | None:
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions or _NON_GEO in regions:
        return None
    checks = tuple(c for c in (_region_check(r) for r in regions) if c is not None)
    return checks or None


@cache
def _plan(region: str) -> _Plan | None:
    found = _metadata(region)
    if found is None:
        return None
    meta, general = found
    if meta.country_code is None:
        return None
    country_code = meta.country_code
    lengths = general.possible_length
    return _Plan(
        country_code=country_code,
        country_code_str=str(country_code),
        idd=re.compile(meta.international_prefix) if meta.international_prefix else None,
        national_prefix=(
            re.compile(meta.national_prefix_for_parsing)
            if meta.national_prefix_for_parsing
            else None
        ),
        transform=bool(meta.national_prefix_transform_rule),
        general=re.compile(general.national_number_pattern or ""),
        max_length=max(lengths) if lengths else 17,
    )


@dataclass(frozen=True, slots=True)
class _Country:
    """A country calling code, with what the fast path needs of it, looked up once."""

    plus_code: str  # "+1"
    plan: _Plan | None  # parsing rules of its main region
    checks: tuple[_RegionCheck, ...] | None


@cache
def _country(country_code: int) -> _Country:
    return _Country(
        plus_code=f"+{country_code}",
        plan=_plan(COUNTRY_CODE_TO_REGION_CODE[country_code][0]),
        checks=_country_checks(country_code),
    )


def _is_valid(checks: tuple[_RegionCheck, ...] | None, nsn: str) -> bool:
    if checks is None:
        return False
    # phonenumbers picks the first region whose leading digits match, or the
    # first where the number has a type, and validates against that one only.
    for check in checks:
        if check.leading_digits is not None:
            if check.leading_digits.match(nsn):
                return check.valid(nsn)
        elif check.valid(nsn):
            return True
    return False


def _strip_national_prefix(number: str, plan: _Plan) -> str | None:
    """The number without its trunk prefix; None when only phonenumbers can tell."""
    if plan.national_prefix is None or not number:
        return number
    match = plan.national_prefix.match(number)
    if match is None:
        return number
    groups = match.groups()
    if plan.transform and groups and groups[-1] is not None:
        return None
    stripped = number[match.end() :]
    if plan.general.fullmatch(number) and not plan.general.fullmatch(stripped):
        return number
    return stripped


_COUNTRY_CODES = {str(code): code for code in COUNTRY_CODE_TO_REGION_CODE}


def _split_country_code(digits: str) -> tuple[_Country, str] | None:
    # Like phonenumbers: the shortest known code wins; codes never start with 0.
    for size in (1, 2, 3):
        code = _COUNTRY_CODES.get(digits[:size])
        if code is not None:
            return (_country(code), digits[size:]) if len(digits) > size else None
    return None


def _national_to_country(body: str, plan: _Plan) -> str | None:
    """The national part of a number written without '+'; None to defer to phonenumbers."""
    if plan.idd is not None and plan.idd.match(body):
        return None
    if body.startswith(plan.country_code_str):
        rest = _strip_national_prefix(body[len(plan.country_code_str) :], plan)
        if rest is None:
            return None
        if (not plan.general.fullmatch(body) and plan.general.fullmatch(rest)) or len(
            body
        ) > plan.max_length:
            return rest
    return body


class PhoneNormalizer:
    """E.164 for numbers written in `default_region` or with '+'."""

    def __init__(self, default_region: str) -> None:
        region = default_region.upper()
        if _plan(region) is None:
            raise ValueError(f"unknown region {default_region!r}")
        self.region = region
        self._plan: _Plan = _plan(region)  # type: ignore[assignment]
        self._country = _country(self._plan.country_code)

    def normalize(self, raw: str) -> str:
        """The number in E.164, or InvalidNumber with the reason."""
        fast = self._fast(raw)
        return fast if fast is not None else _slow(raw, self.region)

    def _fast(self, raw: str) -> str | None:
        # Most files hold bare digits; translate() is the costly step, so skip it then.
        compact = raw if raw.isdigit() or raw[1:].isdigit() else raw.translate(_PUNCTUATION)
        if compact.startswith("+"):
            body = compact[1:]
            if not (body.isascii() and body.isdigit()):
                return None
            split = _split_country_code(body)
            if split is None:
                return None
            country, national = split
            plan = country.plan
            if plan is None:
                return None
        else:
            if not (compact.isascii() and compact.isdigit()):
                return None
            plan = self._plan
            country = self._country
            found = _national_to_country(compact, plan)
            if found is None:
                return None
            national = found
        nsn = _strip_national_prefix(national, plan)
        if nsn is None or not _is_valid(country.checks, nsn):
            return None
        if nsn == national and compact[0] == "+":
            return compact  # written in E.164 already
        return country.plus_code + nsn


@lru_cache(maxsize=4096)
def _slow(raw: str, region: str) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as exc:
        raise InvalidNumber(_parse_reason(exc)) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber("not a valid phone number")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _parse_reason(exc: NumberParseException) -> str:
    reasons = {
        NumberParseException.INVALID_COUNTRY_CODE: "unknown country calling code",
        NumberParseException.NOT_A_NUMBER: "not a phone number",
        NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        NumberParseException.TOO_SHORT_NSN: "too short",
        NumberParseException.TOO_LONG: "too long",
    }
    return reasons.get(exc.error_type, "not a phone number")


@lru_cache(maxsize=1024)
def valid_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone this machine knows."""
    if not name or name != name.strip() or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
