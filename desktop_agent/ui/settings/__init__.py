"""The settings panel: a non-modal dialog with one page per topic (keys, voice, prompts, models, audio, latency
budgets, prices, privacy, desktop). It edits :class:`~desktop_agent.config.settings.AppSettings`, saves after every
change and emits typed signals for the changes the running session can take at once; ``app.py`` wires those to the
session.
"""

from desktop_agent.ui.settings.settings_dialog import SettingsDialog, SettingsPage

__all__ = ["SettingsDialog", "SettingsPage"]
