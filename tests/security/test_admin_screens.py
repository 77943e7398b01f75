"""Admin screens driven as the administrator would: users, practice settings, audit report (filters, CSV)."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import QDate, Qt

from desktop.services import patients, settings
from desktop.services.audit_report import CSV_HEADER
from tests.conftest import TEST_USERS
from tests.security.conftest import audit_rows

pytestmark = pytest.mark.gui


def _click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.fixture
def users_dialog(qtbot, app_ctx):
    from desktop.views.admin.users_dialog import UsersDialog

    ctx = app_ctx("admin")
    dialog = UsersDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 4, timeout=5000)
    return dialog


def test_users_dialog_adds_a_user_with_a_role(qtbot, users_dialog, db):
    from desktop.views.admin import users_dialog as module


    _click(qtbot, users_dialog.add_button)  # opens the dialog window-modal (open(), no nested loop)
    add = users_dialog.add_dialog
    assert isinstance(add, module.AddUserDialog) and add.isVisible()
    qtbot.keyClicks(add.form.inputs["username"], "jsmith")
    qtbot.keyClicks(add.form.inputs["display_name"], "Jo Smith")
    add.role.setCurrentIndex(add.role.findData("front_desk"))
    qtbot.keyClicks(add.form.inputs["password"], "jo password")
    qtbot.keyClicks(add.form.inputs["password_again"], "jo password")
    add.save()
    qtbot.waitUntil(lambda: users_dialog.model.rowCount() == 5, timeout=5000)
    added = users_dialog.selected()
    assert (added.username, added.role, added.status) == ("jsmith", "front_desk", "active")
    assert audit_rows(db, action="create")[0].entity == "user"


def test_add_user_shows_errors_beside_the_fields(qtbot, app_ctx):
    from desktop.views.admin.users_dialog import AddUserDialog

    dialog = AddUserDialog(app_ctx("admin"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.form.inputs["username"], "drlima")
    _click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: "taken" in dialog.form.errors["username"].text(), timeout=5000)
    assert dialog.isVisible() and dialog.saved is None
    assert dialog.form.errors["display_name"].isVisibleTo(dialog)
    assert dialog.form.errors["password"].isVisibleTo(dialog)


def test_disable_reset_and_self_protection(qtbot, users_dialog, messages, db):
    from desktop.views.admin import users_dialog as module

    # yourself: the Disable button is off
    users_dialog.select_user("admin")
    assert not users_dialog.active_button.isEnabled()
    # disable the nurse (after confirming)
    users_dialog.select_user("nquinn")
    assert users_dialog.active_button.text().replace("&", "") == "Disable"
    _click(qtbot, users_dialog.active_button)
    assert messages.shown[-1][0] == "Disable user"
    qtbot.waitUntil(lambda: users_dialog.selected() is not None and not users_dialog.selected().active, timeout=5000)
    assert users_dialog.active_button.text().replace("&", "") == "Enable"

    # reset the physician's password: a temporary password, must change at login
    users_dialog.select_user("drlima")
    _click(qtbot, users_dialog.reset_button)
    reset = users_dialog.reset_dialog
    assert isinstance(reset, module.ResetPasswordDialog) and reset.isVisible()
    password = reset.password.text()
    reset.save()
    qtbot.waitUntil(lambda: users_dialog.selected().must_change_password, timeout=5000)
    from desktop.services import auth

    with db.uow() as uow:
        assert auth.login(uow, "drlima", password).must_change_password
    actions = [r.action for r in audit_rows(db) if r.entity == "user"]
    assert "disable" in actions and "reset_password" in actions


def test_change_role_refusal_is_shown(qtbot, users_dialog, messages):
    users_dialog.select_user("admin")
    users_dialog.change_role("nurse")
    qtbot.waitUntil(lambda: bool(messages.shown), timeout=5000)
    assert messages.shown[-1][0] == "Cannot do that" and "yourself" in messages.shown[-1][1]


def test_settings_dialog_saves_practice_idle_minutes_and_page_size(qtbot, app_ctx, db, as_role):
    from desktop.services import prescribers
    from desktop.views.admin.settings_dialog import SettingsDialog

    ctx = app_ctx("admin")
    dialog = SettingsDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    assert dialog.form.inputs["name"].text() == "Test Family Practice"
    assert dialog.idle_minutes.value() == 10
    name = dialog.form.inputs["name"]
    name.clear()
    _click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: "required" in dialog.form.errors["name"].text(), timeout=5000)
    assert dialog.isVisible()
    qtbot.keyClicks(name, "Hilltop Clinic")
    dialog.idle_minutes.setValue(4)
    dialog.page_size.setCurrentIndex(dialog.page_size.findData("A4"))
    with qtbot.waitSignal(dialog.sig_saved) as saved:
        _click(qtbot, dialog.save_button)
    assert saved.args == ["Hilltop Clinic"]
    with as_role("nurse") as uow:
        assert settings.get_idle_lock_minutes(uow) == 4
        assert prescribers.get_page_size(uow) == "A4"
        assert prescribers.get_practice(uow).name == "Hilltop Clinic"
    changed = {(r.entity, r.entity_id) for r in audit_rows(db, action="update")}
    assert {("setting", settings.IDLE_LOCK_KEY), ("setting", prescribers.PAGE_SIZE_KEY)} <= changed
    assert "practice" in {e for e, _ in changed}


def test_settings_dialog_interrupting_severities(qtbot, app_ctx, as_role):
    from desktop.services import alerts as module
    from desktop.views.admin.settings_dialog import SettingsDialog

    dialog = SettingsDialog(app_ctx("admin"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    boxes = dialog.severity_boxes
    # contraindicated always interrupts (the service refuses otherwise): ticked and not offered for unticking
    assert boxes["contraindicated"].isChecked() and not boxes["contraindicated"].isEnabled()
    for severity, box in boxes.items():
        box.setChecked(severity == "contraindicated")
    _click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    with as_role("physician") as uow:
        assert tuple(module.interrupting_severities(uow)) == ("contraindicated",)


@pytest.fixture
def audit_dialog(qtbot, app_ctx, as_role, add_patient):
    from desktop.views.admin.audit_dialog import AuditReportDialog

    a = add_patient(given="Alma", family="Reyes")
    add_patient(given="Bert", family="Olsen")
    with as_role("nurse") as uow:
        patients.record_chart_open(uow, a.id)
    dialog = AuditReportDialog(app_ctx("admin"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.current is not None and dialog.user.count() > 1, timeout=5000)
    return dialog, a


def test_audit_dialog_filters_by_user_patient_and_dates(qtbot, audit_dialog):
    dialog, a = audit_dialog
    assert dialog.current.total == 3
    dialog.user.setCurrentIndex(dialog.user.findData("nquinn"))
    _click(qtbot, dialog.search_button)
    qtbot.waitUntil(lambda: dialog.current.total == 1, timeout=5000)
    assert dialog.rows()[0].action == "view" and dialog.rows()[0].patient_id == a.id

    dialog.user.setCurrentIndex(0)
    qtbot.keyClicks(dialog.mrn, a.mrn)
    qtbot.keyClick(dialog.mrn, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.current.total == 2, timeout=5000)
    assert dialog.patient_label.text() == "Reyes, Alma"
    assert {r.username for r in dialog.rows()} == {"drlima", "nquinn"}

    dialog.use_from.setChecked(True)
    dialog.date_from.setDate(QDate(2001, 1, 1))
    dialog.use_to.setChecked(True)
    dialog.date_to.setDate(QDate(2001, 12, 31))
    _click(qtbot, dialog.search_button)
    qtbot.waitUntil(lambda: dialog.current.total == 0, timeout=5000)
    assert dialog.status.text() == "No audit entries match."
    assert not dialog.export_button.isEnabled()

    dialog.mrn.setText("99999999")
    _click(qtbot, dialog.search_button)
    qtbot.waitUntil(lambda: "No patient with MRN" in dialog.patient_label.text(), timeout=5000)


def test_audit_dialog_pages(qtbot, audit_dialog, monkeypatch):
    from desktop.views.admin import audit_dialog as module

    dialog, _a = audit_dialog
    monkeypatch.setattr(module, "PAGE_SIZE", 2)
    _click(qtbot, dialog.search_button)
    qtbot.waitUntil(lambda: len(dialog.rows()) == 2, timeout=5000)
    assert dialog.next_button.isEnabled() and not dialog.prev_button.isEnabled()
    assert dialog.status.text() == "Entries 1–2 of 3 (newest first)"
    first_page = [r.id for r in dialog.rows()]
    _click(qtbot, dialog.next_button)
    qtbot.waitUntil(lambda: dialog.current.page == 1, timeout=5000)
    assert [r.id for r in dialog.rows()] == [min(first_page) - 1]
    assert dialog.prev_button.isEnabled() and not dialog.next_button.isEnabled()


def test_audit_dialog_exports_csv(qtbot, audit_dialog, messages, tmp_path, db):
    dialog, a = audit_dialog
    qtbot.keyClicks(dialog.mrn, a.mrn)
    _click(qtbot, dialog.search_button)
    qtbot.waitUntil(lambda: dialog.current.total == 2, timeout=5000)
    out = tmp_path / "report.csv"
    dialog.export_to(out)
    qtbot.waitUntil(lambda: bool(messages.shown), timeout=5000)
    assert messages.shown[-1] == ("Audit report", f"2 audit entries written to {out}.")
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_HEADER and len(rows) == 3
    assert {r[CSV_HEADER.index("patient_name")] for r in rows[1:]} == {"Reyes, Alma"}
    assert audit_rows(db, action="export")[0].patient_id == a.id


def test_admin_menu_opens_the_screens(qtbot, logged_in):
    window, _controller = logged_in("admin")
    names = [a.objectName() for a in window.admin_menu.actions()]
    # Back up and Restore (a file chooser, then a progress dialog) have their own tests: tests/gui/test_backup_gui.py
    # and tests/gui/test_restore_gui.py; Database key has tests/gui/test_key_escrow.py
    assert names == ["actAdminUsers", "actAdminSettings", "actAdminAudit", "actAdminBackup", "actAdminRestore",
                     "actAdminKey"]
    opened: list[str] = []
    for action in window.admin_menu.actions()[:3]:
        action.trigger()  # opens window-modal with open(): no nested event loop, the test goes on
        dialog = window.admin_dialog
        assert dialog.isVisible() and dialog.isModal()
        opened.append(type(dialog).__name__)
        qtbot.waitUntil(lambda: window.ctx.ops.pending == 0, timeout=5000)  # its data read in a worker
        dialog.reject()
    assert opened == ["UsersDialog", "SettingsDialog", "AuditReportDialog"]


def test_change_password_dialog_after_a_reset(qtbot, app_ctx, db, as_role, messages):
    from desktop.services import auth, users
    from desktop.views.admin.password_dialog import ChangePasswordDialog

    with as_role("admin") as uow:
        users.reset_password(uow, TEST_USERS["nurse"][0], "temporary-1")
    dialog = ChangePasswordDialog(app_ctx("nurse"), forced=True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.current, "temporary-1")
    qtbot.keyClicks(dialog.new, "mine at last")
    qtbot.keyClicks(dialog.again, "mine at lats")
    _click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: "differ" in dialog.form.errors["password_again"].text(), timeout=5000)
    assert dialog.isVisible()
    dialog.again.clear()
    qtbot.keyClicks(dialog.again, "mine at last")
    _click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: dialog.changed, timeout=5000)
    assert not dialog.isVisible()
    with db.uow() as uow:
        assert not auth.login(uow, "nquinn", "mine at last").must_change_password


def test_after_a_reset_the_login_asks_for_a_new_password_and_cancelling_logs_out(qtbot, db, db_url, as_role,
                                                                                  messages):
    """The forced change opens window-modal (open(), not exec()); choosing to log out returns to the login."""
    from desktop.services import users
    from desktop.views.admin.password_dialog import ChangePasswordDialog
    from desktop.views.app import AppController
    from desktop.views.main_window import MainWindow

    with as_role("admin") as uow:
        users.reset_password(uow, TEST_USERS["nurse"][0], "temporary-1")
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    controller = AppController(window, db_url)
    controller.open_database()
    qtbot.waitUntil(lambda: controller.db is not None, timeout=15000)
    qtbot.keyClicks(window.login_page.username, "nquinn")
    qtbot.keyClicks(window.login_page.password, "temporary-1")
    _click(qtbot, window.login_page.login_button)
    qtbot.waitUntil(lambda: isinstance(getattr(window, "password_dialog", None), ChangePasswordDialog)
                    and window.password_dialog.isVisible(), timeout=15000)
    assert window.password_dialog.isModal() and not window.locked  # over the workspace, the event loop runs
    window.password_dialog.reject()  # "log out instead"
    qtbot.waitUntil(lambda: window.locked and controller.user is None, timeout=5000)
    controller.idle_lock.uninstall()  # as the logged_in fixture does: no lock timer outlives this test
    window.ctx.ops.wait_idle(5000)
    controller.db.dispose()


def test_a_physicians_prescriber_details_are_kept_from_the_users_screen(qtbot, users_dialog, db):
    """A new practice's physician signs no prescription without an NPI: the administrator enters it here."""
    from desktop.services import prescribers
    from desktop.views.admin.users_dialog import PrescriberDialog

    users_dialog.select_user("nquinn")
    assert not users_dialog.prescriber_button.isEnabled()  # only physicians prescribe
    users_dialog.select_user("drlima")
    assert users_dialog.prescriber_button.isEnabled()
    _click(qtbot, users_dialog.prescriber_button)
    qtbot.waitUntil(lambda: isinstance(getattr(users_dialog, "prescriber_dialog", None), PrescriberDialog),
                    timeout=5000)
    dialog = users_dialog.prescriber_dialog
    assert dialog.form.text("full_name") == "Dr. Ana Lima" and dialog.form.text("credentials") == "MD"
    qtbot.keyClicks(dialog.form.inputs["npi"], "1234567890")  # wrong check digit
    _click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: dialog.form.errors["npi"].isVisibleTo(dialog), timeout=5000)
    assert dialog.saved is None
    dialog.form.inputs["full_name"].setText("Ana Lima")
    dialog.form.inputs["npi"].setText("1234567893")
    dialog.form.inputs["dea_number"].setText("br1234563")
    _click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=5000)
    with db.uow() as uow:
        kept = prescribers.prescriber_for_user(uow, TEST_USERS["physician"][0])
    assert (kept.full_name, kept.npi, kept.dea_number) == ("Ana Lima", "1234567893", "BR1234563")
    assert audit_rows(db, action="create")[0].entity == "prescriber"
    # opened again: the stored details, and a change is an update of the same profile
    _click(qtbot, users_dialog.prescriber_button)
    qtbot.waitUntil(lambda: users_dialog.prescriber_dialog is not dialog, timeout=5000)
    again = users_dialog.prescriber_dialog
    assert again.form.text("npi") == "1234567893" and again.form.text("dea_number") == "BR1234563"
    again.form.inputs["state_licence"].setText("IL 036-123456")
    _click(qtbot, again.save_button)
    qtbot.waitUntil(lambda: again.saved is not None, timeout=5000)
    assert again.saved.id == kept.id and again.saved.state_licence == "IL 036-123456"
