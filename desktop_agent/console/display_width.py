"""How many terminal columns text takes, to keep a line the console redraws in place on one row.

A line longer than the terminal wraps, and the redraw (carriage return, clear line) then clears only its last row:
the rows above stay behind. Counting characters is wrong for the scripts the assistant speaks: a Devanagari or Tamil
vowel sign or virama, a nukta or a joiner takes no column of its own, and a CJK character takes two. The count here
errs on the wide side (a spacing vowel sign counts one column, as most terminals draw it), so a fitted line never
wraps.
"""

from __future__ import annotations

import unicodedata

_ZERO_WIDTH_CATEGORIES = frozenset(("Mn", "Me", "Cf"))  # non-spacing and enclosing marks, format characters (ZWJ)
_WIDE = frozenset(("W", "F"))
ELLIPSIS = "…"


def char_width(char: str) -> int:
    if unicodedata.category(char) in _ZERO_WIDTH_CATEGORIES:
        return 0
    return 2 if unicodedata.east_asian_width(char) in _WIDE else 1


def display_width(text: str) -> int:
    return sum(char_width(char) for char in text)


def tail_that_fits(text: str, columns: int) -> str:
    """``text`` when it fits in ``columns``; else its end, after an ellipsis, in ``columns`` at most. The cut falls
    before a character that takes a column, never between a letter and its marks."""
    if display_width(text) <= columns:
        return text
    room = max(0, columns - display_width(ELLIPSIS))
    start, used = len(text), 0
    while start > 0:
        width = char_width(text[start - 1])
        if used + width > room:
            break
        start -= 1
        used += width
    while start < len(text) and char_width(text[start]) == 0:
        start += 1  # a mark whose letter was cut goes with it
    return ELLIPSIS + text[start:]
