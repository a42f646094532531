"""Fonts for the scripts of the languages the assistant speaks, as a family list Qt falls back through.

A font with a list of families (``QFont.setFamilies``) is searched in order for each character, so Devanagari,
Tamil or Arabic text picks a family that has those glyphs instead of drawing empty boxes. The list names Noto's UI
families (fonts-noto-ui-core, which README's set-up command installs; their line heights suit a UI), then the
non-UI Noto and the Lohit families a machine may have instead; only the installed ones are added. Without any of
them Qt's own fallback through fontconfig still runs.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase

#: For each script the assistant's languages use, the families to try, best first.
SCRIPT_FAMILIES: dict[str, tuple[str, ...]] = {
    "Devanagari": ("Noto Sans Devanagari UI", "Noto Sans Devanagari", "Lohit Devanagari"),
    "Bengali": ("Noto Sans Bengali UI", "Noto Sans Bengali", "Lohit Bengali"),
    "Tamil": ("Noto Sans Tamil UI", "Noto Sans Tamil", "Lohit Tamil"),
    "Telugu": ("Noto Sans Telugu UI", "Noto Sans Telugu", "Lohit Telugu"),
    "Kannada": ("Noto Sans Kannada UI", "Noto Sans Kannada", "Lohit Kannada"),
    "Malayalam": ("Noto Sans Malayalam UI", "Noto Sans Malayalam", "Lohit Malayalam"),
    "Gujarati": ("Noto Sans Gujarati UI", "Noto Sans Gujarati", "Lohit Gujarati"),
    "Gurmukhi": ("Noto Sans Gurmukhi UI", "Noto Sans Gurmukhi", "Lohit Gurmukhi"),
    "Odia": ("Noto Sans Oriya UI", "Noto Sans Oriya", "Lohit Odia"),
    "Arabic": ("Noto Sans Arabic UI", "Noto Sans Arabic", "Noto Naskh Arabic UI", "DejaVu Sans"),
}


def fallback_families() -> list[str]:
    """The installed family of each script, in SCRIPT_FAMILIES' order (needs a QGuiApplication)."""
    installed = {family.casefold() for family in QFontDatabase.families()}
    chosen = []
    for candidates in SCRIPT_FAMILIES.values():
        family = next((name for name in candidates if name.casefold() in installed), None)
        if family is not None and family not in chosen:
            chosen.append(family)
    return chosen


def with_script_fallbacks(font: QFont) -> QFont:
    """A copy of ``font`` whose family list goes on to a family for each script; its own families come first."""
    families = list(font.families()) or [font.family()]
    known = {family.casefold() for family in families}
    families += [family for family in fallback_families() if family.casefold() not in known]
    result = QFont(font)
    result.setFamilies(families)
    return result
