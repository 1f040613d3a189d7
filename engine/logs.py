"""Logging set-up: text or JSON lines, request ids, secrets never written.

`request_id` is a context variable set by the HTTP layer so that every line
logged while serving a request carries its id.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str] = ContextVar("request_id", default="-")

# Whatever a formatter is about to write passes through these first, so that a
# credential that slipped into a message or an exception never reaches a log.
_SECRET_PATTERNS = (
    re.compile(r"(?i)(authorization:\s*)(bearer|key=|basic)\s*\S+"),
    re.compile(
        r"(?i)((?:password|passwd|secret|api_key|access_token|token)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"
    ),
    re.compile(r"(?i)(://[^:/\s]+:)[^@\s]+(@)"),
)


def redact(text: str) -> str:
    text = _SECRET_PATTERNS[0].sub(r"\1\2 ********", text)
    text = _SECRET_PATTERNS[1].sub(r"\1********", text)
    return _SECRET_PATTERNS[2].sub(r"\1********\2", text)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(line))


def configure(level: str = "INFO", fmt: str = "text", stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log repeats what our middleware logs, with the query string.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
