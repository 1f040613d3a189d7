"""The engine's documented exceptions.

Each carries a stable `error_id` and the HTTP status it maps to; the HTTP
layer translates them once (engine/http/errors.py) into
`{"error": {"id", "message", "details"}}`.
"""

from __future__ import annotations

from typing import Any


class DialspoolError(Exception):
    """Base of every error the engine reports to a caller."""

    status = 500
    error_id = "internal-error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(DialspoolError):
    """The request is malformed (bad JSON, a missing parameter)."""

    status = 400
    error_id = "invalid-input"


class NotAuthenticated(DialspoolError):
    """No credentials, unknown credentials, or expired / revoked token."""

    status = 401
    error_id = "not-authenticated"


class Forbidden(DialspoolError):
    """Authenticated, but the role does not allow this."""

    status = 403
    error_id = "forbidden"


class NotFound(DialspoolError):
    status = 404
    error_id = "not-found"


class Conflict(DialspoolError):
    """The request clashes with the current state (duplicate, illegal transition)."""

    status = 409
    error_id = "conflict"


class ValidationFailed(DialspoolError):
    """Well-formed but invalid values; `details` lists the failing fields."""

    status = 422
    error_id = "validation-failed"


class TooManyRequests(DialspoolError):
    status = 429
    error_id = "too-many-requests"


class ConfigError(DialspoolError):
    """The configuration cannot be used; the message names the key."""

    error_id = "config-error"
