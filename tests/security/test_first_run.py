"""First run without demo data: the wizard creates the practice and its administrator, who can then log in."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from desktop.views.first_run import FirstRunWizard, run_first_run_wizard
from tests.security.conftest import audit_rows

pytestmark = pytest.mark.gui


def _fill_practice(qtbot, wizard: FirstRunWizard) -> None:
    form = wizard.practice_page.form
    for name, value in (("name", "Riverside Family Medicine"), ("address_line1", "9 River Rd"), ("city", "Salem"),
                        ("state", "OR"), ("postal_code", "97301"), ("phone", "(503) 555-0100")):
        qtbot.keyClicks(form.inputs[name], value)


def _click(qtbot, wizard: FirstRunWizard, which: QWizard.WizardButton) -> None:
    qtbot.mouseClick(wizard.button(which), Qt.MouseButton.LeftButton)


def test_wizard_creates_practice_and_admin(qtbot, empty_db):
    from desktop.services import auth, prescribers

    wizard = FirstRunWizard(empty_db)
    qtbot.addWidget(wizard)
    wizard.show()
    # the practice name is required
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentPage() is wizard.practice_page
    assert wizard.practice_page.form.errors["name"].isVisibleTo(wizard)
    _fill_practice(qtbot, wizard)
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentPage() is wizard.admin_page

    page = wizard.admin_page
    qtbot.keyClicks(page.form.inputs["username"], "Boss")
    qtbot.keyClicks(page.form.inputs["display_name"], "Pat Boss")
    qtbot.keyClicks(page.password, "short")
    assert "at least 8" in page.strength.text()  # strength check while typing
    page.password.clear()
    qtbot.keyClicks(page.password, "a good password")
    qtbot.keyClicks(page.again, "a good passwrod")
    assert "differ" in page.strength.text()
    _click(qtbot, wizard, QWizard.WizardButton.FinishButton)  # saved in a worker: refused beside the field
    qtbot.waitUntil(lambda: "differ" in page.form.errors["password_again"].text(), timeout=5000)
    assert wizard.isVisible() and wizard.created is None
    page.again.clear()
    qtbot.keyClicks(page.again, "a good password")
    assert page.strength.text() == "Password accepted."
    _click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()  # no second save meanwhile
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=5000)  # closes itself once stored
    assert wizard.created is not None and wizard.created.username == "boss"
    assert wizard.result() == QWizard.DialogCode.Accepted

    with empty_db.uow() as uow:
        assert auth.login(uow, "boss", "a good password").user.role == "admin"
    with empty_db.uow(wizard.created) as uow:
        practice = prescribers.get_practice(uow)
    assert (practice.name, practice.city, practice.phone) == ("Riverside Family Medicine", "Salem", "(503) 555-0100")
    assert {(r.action, r.entity) for r in audit_rows(empty_db, as_user=wizard.created)} >= {
        ("create", "user"), ("create", "practice")}


def test_cancelled_wizard_writes_nothing(qtbot, empty_db):
    from desktop.services import auth
    from desktop.views.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    answers: list[bool] = []
    wizard = run_first_run_wizard(empty_db, window, answers.append)  # window-modal, open(): no nested loop
    assert wizard.isVisible() and not answers
    wizard.reject()
    assert answers == [False]
    with empty_db.uow() as uow:
        assert not auth.any_users(uow)


def test_app_runs_the_wizard_for_a_new_database_then_the_admin_logs_in(qtbot, tmp_path, monkeypatch, messages):
    """A new practice: the app offers to create the database, the wizard runs, the login page follows."""
    from PySide6.QtWidgets import QMessageBox

    from desktop.services.database import Database
    from desktop.views.app import AppController
    from desktop.views.main_window import MainWindow

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    Database.open(url, create=True).dispose()

    monkeypatch.setattr(QMessageBox, "critical", lambda *a: pytest.fail(f"error shown: {a[1:]}"))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    controller = AppController(window, url)
    controller.open_database()
    qtbot.waitUntil(lambda: controller.db is not None, timeout=15000)
    # the practice and its users are read off the GUI thread, then the wizard opens (window-modal)
    qtbot.waitUntil(lambda: isinstance(getattr(window, "first_run_wizard", None), FirstRunWizard), timeout=15000)
    wizard = window.first_run_wizard
    wizard.practice_page.form.inputs["name"].setText("Hilltop Clinic")
    wizard.next()
    form = wizard.admin_page.form
    form.inputs["username"].setText("chief")
    form.inputs["display_name"].setText("Chief Admin")
    wizard.admin_page.password.setText("chief password")
    wizard.admin_page.again.setText("chief password")
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: window.login_page.username.text() == "chief", timeout=15000)
    qtbot.keyClicks(window.login_page.password, "chief password")
    qtbot.mouseClick(window.login_page.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=15000)
    assert window.ctx.user.role == "admin" and window.admin_menu.menuAction().isVisible()
    controller.idle_lock.uninstall()
    window.ctx.ops.wait_idle(5000)
    controller.db.dispose()
