"""What parsers yield and what the loader reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from engine.errors import ValidationFailed

Format = Literal["csv", "ucontact", "json"]
FORMATS: tuple[Format, ...] = ("csv", "ucontact", "json")
DuplicatePolicy = Literal["skip", "update", "allow"]
DUPLICATE_POLICIES: tuple[DuplicatePolicy, ...] = ("skip", "update", "allow")
ExtraFields = Literal["error", "ignore"]

MAX_REPORTED_ERRORS = 1000


# Not frozen: a frozen dataclass sets each field through object.__setattr__,
# which made building a million of them cost a second.
@dataclass(slots=True)
class Lead:
    """One valid input row: numbers already in E.164, zone already checked."""

    line: int
    phone: str
    alternates: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)
    priority: int = 0
    external_id: str | None = None
    timezone: str | None = None
    agent: str | None = None
    due_at: datetime | None = None
    expires_at: datetime | None = None
    # The uContact line's campaign field, checked by the parser when it knows the campaign.
    campaign: str | None = None


@dataclass(frozen=True, slots=True)
class LineError:
    """A problem with one input row; `field` is None when it is the row as a whole."""

    line: int
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.reason}"


Item = Lead | LineError


class LeadFormatError(ValidationFailed):
    """The input cannot be read further (bad header, broken JSON): not a per-row problem."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}", [{"line": line, "message": reason}])
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ContactSchema:
    """The parts of a contact_databases row that parsing needs."""

    fields: tuple[str, ...]
    phone_fields: tuple[str, ...]
    main_phone_field: str
    external_id_field: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> ContactSchema:
        return cls(
            fields=tuple(str(f) for f in row["fields"]),
            phone_fields=tuple(str(f) for f in row["phone_fields"]),
            main_phone_field=str(row["main_phone_field"]),
            external_id_field=row["external_id_field"],
        )


@dataclass(frozen=True, slots=True)
class ParseOptions:
    default_region: str = "US"
    # A zone for every row that does not give its own (uContact's upload-with-time-zone).
    timezone: str | None = None
    # Zone in which times written without an offset are read.
    naive_zone: str = "UTC"
    extra_fields: ExtraFields = "error"
    # uContact lines name their campaign; rows for any other campaign are refused.
    campaign_names: frozenset[str] | None = None
    encoding: str = "utf-8"
    delimiter: str | None = None


@dataclass(frozen=True, slots=True)
class LoadProgress:
    load_id: int
    rows: int
    loaded: int
    updated: int
    skipped: int
    failed: int
    bytes_read: int


@dataclass(slots=True)
class LoadReport:
    load_id: int
    campaign_id: int
    source_name: str
    format: str
    status: str = "loading"
    loaded: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[LineError] = field(default_factory=list)
    errors_total: int = 0
    unresolved_agents: int = 0
    fatal: str | None = None

    @property
    def rows(self) -> int:
        return self.loaded + self.updated + self.skipped + self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "load_id": self.load_id,
            "campaign_id": self.campaign_id,
            "source_name": self.source_name,
            "format": self.format,
            "status": self.status,
            "loaded": self.loaded,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
            "errors_total": self.errors_total,
            "errors": [{"line": e.line, "field": e.field, "reason": e.reason} for e in self.errors],
            "unresolved_agents": self.unresolved_agents,
            "fatal": self.fatal,
        }


@dataclass(frozen=True, slots=True)
class LoadSummary:
    id: int
    campaign_id: int
    source_name: str
    format: str
    status: str
    rows_loaded: int
    rows_failed: int
    created_at: datetime
    entries: int


@dataclass(frozen=True, slots=True)
class RemoveReport:
    load_id: int
    entries_removed: int
    contacts_removed: int
    # Entries left in place because they are live or finished, by state.
    entries_kept: Mapping[str, int]
    contacts_kept: int
    load_deleted: bool
