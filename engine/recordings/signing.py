"""Short-lived signed URLs: a player fetches one recording without a bearer token.

The token is `<expiry>.<mac>`, the MAC an HMAC-SHA256 over the recording id and
the expiry with a server secret, so a token opens one recording only, only
until it expires, and cannot be forged or stretched without the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

MIN_SECRET_BYTES = 16


def _secret_bytes(secret: str | bytes) -> bytes:
    raw = secret.encode() if isinstance(secret, str) else secret
    if len(raw) < MIN_SECRET_BYTES:
        raise ValueError(f"the URL-signing secret needs at least {MIN_SECRET_BYTES} bytes")
    return raw


def _mac(secret: bytes, recording_id: int, expires: int) -> str:
    digest = hmac.new(secret, f"recording:{recording_id}:{expires}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


class UrlSigner:
    def __init__(self, secret: str | bytes) -> None:
        self._secret = _secret_bytes(secret)

    def token(self, recording_id: int, expires: int) -> str:
        return f"{expires}.{_mac(self._secret, recording_id, expires)}"

    def valid(self, recording_id: int, token: str, now: float) -> bool:
        expiry, _, mac = token.partition(".")
        if not expiry.isdigit() or not mac or len(expiry) > 12:
            return False
        expires = int(expiry)
        expected = _mac(self._secret, recording_id, expires)
        # Compare first, whatever the expiry, so timing tells nothing about the MAC.
        genuine = hmac.compare_digest(expected.encode(), mac.encode("ascii", "replace"))
        return genuine and now < expires
