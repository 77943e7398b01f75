"""The foundation as a user meets it: log in, find a patient, register, conflicts, several charts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from desktop.services import patients
from desktop.views.app import AppController
from desktop.views.conflict_dialog import ConflictDialog
from desktop.views.main_window import MainWindow
from desktop.views.patient_dialog import PatientDialog
from tests.conftest import TEST_PASSWORDS, type_text, user_for


def test_login_shows_the_workspace_and_a_wrong_password_does_not(qtbot, db_url, messages):
    window = MainWindow()
    qtbot.addWidget(window)
    controller = AppController(window, db_url)
    window.show()
    controller.open_database()
    qtbot.waitUntil(lambda: controller.db is not None, timeout=10000)
    page = window.login_page
    qtbot.keyClicks(page.username, "drlima")
    qtbot.keyClicks(page.password, "wrong-password")
    qtbot.mouseClick(page.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "wrong user name or password" in page.error.text().lower(), timeout=10000)
    assert window.workspace is None
    qtbot.keyClicks(page.password, TEST_PASSWORDS["physician"])
    qtbot.keyClick(page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=10000)
    assert "Dr. Ana Lima" in window.user_label.text()
    if db_url.startswith("sqlite"):
        assert "database not encrypted" in window.db_label.text()
    else:  # the server's URL, never its password
        assert "***" in window.db_label.text()
    window.ctx.ops.wait_idle()


def test_lock_keeps_open_work_and_unlocks_with_the_password(qtbot, db_url, add_patient, messages):
    p = add_patient(given="Ann", family="Lee")
    window = MainWindow()
    qtbot.addWidget(window)
    controller = AppController(window, db_url)
    controller.open_database()
    qtbot.waitUntil(lambda: controller.db is not None, timeout=10000)
    controller.login("nquinn", TEST_PASSWORDS["nurse"])
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=10000)
    chart = window.open_chart(p.id)
    controller.lock()
    assert window.locked and window.login_page.username.isReadOnly()
    controller.login("nquinn", TEST_PASSWORDS["nurse"])
    qtbot.waitUntil(lambda: not window.locked, timeout=10000)
    assert window.charts[p.id] is chart  # the same chart, still open
    window.ctx.ops.wait_idle()


def test_typing_in_the_search_box_shows_matching_patients(qtbot, app_ctx, add_patient):
    add_patient(given="Zoë", family="Müller", birth_date=date(1980, 1, 2), phone_mobile="(217) 555-0199")
    add_patient(given="Zack", family="Mills")
    window = MainWindow(app_ctx("front_desk"))
    qtbot.addWidget(window)
    panel = window.search_panel
    type_text(panel.search, "mull zo")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)
    row = panel.model.row_at(0)
    assert row.display_name == "Müller, Zoë"
    shown = [panel.model.index(0, c).data() for c in range(panel.model.columnCount())]
    assert shown[:2] == ["Müller, Zoë", "1980-01-02"] and shown[3] == "F" and shown[5] == "(217) 555-0199"
    panel.search.clear()
    qtbot.keyClicks(panel.search, "zzzz")
    qtbot.waitUntil(lambda: "No patient found" in panel.status.text(), timeout=5000)


def test_enter_opens_the_chart_and_it_joins_recent_patients(qtbot, app_ctx, add_patient):
    p = add_patient(given="Harold", family="Bennett")
    window = MainWindow(app_ctx("physician"))
    qtbot.addWidget(window)
    panel = window.search_panel
    qtbot.keyClicks(panel.search, "benn har")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert p.id in window.charts
    qtbot.waitUntil(lambda: panel.recent.count() == 1, timeout=5000)
    assert "Bennett, Harold" in panel.recent.item(0).text()


def test_registration_shows_messages_beside_the_fields(qtbot, app_ctx, db):
    dialog = PatientDialog(app_ctx("front_desk"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.inputs["family_name"], "Lee")
    qtbot.keyClicks(dialog.inputs["birth_date"], "2999-01-01")
    qtbot.keyClicks(dialog.inputs["phone_mobile"], "12ab")
    qtbot.keyClicks(dialog.inputs["email"], "nope")
    dialog.save()
    visible = {name for name, label in dialog.errors.items() if label.isVisible()}
    assert visible == {"given_name", "birth_date", "sex", "phone_mobile", "email"}
    assert "future" in dialog.errors["birth_date"].text()
    assert dialog.result() == 0  # still open, nothing saved
    with db.uow(user_for("front_desk")) as uow:
        assert patients.search_patients(uow, "lee") == []


def test_registration_saves_and_generates_an_mrn(qtbot, app_ctx, db):
    dialog = PatientDialog(app_ctx("front_desk"))
    qtbot.addWidget(dialog)
    type_text(dialog.inputs["given_name"], "Zoë")
    type_text(dialog.inputs["family_name"], "Müller")
    qtbot.keyClicks(dialog.inputs["birth_date"], "01/02/1980")
    dialog.inputs["sex"].setCurrentIndex(dialog.inputs["sex"].findData("female"))
    qtbot.keyClicks(dialog.inputs["email"], "zoe@example.com")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=5000)  # saved in a worker
    assert len(dialog.saved.mrn) == 8
    assert dialog.saved.data.birth_date == date(1980, 1, 2)


def test_same_name_and_birth_date_warns_before_saving(qtbot, app_ctx, add_patient, messages, db):
    add_patient(given="Ann", family="Lee", birth_date=date(1970, 5, 6))
    dialog = PatientDialog(app_ctx("front_desk"))
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.inputs["given_name"], "ann")
    qtbot.keyClicks(dialog.inputs["family_name"], "LEE")
    qtbot.keyClicks(dialog.inputs["birth_date"], "1970-05-06")
    dialog.inputs["sex"].setCurrentIndex(dialog.inputs["sex"].findData("female"))
    messages.choices = [2]  # "Go back"
    dialog.save()
    qtbot.waitUntil(lambda: bool(messages.offered), timeout=5000)
    assert messages.shown[-1][0] == "Possible duplicate" and "Lee, Ann" in messages.shown[-1][1]
    # the safe answer is the default button (issue 14.6)
    assert messages.offered[-1] == (["Open existing chart", "Register anyway", "Go back"], 0)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=5000)
    assert dialog.saved is None
    messages.choices = [1]  # "Register anyway"
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=5000)
    with db.uow(user_for("front_desk")) as uow:
        assert len(patients.search_patients(uow, "lee ann")) == 2


def test_a_duplicate_written_differently_opens_the_existing_chart(qtbot, app_ctx, add_patient, messages, db):
    """Issue 14.6: "Jose Nunez Garcia" was registered beside "José Núñez-García" (same birth date and sex)."""
    existing = add_patient(given="José", family="Núñez-García", birth_date=date(1955, 7, 14), sex="male")
    window = MainWindow(app_ctx("front_desk"))
    qtbot.addWidget(window)
    window.workspace.new_patient()
    dialog = window.workspace.patient_dialog
    qtbot.keyClicks(dialog.inputs["given_name"], "Jose")
    qtbot.keyClicks(dialog.inputs["family_name"], "Nunez Garcia")
    qtbot.keyClicks(dialog.inputs["birth_date"], "07/14/1955")
    dialog.inputs["sex"].setCurrentIndex(dialog.inputs["sex"].findData("male"))
    dialog.save()  # the recorder presses the default button: "Open existing chart"
    qtbot.waitUntil(lambda: existing.id in window.charts, timeout=5000)
    assert messages.shown[-1][0] == "Possible duplicate" and "Núñez-García, José" in messages.shown[-1][1]
    assert not dialog.isVisible() and dialog.saved is None
    with db.uow(user_for("front_desk")) as uow:
        assert len(patients.search_patients(uow, "nunez")) == 1


def test_second_workstation_gets_the_conflict_dialog(qtbot, app_ctx, add_patient, db):
    p = add_patient(given="Ann", family="Lee", phone_home="(217) 555-0001")
    dialog = PatientDialog(app_ctx("nurse"), p)
    qtbot.addWidget(dialog)
    # another workstation saves a new phone number while this dialog is open
    with db.uow(user_for("front_desk")) as uow:
        patients.update_patient(uow, p.id, replace(p.data, phone_home="(217) 555-0002"), p.version)
    dialog.inputs["email"].setText("ann@example.com")
    seen: dict = {}

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, ConflictDialog)
        seen["fields"] = list(box.differing)
        seen["texts"] = [w.text() for w in box.findChildren(QLabel)]
        box.choose("phone_home", mine=False)  # keep their phone, my email
        box.save_button.click()

    dialog.save()  # the stale save comes back from the worker; then the conflict dialog opens
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), ConflictDialog), timeout=5000)
    answer()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=5000)
    assert set(seen["fields"]) == {"phone_home", "email"}
    with db.uow(user_for("nurse")) as uow:
        saved = patients.get_patient(uow, p.id)
    assert (saved.data.phone_home, saved.data.email) == ("(217) 555-0002", "ann@example.com")


def test_two_charts_open_side_by_side_with_banners(qtbot, app_ctx, add_patient):
    a = add_patient(given="Ann", family="Lee", birth_date=date(1970, 5, 6))
    b = add_patient(given="José", family="Núñez", birth_date=date(1955, 7, 14), sex="male")
    window = MainWindow(app_ctx("physician"))
    qtbot.addWidget(window)
    va, vb = window.open_chart(a.id), window.open_chart(b.id)
    assert window.tabs.count() == 3
    qtbot.waitUntil(lambda: va.details is not None and vb.details is not None, timeout=5000)
    assert va.banner.name.text() == "Lee, Ann" and vb.banner.name.text() == "Núñez, José"
    assert f"MRN {b.mrn}" in vb.banner.details.text() and "Allergies not recorded" in vb.banner.allergies.text()
    assert window.tabs.tabText(2) == "Núñez, José"
    assert [vb.tabs.tabText(i) for i in range(vb.tabs.count())][:7] == [
        "Summary", "Problems", "Medications", "Allergies", "Immunizations", "Vitals", "Encounters"]
    assert window.open_chart(a.id) is va and window.tabs.count() == 3  # no second tab for the same patient


def test_front_desk_sees_demographics_only(qtbot, app_ctx, add_patient):
    p = add_patient(given="Ann", family="Lee")
    window = MainWindow(app_ctx("front_desk"))
    qtbot.addWidget(window)
    view = window.open_chart(p.id)
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == ["Demographics"]
