"""The testing kit's mirror of the bridge's message names is exactly protocol.js's."""

from __future__ import annotations

import re
from pathlib import Path

from planner_bridge.testing import recorder, wire_names

PROTOCOL = Path(__file__).resolve().parents[1] / "web" / "sdk" / "protocol.js"


def names_of(enum: str) -> tuple[str, ...]:
    """The keys of `export const <enum> = Object.freeze({...})`, in order; each key is its value."""
    body = re.search(
        rf"export const {enum} = Object\.freeze\(\{{(.*?)\}}\);", PROTOCOL.read_text(), re.S
    )
    assert body, f"protocol.js declares {enum}"
    pairs = re.findall(r"^\s*(\w+): \"(\w+)\",$", body.group(1), re.M)
    assert all(key == value for key, value in pairs), f"{enum}: every name is its own value"
    return tuple(key for key, _ in pairs)


def test_the_mirror_is_protocol_js():
    assert names_of("HostEvent") == wire_names.HOST_EVENTS
    assert names_of("PlannerEvent") == wire_names.PLANNER_EVENTS


def test_the_recorder_sends_exactly_the_host_events_to_the_planner():
    assert frozenset(names_of("HostEvent")) == recorder.TO_PLANNER
    assert not recorder.TO_PLANNER & set(names_of("PlannerEvent"))


def test_the_reference_lists_every_message_command_and_error_code():
    reference = (PROTOCOL.parents[2] / "docs" / "reference.md").read_text()
    sdk_codes = ("InvalidOption", "PlannerLoadFailed", "FetchTokenFailed", "FetchTokenTimeout")
    for enum in ("HostEvent", "PlannerEvent", "CommandName", "CommandError"):
        for name in names_of(enum):
            assert f"`{name}" in reference, f"docs/reference.md does not name {enum}.{name}"
    for code in sdk_codes:
        assert f"`{code}`" in reference, code
