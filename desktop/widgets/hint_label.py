"""The grey hint under or beside a field ("At least 8 characters.", a list's count, a status line): one look
for every screen, built here rather than by hand in each view."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

HINT_COLOUR = "#555"


def hint_style(*, small: bool = False) -> str:
    """The hint's style sheet, for a label that turns back into a hint after showing a warning."""
    return f"color: {HINT_COLOUR};" + (" font-size: 9pt;" if small else "")


def hint_label(text: str = "", parent: QWidget | None = None, *, small: bool = False, wrap: bool = False,
               name: str = "") -> QLabel:
    """A grey QLabel; small: 9 pt (under a field), wrap: a sentence that may take two lines."""
    label = QLabel(text, parent)
    label.setStyleSheet(hint_style(small=small))
    if wrap:
        label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    return label
