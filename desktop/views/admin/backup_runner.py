"""Admin > Back up database…: choose a file, copy in a worker with a progress dialog and Cancel."""

from __future__ import annotations

import hashlib
import threading
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from desktop.services import backups
from desktop.services.errors import Cancelled
from desktop.widgets.dialog_base import app_settings
from desktop.widgets.progress_dialog import close_progress, open_progress

from ..context import AppContext


class _Relay(QObject):
    changed = Signal(int, int, str)  # from the worker thread to the GUI thread (queued)


class BackupRunner(QObject):
    """One backup: start(path) copies with a window-modal progress dialog whose Cancel stops the copy (no file
    is left). The result is said through the message service."""

    sig_finished = Signal(object)  # the written Path, or None (cancelled or failed)

    def __init__(self, ctx: AppContext, parent: QWidget):
        super().__init__(parent)
        self.ctx, self.parent_widget = ctx, parent
        self.cancel = threading.Event()
        self.progress: QProgressDialog | None = None
        self._relay = _Relay(self)
        self._relay.changed.connect(self._on_progress)

    def choose_and_start(self) -> None:
        suggested = str(Path.home() / "clinic-backup.db")
        path, _ = QFileDialog.getSaveFileName(self.parent_widget, self.tr("Back up the database to"), suggested,
                                              self.tr("Database backup (*.db)"))
        if path:
            self.start(Path(path))

    def start(self, path: Path) -> None:
        self.progress = open_progress(self.parent_widget, self.tr("Backing up the database …"), self.tr("Cancel"),
                                      self.tr("Backup"), "backupProgress", self.cancel)
        work = partial(backups.backup_database, progress=self._relay.changed.emit, cancelled=self.cancel.is_set)
        self.ctx.ops.run(work, self.ctx.db, path, done=self._done, failed=self._failed)

    def _on_progress(self, done: int, total: int, _stage: str) -> None:
        if self.progress is None:
            return
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(done, total) / total))
            self.progress.setLabelText(self.tr("Backing up the database … %.1f of %.1f MB") % (done / 1e6, total / 1e6))

    def _close(self) -> None:
        close_progress(self.progress)
        self.progress = None

    def _done(self, path: Any) -> None:
        self._close()
        text = self.tr("Backup written to %s") % path
        if self._first_encrypted_backup():
            text += "\n\n" + self.tr(
                "This backup opens only with the database key, which this computer keeps. If the computer is lost, "
                "the backups are lost with it unless the key is written down and kept apart from them: see Help › "
                "User guide, Administrator, \"Key escrow\". (Said once.)")
        self.ctx.messages.info(self.parent_widget, text, title=self.tr("Backup"))
        self.sig_finished.emit(path)

    def _first_encrypted_backup(self) -> bool:
        """The key-escrow reminder goes with the first backup of an encrypted database on this computer."""
        db = self.ctx.db
        if not db.encrypted:
            return False
        where = hashlib.sha256(str(db.target.path or db.target.url).encode()).hexdigest()[:16]
        settings, key = app_settings(), f"key_escrow_reminded/{where}"
        if settings.value(key):
            return False
        settings.setValue(key, True)
        return True

    def _failed(self, exc: BaseException) -> None:
        self._close()
        if isinstance(exc, Cancelled):
            self.ctx.messages.info(self.parent_widget, self.tr("Backup cancelled: no file was written."),
                                   title=self.tr("Backup"))
        else:
            self.ctx.messages.error(self.parent_widget, exc, title=self.tr("The backup was not made"))
        self.sig_finished.emit(None)
