"""A long task's QProgressDialog (backup, restore, PHR merge): opened the same way, closed once its worker has
answered."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget


def open_progress(parent: QWidget | None, text: str, cancel_text: str, title: str, name: str,
                  cancelled: threading.Event, *, maximum: int = 0, show_after_ms: int = 300) -> QProgressDialog:
    """Window-modal, kept open until close_progress (not closed or reset by reaching its maximum); its Cancel
    sets `cancelled`, which the worker polls. maximum 0: a busy bar until the worker tells its progress."""
    dialog = QProgressDialog(text, cancel_text, 0, maximum, parent)
    dialog.setObjectName(name)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(show_after_ms)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.canceled.connect(cancelled.set)
    return dialog


def close_progress(dialog: QProgressDialog | None) -> None:
    """Hide and free it. Its Cancel is disconnected first: reset() and hide() must not read as the user's Cancel."""
    if dialog is None:
        return
    dialog.canceled.disconnect()
    dialog.reset()
    dialog.hide()
    dialog.deleteLater()
