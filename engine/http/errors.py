"""The native API's error body, and the middleware that produces it once.

Every error leaves as `{"error": {"id", "message", "details"}}` with the right
status. Unexpected exceptions are logged with the request id and answered with
a 500 that reveals nothing of the internals.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from engine.errors import DialspoolError
from engine.logs import request_id

log = logging.getLogger(__name__)

# aiohttp's own HTTP exceptions (unknown route, wrong method, body too large...).
_HTTP_ERROR_IDS = {
    400: "invalid-input",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "too-many-requests",
}


def error_response(status: int, error_id: str, message: str, details: Any = None) -> web.Response:
    body = {"error": {"id": error_id, "message": message, "details": details}}
    return web.json_response(body, status=status)


def _from_http_exception(exc: web.HTTPException) -> web.Response:
    details = None
    if isinstance(exc, web.HTTPMethodNotAllowed):
        details = {"allowed": sorted(exc.allowed_methods)}
    message = exc.reason if exc.status != 404 else "no such resource"
    response = error_response(
        exc.status, _HTTP_ERROR_IDS.get(exc.status, "http-error"), message, details
    )
    if isinstance(exc, web.HTTPMethodNotAllowed):
        response.headers["Allow"] = ",".join(sorted(exc.allowed_methods))
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except DialspoolError as exc:
        if exc.status >= 500:
            log.error("%s %s failed: %s", request.method, request.path, exc.message)
        return error_response(exc.status, exc.error_id, exc.message, exc.details)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # redirects and the like are not errors
        return _from_http_exception(exc)
    except Exception:
        log.exception("%s %s: unexpected error", request.method, request.path)
        return error_response(
            500,
            "internal-error",
            "the server failed to handle this request; it has been logged",
            {"request_id": request_id.get()},
        )
