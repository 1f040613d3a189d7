"""Where a recording lives: pure functions from our own ids and dates to paths.

Paths are built only from a call's uuid (ours, checked against `CALL_UUID`),
its UTC date and a format from `FORMATS`, never from what a client or
Asterisk sent; `inside()` re-checks every stored path before it is opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class AudioFormat:
    name: str  # as ARI and the `recordings.format` column spell it
    extension: str
    content_type: str


FORMATS: dict[str, AudioFormat] = {
    "wav": AudioFormat("wav", "wav", "audio/wav"),
    "gsm": AudioFormat("gsm", "gsm", "audio/gsm"),
    # GSM 6.10 inside a WAV container: players open it as an ordinary .wav.
    "wav49": AudioFormat("wav49", "wav", "audio/wav"),
    "mp3": AudioFormat("mp3", "mp3", "audio/mpeg"),
}
RECORDABLE = ("wav", "gsm", "wav49")
CONVERTIBLE = frozenset(RECORDABLE)

# The uuids our call flows generate (hex) and those other flows may (dashed uuids).
CALL_UUID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_SUFFIX = re.compile(r"^(?P<uuid>.+)-(?P<seq>[2-9]|[1-9][0-9])$")
MAX_TAKES = 99


class UnsafePath(ValueError):
    """A name or stored path that would leave the recording store."""


def check_uuid(call_uuid: str) -> str:
    if not CALL_UUID.match(call_uuid):
        raise UnsafePath(f"not a call uuid: {call_uuid!r}")
    return call_uuid


def recording_name(call_uuid: str, take: int = 1) -> str:
    """The ARI recording name (and file stem) of the `take`-th recording of a call."""
    check_uuid(call_uuid)
    if not 1 <= take <= MAX_TAKES:
        raise ValueError(f"take {take} out of range")
    return call_uuid if take == 1 else f"{call_uuid}-{take}"


def name_candidates(name: str) -> list[tuple[str, int]]:
    """The (call uuid, take) pairs a recording name can stand for, most literal first.

    Dashes are legal inside uuids, so `abc-2` is either take 2 of `abc` or take 1
    of `abc-2`; the caller asks the database which call exists.
    """
    if not CALL_UUID.match(name):
        return []
    found = [(name, 1)]
    match = _SUFFIX.match(name)
    if match and CALL_UUID.match(match["uuid"]):
        found.append((match["uuid"], int(match["seq"])))
    return found


def day_folder(call_started: datetime) -> str:
    if call_started.tzinfo is None:
        raise ValueError("naive datetime: call times are UTC")
    return call_started.astimezone(UTC).strftime("%Y%m%d")


def relative_path(call_uuid: str, call_started: datetime, fmt: str, take: int = 1) -> str:
    """`YYYYMMDD/<call uuid>[-take].<ext>`, relative to the store's root."""
    extension = FORMATS[fmt].extension
    return f"{day_folder(call_started)}/{recording_name(call_uuid, take)}.{extension}"


def converted_path(relative: str, fmt: str = "mp3") -> str:
    """The same recording in another format, next to the original."""
    path = PurePosixPath(relative)
    return str(path.with_suffix("." + FORMATS[fmt].extension))


def inside(root: Path, relative: str) -> Path:
    """The absolute path of a stored relative path, refusing anything outside `root`."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise UnsafePath(f"stored path escapes the recording store: {relative!r}")
    base = root.resolve()
    full = (base / pure).resolve()
    if not full.is_relative_to(base):
        raise UnsafePath(f"stored path escapes the recording store: {relative!r}")
    return full
