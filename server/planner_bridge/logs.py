"""The server's own log lines: one per request (`ACCESS`) and one per event an operator must see
(`EVENTS`: key revoked, signing key rotated, API token disabled, brake engaged).

`PLANNER_BRIDGE_LOG_FORMAT=json` writes one JSON object per line, `text` (the default) one
readable line. What goes in is chosen field by field by the callers (ids, routes, statuses,
durations), never a token, a secret, a password or a header value: nothing here can leak what
it was never given. The request id of the request being served is added to every line.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import sys
from typing import Any

ACCESS = logging.getLogger("planner_bridge.access")
EVENTS = logging.getLogger("planner_bridge.events")
FORMATS = ("text", "json")
# Set by the access middleware for the request being served; "-" outside one (CLI, start-up).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def event(name: str, **fields: Any) -> None:
    """One event line, e.g. event("key revoked", key_id=...). Fields must be safe to print."""
    EVENTS.info(name, extra={"fields": fields})


def access(**fields: Any) -> None:
    ACCESS.info("request", extra={"fields": fields})


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {})
        pairs = " ".join(f"{k}={v}" for k, v in fields.items())
        when = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        line = f"{when:%Y-%m-%dT%H:%M:%SZ} {record.getMessage()} {pairs}".rstrip()
        line += f" request_id={request_id.get()}" if request_id.get() != "-" else ""
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class LineHandler(logging.StreamHandler):
    """Ours, so that configuring again replaces it rather than doubling every line."""


def configure(log_format: str, stream: Any = None) -> logging.Handler:
    """Send the access and event lines to `stream` (stderr) in `log_format`; called once at
    start-up by the commands that serve (and by tests). Returns the handler, to remove it."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
    handler = LineHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines() if log_format == "json" else TextLines())
    for logger in (ACCESS, EVENTS):
        for old in [h for h in logger.handlers if isinstance(h, LineHandler)]:
            logger.removeHandler(old)  # configured again (tests, main() called twice): replace
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False
    return handler


def unconfigure(handler: logging.Handler) -> None:
    for logger in (ACCESS, EVENTS):
        logger.removeHandler(handler)
