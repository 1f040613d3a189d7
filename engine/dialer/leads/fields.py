"""Field checks every format shares: numbers, priority, zone, times, external id.

A `RowCheck` collects every problem of one row, so that a row is either
wholly valid or reported with all its faults at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.dialer.leads.model import LineError
from engine.dialer.leads.phones import InvalidNumber, PhoneNormalizer, valid_zone

INT32 = (-(2**31), 2**31 - 1)
MAX_EXTERNAL_ID = 255
MAX_AGENT = 150
# Unix times above this are milliseconds (Webitel sends both).
_MILLIS_THRESHOLD = 10**11


class RowCheck:
    __slots__ = ("errors", "line", "phones")

    def __init__(self, line: int, phones: PhoneNormalizer) -> None:
        self.line = line
        self.phones = phones
        self.errors: list[LineError] = []

    def fail(self, field: str | None, reason: str) -> None:
        self.errors.append(LineError(self.line, field, reason))

    def phone(self, field: str, raw: object) -> str | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            self.fail(field, "missing phone number")
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            self.fail(field, "phone number must be text")
            return None
        try:
            return self.phones.normalize(str(raw).strip())
        except InvalidNumber as exc:
            self.fail(field, f"{exc}: {str(raw)[:40]!r}")
            return None

    def alternates(self, field: str, raws: list[object], main: str | None) -> tuple[str, ...]:
        found: list[str] = []
        for raw in raws:
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            number = self.phone(field, raw)
            # A repeated number would only be dialled twice in a row.
            if number is not None and number != main and number not in found:
                found.append(number)
        return tuple(found)

    def priority(self, field: str, raw: object) -> int:
        if raw is None or raw == "":
            return 0
        value: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, str):
            try:
                value = int(raw.strip())
            except ValueError:
                value = None
        if value is None:
            self.fail(field, f"priority must be a whole number, not {str(raw)[:20]!r}")
            return 0
        if not INT32[0] <= value <= INT32[1]:
            self.fail(field, "priority out of range")
            return 0
        return value

    def zone(self, field: str, raw: object) -> str | None:
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str) or not valid_zone(raw.strip()):
            self.fail(field, f"unknown time zone {str(raw)[:64]!r}")
            return None
        return raw.strip()

    def text(self, field: str, raw: object, limit: int) -> str | None:
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            self.fail(field, "must be text")
            return None
        value = str(raw).strip()
        if len(value) > limit:
            self.fail(field, f"longer than {limit} characters")
            return None
        # PostgreSQL's text cannot hold it, and SQLite's JSON functions cut the text there.
        if "\x00" in value:
            self.fail(field, "contains a NUL character")
            return None
        return value or None

    def when(self, field: str, raw: object, zone: str) -> datetime | None:
        """An aware UTC time from ISO 8601 (naive: read in `zone`) or Unix seconds/millis."""
        if raw is None or raw == "":
            return None
        try:
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                seconds = raw / 1000 if raw > _MILLIS_THRESHOLD else raw
                return datetime.fromtimestamp(seconds, tz=UTC)
            if isinstance(raw, str):
                parsed = datetime.fromisoformat(raw.strip())
                if parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=ZoneInfo(zone))
                return parsed.astimezone(UTC)
        except (ValueError, OverflowError, OSError):
            pass
        self.fail(field, f"not a date and time: {str(raw)[:40]!r}")
        return None


def mapping_or_none(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None
