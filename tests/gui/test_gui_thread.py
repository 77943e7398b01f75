"""Issue 12 point 5: the GUI thread never does database work. Every service call takes a unit of work from
Database.uow; the test records every unit of work opened on the GUI thread while a physician and a nurse drive
the main screens (search, chart tabs, add entries, vitals, a note, prescriptions, admin screens)."""

from __future__ import annotations

import traceback
from datetime import date

import pytest
from PySide6.QtCore import QCoreApplication, Qt, QThread

from desktop.services.database import Database

pytestmark = pytest.mark.gui


@pytest.fixture
def gui_thread_uows(monkeypatch):
    """A list of stacks, one per unit of work opened on the GUI thread while watching."""
    seen: list[str] = []
    watching = [False]
    original = Database.uow

    def guarded(self, *args, **kwargs):
        app = QCoreApplication.instance()
        if watching[0] and app is not None and QThread.currentThread() is app.thread():
            seen.append("".join(traceback.format_stack(limit=8)))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Database, "uow", guarded)
    yield seen, watching
    watching[0] = False


def test_main_screens_never_touch_the_database_on_the_gui_thread(qtbot, app_ctx, add_patient, gui_thread_uows,
                                                                messages):
    from desktop.views.main_window import MainWindow

    seen, watching = gui_thread_uows
    patient = add_patient(given="Harold", family="Bennett", birth_date=date(1948, 2, 3), sex="male")
    ctx = app_ctx("physician")
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    watching[0] = True

    panel = window.search_panel
    qtbot.keyClicks(panel.search, "benn")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)
    view = window.open_chart(patient.id)
    qtbot.waitUntil(lambda: view.details is not None, timeout=5000)
    for spec in view.specs:  # every tab reads its data
        view.show_tab(spec.key)
    qtbot.waitUntil(lambda: ctx.ops.pending == 0, timeout=10000)

    problems = view.page("problems")  # add a problem
    problems.add()
    problems.editor.description.setText("Chronic cough")
    problems.editor.save_button.click()
    qtbot.waitUntil(lambda: problems.model.rowCount() == 1, timeout=5000)

    allergies = view.page("allergies")  # add an allergy
    allergies.add()
    qtbot.keyClicks(allergies.editor.substance, "Latex")
    allergies.editor.save_button.click()
    qtbot.waitUntil(lambda: allergies.model.rowCount() == 1, timeout=5000)

    vitals_tab = view.page("vitals")  # record vitals through the form
    vitals_tab.record()
    qtbot.waitUntil(lambda: getattr(vitals_tab, "form", None) is not None, timeout=5000)
    vitals_tab.form.inputs["heart_rate"].setText("72")
    with qtbot.waitSignal(vitals_tab.form.sig_saved, timeout=5000):
        vitals_tab.form.save()

    encounters_tab = view.page("encounters")  # a note: create, type, save, sign
    encounters_tab.new_encounter()
    qtbot.waitUntil(lambda: getattr(encounters_tab, "new_dialog", None) is not None, timeout=5000)
    encounters_tab.new_dialog.ok_button.click()
    qtbot.waitUntil(lambda: encounters_tab.editor.encounter_id is not None, timeout=5000)
    editor = encounters_tab.editor
    qtbot.keyClicks(editor.editors["subjective"], "Cough for two weeks")
    assert editor.save()
    editor.insert_vitals()
    assert editor.sign()
    qtbot.waitUntil(lambda: ctx.ops.pending == 0, timeout=10000)

    from desktop.views.prescriptions_dialog import PrescriptionsDialog

    rx = PrescriptionsDialog(ctx, patient.id, "Bennett, Harold")  # the prescriptions list
    qtbot.addWidget(rx)
    rx.show()
    qtbot.waitUntil(lambda: ctx.ops.pending == 0, timeout=5000)

    from desktop.views.admin.audit_dialog import AuditReportDialog

    audit = AuditReportDialog(app_ctx("admin"))
    qtbot.addWidget(audit)
    audit.show()
    qtbot.waitUntil(lambda: audit.current is not None, timeout=5000)
    qtbot.keyClicks(audit.mrn, patient.mrn)
    qtbot.keyClick(audit.mrn, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: audit.patient_label.text() == "Bennett, Harold", timeout=5000)

    watching[0] = False
    assert not seen, "database work on the GUI thread:\n" + "\n----\n".join(seen[:3])
    assert not [m for m in messages.shown if m[0] == "Something went wrong"]
