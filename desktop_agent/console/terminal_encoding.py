"""The console's output in any script, whatever the terminal's encoding.

Python writes to a terminal in the locale's encoding: UTF-8 almost everywhere (and in the C locale, which Python
turns into UTF-8), where Devanagari, Tamil or Arabic are written as they are. A terminal in an older single-script
encoding (Latin-1, for one) cannot spell them; there a character it cannot show becomes "?" instead of an error
that would end the console in the middle of a conversation.
"""

from __future__ import annotations

import codecs
import io
from typing import TextIO


def shows_every_script(stream: TextIO) -> TextIO:
    """``stream``, set to write "?" for what its encoding cannot spell when that encoding is not UTF-8."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    if isinstance(stream, io.TextIOWrapper) and codecs.lookup(encoding).name not in ("utf-8", "utf-16", "utf-32"):
        stream.reconfigure(errors="replace")
    return stream
