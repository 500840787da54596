"""Log lines written off the request path: a request hands its finished line to a `LineWriter`,
whose own thread writes whatever has gathered, every `FLUSH_EVERY`, in one `write` and one
`flush`.

Why: writing and flushing a line per request cost a system call each, on the event loop that
serves, and a slow reader of stderr (a full pipe) would stop every request. Here a request only
appends to a bounded buffer, and wakes nobody: waking the thread for each line cost more than
the write it saved (the event loop and the thread then trade the GIL on every request).

A line may also be handed over as its fields (`put_fields`), to be made into text by the
writer's thread (`render`): the access line of every request is, because making its text on the
event loop, between other requests' work, cost a tenth of a cheap request (issue 19); the
writer makes a batch of them in one go, for a third of that.

When the buffer is full (the reader has stalled for thousands of lines), a line is dropped,
never silently: it is counted (`dropped`, served as the metric
`planner_bridge_log_lines_dropped_total`) and, as soon as lines flow again, a line says how many
were lost (`said_dropped`, written in the log's own format).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Any, TextIO

Fields = tuple[Any, ...]

# About 3 s of access lines at the rates one worker reaches; memory bound: ~200 bytes a line.
CAPACITY = 10_000
FLUSH_EVERY = 0.05  # seconds: how late a line may be written, and how many batches a second


class LineWriter:
    def __init__(
        self,
        stream: TextIO | Any,
        said_dropped: Callable[[int], str],
        capacity: int | None = None,
    ) -> None:
        self.stream = stream
        self.said_dropped = said_dropped  # the line that tells of N lines lost, in the format
        self.capacity = capacity or CAPACITY
        self.dropped = 0  # ever, by this writer
        self._told = 0  # how many of `dropped` a line has told of
        # How a line handed over as fields is made into text (set by whoever hands them over).
        self.render: Callable[..., str] | None = None
        self._lines: collections.deque[str | Fields] = collections.deque()
        self._wake = threading.Event()  # set by close() only
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="log-lines", daemon=True)
        self._thread.start()

    def put(self, line: str) -> None:
        """Called on any thread, for a whole line ending in a newline; never blocks (but
        once closed, at exit, the line is written at once: no thread is left to write it)."""
        if self._closed:
            self._lines.append(line)
            self._write_gathered()
            return
        if len(self._lines) >= self.capacity:
            self.dropped += 1
            return
        self._lines.append(line)

    def put_fields(self, fields: Fields) -> None:
        """`put` for the line `render(*fields)`, made later on the writer's thread. The fields
        must not change once handed over (numbers, strings)."""
        if self._closed:
            self.put(self._rendered(fields))
            return
        if len(self._lines) >= self.capacity:
            self.dropped += 1
            return
        self._lines.append(fields)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Write every line handed over so far, then stop the thread."""
        self._closed = True
        self._wake.set()
        self._thread.join()
        self._write_gathered()  # lines put by other threads while the thread stopped

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(FLUSH_EVERY)
            self._write_gathered()

    def _write_gathered(self) -> bool:
        lines: list[str] = []
        take = self._lines.popleft
        try:
            while True:
                line = take()
                lines.append(line if isinstance(line, str) else self._rendered(line))
        except IndexError:
            pass
        if self.dropped > self._told:
            lines.append(self.said_dropped(self.dropped - self._told))
            self._told = self.dropped
        if not lines:
            return False
        try:
            self.stream.write("".join(lines))
            self.stream.flush()
        except (OSError, ValueError):  # stderr closed (ValueError: I/O on a closed file)
            self.dropped += len(lines)
            self._told = self.dropped  # nowhere left to say it: the metric still counts them
        return True

    def _rendered(self, fields: Fields) -> str:
        try:
            return self.render(*fields)  # type: ignore[misc]
        except Exception:  # a bug: the line is lost, never silently (nor the writer with it)
            self.dropped += 1
            return ""
