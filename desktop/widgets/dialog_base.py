"""One dialog base: remembers its geometry per class, Escape cancels, Ctrl+Enter accepts."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QDialog, QWidget

from .screen_fit import fit_to_screen


def app_settings() -> QSettings:
    return QSettings("ClinicEMR", "ClinicEMR")


class BaseDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._geometry_key = f"geometry/{type(self).__name__}"
        self.setModal(True)

    def showEvent(self, event) -> None:
        saved = app_settings().value(self._geometry_key)
        if isinstance(saved, QByteArray | bytes) and not getattr(self, "_geometry_restored", False):
            self.restoreGeometry(saved)
        self._geometry_restored = True
        fit_to_screen(self)  # a size saved on a bigger screen, or asked for, never runs off this one
        super().showEvent(event)

    def done(self, result: int) -> None:
        app_settings().setValue(self._geometry_key, self.saveGeometry())
        super().done(result)
