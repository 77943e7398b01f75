"""Admin > Restore database…: choose a backup, see what it holds and what will happen, confirm, then the copy runs
in a worker behind a progress dialog with Cancel. On success the session ends (sig_restored): the app opens the
restored database anew and everyone logs in again against it.

The checks and the swap are the services' (backup_check.describe_backup, restore.restore_database): the permission
is checked there, not only by the menu. A PostgreSQL database is restored on the server: the dialog says so."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.dates import show_datetime
from desktop.services import backup_check, restore
from desktop.services.errors import Cancelled
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.messages import explain
from desktop.widgets.progress_dialog import close_progress, open_progress

from ..context import AppContext

STAGES = ("keeping the current database", "copying the backup")  # restore_file's two copies, in order


class _Relay(QObject):
    changed = Signal(int, int, str)  # from the worker thread to the GUI thread (queued)


def _megabytes(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


class RestoreDialog(BaseDialog):
    sig_restored = Signal(object)  # restore.RestoreDone: the session must end
    sig_finished = Signal(object)  # RestoreDone, or None when cancelled or refused (for tests)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 before_start: Callable[[Callable[[bool], None]], None] | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("restoreDialog")
        self.setWindowTitle(self.tr("Restore database"))
        self.before_start = before_start  # the main window closes the open charts (a note may be saved first)
        self.info: backup_check.BackupInfo | None = None
        self.cancel = threading.Event()
        self.progress: QProgressDialog | None = None
        self._relay = _Relay(self)
        self._relay.changed.connect(self._on_progress)
        self.stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = ctx.db.target
        self.server = target.is_postgres or target.path is None
        layout = QVBoxLayout(self)
        if self.server:
            self._build_server_note(layout)
            return
        self.safety_copy = restore.free_aside_path(target.path, self.stamp)
        self._build(layout)

    # ---- layout
    def _build_server_note(self, layout: QVBoxLayout) -> None:
        note = QLabel(self.tr(
            "This practice's database is on a PostgreSQL server ({where}). The app cannot replace a server "
            "database for you: it is restored on the server, from a pg_dump file.\n\n"
            "1. Close the app on every workstation.\n"
            "2. On the server, restore into an empty database as its owner:\n"
            "    pg_restore --no-owner --role=emr_owner -d clinic FILE\n"
            "3. Run docs/postgresql-roles.sql again, then python -m desktop check-db.\n"
            "4. Start the app and log in.\n\n"
            "docs/postgresql.md describes the backups and the roles.").format(where=self.ctx.db.target.display()))
        note.setObjectName("restoreServerNote")
        note.setWordWrap(True)
        note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(note)
        layout.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, 300)

    def _build(self, layout: QVBoxLayout) -> None:
        intro = QLabel(self.tr("Put a backup of this practice's database back in place of the current data."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        file_label = QLabel(self.tr("&Backup file"))
        row.addWidget(file_label)
        self.file_edit = QLineEdit()
        self.file_edit.setObjectName("restoreFile")
        self.file_edit.setPlaceholderText(self.tr("Choose a backup made with Back up database…"))
        self.file_edit.returnPressed.connect(self.check)
        self.file_edit.textEdited.connect(self._forget)
        file_label.setBuddy(self.file_edit)
        row.addWidget(self.file_edit, 1)
        self.choose_button = QPushButton(self.tr("&Choose…"))
        self.choose_button.setObjectName("restoreChoose")
        self.choose_button.clicked.connect(self.choose)
        row.addWidget(self.choose_button)
        layout.addLayout(row)

        pass_row = QHBoxLayout()
        self.passphrase_label = QLabel(self.tr("Backup's &passphrase"))
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("restorePassphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText(self.tr("only if the backup was made with another passphrase"))
        self.passphrase.returnPressed.connect(self.check)
        self.passphrase.textEdited.connect(self._forget)  # the check opened the file with the passphrase before
        self.passphrase_label.setBuddy(self.passphrase)
        self.check_button = QPushButton(self.tr("Chec&k"))
        self.check_button.setObjectName("restoreCheck")
        self.check_button.clicked.connect(self.check)
        pass_row.addWidget(self.passphrase_label)
        pass_row.addWidget(self.passphrase, 1)
        pass_row.addWidget(self.check_button)
        layout.addLayout(pass_row)
        self._show_passphrase(False)

        self.details = QLabel(self.tr("No backup chosen yet."))
        self.details.setObjectName("restoreDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setStyleSheet("#restoreDetails { background: #f4f7fa; border: 1px solid #c5d3e0; "
                                   "padding: 6px; }")
        layout.addWidget(self.details)
        self.error = QLabel()
        self.error.setObjectName("restoreError")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        layout.addWidget(self.error)

        what = self.what = QLabel()
        self._say_what_will_happen()
        what.setObjectName("restoreWhat")
        what.setWordWrap(True)
        what.setTextFormat(Qt.TextFormat.RichText)
        frame = QFrame()
        frame.setObjectName("restoreWarning")
        frame.setStyleSheet("#restoreWarning { background: #fff6e5; border: 1px solid #e0b050; }")
        inner = QVBoxLayout(frame)
        inner.addWidget(what)
        layout.addWidget(frame)

        self.confirm = QCheckBox(self.tr("I understand that the current data will be &replaced by this backup"))
        self.confirm.setObjectName("restoreConfirm")
        self.confirm.setEnabled(False)
        self.confirm.toggled.connect(self._update_buttons)
        layout.addWidget(self.confirm)
        layout.addStretch(1)

        self.buttons = QDialogButtonBox()
        self.restore_button = self.buttons.addButton(self.tr("&Restore"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setObjectName("restoreButton")
        self.restore_button.setEnabled(False)
        self.restore_button.setAutoDefault(False)
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        close.setAutoDefault(False)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(640, 520)

    def _say_what_will_happen(self) -> None:
        self.what.setText(self.tr(
            "<b>What will happen</b><ol style='margin-left: 12px;'>"
            "<li>A safety copy of the current database is written first, to<br><code>{copy}</code></li>"
            "<li>The current data is <b>replaced</b> by the backup: everything entered since the backup was made "
            "is no longer in the working database (it stays in the safety copy).</li>"
            "<li>Everyone is logged out; log in again to work with the restored data.</li></ol>"
            "<b>Before you start:</b> close the app on every other workstation. The restore is refused while "
            "another computer has the database open.").format(copy=escape(str(self.safety_copy))))

    def _show_passphrase(self, visible: bool) -> None:
        for w in (self.passphrase_label, self.passphrase, self.check_button):
            w.setVisible(visible)

    def _update_buttons(self) -> None:
        self.restore_button.setEnabled(self.info is not None and self.confirm.isChecked() and self.progress is None)

    # ---- choosing and checking the file
    def choose(self) -> None:
        start = self.file_edit.text() or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Restore the database from"), start,
                                              self.tr("Database backup (*.db);;All files (*)"))
        if path:
            self.file_edit.setText(path)
            self.check()

    def _forget(self) -> None:
        """The file name was changed by hand: what was checked (and confirmed) was another file's, so Restore
        waits for this one to be checked; otherwise it would replace the data with the file checked before."""
        self.info = None
        self.confirm.setChecked(False)
        self.confirm.setEnabled(False)
        self.error.setVisible(False)
        self.details.setText(self.tr("Press Enter to check this file.") if self.file_edit.text().strip()
                             else self.tr("No backup chosen yet."))
        self._update_buttons()

    def _shown_file(self) -> Path | None:
        text = self.file_edit.text().strip()
        return Path(text).expanduser().resolve() if text else None

    def check(self) -> None:
        """What the chosen file holds, read in a worker (the service checks the permission and the file)."""
        text = self.file_edit.text().strip()
        self.info = None
        self.confirm.setChecked(False)
        self.confirm.setEnabled(False)
        self._update_buttons()
        self.error.setVisible(False)
        if not text:
            self.details.setText(self.tr("No backup chosen yet."))
            return
        self.details.setText(self.tr("Checking the backup…"))
        self.ctx.ops.run(backup_check.describe_backup, self.ctx.db, Path(text),
                         self.passphrase.text() or None, done=self._described, failed=self._refused,
                         busy=[self.check_button, self.choose_button])

    def _described(self, info: backup_check.BackupInfo) -> None:
        if info.path != self._shown_file():  # the name was changed while this one was being checked
            return
        self.info = info
        lines = [
            self.tr("Backup: <b>{name}</b> in {folder}").format(name=escape(info.path.name),
                                                               folder=escape(str(info.path.parent))),
            self.tr("Written {when}, {size}").format(when=show_datetime(info.modified),
                                                    size=_megabytes(info.size_bytes)),
            self.tr("Newest entry in it: {when}").format(
                when=show_datetime(info.last_activity.astimezone()) if info.last_activity else "—"),
            self.tr("Patients: {n}").format(n=f"{info.patients:,}"),
        ]
        if info.practice:
            lines.insert(1, self.tr("Practice: <b>{name}</b>").format(name=escape(info.practice)))
        if info.practice and info.this_practice and info.practice != info.this_practice:
            lines.append("<span style='color: #b00020;'>" + self.tr(
                "<b>This backup is of another practice</b>: this database is {current}'s.").format(
                current=escape(info.this_practice)) + "</span>")
        if info.upgrade_needed:
            lines.append(self.tr("Made by an older version of the app: it is brought up to date after the restore."))
        self.details.setText("<br>".join(lines))
        self.error.setVisible(False)
        self.confirm.setEnabled(True)
        self._update_buttons()

    def _refused(self, exc: BaseException) -> None:
        self.info = None
        self.details.setText(self.tr("This file cannot be restored."))
        _title, sentence = explain(exc)
        if isinstance(exc, backup_check.BackupRefused):  # its sentence may start with the file's name, as typed
            sentence = self.tr("Cannot restore from this file: {why}.").format(why=sentence.rstrip("."))
        self.error.setText(sentence)
        self.error.setVisible(True)
        if isinstance(exc, backup_check.BackupRefused) and exc.wrong_key and self.ctx.db.encrypted:
            self._show_passphrase(True)
            self.passphrase.setFocus()
        self._update_buttons()

    # ---- the restore
    def start(self) -> None:
        if self.info is None or not self.confirm.isChecked() or self.progress is not None:
            return
        self.restore_button.setEnabled(False)
        if self.before_start is None:
            self._run(True)
        else:
            self.before_start(self._run)

    def _run(self, charts_closed: bool) -> None:
        if not charts_closed:  # a chart stayed open (a note could not be saved, or the user chose to stay)
            self._update_buttons()
            return
        assert self.info is not None
        self.cancel.clear()
        dialog = open_progress(self, self.tr("Keeping a safety copy of the current database…"), self.tr("Cancel"),
                               self.tr("Restore"), "restoreProgress", self.cancel, maximum=1000, show_after_ms=0)
        self.progress = dialog
        dialog.show()
        work = partial(restore.restore_database, self.ctx.db, self.ctx.user, self.info.path,
                       passphrase=self.passphrase.text() or None, stamp=self.stamp,
                       progress=self._relay.changed.emit, cancelled=self.cancel.is_set)
        self.ctx.ops.run_plain(work, done=self._done, failed=self._failed)

    def _on_progress(self, done: int, total: int, stage: str) -> None:
        if self.progress is None or total <= 0:
            return
        half = STAGES.index(stage) if stage in STAGES else 0
        self.progress.setValue(int(500 * half + 500 * min(done, total) / total))
        if half == 0:
            self.progress.setLabelText(self.tr("Keeping a safety copy of the current database…"))
        elif done < total:
            self.progress.setLabelText(self.tr("Copying the backup…"))
        else:  # the swap follows at once: too late to cancel
            self.progress.setLabelText(self.tr("Putting the backup in place…"))
            self.progress.setCancelButton(None)

    def _close_progress(self) -> None:
        close_progress(self.progress)
        self.progress = None

    def _done(self, result: Any) -> None:
        self._close_progress()
        kept = result.kept_as
        text = self.tr("The database was restored from {backup}.").format(backup=result.backup.name)
        if kept is not None:
            text += "\n" + self.tr("The previous database is kept as {path}.").format(path=kept)
        if result.passphrase_changed:
            text += "\n\n" + self.tr("The restored database opens with the passphrase the backup was made with: "
                                      "enter that one when the app asks for it.")
        text += "\n\n" + self.tr("You are logged out: log in again to work with the restored data.")
        self.ctx.messages.info(self.parentWidget() or self, text, title=self.tr("Restore"))
        self.accept()
        self.sig_restored.emit(result)
        self.sig_finished.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._close_progress()
        if isinstance(exc, Cancelled):
            self.ctx.messages.info(self, self.tr("Restore cancelled: the database was not changed."),
                                   title=self.tr("Restore"))
        else:
            self.ctx.messages.error(self, exc, title=self.tr("The database was not restored"))
        # a failed try may have left its safety copy: the next try writes beside it, under the name shown
        self.safety_copy = restore.free_aside_path(self.ctx.db.target.path, self.stamp)
        self._say_what_will_happen()
        self._update_buttons()
        self.sig_finished.emit(None)
