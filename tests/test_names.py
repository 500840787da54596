"""The one rule for names (SPEC "Operating it", Limits): the rule itself as a table, then the
same refusals at every entry point that takes a name (CLI, console, web services)."""

from __future__ import annotations

import pytest

from planner_bridge.errors import InvalidRequest
from planner_bridge.names import REFUSAL, check_name, name_problem

# Names people really give things: accents, CJK, emoji (one with joiners), spaces, punctuation.
GOOD = [
    "Küchenstudio Müller",
    "キッチン東京",
    "厨房设计",
    "Café ☕",
    "🛋️ Sofa",
    "👩‍💻 dev team",  # zero-width joiners inside one emoji sequence
    "O'Brien & Sons — Kitchens",
    "Ελληνικά",
    "עברית",  # right-to-left script is fine; only the override characters are refused
]
# Each hides what it shows, or breaks a line: refused everywhere.
BAD = [
    "admin\u202egnp.exe",  # RIGHT-TO-LEFT OVERRIDE: shows as "adminexe.png"
    "a\u202ab",
    "a\u202bb",
    "a\u202cb",
    "a\u202db",
    "a\u2066b",
    "a\u2067b",
    "a\u2068b",
    "a\u2069b",
    "a\u200eb",
    "a\u200fb",
    "a\u061cb",
    "a\u200bb",  # ZERO WIDTH SPACE
    "a\u200cb",
    "a\u200db",  # a joiner between letters: nothing to join
    "a\u2060b",
    "a\u2064b",
    "a\ufeffb",
    "soft\u00adhyphen",
    "a\nb",
    "a\x00b",
    "a\x1bb",
    "a\x85b",
    "a\x9bb",
]


@pytest.mark.parametrize("value", GOOD)
def test_real_names_pass(value):
    assert check_name(value, "name", 200) == value
    assert name_problem(value, "name", 200) is None


@pytest.mark.parametrize("value", BAD)
def test_hidden_and_control_characters_are_refused(value):
    with pytest.raises(InvalidRequest) as caught:
        check_name(value, "name", 200)
    assert caught.value.description == f"name {REFUSAL}"


@pytest.mark.parametrize("value", ["Sofa", "Bücher", "  padded  ", "a" * 20, "tab-free\u2028"])
def test_a_name_is_returned_unchanged(value):
    assert check_name(value, "name", 20) == value


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (None, "string of 1 to 20"),
        (7, "string of 1 to 20"),
        ("", "string of 1 to 20"),
        ("   ", "string of 1 to 20"),
        ("a" * 21, "string of 1 to 20"),
        ("a\nb", "control characters"),
        ("a\x00b", "control characters"),
        ("a\x85b", "control characters"),  # NEL: a line break to some terminals
        ("a\x9bb", "control characters"),  # CSI: starts a terminal escape sequence
        ("a\ud800", "not valid UTF-8"),
    ],
)
def test_refusals_name_the_field(value, says):
    with pytest.raises(InvalidRequest) as caught:
        check_name(value, "user.name", 20)
    assert caught.value.description.startswith("user.name ") and says in caught.value.description
