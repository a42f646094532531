"""How long a fallback provider keeps a role once it took over.

A provider that failed often comes back in a flicker: its free model list answers while completions still fail, a
websocket handshake goes through while the service is still shedding load. So a fallback keeps the role for at
least a hold time after it took over, and the hold doubles (up to ten times the first) each time the chosen
provider fails again soon after it came back; a chosen provider that stayed well for a hold starts afresh.
"""

from __future__ import annotations

import time


class FallbackHold:
    def __init__(self, first_secs: float) -> None:
        self._first = first_secs
        self._hold = first_secs
        self._stood_in_at = 0.0
        self._back_at: float | None = None

    @property
    def secs(self) -> float:
        """The hold of the current (or next) stand-in."""
        return self._hold

    def stood_in(self) -> None:
        """A fallback took over now."""
        now = time.monotonic()
        if self._back_at is not None and now - self._back_at < self._hold:
            self._hold = min(self._hold * 2, self._first * 10)  # it relapsed soon after coming back
        else:
            self._hold = self._first
        self._stood_in_at = now

    def remaining(self) -> float:
        """Seconds before the chosen provider may take the role back (0 or less: it may now)."""
        return self._stood_in_at + self._hold - time.monotonic()

    def came_back(self) -> None:
        """The chosen provider took the role back now."""
        self._back_at = time.monotonic()
