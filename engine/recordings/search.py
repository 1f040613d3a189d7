"""The search over recordings as the API takes it: validated query, opaque cursor."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.store.recordings import RecordingFilter

_DATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_NUMBER = re.compile(r"^\+?[0-9*#]{1,32}$")
MAX_EXCLUDED = 100


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"rec:{last_id}".encode()).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("not a cursor this API gave out") from None
    prefix, _, number = raw.partition(":")
    if prefix != "rec" or not number.isdigit():
        raise ValueError("not a cursor this API gave out")
    return int(number)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RecordingQuery(BaseModel):
    """Every given parameter narrows the search; times are UTC (naive ones are taken as UTC)."""

    model_config = ConfigDict(extra="forbid")

    date_from: datetime | None = Field(None, description="calls started at or after")
    date_to: datetime | None = Field(None, description="calls started before")
    agent_id: int | None = Field(None, ge=1)
    campaign_id: int | None = Field(None, ge=1)
    source: str | None = Field(None, max_length=80, description="caller id the call showed")
    number: str | None = Field(None, max_length=32, description="the number called")
    exclude_number: str | None = Field(
        None, max_length=4000, description="numbers to leave out, comma-separated"
    )
    tag: str | None = Field(None, min_length=1, max_length=50)
    call_data: str | None = Field(
        None,
        max_length=300,
        description="key=value matched against the call's variables and the contact's data",
    )
    hour_from: int | None = Field(None, ge=0, le=23, description="UTC hour the call started")
    hour_to: int | None = Field(
        None, ge=0, le=23, description="inclusive; smaller than hour_from wraps past midnight"
    )
    disposition: str | None = Field(None, max_length=150, description="disposition name")
    min_duration: float | None = Field(None, ge=0, description="seconds")
    min_calls_to_number: int | None = Field(
        None, ge=1, le=10_000, description="numbers called at least this often (in the range)"
    )
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)
    cursor: str | None = Field(None, max_length=64, description="next_cursor of a previous page")

    @field_validator("exclude_number")
    @classmethod
    def _numbers(cls, value: str | None) -> str | None:
        if value is None:
            return None
        numbers = [n.strip() for n in value.split(",") if n.strip()]
        if len(numbers) > MAX_EXCLUDED or not all(_NUMBER.match(n) for n in numbers):
            raise ValueError(f"up to {MAX_EXCLUDED} phone numbers, comma-separated")
        return ",".join(numbers)

    @field_validator("call_data")
    @classmethod
    def _data(cls, value: str | None) -> str | None:
        if value is not None:
            key, sep, _ = value.partition("=")
            if not sep or not _DATA_KEY.match(key):
                raise ValueError("key=value, the key letters, digits and _")
        return value

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, value: str | None) -> str | None:
        if value is not None:
            decode_cursor(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RecordingQuery:
        if self.cursor is not None and self.offset:
            raise ValueError("give either cursor or offset, not both")
        start, end = _utc(self.date_from), _utc(self.date_to)
        if start is not None and end is not None and start >= end:
            raise ValueError("date_from must be before date_to")
        return self

    def to_filter(self) -> RecordingFilter:
        key = value = None
        if self.call_data is not None:
            key, _, value = self.call_data.partition("=")
        return RecordingFilter(
            date_from=_utc(self.date_from),
            date_to=_utc(self.date_to),
            agent_id=self.agent_id,
            campaign_id=self.campaign_id,
            source=self.source,
            number=self.number,
            exclude_numbers=tuple(self.exclude_number.split(",")) if self.exclude_number else (),
            tag=self.tag,
            data_key=key,
            data_value=value,
            hour_from=self.hour_from,
            hour_to=self.hour_to,
            disposition=self.disposition,
            min_duration=self.min_duration,
            min_calls_to_number=self.min_calls_to_number,
            before_id=decode_cursor(self.cursor) if self.cursor else None,
            limit=self.limit,
            offset=self.offset,
        )
