"""The shared checks of untrusted text: ASCII whole numbers (names: test_names.py)."""

from __future__ import annotations

import pytest

from planner_bridge.validation import ascii_number


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
