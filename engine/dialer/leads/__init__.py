"""Lead loading: CSV, uContact bases and JSON lists into a campaign's spool.

Parsers are pure push decoders (`make_decoder(...).feed(chunk)` / `.close()`)
with generator wrappers (`parse_csv`, `parse_ucontact`, `parse_json`,
`parse`) that consume any iterable of lines or byte chunks lazily. The loader
(`load_leads`, `list_loads`, `remove_load`) is the I/O shell; it takes sync
or async byte sources, e.g. an aiohttp `request.content.iter_chunked(65536)`.
"""

from engine.dialer.leads.csvfmt import parse_csv
from engine.dialer.leads.formats import Decoder, make_decoder, parse
from engine.dialer.leads.jsonfmt import parse_json
from engine.dialer.leads.loader import list_loads, load_leads, remove_load
from engine.dialer.leads.model import (
    DUPLICATE_POLICIES,
    FORMATS,
    ContactSchema,
    DuplicatePolicy,
    Format,
    Lead,
    LeadFormatError,
    LineError,
    LoadProgress,
    LoadReport,
    LoadSummary,
    ParseOptions,
    RemoveReport,
)
from engine.dialer.leads.phones import InvalidNumber, PhoneNormalizer
from engine.dialer.leads.ucontact import parse_ucontact

__all__ = [
    "DUPLICATE_POLICIES",
    "FORMATS",
    "ContactSchema",
    "Decoder",
    "DuplicatePolicy",
    "Format",
    "InvalidNumber",
    "Lead",
    "LeadFormatError",
    "LineError",
    "LoadProgress",
    "LoadReport",
    "LoadSummary",
    "ParseOptions",
    "PhoneNormalizer",
    "RemoveReport",
    "list_loads",
    "load_leads",
    "make_decoder",
    "parse",
    "parse_csv",
    "parse_json",
    "parse_ucontact",
    "remove_load",
]
