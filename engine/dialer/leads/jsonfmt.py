"""JSON lists of leads, read item by item.

The document is a top-level array of objects, or an object whose `items`
key holds that array (Webitel's member upload; its other keys, such as
`queue_id`, are skipped). Each item is either our own shape

    {"phone" | "number", "alternates": [..] | "a:b", "priority", "external_id",
     "data": {..}, "variables": {..}, "timezone", "agent", "due_at", "expires_at"}

or a Webitel member

    {"communications": [{"destination", "priority"}, ..], "name", "priority",
     "variables": {..}, "timezone": {"id" | "name"}, "agent": {"id" | "name"},
     "min_offering_at", "expire_at"}

where the communication with the largest priority is the main number and the
variables are both the contact's data and the entry's variables.

Reading never holds more than the current item: `json.JSONDecoder.raw_decode`
runs over a buffer that is cut after every chunk. An item that does not decode
yet is retried when more text arrives; at the end of input, or past
`MAX_ITEM_CHARS`, it is a syntax error, which stops the reading (nothing after
it can be trusted), whereas an item with bad values is only that item's error.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from engine.dialer.leads.fields import MAX_AGENT, MAX_EXTERNAL_ID, RowCheck, mapping_or_none
from engine.dialer.leads.model import Item, Lead, LeadFormatError, LineError, ParseOptions
from engine.dialer.leads.phones import PhoneNormalizer

MAX_ITEM_CHARS = 1 << 20
_WS = re.compile(r"[ \t\n\r]*")
_NATIVE_KEYS = frozenset(
    {
        "phone",
        "number",
        "alternates",
        "priority",
        "external_id",
        "data",
        "variables",
        "timezone",
        "agent",
        "due_at",
        "expires_at",
    }
)
_WEBITEL_KEYS = frozenset(
    {
        "communications",
        "name",
        "priority",
        "variables",
        "timezone",
        "agent",
        "bucket",
        "min_offering_at",
        "expire_at",
        "external_id",
        "data",
    }
)

_START, _KEYS, _ARRAY, _TRAILING = range(4)


class _NeedMore(Exception):
    """The buffer ends inside the next token."""


class _NotJson(Exception):
    """NaN or Infinity: Python's json reads them, but they are not JSON, nor storable."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)


class JsonDecoder:
    def __init__(self, options: ParseOptions) -> None:
        self.options = options
        self._phones = PhoneNormalizer(options.default_region)
        self._text = codecs.getincrementaldecoder(options.encoding)()
        self._json = json.JSONDecoder(parse_constant=_refuse_constant)
        self._buf = ""
        self._pos = 0
        self._line = 1
        self._state = _START
        self._in_object = False
        self._expect_comma = False
        self._started = False

    def feed(self, chunk: bytes | str) -> list[Item]:
        self._append(chunk, final=False)
        return self._run(final=False)

    def close(self) -> list[Item]:
        self._append(b"", final=True)
        out = self._run(final=True)
        if self._state != _TRAILING:
            raise LeadFormatError(self._line, "unexpected end of JSON")
        return out

    def _append(self, chunk: bytes | str, *, final: bool) -> None:
        try:
            text = chunk if isinstance(chunk, str) else self._text.decode(chunk, final)
        except UnicodeDecodeError as exc:
            raise LeadFormatError(self._line, f"not valid {self.options.encoding}: {exc}") from None
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        self._buf = self._buf[self._pos :] + text
        self._pos = 0

    def _advance(self, to: int) -> None:
        self._line += self._buf.count("\n", self._pos, to)
        self._pos = to

    def _skip_ws(self) -> str | None:
        self._advance(_WS.match(self._buf, self._pos).end())  # type: ignore[union-attr]
        return self._buf[self._pos] if self._pos < len(self._buf) else None

    def _run(self, *, final: bool) -> list[Item]:
        out: list[Item] = []
        try:
            while self._step(out, final=final):
                pass
        except _NeedMore:
            if final:
                raise LeadFormatError(self._line, "unexpected end of JSON") from None
            if len(self._buf) - self._pos > MAX_ITEM_CHARS:
                raise LeadFormatError(self._line, "item too large or malformed") from None
        return out

    def _step(self, out: list[Item], *, final: bool) -> bool:
        char = self._skip_ws()
        if char is None:
            if final:
                return False
            raise _NeedMore
        if self._state == _START:
            if char not in "[{":
                raise LeadFormatError(self._line, "expected a JSON array or an object with items")
            self._in_object = char == "{"
            self._state = _KEYS if self._in_object else _ARRAY
            self._advance(self._pos + 1)
            return True
        if self._state == _TRAILING:
            raise LeadFormatError(self._line, "unexpected text after the JSON document")
        if self._state == _KEYS:
            return self._key(char, final)
        return self._element(char, out, final)

    def _separator(self, char: str, close: str) -> bool:
        """Consume ',' between members; True when `close` ends the container."""
        if char == close:
            self._advance(self._pos + 1)
            return True
        if self._expect_comma:
            if char != ",":
                raise LeadFormatError(self._line, f"expected ',' or {close!r}")
            self._advance(self._pos + 1)
            self._expect_comma = False
        return False

    def _decode(self, final: bool) -> tuple[Any, int]:
        try:
            value, end = self._json.raw_decode(self._buf, self._pos)
        except json.JSONDecodeError as exc:
            if final:
                raise LeadFormatError(self._line, f"invalid JSON: {exc.msg}") from None
            raise _NeedMore from None
        except _NotJson as exc:
            raise LeadFormatError(self._line, f"invalid JSON: {exc} is not a JSON value") from None
        # A scalar at the very end may still grow (a number cut by the chunking).
        if end == len(self._buf) and not final and not isinstance(value, dict | list):
            raise _NeedMore
        return value, end

    def _key(self, char: str, final: bool) -> bool:
        if self._separator(char, "}"):
            self._state = _TRAILING
            return True
        mark, line = self._pos, self._line
        try:
            nxt = self._skip_ws()
            if nxt is None:
                raise _NeedMore
            if nxt != '"':
                raise LeadFormatError(self._line, "expected an object key")
            key, end = self._decode(final)
            self._advance(end)
            if self._skip_ws() != ":":
                if self._pos < len(self._buf):
                    raise LeadFormatError(self._line, "expected ':'")
                raise _NeedMore
            self._advance(self._pos + 1)
            if (nxt := self._skip_ws()) is None:
                raise _NeedMore
            if key == "items":
                if nxt != "[":
                    raise LeadFormatError(self._line, "items must be an array")
                self._advance(self._pos + 1)
                self._state = _ARRAY
                return True
            _, end = self._decode(final)
            self._advance(end)
        except _NeedMore:
            # Re-read the whole member once more text is here.
            self._pos, self._line = mark, line
            raise
        self._expect_comma = True
        return True

    def _element(self, char: str, out: list[Item], final: bool) -> bool:
        if self._separator(char, "]"):
            if self._in_object:
                self._state = _KEYS
                self._expect_comma = True
            else:
                self._state = _TRAILING
            return True
        start = self._skip_ws()
        if start is None:
            raise _NeedMore
        line = self._line
        value, end = self._decode(final)
        self._advance(end)
        self._expect_comma = True
        out.extend(lead_from_json(value, line, self._phones, self.options))
        return True


def _communications(check: RowCheck, raw: object) -> tuple[str | None, tuple[str, ...]]:
    if not isinstance(raw, list) or not raw:
        check.fail("communications", "must be a non-empty list")
        return None, ()
    ranked: list[tuple[int, int, object]] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or "destination" not in item:
            check.fail("communications", f"item {index + 1} has no destination")
            continue
        rank = check.priority("communications.priority", item.get("priority"))
        ranked.append((-rank, index, item["destination"]))
    ranked.sort()
    if not ranked:
        return None, ()
    main = check.phone("communications.destination", ranked[0][2])
    return main, check.alternates("communications.destination", [r[2] for r in ranked[1:]], main)


def _reference(raw: object) -> object:
    """Webitel wraps references as {"id": ..} (sometimes {"name": ..})."""
    if isinstance(raw, dict):
        return raw.get("name", raw.get("id"))
    return raw


def lead_from_json(
    value: object, line: int, phones: PhoneNormalizer, options: ParseOptions
) -> list[Item]:
    """One JSON item as a lead, or its errors."""
    if not isinstance(value, dict):
        return [LineError(line, None, "item must be a JSON object")]
    check = RowCheck(line, phones)
    webitel = "communications" in value
    known = _WEBITEL_KEYS if webitel else _NATIVE_KEYS
    if options.extra_fields == "error":
        for key in value:
            if key not in known:
                check.fail(str(key), "unknown field")
    if webitel:
        main, alternates = _communications(check, value["communications"])
    else:
        if "phone" in value and "number" in value and value["phone"] != value["number"]:
            check.fail("number", "phone and number differ")
        field = "phone" if "phone" in value else "number"
        main = check.phone(field, value.get(field))
        raw_alts = value.get("alternates")
        if isinstance(raw_alts, str):
            raw_alts = raw_alts.split(":")
        if raw_alts is not None and not isinstance(raw_alts, list):
            check.fail("alternates", "must be a list of numbers")
            raw_alts = []
        alternates = check.alternates("alternates", list(raw_alts or []), main)
    data = _object(check, "data", value.get("data"))
    variables = _object(check, "variables", value.get("variables"))
    if webitel:
        data = {**variables, **data}
        if "name" in value:
            data.setdefault("name", value["name"])
    zone = check.zone("timezone", _reference(value.get("timezone"))) or options.timezone
    naive = zone or options.naive_zone
    lead_kwargs: dict[str, Any] = {
        "priority": check.priority("priority", value.get("priority")),
        "external_id": check.text("external_id", value.get("external_id"), MAX_EXTERNAL_ID),
        "agent": check.text("agent", _reference(value.get("agent")), MAX_AGENT),
        "due_at": check.when(
            "min_offering_at" if webitel else "due_at",
            value.get("min_offering_at" if webitel else "due_at"),
            naive,
        ),
        "expires_at": check.when(
            "expire_at" if webitel else "expires_at",
            value.get("expire_at" if webitel else "expires_at"),
            naive,
        ),
    }
    if check.errors or main is None:
        return list(check.errors)
    return [
        Lead(
            line=line,
            phone=main,
            alternates=alternates,
            data=data,
            variables=variables,
            timezone=zone,
            **lead_kwargs,
        )
    ]


def _object(check: RowCheck, field: str, raw: object) -> dict[str, Any]:
    if raw is None:
        return {}
    found = mapping_or_none(raw)
    if found is None:
        check.fail(field, "must be a JSON object")
        return {}
    return found


def parse_json(
    chunks: Iterable[bytes | str], options: ParseOptions | None = None
) -> Iterator[Item]:
    """Leads and per-item errors of a JSON document, as it is read."""
    decoder = JsonDecoder(options or ParseOptions())
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()
