"""The log's lines off the request path (`line_writer`, `logs`): every line handed over is
written, in order; a line that finds the buffer full is counted, told of in the log and in the
metric `planner_bridge_log_lines_dropped_total`, never lost silently; an access line built in
one step is the line the formatter would have written."""

from __future__ import annotations

import datetime
import io
import json
import logging
import re
import threading

from prometheus_client.parser import text_string_to_metric_families

from planner_bridge import line_writer, logs
from planner_bridge.metrics import Metrics


class StalledReader(io.StringIO):
    """A stream whose first write waits until the test lets it go, as a stalled pipe would."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = threading.Event()
        self.go_on = threading.Event()

    def write(self, text: str) -> int:
        self.writing.set()
        assert self.go_on.wait(30), "the test never let the writer go on"
        return super().write(text)


def dropped_metric() -> float:
    text = Metrics().exposition().decode()
    (family,) = [f for f in text_string_to_metric_families(text) if "dropped" in f.name]
    (sample,) = [s for s in family.samples if s.name.endswith("_total")]
    return sample.value


def test_every_line_is_written_in_order_by_close():
    stream = io.StringIO()
    writer = line_writer.LineWriter(stream, lambda n: f"{n} dropped\n")
    for i in range(2000):
        writer.put(f"line {i}\n")
    writer.close()
    assert stream.getvalue().splitlines() == [f"line {i}" for i in range(2000)]
    assert writer.dropped == 0


def test_a_full_buffer_drops_lines_and_says_so_in_the_log_and_the_metric(monkeypatch):
    monkeypatch.setattr(line_writer, "CAPACITY", 3)
    stream = StalledReader()
    before = dropped_metric()
    handler = logs.configure("json", stream)
    try:
        logs.event("first")
        assert stream.writing.wait(30)  # the writer holds "first" and waits on the reader
        for i in range(8):  # 3 fit in the buffer, 5 find it full
            logs.event("more", i=i)
        assert dropped_metric() - before == 5
        stream.go_on.set()
    finally:
        logs.unconfigure(handler)  # writes everything gathered
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["message"], line.get("i")) for line in lines] == [
        ("first", None), ("more", 0), ("more", 1), ("more", 2), ("log lines dropped", None),
    ]  # fmt: skip
    told = lines[-1]
    assert told["count"] == 5 and told["level"] == "warning"
    assert dropped_metric() - before == 5  # counted once, whatever writer comes next


def formatter_line(log_format: str, fields: dict) -> str:
    formatter = logs.JsonLines() if log_format == "json" else logs.TextLines()
    record = logs.ACCESS.makeRecord(logs.ACCESS.name, logging.INFO, "", 0, "request", (), None)
    record.fields = fields
    return formatter.format(record)


def test_an_access_line_is_the_formatters_line_field_for_field():
    fields = {"method": "POST", "route": "/v1/assets/{asset_id}", "status": 201}
    fields["duration_ms"] = 1.25
    for log_format in logs.FORMATS:
        stream = io.StringIO()
        handler = logs.configure(log_format, stream)
        token = logs.request_id.set("trace-7")
        try:
            logs.access("trace-7", **fields)
            expected = formatter_line(log_format, fields)
        finally:
            logs.request_id.reset(token)
            logs.unconfigure(handler)
        (line,) = stream.getvalue().splitlines()
        if log_format == "json":
            built, formatted = json.loads(line), json.loads(expected)
            assert list(built) == list(formatted)  # the same fields, in the same order
            assert {k: v for k, v in built.items() if k != "time"} == {
                k: v for k, v in formatted.items() if k != "time"
            }
            when = datetime.datetime.fromisoformat(built["time"])
            assert when.tzinfo == datetime.UTC
            assert abs(when - datetime.datetime.fromisoformat(formatted["time"])).seconds < 5
        else:
            stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
            assert re.fullmatch(stamp, line.split()[0]) and re.fullmatch(stamp, expected.split()[0])
            assert line.split()[1:] == expected.split()[1:]


def test_lines_handed_over_as_fields_are_made_by_the_writer_in_their_place():
    stream = io.StringIO()
    writer = line_writer.LineWriter(stream, lambda n: f"{n} dropped\n")
    writer.render = lambda n: f"made {n}\n" if n != 3 else 1 / 0  # 3: a bug in the maker
    for i in range(6):
        writer.put(f"line {i}\n")
        writer.put_fields((i,))
    writer.close()
    written = stream.getvalue().splitlines()
    expected = [x for i in range(6) for x in (f"line {i}", f"made {i}") if x != "made 3"]
    assert written == [*expected, "1 dropped"]  # the lost line is told of, never silent
    assert writer.dropped == 1
