"""The conversation history view: list and search past conversations, read one, export or delete them.

Every database query runs off the Qt thread (``asyncio.to_thread`` on the qasync loop), so the window stays
responsive however large the history grows.
"""

from desktop_agent.ui.history.history_view import HistoryView

__all__ = ["HistoryView"]
