"""Structured logs: a request id on every line, plain text or JSON lines.

`settings.LOGGING` names these classes by string (settings import no app). The request id
lives in a context variable: the request middleware sets it for each request, the worker
for each task, so every line logged while handling one carries its id."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str] = ContextVar("lockstep_request_id", default="-")

# An id sent by a proxy (X-Request-ID) is kept only if it is short and plain.
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

# Attributes every LogRecord has: anything else was passed with `extra=` and is logged too.
# (Django's `django.request` passes the request object itself: its id and path say enough.)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "request",
}


def new_request_id(offered: str | None = None) -> str:
    if offered and _VALID_ID.match(offered):
        return offered
    return uuid.uuid4().hex


@contextmanager
def request_context(value: str) -> Iterator[str]:
    """Log everything inside with this request id (a request, a task, a periodic job)."""
    token = request_id.set(value)
    try:
        yield value
    finally:
        request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` so formats can use `%(request_id)s`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, any `extra`
    fields, and the traceback of an error."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["traceback"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
