"""One entry point over the three formats."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from engine.dialer.leads.csvfmt import CsvDecoder
from engine.dialer.leads.jsonfmt import JsonDecoder
from engine.dialer.leads.model import FORMATS, ContactSchema, Item, ParseOptions
from engine.dialer.leads.ucontact import UcontactDecoder


class Decoder(Protocol):
    """Push parser: feed chunks as they arrive, then close; each call returns what completed."""

    def feed(self, chunk: bytes | str) -> list[Item]: ...

    def close(self) -> list[Item]: ...


def make_decoder(fmt: str, schema: ContactSchema, options: ParseOptions) -> Decoder:
    if fmt == "csv":
        return CsvDecoder(schema, options)
    if fmt == "ucontact":
        return UcontactDecoder(options)
    if fmt == "json":
        return JsonDecoder(options)
    raise ValueError(f"unknown lead format {fmt!r}; use one of {', '.join(FORMATS)}")


def parse(
    fmt: str, chunks: Iterable[bytes | str], schema: ContactSchema, options: ParseOptions
) -> Iterator[Item]:
    """Leads and per-row errors of any format, lazily, as `chunks` is consumed."""
    decoder = make_decoder(fmt, schema, options)
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()
