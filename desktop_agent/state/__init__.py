"""Conversation state: plain Python, imports neither Qt nor Pipecat.

The engine emits the events in :mod:`desktop_agent.state.events`; :class:`Conversation` folds them into turns,
latencies, usage and status and reports which areas changed, so the window redraws only those.
"""
