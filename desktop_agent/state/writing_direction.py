"""Which way a paragraph reads, found from its text as the Unicode bidirectional algorithm does (rule P2): the first
strongly directional character decides. Arabic, Urdu, Persian and Hebrew read right to left; a reply that starts with
a number or a punctuation mark and then Arabic words is still right to left.

Pure Python, so the window and the console decide alike.
"""

from __future__ import annotations

import unicodedata

_RIGHT_TO_LEFT = frozenset(("R", "AL"))


def is_right_to_left(text: str) -> bool:
    """True when ``text``'s first strongly directional character is right to left (False for no such character)."""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction == "L":
            return False
        if direction in _RIGHT_TO_LEFT:
            return True
    return False
