"""Untrusted text in Qt widgets: what providers return (transcripts, replies, voice names and descriptions, error
reasons) and what the user's files hold (prompt names, settings values) is shown as the characters it holds.

Qt guesses: a QLabel in its default AutoText format, a tooltip and a message box render anything that looks like
HTML as rich text, so "<b>x</b>" would show a bold x and an ``<a href>`` a live link. Labels that show such text are
set to PlainText (:func:`plain_label`); tooltips, which have no format setting, are handed over already converted
(:func:`plain_tooltip`). All of it first goes through :func:`~desktop_agent.state.plain_text.plain_text`, so bidi
overrides and control characters cannot rearrange what is shown.
"""

from __future__ import annotations

from PySide6.QtGui import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from desktop_agent.state.plain_text import plain_text, shorten

__all__ = ["plain_label", "plain_message_box", "plain_tooltip", "shown_name", "shown_text"]


def plain_label(label: QLabel) -> QLabel:
    """``label``, set to show its text as plain text whatever it contains."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_message_box(box: QMessageBox) -> QMessageBox:
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def shown_text(text: str) -> str:
    """``text`` safe to show (escape sequences, control characters and bidi overrides removed), lines kept."""
    return plain_text(text)


def shown_name(text: str, limit: int = 60) -> str:
    """A name on one line, cut to ``limit`` characters: a voice, a prompt, a device."""
    return shorten(plain_text(text, single_line=True), limit)


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally (Qt would render a tooltip that looks like HTML)."""
    clean = plain_text(text)
    if not Qt.mightBeRichText(clean):
        return clean  # shown as it is already
    return Qt.convertFromPlainText(clean, Qt.WhiteSpaceMode.WhiteSpaceNormal)
