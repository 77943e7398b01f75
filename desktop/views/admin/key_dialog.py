"""Admin > Database key…: after the administrator's password, the key this computer keeps for the encrypted
database, to write down and keep apart from the backups (key escrow). Typed back in where the app asks for the
database passphrase (a new computer), or given to `restore` (EMR_BACKUP_PASSPHRASE), it opens the database and
its backups."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.services import database_key
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.hint_label import hint_label

from ..context import AppContext
from .forms import FieldForm


class DatabaseKeyDialog(BaseDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("databaseKeyDialog")
        self.setWindowTitle(self.tr("Database key"))
        intro = QLabel(self.tr(
            "The database and its backups open only with this key. This computer keeps it in its keyring: if the "
            "computer is lost or replaced, the key is lost with it, and no backup can be read. Write the key down "
            "and keep it locked away, apart from the backups."))
        intro.setWordWrap(True)
        self.form = FieldForm()
        self.password = self.form.line("password", self.tr("Your password"), 200, password=True)
        # two lines of eight groups of four: what people copy onto paper and read back
        self.key_view = QLabel()
        self.key_view.setObjectName("databaseKey")
        self.key_view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.key_view.setFont(font)
        self.key_view.setStyleSheet("QLabel { padding: 6px; border: 1px solid palette(mid); }")
        self.key_view.setVisible(False)
        self.key = ""
        self.result_label = QLabel()
        self.result_label.setObjectName("databaseKeyResult")
        self.result_label.setWordWrap(True)
        self.use_hint = hint_label(self.tr(
            "On a new computer, type this key where the app asks for the database passphrase; to restore a "
            "backup from the command line, give it in EMR_BACKUP_PASSPHRASE. Spaces may be left out."))
        self.use_hint.setWordWrap(True)
        self.use_hint.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.show_button = QPushButton(self.tr("Show key"))
        self.show_button.setDefault(True)
        self.copy_button = QPushButton(self.tr("Copy"))
        self.buttons.addButton(self.show_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setVisible(False)  # after addButton, which shows it
        self.buttons.rejected.connect(self.reject)
        self.show_button.clicked.connect(self.reveal)
        self.copy_button.clicked.connect(self.copy)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(self.form)
        layout.addWidget(self.result_label)
        layout.addWidget(self.key_view)
        layout.addWidget(self.use_hint)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self.password.setFocus()

    def reveal(self) -> None:
        self.show_button.setEnabled(False)
        self.ctx.ops.run(database_key.database_key, self.ctx.db, self.password.text(), done=self._shown,
                         failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.show_button.setEnabled(True)
        self.ctx.messages.error(self, exc)  # shown and logged by the message service

    def _shown(self, answer: database_key.DatabaseKey) -> None:
        self.show_button.setEnabled(True)
        self.password.clear()
        messages = {
            "wrong password": self.tr("That password is wrong. (Failed tries count toward locking the account.)"),
            "passphrase": self.tr("This database opens with its passphrase, which this computer does not keep. "
                                  "Keep the passphrase written down and locked away: backups need it too."),
            "unencrypted": self.tr("This database is not encrypted: it has no key. Encrypt it (python -m desktop "
                                   "encrypt) to protect the records on a lost computer or backup disk."),
            "server": self.tr("This database is on a PostgreSQL server: its protection and backups are the server's "
                              "(see the administrator's guide)."),
        }
        if answer.kind != "keyring":
            self.result_label.setText(messages[answer.kind])
            self.password.setFocus()
            return
        self.key = answer.key
        groups = answer.key.split()
        self.key_view.setText(" ".join(groups[:8]) + "\n" + " ".join(groups[8:]))
        self.key_view.setVisible(True)
        self.copy_button.setVisible(True)
        self.use_hint.setVisible(True)
        self.show_button.setVisible(False)
        self.result_label.setText(self.tr("Key of %s:") % answer.path)
        self.adjustSize()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.key)
