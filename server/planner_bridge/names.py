"""The one rule for names people give things: entities, API keys' comments, API tokens, users,
assets (SPEC "Operating it", Limits). Every entry point (the CLI, the console, the web services)
checks a name here, so a name one of them refuses none of the others accepts.

A name is one line of 1 to `limit` characters, not all blank, encodable as UTF-8, and holds
no character that shows something other than what is stored: no control character (a newline
could forge a line of `api-token list`, CSI starts a terminal escape), no bidirectional
override or isolate (`"admin\\u202egnp.exe"` shows as "adminexe.png"), no line or paragraph
separator, and no invisible character: every format character (Unicode category Cf: zero-width
spaces and joiners, word joiner, soft hyphen, byte-order mark, tags, interlinear annotations)
and the blank "fillers" that are letters to Unicode but draw nothing. Accents,
CJK and emoji are welcome; a zero-width joiner is allowed only inside an emoji sequence
(👩‍💻), where it is what draws one picture instead of two.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidRequest
from .validation import is_utf8_encodable

CONTROL = "\x00-\x1f\x7f-\x9f"
BIDIRECTIONAL = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
INVISIBLE = "\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff"
SEPARATORS = "\u2028\u2029"
FILLERS = "\u034f\u115f\u1160\u3164\uffa0"  # combining grapheme joiner, Hangul fillers
REFUSED = re.compile(f"[{CONTROL}{BIDIRECTIONAL}{INVISIBLE}{SEPARATORS}{FILLERS}]")
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})  # the rest of them, by category
ZERO_WIDTH_JOINER = "\u200d"
EMOJI_PRESENTATION = "\ufe0f"
REFUSAL = "must not contain control characters, bidirectional overrides or invisible characters"


def check_name(value: object, field: str, limit: int) -> str:
    """`value`, unchanged, if it is a name by the rule above; InvalidRequest naming `field`
    otherwise (the CLI and the console put their own label in place of `field`)."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidRequest(f"{field} must be a string of 1 to {limit} characters")
    if any(not _allowed(value, at) for at in _suspects(value)):
        raise InvalidRequest(f"{field} {REFUSAL}")
    if not is_utf8_encodable(value):
        raise InvalidRequest(f"{field} holds text that is not valid UTF-8")
    return value


def name_problem(value: object, field: str, limit: int) -> str | None:
    """What is wrong with `value` as a name, in words naming `field`; None when nothing is."""
    try:
        check_name(value, field, limit)
    except InvalidRequest as refused:
        return refused.description
    return None


def _suspects(text: str) -> list[int]:
    """Where `text` holds a refused character (the regex catches the common ones at C speed;
    the category test, for text that is not plain ASCII, the rest)."""
    found = [m.start() for m in REFUSED.finditer(text)]
    if not text.isascii():
        found += [i for i, c in enumerate(text) if unicodedata.category(c) in REFUSED_CATEGORIES]
    return found


def _allowed(text: str, at: int) -> bool:
    """Only a zero-width joiner between two pictographs (an emoji sequence) is let through."""
    if text[at] != ZERO_WIDTH_JOINER or at == 0 or at == len(text) - 1:
        return False
    before = text[at - 1]
    if before == EMOJI_PRESENTATION and at >= 2:
        before = text[at - 2]
    return _pictograph(before) and _pictograph(text[at + 1])


def _pictograph(character: str) -> bool:
    return unicodedata.category(character) == "So" and ord(character) >= 0x2000
