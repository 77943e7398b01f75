"""First run without demo data: a wizard creates the practice (name, address, phone) and its administrator.

Called by the app controller when the opened database has no users: `run_first_run_wizard(db, window, then)`
opens it window-modal (open(), no nested event loop). Everything is written in one transaction by
desktop.services.users.setup_practice (audited), in a worker: Finish starts the save and the wizard closes once
it is stored; a refusal shows beside the fields.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget, QWizard, QWizardPage

from desktop.ops import run_detached
from desktop.services import auth, users
from desktop.services.errors import ValidationError
from desktop.services.permissions import Role
from desktop.services.settings import PracticeInput, clean_practice, validate_practice
from desktop.widgets.hint_label import hint_style
from desktop.widgets.messages import get_messages

from .admin.forms import FieldForm

log = logging.getLogger(__name__)

PRACTICE_FIELDS = ("name", "address_line1", "address_line2", "city", "state", "postal_code", "phone")
ADMIN_FIELDS = ("username", "display_name", "password", "password_again")


class PracticePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle(self.tr("Your practice"))
        self.setSubTitle(self.tr("These details appear on prescriptions and printed summaries. "
                                 "An administrator can change them later in Admin › Practice settings."))
        self.form = FieldForm()
        self.form.line("name", self.tr("Practice name *"))
        self.form.line("address_line1", self.tr("Address"))
        self.form.line("address_line2", self.tr("Address line 2"))
        self.form.line("city", self.tr("City"), 100)
        self.form.line("state", self.tr("State"), 50)
        self.form.line("postal_code", self.tr("Postal code"), 20)
        phone = self.form.line("phone", self.tr("Phone"), 40)
        phone.setPlaceholderText("(555) 123-4567")
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addStretch(1)

    def practice(self) -> PracticeInput:
        return PracticeInput(**{name: self.form.text(name) for name in PRACTICE_FIELDS})

    def validatePage(self) -> bool:
        errors = validate_practice(clean_practice(self.practice()))
        return not self.form.show_errors(errors)


class AdminPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle(self.tr("The administrator"))
        self.setSubTitle(self.tr("The administrator adds the other users (physicians, nurses, front desk), "
                                 "keeps the practice settings and reads the audit log. "
                                 "The administrator has no access to clinical records."))
        self.form = FieldForm()
        user = self.form.line("username", self.tr("User name *"), 40)
        user.setPlaceholderText(self.tr("e.g. admin"))
        self.form.line("display_name", self.tr("Full name *"))
        self.password = self.form.line("password", self.tr("Password *"), 200, password=True)
        self.again = self.form.line("password_again", self.tr("Repeat password *"), 200, password=True)
        self.strength = QLabel()
        self.strength.setObjectName("strength")
        self.strength.setWordWrap(True)
        self.form.addRow("", self.strength)
        self.password.textChanged.connect(self._strength_changed)
        self.again.textChanged.connect(self._strength_changed)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addStretch(1)
        self._strength_changed()

    def _strength_changed(self) -> None:
        text = self.password.text()
        if not text:
            self.strength.setText(self.tr("At least {n} characters.").format(n=auth.MIN_PASSWORD))
            self.strength.setStyleSheet(hint_style())
            return
        problem = auth.check_password_strength(text)
        if problem:
            self.strength.setText(problem[:1].upper() + problem[1:] + ".")
            self.strength.setStyleSheet("color: #b00020;")
        elif self.again.text() and self.again.text() != text:
            self.strength.setText(self.tr("The two passwords differ."))
            self.strength.setStyleSheet("color: #b00020;")
        else:
            self.strength.setText(self.tr("Password accepted."))
            self.strength.setStyleSheet("color: #1b5e20;")

    def new_user(self) -> users.NewUser:
        return users.NewUser(username=self.form.text("username"), display_name=self.form.text("display_name"),
                             role=Role.ADMIN.value, password=self.password.text(), password_again=self.again.text())

    def validatePage(self) -> bool:
        """True once the practice is stored; until then Finish starts the save (in a worker) and the wizard
        finishes itself when it is done."""
        wizard = self.wizard()
        assert isinstance(wizard, FirstRunWizard)
        if wizard.created is not None:
            return True
        wizard.save()
        return False


class FirstRunWizard(QWizard):
    def __init__(self, db, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.created = None  # CurrentUser of the new administrator
        self.setObjectName("firstRunWizard")
        self.setWindowTitle(self.tr("Set up the practice"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.practice_page = PracticePage()
        self.admin_page = AdminPage()
        self.addPage(self.practice_page)
        self.addPage(self.admin_page)
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("Create practice"))
        self.resize(620, 520)

    def save(self) -> None:
        """Write the practice and the administrator (one transaction) in a worker, Finish off meanwhile; the
        wizard closes once they are stored. A refusal shows beside the fields and keeps the wizard open."""
        if self.saving:
            return
        db, practice, admin = self.db, self.practice_page.practice(), self.admin_page.new_user()

        def work():
            with db.uow() as uow:
                return users.setup_practice(uow, practice, admin)

        self.saving = True
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        run_detached(work, self._saved)

    saving = False

    def _saved(self, created, error: BaseException | None) -> None:
        self.saving = False
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        if isinstance(error, ValidationError):
            practice_errors = {k: v for k, v in error.errors.items() if k in PRACTICE_FIELDS}
            admin_errors = {k: v for k, v in error.errors.items() if k not in PRACTICE_FIELDS}
            self.admin_page.form.show_errors(admin_errors)
            if practice_errors:
                self.practice_page.form.show_errors(practice_errors)
                self.back()
            return
        if error is not None:  # a service refusal or database trouble: shown and logged; nothing saved
            get_messages().error(self, error)
            return
        self.created = created
        log.info("first run: practice and administrator %s created", created.username)
        self.accept()  # the admin page now validates: the wizard finishes


def run_first_run_wizard(db, window, then: Callable[[bool], None]) -> FirstRunWizard:
    """Open the wizard over the main window (window-modal, open()); then(True) once the practice and its
    administrator exist (the login page is filled with the new name), then(False) when it was cancelled."""
    wizard = FirstRunWizard(db, window)

    def finished(result: int) -> None:
        done = result == QWizard.DialogCode.Accepted and wizard.created is not None
        login_page = getattr(window, "login_page", None)
        if done and login_page is not None:
            login_page.reset(wizard.created.username)
        then(done)

    wizard.finished.connect(finished)
    wizard.open()
    return wizard

