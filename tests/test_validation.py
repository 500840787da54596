"""The shared checks of untrusted text: ASCII whole numbers and one-line text fields."""

from __future__ import annotations

import pytest

from planner_bridge.errors import InvalidRequest
from planner_bridge.validation import ascii_number, one_line_text


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("007", 7), ("1" * 18, int("1" * 18))])
def test_ascii_digits_are_numbers(text, value):
    assert ascii_number(text) == value


@pytest.mark.parametrize(
    "text", ["", "\u00b2", "1\u00b9", "\u0663", "\uff11", "-1", "+1", " 1", "1 ", "1_000", "1" * 19]
)
def test_anything_else_is_not_a_number(text):
    # "\u0663" (Arabic-Indic three) and "\uff11" (fullwidth one) are digits int() would take.
    assert ascii_number(text) is None


def test_the_digit_limit_can_be_set():
    assert ascii_number("65535", max_digits=5) == 65535
    assert ascii_number("065535", max_digits=5) is None


@pytest.mark.parametrize("value", ["Sofa", "Bücher", "  padded  ", "a" * 20, "tab-free\u2028"])
def test_one_line_text_is_returned_unchanged(value):
    assert one_line_text(value, "name", 20) == value


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
def test_one_line_text_refusals_name_the_field(value, says):
    with pytest.raises(InvalidRequest) as caught:
        one_line_text(value, "user.name", 20)
    assert caught.value.description.startswith("user.name ") and says in caught.value.description
