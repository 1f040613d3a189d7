"""CSV with a header naming the campaign's contact-database fields.

The header maps columns to the contact database (`contact_databases.fields`,
exact name first, then case-insensitively). The main phone column is
required; the other phone fields become alternate numbers in the database's
order; the external id field, when the database has one, identifies the
contact. Columns named `priority`, `timezone`, `agent` or `due_at` that are
not database fields steer the spool entry instead of landing in the data.
Any other column is refused (the whole file) or ignored, per `extra_fields`.
The delimiter is `,`, `;`, tab or `|`, whichever the header uses most.

Records may span lines (quoted newlines); a record is handed to the csv module
only once its quotes balance, so the decoder can be fed any chunking.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from engine.dialer.leads.fields import MAX_AGENT, MAX_EXTERNAL_ID, RowCheck
from engine.dialer.leads.model import (
    ContactSchema,
    Item,
    Lead,
    LeadFormatError,
    LineError,
    ParseOptions,
)
from engine.dialer.leads.phones import InvalidNumber, PhoneNormalizer
from engine.dialer.leads.text import LineSplitter

CONTROL_COLUMNS = ("priority", "timezone", "agent", "due_at")
_DELIMITERS = (",", ";", "\t", "|")
# A record whose quotes never balance is parsed anyway past this, rather than buffered forever.
_MAX_PENDING_LINES = 1000


@dataclass(frozen=True, slots=True)
class _Layout:
    width: int
    main: int
    alternates: tuple[tuple[int, str], ...]
    external_id: int | None
    data: tuple[tuple[int, str], ...]
    control: dict[str, int]


def _layout(header: list[str], schema: ContactSchema, options: ParseOptions, line: int) -> _Layout:
    exact = set(schema.fields)
    folded = {f.casefold(): f for f in schema.fields}
    mapped: dict[str, int] = {}
    control: dict[str, int] = {}
    extras: list[str] = []
    for index, raw in enumerate(header):
        name = raw.strip()
        field = name if name in exact else folded.get(name.casefold())
        if field is not None:
            if field in mapped:
                raise LeadFormatError(line, f"column {field!r} appears twice in the header")
            mapped[field] = index
        elif name.casefold() in CONTROL_COLUMNS and name.casefold() not in control:
            control[name.casefold()] = index
        else:
            extras.append(name)
    if extras and options.extra_fields == "error":
        listed = ", ".join(repr(e) for e in extras[:10])
        raise LeadFormatError(
            line, f"columns not in the contact database: {listed} (or ignore extra fields)"
        )
    if schema.main_phone_field not in mapped:
        raise LeadFormatError(
            line, f"no column for the main phone field {schema.main_phone_field!r}"
        )
    return _Layout(
        width=len(header),
        main=mapped[schema.main_phone_field],
        alternates=tuple(
            (mapped[f], f)
            for f in schema.phone_fields
            if f != schema.main_phone_field and f in mapped
        ),
        external_id=(mapped.get(schema.external_id_field) if schema.external_id_field else None),
        data=tuple((index, field) for field, index in mapped.items()),
        control=control,
    )


class CsvDecoder:
    def __init__(self, schema: ContactSchema, options: ParseOptions) -> None:
        self.schema = schema
        self.options = options
        self._phones = PhoneNormalizer(options.default_region)
        self._lines = LineSplitter(options.encoding)
        self._pending: list[str] = []
        self._complete = 0
        self._quotes = 0
        # Physical line number of the first pending line.
        self._next_line = 1
        self._delimiter = options.delimiter
        self._layout: _Layout | None = None

    def feed(self, chunk: bytes | str) -> list[Item]:
        return self._take(self._lines.feed(chunk), final=False)

    def close(self) -> list[Item]:
        out = self._take(self._lines.close(), final=True)
        if self._layout is None:
            raise LeadFormatError(self._next_line, "no header line")
        return out

    def _take(self, lines: list[str | None], *, final: bool) -> list[Item]:
        out: list[Item] = []
        for line in lines:
            if line is None:
                # Drop whatever was pending with it: a record cannot be trusted across a bad line.
                self._flush(out, upto=self._complete)
                start = self._next_line + len(self._pending)
                if self._pending:
                    out.append(LineError(self._next_line, None, "record cut by an unreadable line"))
                out.append(LineError(start, None, f"not valid {self.options.encoding}"))
                self._next_line = start + 1
                self._pending.clear()
                self._complete = self._quotes = 0
                continue
            self._pending.append(line)
            self._quotes += line.count('"')
            if not self._quotes % 2 or len(self._pending) - self._complete > _MAX_PENDING_LINES:
                self._complete = len(self._pending)
                self._quotes = 0
        self._flush(out, upto=len(self._pending) if final else self._complete)
        return out

    def _flush(self, out: list[Item], upto: int) -> None:
        if not upto:
            return
        group, self._pending = self._pending[:upto], self._pending[upto:]
        self._complete = 0
        base = self._next_line
        self._next_line += upto
        if self._delimiter is None:
            first = next((g for g in group if g.strip()), None)
            if first is None:
                return
            self._delimiter = max(_DELIMITERS, key=first.count)
        reader = csv.reader(group, delimiter=self._delimiter, quotechar='"', strict=False)
        previous = 0
        try:
            for cells in reader:
                start = base + previous
                previous = reader.line_num
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if self._layout is None:
                    self._layout = _layout(cells, self.schema, self.options, start)
                    continue
                out.extend(self._row(start, cells, self._layout))
        except csv.Error as exc:
            raise LeadFormatError(base + previous, f"unreadable CSV: {exc}") from None

    def _row(self, line: int, cells: list[str], layout: _Layout) -> list[Item]:
        # Trailing empty cells past the header are what spreadsheets leave behind.
        if len(cells) != layout.width and (
            len(cells) < layout.width or any(c.strip() for c in cells[layout.width :])
        ):
            return [LineError(line, None, f"expected {layout.width} fields, found {len(cells)}")]
        if not layout.control:
            fast = self._plain_row(line, cells, layout)
            if fast is not None:
                return [fast]
        check = RowCheck(line, self._phones)
        main = check.phone(self.schema.main_phone_field, cells[layout.main])
        alternates: tuple[str, ...] = ()
        for index, field in layout.alternates:
            if cells[index].strip():
                alternates += check.alternates(field, [cells[index]], main)
        alternates = tuple(dict.fromkeys(alternates))
        external_id = None
        if layout.external_id is not None:
            external_id = check.text(
                self.schema.external_id_field or "", cells[layout.external_id], MAX_EXTERNAL_ID
            )
        steering = self._control(check, cells, layout.control)
        if check.errors or main is None:
            return list(check.errors)
        return [
            Lead(
                line=line,
                phone=main,
                alternates=alternates,
                data={field: cells[index] for index, field in layout.data},
                external_id=external_id,
                **steering,
            )
        ]

    def _control(
        self, check: RowCheck, cells: list[str], control: dict[str, int]
    ) -> dict[str, Any]:
        """The spool entry's own columns: zone, priority, agent, due time."""
        zone = self.options.timezone
        if "timezone" in control:
            zone = check.zone("timezone", cells[control["timezone"]]) or zone
        found: dict[str, Any] = {"timezone": zone}
        if "priority" in control:
            found["priority"] = check.priority("priority", cells[control["priority"]])
        if "agent" in control:
            found["agent"] = check.text("agent", cells[control["agent"]], MAX_AGENT)
        if "due_at" in control:
            found["due_at"] = check.when(
                "due_at", cells[control["due_at"]], zone or self.options.naive_zone
            )
        return found

    def _plain_row(self, line: int, cells: list[str], layout: _Layout) -> Lead | None:
        """The common row, without the bookkeeping of `RowCheck`; None when anything is off."""
        normalize = self._phones.normalize
        try:
            main = normalize(cells[layout.main])
            alternates: list[str] = []
            for index, _field in layout.alternates:
                if cells[index].strip():
                    number = normalize(cells[index])
                    if number != main and number not in alternates:
                        alternates.append(number)
        except InvalidNumber:
            return None
        external_id = None
        if layout.external_id is not None:
            external_id = cells[layout.external_id].strip() or None
            if external_id is not None and (
                len(external_id) > MAX_EXTERNAL_ID or "\x00" in external_id
            ):
                return None
        return Lead(
            line=line,
            phone=main,
            alternates=tuple(alternates),
            data={field: cells[index] for index, field in layout.data},
            external_id=external_id,
            timezone=self.options.timezone,
        )


def parse_csv(
    chunks: Iterable[bytes | str], schema: ContactSchema, options: ParseOptions | None = None
) -> Iterator[Item]:
    """Rows and per-row errors of a CSV stream, as it is read."""
    decoder = CsvDecoder(schema, options or ParseOptions())
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()
