"""HTTP transport of the ARI client: one pooled session, auth, timeouts, errors.

Resources (`engine.ari.resources`) build paths and parameters; this module
sends them and turns every failure into an `engine.ari.errors` exception
carrying Asterisk's message. Credentials travel only in the Authorization
header, never in a URL, so nothing logged can reveal them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Self, TypeVar
from urllib.parse import quote

import aiohttp
from pydantic import ValidationError
from yarl import URL

from engine.ari.errors import AriError, RequestTimeout, Unavailable, error_for_status
from engine.ari.models import AriModel, StoredFile

log = logging.getLogger(__name__)

M = TypeVar("M", bound=AriModel)

QueryValue = str | int | bool | Sequence[str] | None

# Big enough to keep the per-chunk work small, small enough never to matter in memory.
DOWNLOAD_CHUNK_BYTES = 64 * 1024


def basic_auth_header(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def encode_query(params: Mapping[str, QueryValue]) -> dict[str, str]:
    """ARI's query encoding: booleans as true/false, lists comma-separated, None left out."""
    out: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, str | int):
            out[name] = str(value)
        else:
            out[name] = ",".join(value)
    return out


def encode_path(template: str, **params: str) -> str:
    """Fill `{name}` slots, escaping each value whole (Local channel ids contain `;`)."""
    return template.format(**{k: quote(v, safe="") for k, v in params.items()})


class AriHttp:
    """Sends ARI requests over one pooled aiohttp session.

    `base_url` is the ARI root, e.g. `http://127.0.0.1:8088/ari`. The session
    is created by `open()` (inside the running loop) and shared with the event
    WebSocket, which therefore holds one connection of the pool.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        pool_size: int = 50,
        timeout: float = 5.0,
    ) -> None:
        self.base_url = URL(base_url.rstrip("/"))
        self.username = username
        self._auth = basic_auth_header(username, password)
        self.pool_size = pool_size
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"AriHttp({str(self.base_url)!r}, user={self.username!r})"

    async def open(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool_size),
                headers={"Authorization": self._auth},
                # Per request instead: a session-wide total would also cut the WebSocket.
                timeout=aiohttp.ClientTimeout(total=None),
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            raise RuntimeError("AriHttp is not open; call open() first")
        return self._session

    def url(self, path: str) -> URL:
        return self.base_url.with_path(self.base_url.path + path, encoded=True)

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, QueryValue] | None = None,
        body: Any = None,
        request_timeout: float | None = None,
    ) -> Any:
        """Send one request; the decoded JSON answer, or None for 204."""
        raw, content_type = await self._send(method, path, query, body, request_timeout)
        if not raw:
            return None
        if "json" not in content_type:
            raise AriError(
                f"expected JSON, got {content_type or 'no content type'}",
                method=method,
                path=path,
            )
        try:
            return _json_loads(raw)
        except ValueError as exc:
            raise AriError(f"invalid JSON in answer: {exc}", method=method, path=path) from exc

    async def request_file(self, path: str, *, request_timeout: float | None = None) -> StoredFile:
        raw, content_type = await self._send("GET", path, None, None, request_timeout)
        return StoredFile(content=raw, content_type=content_type)

    @contextlib.asynccontextmanager
    async def download(
        self,
        path: str,
        *,
        request_timeout: float | None = None,
        chunk_size: int = DOWNLOAD_CHUNK_BYTES,
    ) -> AsyncIterator[Download]:
        """GET `path` and read its body as it arrives; `request_timeout` bounds the whole.

        An error answer raises before anything is yielded, as `request` does.
        """
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        seconds = self.timeout if request_timeout is None else request_timeout
        started = time.monotonic()
        async with contextlib.AsyncExitStack() as stack:
            try:
                resp = await stack.enter_async_context(
                    self.session.get(self.url(path), timeout=aiohttp.ClientTimeout(total=seconds))
                )
                raw = await resp.read() if resp.status >= 400 else b""
            except (TimeoutError, aiohttp.ClientError) as exc:
                raise _transport_error(exc, seconds, "GET", path) from exc
            log.debug(
                "ARI GET %s -> %s in %.1f ms (body follows)",
                path,
                resp.status,
                (time.monotonic() - started) * 1000,
            )
            if resp.status >= 400:
                raise error_for_status(
                    resp.status, _error_message(raw, resp.reason), method="GET", path=path
                )
            yield Download(resp, path, seconds, chunk_size)

    async def _send(
        self,
        method: str,
        path: str,
        query: Mapping[str, QueryValue] | None,
        body: Any,
        request_timeout: float | None,
    ) -> tuple[bytes, str]:
        seconds = self.timeout if request_timeout is None else request_timeout
        started = time.monotonic()
        try:
            async with self.session.request(
                method,
                self.url(path),
                params=encode_query(query or {}),
                json=body,
                timeout=aiohttp.ClientTimeout(total=seconds),
            ) as resp:
                raw = await resp.read()
                status, content_type, reason = resp.status, resp.content_type, resp.reason
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _transport_error(exc, seconds, method, path) from exc
        log.debug(
            "ARI %s %s -> %s in %.1f ms",
            method,
            path,
            status,
            (time.monotonic() - started) * 1000,
        )
        if status >= 400:
            raise error_for_status(status, _error_message(raw, reason), method=method, path=path)
        return raw, content_type


class Download:
    """A body read chunk by chunk as it arrives: `async for chunk in download`.

    A body cut short (the connection lost before `Content-Length` bytes came)
    or too slow for the timeout raises `Unavailable` from the iteration.
    """

    def __init__(
        self, resp: aiohttp.ClientResponse, path: str, seconds: float, chunk_size: int
    ) -> None:
        self.content_type = resp.content_type
        # None when the server streams without announcing it (or compresses the body).
        encoded = resp.headers.get("Content-Encoding", "identity") != "identity"
        self.content_length = None if encoded else resp.content_length
        self.received = 0
        self._resp = resp
        self._path = path
        self._seconds = seconds
        self._chunk_size = chunk_size
        self._done = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        try:
            chunk = await self._resp.content.read(self._chunk_size)
        except TimeoutError as exc:
            self._done = True
            raise _transport_error(exc, self._seconds, "GET", self._path) from exc
        except aiohttp.ClientError as exc:
            self._done = True
            raise Unavailable(
                f"download cut short after {self.received} bytes: {exc!r}",
                method="GET",
                path=self._path,
            ) from exc
        if chunk:
            self.received += len(chunk)
            return chunk
        self._done = True
        expected = self.content_length
        if expected is not None and self.received != expected:
            raise Unavailable(
                f"download cut short: {self.received} of {expected} bytes",
                method="GET",
                path=self._path,
            )
        raise StopAsyncIteration


def _transport_error(exc: Exception, seconds: float, method: str, path: str) -> AriError:
    if isinstance(exc, TimeoutError):
        return RequestTimeout(f"no answer within {seconds:g} s", method=method, path=path)
    return Unavailable(
        f"cannot reach Asterisk: {exc.__class__.__name__}: {exc}", method=method, path=path
    )


def _json_loads(raw: bytes) -> Any:
    return json.loads(raw)


def _error_message(raw: bytes, reason: str | None) -> str:
    """Asterisk's `message`; a few errors (channel allocation) use `error` instead."""
    try:
        data = _json_loads(raw)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("message", "error"):
            if isinstance(data.get(key), str):
                return str(data[key])
    text = raw.decode("utf-8", "replace").strip()
    return text or reason or "no message"


def parse(model: type[M], data: Any, *, what: str = "") -> M:
    """An Asterisk answer as `model`; an `AriError` if it does not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise AriError(f"unexpected {what or model.__name__} in answer: {exc}") from exc


def parse_list(model: type[M], data: Any) -> list[M]:
    if not isinstance(data, list):
        raise AriError(f"expected a list of {model.__name__}, got {type(data).__name__}")
    return [parse(model, item) for item in data]
