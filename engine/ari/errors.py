"""Errors of the ARI client.

A small hierarchy keyed on what the caller can do about it: retry later
(`Unavailable`, `ServerError`), fix the request (`BadRequest`), or accept that
the object is gone or busy (`NotFound`, `Conflict`, `Unprocessable`). Each
carries Asterisk's own message (the `message` of its JSON error body).

These are not `engine.errors.DialspoolError`s on purpose: a 404 from Asterisk
is not a 404 for the engine's HTTP caller; the service that made the call
decides what it means.
"""

from __future__ import annotations


class AriError(Exception):
    """Base of every error the ARI client raises."""

    status: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        code = f" {self.status}" if self.status is not None else ""
        return f"ARI{code} {where}: {self.message}" if where else f"ARI{code}: {self.message}"


class BadRequest(AriError):
    """400: Asterisk rejected the parameters."""

    status = 400


class Unauthorized(AriError):
    """401: the ARI user or password is wrong."""

    status = 401


class NotFound(AriError):
    """404: the channel, bridge, recording, ... does not exist (any more)."""

    status = 404


class Conflict(AriError):
    """409: the object is not in a state that allows this (e.g. not in Stasis)."""

    status = 409


class Unprocessable(AriError):
    """422: a referenced object is missing (e.g. the channel to add to a bridge)."""

    status = 422


class ServerError(AriError):
    """5xx: Asterisk failed to carry out a valid request."""

    status = 500


class Unavailable(AriError):
    """Asterisk could not be reached, or did not answer in time."""


class RequestTimeout(Unavailable):
    """No answer within the request timeout; the request may still have been carried out."""


_BY_STATUS: dict[int, type[AriError]] = {
    400: BadRequest,
    401: Unauthorized,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
}


def error_for_status(status: int, message: str, *, method: str = "", path: str = "") -> AriError:
    """The exception for an HTTP error `status` answered by Asterisk."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else AriError
    return cls(message, status=status, method=method, path=path)
