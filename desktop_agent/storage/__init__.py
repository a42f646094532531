"""Conversation history: an SQLite database in the user data directory, a background recorder and exports.

No Qt here: the history view (desktop_agent/ui/history) drives :class:`~desktop_agent.storage.history.HistoryStore`
through ``asyncio.to_thread`` and the window's bridge feeds :class:`~desktop_agent.storage.recorder.HistoryRecorder`.
"""
