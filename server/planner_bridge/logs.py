"""The server's own log lines: one per request (`ACCESS`) and one per event an operator must see
(`EVENTS`: key revoked, signing key rotated, API token disabled, brake engaged).

`PLANNER_BRIDGE_LOG_FORMAT=json` writes one JSON object per line, `text` (the default) one
readable line. What goes in is chosen field by field by the callers (ids, routes, statuses,
durations), never a token, a secret, a password or a header value: nothing here can leak what
it was never given. The request id of the request being served is added to every line.

Lines go out through a `line_writer.LineWriter`, off the request path. An access line, one per
request, is handed over as its fields and built by the writer's thread in one step
(`AccessLines`) rather than through a `LogRecord` and a formatter, which cost more than the rest
of a cheap request; it is the same line, field for field, as the formatter would write
(tests/test_log_lines.py compares the two).
"""

from __future__ import annotations

import atexit
import contextvars
import datetime
import json
import logging
import sys
import time
from typing import Any

from .line_writer import LineWriter

ACCESS = logging.getLogger("planner_bridge.access")
EVENTS = logging.getLogger("planner_bridge.events")
FORMATS = ("text", "json")
# Set by the access middleware for the request being served; "-" outside one (CLI, start-up).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def event(name: str, **fields: Any) -> None:
    """One event line, e.g. event("key revoked", key_id=...). Fields must be safe to print."""
    EVENTS.info(name, extra={"fields": fields})


def access(request: str, method: str, route: str, status: int, duration_ms: float) -> None:
    """The access line of one request. `request` (its id) and `method` are plain ASCII words
    (the middleware sees to the id; a method is an HTTP token), `route` a template; the
    duration is written to the microsecond."""
    lines = _access_lines
    if lines is not None:
        lines.writer.put_fields((time.time_ns(), request, method, route, status, duration_ms))
    elif ACCESS.isEnabledFor(logging.INFO):  # not configured: logging's own set-up, if any
        duration_ms = round(duration_ms, 3)
        fields = {"method": method, "route": route, "status": status, "duration_ms": duration_ms}
        ACCESS.info("request", extra={"fields": fields})


def dropped_lines() -> int:
    """Log lines lost since start because the writer's buffer was full (or stderr closed)."""
    return _dropped_before + (_access_lines.writer.dropped if _access_lines else 0)


def _utc(created: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(created, datetime.UTC)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": _utc(record.created).isoformat(),
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
        line = f"{_utc(record.created):%Y-%m-%dT%H:%M:%SZ} {record.getMessage()} {pairs}".rstrip()
        line += f" request_id={request_id.get()}" if request_id.get() != "-" else ""
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class AccessLines:
    """Access lines as `JsonLines`/`TextLines` would write them, built by one f-string on the
    writer's thread (`render`): the time's text is made once a second, a route's or method's
    JSON once."""

    def __init__(self, log_format: str, writer: LineWriter) -> None:
        self.json = log_format == "json"
        self.writer = writer
        writer.render = self.render
        self._clock = (-1, "")  # one attribute: the writer's thread and a closing one
        self._quoted: dict[str, str] = {}

    def render(
        self, now: int, request: str, method: str, route: str, status: int, duration_ms: float
    ) -> str:
        """The line of a request answered at `now` (nanoseconds since the epoch)."""
        duration_ms = round(duration_ms, 3)
        second, micro = divmod(now // 1000, 1_000_000)
        clock = self._clock
        if second != clock[0]:
            self._clock = clock = (second, f"{_utc(second):%Y-%m-%dT%H:%M:%S}")
        stamp = clock[1]
        if not self.json:
            said = f" request_id={request}" if request != "-" else ""  # as TextLines says it
            return (
                f"{stamp}Z request method={method} route={route} status={status}"
                f" duration_ms={duration_ms}{said}\n"
            )
        when = f"{stamp}.{micro:06d}+00:00" if micro else f"{stamp}+00:00"
        return (
            f'{{"time": "{when}", "level": "info", "logger": "{ACCESS.name}", "message": '
            f'"request", "request_id": "{request}", "method": {self._json(method)}, '
            f'"route": {self._json(route)}, "status": {status}, "duration_ms": {duration_ms!r}}}\n'
        )

    def _json(self, text: str) -> str:
        quoted = self._quoted.get(text)
        if quoted is None:
            quoted = json.dumps(text, ensure_ascii=False)
            if len(self._quoted) < 1000:  # templates and methods: a few dozen
                self._quoted[text] = quoted
        return quoted


class LineHandler(logging.Handler):
    """Ours, so that configuring again replaces it rather than doubling every line. Formats on
    the caller's thread (the request id is the caller's) and hands the line to the writer."""

    def __init__(self, writer: LineWriter) -> None:
        super().__init__()
        self.writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.writer.put(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


_access_lines: AccessLines | None = None
_dropped_before = 0  # by writers since replaced


def configure(log_format: str, stream: Any = None) -> logging.Handler:
    """Send the access and event lines to `stream` (stderr) in `log_format`; called once at
    start-up by the commands that serve (and by tests). Returns the handler, to remove it."""
    global _access_lines
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
    formatter = JsonLines() if log_format == "json" else TextLines()
    writer = LineWriter(stream or sys.stderr, lambda n: _said_dropped(formatter, n))
    handler = LineHandler(writer)
    handler.setFormatter(formatter)
    for logger in (ACCESS, EVENTS):
        for old in [h for h in logger.handlers if isinstance(h, LineHandler)]:
            unconfigure(old)  # configured again (tests, main() called twice): replace
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False
    _access_lines = AccessLines(log_format, writer)
    atexit.unregister(_at_exit)  # once, however often configured
    atexit.register(_at_exit)
    return handler


def unconfigure(handler: logging.Handler) -> None:
    """Remove the handler; every line handed to it so far is written before this returns."""
    global _access_lines, _dropped_before
    for logger in (ACCESS, EVENTS):
        logger.removeHandler(handler)
    if isinstance(handler, LineHandler) and not handler.writer.closed:
        if _access_lines is not None and _access_lines.writer is handler.writer:
            _access_lines = None
        handler.writer.close()
        _dropped_before += handler.writer.dropped


def _at_exit() -> None:
    """The lines still gathered are written before the process ends."""
    if _access_lines is not None:
        _access_lines.writer.close()


def _said_dropped(formatter: logging.Formatter, count: int) -> str:
    record = EVENTS.makeRecord(
        "planner_bridge.logs", logging.WARNING, "", 0, "log lines dropped", (), None
    )
    record.fields = {"count": count, "why": "the log's reader fell behind"}
    return formatter.format(record) + "\n"
