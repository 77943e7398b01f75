"""Closing a long task's QProgressDialog once its worker has answered (backup, restore, PHR merge)."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressDialog


def close_progress(dialog: QProgressDialog | None) -> None:
    """Hide and free it. Its Cancel is disconnected first: reset() and hide() must not read as the user's Cancel."""
    if dialog is None:
        return
    dialog.canceled.disconnect()
    dialog.reset()
    dialog.hide()
    dialog.deleteLater()
