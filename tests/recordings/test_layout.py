"""Storage layout and signed-URL tokens: pure functions, plain asserts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.recordings.layout import (
    UnsafePath,
    converted_path,
    inside,
    name_candidates,
    recording_name,
    relative_path,
)
from engine.recordings.signing import UrlSigner

UUID = "3f2a9c0e5b7d4e1f8a6b2c3d4e5f6a7b"


def test_paths_are_day_folders_of_the_call_in_utc_and_the_call_uuid() -> None:
    # 23:30 in New York on the 1st is the 2nd in UTC: the folder follows UTC.
    started = datetime(2025, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert relative_path(UUID, started, "wav") == f"20250302/{UUID}.wav"
    assert relative_path(UUID, started, "gsm", take=2) == f"20250302/{UUID}-2.gsm"
    # GSM-in-WAV keeps the .wav extension players expect.
    assert relative_path(UUID, started, "wav49") == f"20250302/{UUID}.wav"
    assert converted_path(f"20250302/{UUID}-2.gsm") == f"20250302/{UUID}-2.mp3"
    with pytest.raises(ValueError, match="naive"):
        relative_path(UUID, datetime(2025, 3, 1), "wav")


@pytest.mark.parametrize(
    "bad", ["../etc/passwd", "a/b", "", "x" * 65, "-leading", "name.wav", "a b", "évian"]
)
def test_only_uuid_shaped_names_make_paths(bad: str) -> None:
    with pytest.raises(UnsafePath):
        recording_name(bad)
    with pytest.raises(UnsafePath):
        relative_path(bad, datetime(2025, 1, 1, tzinfo=UTC), "wav")
    assert name_candidates(bad) == []


def test_take_suffixes_are_read_both_ways() -> None:
    assert recording_name(UUID, 3) == f"{UUID}-3"
    assert name_candidates(UUID) == [(UUID, 1)]
    assert name_candidates(f"{UUID}-3") == [(f"{UUID}-3", 1), (UUID, 3)]
    # A dashed uuid's last group is no take number.
    dashed = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert name_candidates(dashed) == [(dashed, 1)]


def test_stored_paths_cannot_leave_the_store(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    assert inside(root, f"20250101/{UUID}.wav") == root.resolve() / "20250101" / f"{UUID}.wav"
    for bad in ("../outside.wav", "/etc/passwd", "20250101/../../x", ""):
        with pytest.raises(UnsafePath):
            inside(root, bad)
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafePath):
        inside(root, "link/secret.wav")


def test_signed_tokens_open_one_recording_until_they_expire() -> None:
    signer = UrlSigner("a-server-secret-of-enough-length")
    token = signer.token(7, expires=1_000)
    assert signer.valid(7, token, now=999.5)
    assert not signer.valid(7, token, now=1_000)
    assert not signer.valid(8, token, now=10)
    expiry, _, mac = token.partition(".")
    assert not signer.valid(7, f"2000.{mac}", now=10)  # stretched expiry
    assert not signer.valid(7, f"{expiry}.{mac[:-1]}A", now=10)
    assert not UrlSigner("another-secret-of-enough-length").valid(7, token, now=10)
    for junk in ("", ".", "abc", "1000.", "-5.x", "1000.é"):
        assert not signer.valid(7, junk, now=10)
    with pytest.raises(ValueError, match="secret"):
        UrlSigner("short")
