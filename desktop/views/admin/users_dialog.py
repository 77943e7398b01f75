"""Admin › Users: add a user with a role, change role, disable/enable, reset password, lift a lockout, and a
physician's prescriber details (NPI, DEA number, license), without which they cannot sign a prescription."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.services import prescribers, users
from desktop.services.errors import ValidationError
from desktop.services.permissions import Role
from desktop.services.prescribers import PrescriberInput, PrescriberProfile
from desktop.services.users import NewUser, UserRow
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.hint_label import hint_label
from desktop.widgets.table_model import Column, DataclassTableModel

from ..context import AppContext
from .forms import FieldForm

STATUS_COLOURS = {"disabled": "#888888", "locked out": "#b00020", "must change password": "#8a5a00"}


def role_choices() -> list[tuple[str, str]]:
    return [(r.label, r.value) for r in Role]


class AddUserDialog(BaseDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.saved: UserRow | None = None
        self.setWindowTitle(self.tr("Add user"))
        self.form = FieldForm()
        self.form.line("username", self.tr("User name *"), 40).setPlaceholderText(self.tr("e.g. jsmith"))
        self.form.line("display_name", self.tr("Full name *")).setPlaceholderText(self.tr("as printed, e.g. Dr. Jo Smith"))
        self.role = QComboBox()
        for label, value in role_choices():
            self.role.addItem(self.tr(label), value)
        self.role.setCurrentIndex(self.role.findData(Role.NURSE.value))
        self.form.add_field("role", self.tr("Role *"), self.role)
        self.form.line("password", self.tr("Password *"), 200, password=True)
        self.form.line("password_again", self.tr("Repeat password *"), 200, password=True)
        hint = hint_label(self.tr("At least 8 characters. The user can change it later."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("Add user"))
        self.save_button.setDefault(True)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)
        self.form.inputs["username"].setFocus()

    def new_user(self) -> NewUser:
        return NewUser(username=self.form.text("username"), display_name=self.form.text("display_name"),
                       role=self.role.currentData(), password=self.form.text("password"),
                       password_again=self.form.text("password_again"))

    def save(self) -> None:
        self.ctx.ops.run(users.add_user, self.new_user(), done=self._added,
                         failed=lambda exc: _refused(self, exc))

    def _added(self, row: UserRow) -> None:
        self.saved = row
        self.accept()


class ResetPasswordDialog(BaseDialog):
    """A temporary password (generated, or typed); the user must change it at the next login."""

    def __init__(self, ctx: AppContext, user: UserRow, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.user = user
        self.done_ok = False
        self.setWindowTitle(self.tr("Reset password"))
        intro = QLabel(self.tr("New temporary password for {name} ({user}). Give it to them in person; "
                               "they must choose their own password when they next log in.").format(
            name=user.display_name, user=user.username))
        intro.setWordWrap(True)
        self.form = FieldForm()
        self.password = QLineEdit(users.temporary_password())
        self.password.setMaxLength(200)
        generate = QPushButton(self.tr("&Generate another"))
        generate.clicked.connect(lambda: self.password.setText(users.temporary_password()))
        row = QHBoxLayout()
        row.addWidget(self.password, 1)
        row.addWidget(generate)
        holder = QWidget()
        holder.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        self.form.add_field("password", self.tr("Temporary password"), holder)
        self.form.inputs["password"] = self.password
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("Reset password"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(self.form)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def save(self) -> None:
        self.ctx.ops.run(users.reset_password, self.user.id, self.password.text(), done=self._reset,
                         failed=lambda exc: _refused(self, exc))

    def _reset(self, _result: object) -> None:
        self.done_ok = True
        self.accept()


class PrescriberDialog(BaseDialog):
    """A physician's prescriber profile, printed on every prescription: signing needs one (the NPI), and a
    controlled substance needs the DEA number too."""

    def __init__(self, ctx: AppContext, user: UserRow, profile: PrescriberProfile | None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.user = user
        self.profile = profile
        self.saved: PrescriberProfile | None = None
        self.setWindowTitle(self.tr("Prescriber details — {name}").format(name=user.display_name))
        self.form = FieldForm()
        self.form.line("full_name", self.tr("Name as printed *"))
        self.form.line("credentials", self.tr("Credentials"), 50).setPlaceholderText(self.tr("MD, DO, NP…"))
        self.form.line("npi", self.tr("NPI *"), 20).setPlaceholderText(self.tr("10 digits"))
        self.form.line("dea_number", self.tr("DEA number"), 20).setPlaceholderText(
            self.tr("only to prescribe controlled substances"))
        self.form.line("state_licence", self.tr("State license"), 50)
        self.form.line("specialty", self.tr("Specialty"), 100)
        values = (dict(full_name=profile.full_name, credentials=profile.credentials, npi=profile.npi,
                       dea_number=profile.dea_number or "", state_licence=profile.state_licence,
                       specialty=profile.specialty) if profile is not None
                  else dict(full_name=user.display_name, credentials="MD"))
        for name, value in values.items():
            self.form.inputs[name].setText(value)  # type: ignore[attr-defined]
        hint = hint_label(self.tr("Printed on every prescription. Without an NPI this physician cannot sign "
                                  "prescriptions; without a DEA number, not for controlled substances."), wrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
        self.form.inputs["npi"].setFocus()

    def prescriber_input(self) -> PrescriberInput:
        t = self.form.text
        return PrescriberInput(user_id=self.user.id, full_name=t("full_name"), credentials=t("credentials"),
                               npi=t("npi"), dea_number=t("dea_number"), state_licence=t("state_licence"),
                               specialty=t("specialty"))

    def save(self) -> None:
        p = self.profile
        self.ctx.ops.run(prescribers.save_prescriber, self.prescriber_input(),
                         prescriber_id=p.id if p else None, expected_version=p.version if p else None,
                         done=self._saved, failed=self._refused)

    def _refused(self, exc: BaseException) -> None:
        other = [m for k, m in exc.errors.items() if k not in self.form.inputs] \
            if isinstance(exc, ValidationError) else []
        if other:  # not about a field of this form (e.g. the user is no longer a physician)
            self.ctx.messages.error(self, "; ".join(other))
        _refused(self, exc)

    def _saved(self, profile: PrescriberProfile) -> None:
        self.saved = profile
        self.accept()


class UsersDialog(BaseDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Users"))
        self.model = DataclassTableModel([
            Column(self.tr("User name"), lambda u: u.username),
            Column(self.tr("Full name"), lambda u: u.display_name),
            Column(self.tr("Role"), lambda u: u.role_label),
            Column(self.tr("Status"), lambda u: u.status, color=lambda u: STATUS_COLOURS.get(u.status)),
            Column(self.tr("Created"), lambda u: u.created_at.date() if u.created_at else None),
        ])
        self.model.greyed = lambda u: not u.active
        self.table = QTableView()
        self.table.setObjectName("usersTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setAlternatingRowColors(True)
        self.add_button = QPushButton(self.tr("&Add user…"))
        self.role_button = QPushButton(self.tr("Change &role…"))
        self.active_button = QPushButton(self.tr("&Disable"))
        self.reset_button = QPushButton(self.tr("Reset &password…"))
        self.unlock_button = QPushButton(self.tr("&Unlock"))
        self.unlock_button.setToolTip(self.tr("Lift a lockout after wrong passwords"))
        self.prescriber_button = QPushButton(self.tr("Prescriber de&tails…"))
        self.prescriber_button.setToolTip(self.tr("NPI, DEA number and license printed on a physician's "
                                                  "prescriptions"))
        for name, button in (("addUser", self.add_button), ("changeRole", self.role_button),
                             ("toggleActive", self.active_button), ("resetPassword", self.reset_button),
                             ("unlockUser", self.unlock_button), ("prescriberDetails", self.prescriber_button)):
            button.setObjectName(name)
        self.add_button.clicked.connect(self.add_user)
        self.role_button.clicked.connect(lambda: self.change_role())
        self.active_button.clicked.connect(self.toggle_active)
        self.reset_button.clicked.connect(self.reset_password)
        self.unlock_button.clicked.connect(self.unlock)
        self.prescriber_button.clicked.connect(self.prescriber_details)
        side = QVBoxLayout()
        for b in (self.add_button, self.role_button, self.reset_button, self.unlock_button, self.prescriber_button,
                  self.active_button):
            side.addWidget(b)
        side.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addWidget(self.table, 1)
        body.addLayout(side)
        self.note = hint_label(self.tr("Users are never deleted: a disabled user cannot log in, and the records "
                                       "they made keep their name."), wrap=True)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.note)
        layout.addWidget(close)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.resize(820, 440)
        self._update_buttons()
        self.load()

    # ---- data
    def load(self, select_id: int | None = None) -> None:
        keep = select_id if select_id is not None else (self.selected().id if self.selected() else None)
        self.ctx.ops.run(users.list_users, done=lambda rows: self._show(rows, keep))

    def _show(self, rows: list[UserRow], select_id: int | None) -> None:
        self.model.set_rows(rows)
        for i, row in enumerate(rows):
            if row.id == select_id:
                self.table.selectRow(i)
                break
        else:
            if rows:
                self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> UserRow | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().hasSelection():
            return None
        return self.model.row_at(index.row())

    def select_user(self, username: str) -> None:
        for i, row in enumerate(self.model.rows()):
            if row.username == username:
                self.table.selectRow(i)
                return

    def _update_buttons(self) -> None:
        u = self.selected()
        for b in (self.role_button, self.active_button, self.reset_button, self.unlock_button):
            b.setEnabled(u is not None)
        self.prescriber_button.setEnabled(u is not None and u.role == Role.PHYSICIAN.value)
        if u is None:
            return
        self.active_button.setText(self.tr("&Disable") if u.active else self.tr("&Enable"))
        is_me = u.id == self.ctx.user.id
        self.active_button.setEnabled(not (is_me and u.active))
        self.active_button.setToolTip(self.tr("You cannot disable your own account") if is_me else "")
        self.unlock_button.setEnabled(u.locked)

    # ---- actions
    def add_user(self) -> None:
        dialog = AddUserDialog(self.ctx, self)
        self.add_dialog = dialog  # tests drive it
        dialog.accepted.connect(lambda: self.load(select_id=dialog.saved.id))
        dialog.open()

    def _call(self, fn, *args) -> None:
        # the service's sentence (last admin, yourself...) is shown to the user
        self.ctx.ops.run(fn, *args, done=lambda row: self.load(select_id=row.id if row is not None else None),
                         failed=lambda exc: self.ctx.messages.error(self, exc))

    def toggle_active(self) -> None:
        u = self.selected()
        if u is None:
            return
        if u.active:
            if not self.ctx.messages.confirm(
                self, self.tr("Disable {name} ({user})? They will not be able to log in. "
                              "Their records keep their name.").format(name=u.display_name, user=u.username),
                title=self.tr("Disable user"), yes=self.tr("Disable"), no=self.tr("Cancel")):
                return
            self._call(users.disable_user, u.id)
        else:
            self._call(users.enable_user, u.id)

    def change_role(self, role: str | None = None) -> None:
        u = self.selected()
        if u is None:
            return
        if role is None:
            labels = [self.tr(label) for label, _ in role_choices()]
            values = [value for _, value in role_choices()]
            current = values.index(u.role) if u.role in values else 0
            label, ok = QInputDialog.getItem(self, self.tr("Change role"),
                                             self.tr("Role of {name}:").format(name=u.display_name),
                                             labels, current, False)
            if not ok:
                return
            role = values[labels.index(label)]
        self._call(users.set_role, u.id, role)

    def reset_password(self) -> None:
        u = self.selected()
        if u is None:
            return
        dialog = ResetPasswordDialog(self.ctx, u, self)
        self.reset_dialog = dialog  # tests drive it
        dialog.accepted.connect(lambda: self.load(select_id=u.id))
        dialog.open()

    def unlock(self) -> None:
        u = self.selected()
        if u is not None:
            self._call(users.unlock_user, u.id)

    def prescriber_details(self) -> None:
        u = self.selected()
        if u is None or u.role != Role.PHYSICIAN.value:
            return

        def show(profile: PrescriberProfile | None) -> None:
            dialog = PrescriberDialog(self.ctx, u, profile, self)
            self.prescriber_dialog = dialog  # tests drive it
            dialog.open()

        self.ctx.ops.run(prescribers.prescriber_for_user, u.id, done=show,
                         failed=lambda exc: self.ctx.messages.error(self, exc))


def _refused(dialog, exc: BaseException) -> None:
    """A form's save came back refused: field messages beside the fields, anything else in a message box
    (logged by the message service); the dialog stays open, nothing changed."""
    if isinstance(exc, ValidationError):
        dialog.form.show_errors(exc.errors)
    else:
        dialog.ctx.messages.error(dialog, exc)
