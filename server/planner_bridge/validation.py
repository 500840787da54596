"""The shared rules for untrusted text: numbers written in ASCII digits, and text that must
encode as UTF-8 (names have their own rule, in `names`).

Numbers are easy to get subtly wrong in many places: `str.isdigit()` also says yes to "²" or
"٣", which `int()` then refuses (or, for "٣", quietly accepts), and `int()` refuses more than
4300 digits. JSON can carry a lone surrogate, which no UTF-8 store accepts.
"""

from __future__ import annotations

import re

ASCII_DIGITS = re.compile(r"[0-9]+")
MAX_DIGITS = 18  # fits a 64-bit signed integer, far past any count or version here


def ascii_number(text: str, *, max_digits: int = MAX_DIGITS) -> int | None:
    """The value of `text` if it is 1 to `max_digits` ASCII digits, else None (no sign, no
    spaces)."""
    if len(text) > max_digits or not ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)


def is_utf8_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
