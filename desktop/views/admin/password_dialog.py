"""Change my password: any user at any time, and required after an administrator reset the password."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from desktop.services import auth, users
from desktop.services.errors import ValidationError
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.hint_label import hint_label

from ..context import AppContext
from .forms import FieldForm


class ChangePasswordDialog(BaseDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, forced: bool = False):
        super().__init__(parent)
        self.ctx = ctx
        self.changed = False
        self.setWindowTitle(self.tr("Change password"))
        intro = QLabel(
            self.tr("Your password was reset by the administrator. Choose your own password to continue.")
            if forced else self.tr("Choose a new password for {user}.").format(user=ctx.user.username))
        intro.setWordWrap(True)
        self.form = FieldForm()
        self.current = self.form.line("current_password",
                                      self.tr("Temporary password") if forced else self.tr("Current password"),
                                      200, password=True)
        self.new = self.form.line("password", self.tr("New password"), 200, password=True)
        self.again = self.form.line("password_again", self.tr("Repeat new password"), 200, password=True)
        hint = hint_label(self.tr("At least {n} characters.").format(n=auth.MIN_PASSWORD))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Change password"))
        if forced:
            buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Log out"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(self.form)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        self.current.setFocus()

    def save(self) -> None:
        self.ok_button.setEnabled(False)
        self.ctx.ops.run(users.change_own_password, self.current.text(), self.new.text(), self.again.text(),
                         done=self._changed, failed=self._refused)

    def _refused(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self.form.show_errors(exc.errors)
        else:  # shown and logged by the message service; nothing changed
            self.ctx.messages.error(self, exc)

    def _changed(self, _result: object) -> None:
        self.ok_button.setEnabled(True)
        self.changed = True
        self.ctx.messages.info(self, self.tr("Your password was changed."), title=self.tr("Change password"))
        self.accept()


def require_password_change(ctx: AppContext, parent: QWidget | None,
                            then: Callable[[bool], None]) -> ChangePasswordDialog:
    """After a login whose LoginResult.must_change_password is True: the dialog opens window-modal (open(), no
    nested event loop); then(False) when the user chose to log out instead. Returns the dialog."""
    dialog = ChangePasswordDialog(ctx, parent, forced=True)
    dialog.finished.connect(lambda _result: then(dialog.changed))
    dialog.open()
    return dialog


def change_my_password(ctx: AppContext, parent: QWidget | None = None) -> ChangePasswordDialog:
    dialog = ChangePasswordDialog(ctx, parent)
    dialog.open()
    return dialog
