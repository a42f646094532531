"""Untrusted text made safe to show: what the providers return (transcripts, replies, voice names, error texts) and
what the user's own files hold (prompt names, settings values) is shown as plain text, never interpreted.

:func:`plain_text` removes terminal escape sequences (CSI such as ``ESC[2J``, OSC such as a window title or an
``OSC 8`` link, and the other ESC forms, in their 7-bit and 8-bit spellings), every other C0/C1 control character
but newline and tab, and the bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) that would make
text read differently from what it holds. Everything else, including the marks and joiners that Devanagari, Tamil,
Arabic and emoji need (U+200C, U+200D, U+200E, U+200F, U+061C, combining marks, variation selectors), is kept.

Pure Python: the console, the window and the config code all use it.
"""

from __future__ import annotations

import re
import unicodedata

#: Escape sequences, longest forms first. A string sequence (OSC, DCS, SOS, PM, APC) runs to its terminator (BEL or
#: ST); one without a terminator loses only its introducer below, so nothing after it can be swallowed or obeyed.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"  # OSC, DCS, SOS, PM, APC
    r"|(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"  # CSI: parameters, intermediates, final byte
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]"  # the other ESC sequences (charset choice, keypad mode, reset, ...)
)
#: Embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI).
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x85]")
_KEPT_CONTROLS = frozenset("\n\t")


def _drop(char: str) -> bool:
    if char in _KEPT_CONTROLS:
        return False
    return char in BIDI_CONTROLS or unicodedata.category(char) == "Cc"


def plain_text(text: str, *, single_line: bool = False) -> str:
    """``text`` without escape sequences, control characters (but newline and tab) and bidi overrides.

    Line breaks of any spelling (CR LF, CR, U+2028, U+2029, NEL) become ``\\n``; with ``single_line`` every line
    break and tab becomes one space, for labels and lines redrawn in place.
    """
    if text.isascii() and text.isprintable():
        return text  # the common case: nothing to remove
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = "".join(char for char in text if not _drop(char))
    if single_line:
        text = text.replace("\n", " ").replace("\t", " ")
    return text


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with "…" when something was cut (for names in sentences)."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
