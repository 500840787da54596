"""The shared rules for untrusted text: numbers written in ASCII digits and one-line text fields.

Both are easy to get subtly wrong in many places: `str.isdigit()` also says yes to "²" or "٣",
which `int()` then refuses (or, for "٣", quietly accepts), and `int()` refuses more than 4300
digits. Text fields end up in terminals, logs and SQLite, so they must hold no control
character (a newline could forge a line of `api-token list`) and must encode as UTF-8 (JSON
can carry a lone surrogate, which no UTF-8 store accepts).
"""

from __future__ import annotations

import re

from .errors import InvalidRequest

ASCII_DIGITS = re.compile(r"[0-9]+")
MAX_DIGITS = 18  # fits a 64-bit signed integer, far past any count or version here
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def ascii_number(text: str, *, max_digits: int = MAX_DIGITS) -> int | None:
    """The value of `text` if it is 1 to `max_digits` ASCII digits, else None (no sign, no
    spaces)."""
    if len(text) > max_digits or not ASCII_DIGITS.fullmatch(text):
        return None
    return int(text)


def one_line_text(value: object, field: str, limit: int) -> str:
    """`value` if it is a string of 1 to `limit` characters, not all blank, with no control
    character and encodable as UTF-8; InvalidRequest naming `field` otherwise."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidRequest(f"{field} must be a string of 1 to {limit} characters")
    if CONTROL_CHARACTERS.search(value):
        raise InvalidRequest(f"{field} must not contain control characters")
    if not is_utf8_encodable(value):
        raise InvalidRequest(f"{field} holds text that is not valid UTF-8")
    return value


def is_utf8_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
