"""The GUI hides or disables what a role cannot do (the services refuse it anyway: test_role_matrix.py)."""

from __future__ import annotations

import pytest

from desktop.services.permissions import Role
from tests.conftest import call_service

pytestmark = pytest.mark.gui

CLINICAL_TABS = {"summary", "problems", "medications", "allergies", "immunizations", "vitals", "encounters", "results",
                 "procedures", "social_history", "family_history", "outside_visits"}  # issue 18 history tabs


@pytest.fixture
def window_for(qtbot, app_ctx):
    from desktop.views.main_window import MainWindow

    made = []

    def make(role: str):
        ctx = app_ctx(role)
        window = MainWindow(ctx, practice_name="Test Family Practice")
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        return window

    yield make
    for w in made:
        w.ctx.ops.wait_idle(5000)


def _action(window, name: str):
    from PySide6.QtGui import QAction

    return window.findChild(QAction, name)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_only_the_admin_sees_the_admin_menu(window_for, role):
    window = window_for(role)
    visible = window.admin_menu.menuAction().isVisible()
    assert visible == (role == "admin")
    names = {a.objectName() for a in window.admin_menu.actions()}
    if role == "admin":
        assert {"actAdminUsers", "actAdminSettings", "actAdminAudit"} <= names
    else:
        assert not names & {"actAdminUsers", "actAdminSettings", "actAdminAudit"}


@pytest.mark.parametrize(("role", "expected"), [
    ("physician", CLINICAL_TABS | {"demographics"}),
    ("nurse", CLINICAL_TABS | {"demographics"}),
    ("front_desk", {"demographics"}),
    ("admin", {"demographics"}),
])
def test_chart_tabs_follow_the_role(qtbot, window_for, add_patient, role, expected):
    patient = add_patient(given="Tab", family="Roles")
    window = window_for(role)
    chart = window.open_chart(patient.id)
    assert chart is not None
    assert {spec.key for spec in chart.specs} == expected
    assert chart.tabs.count() == len(expected)
    if role == "front_desk":
        assert chart.tabs.tabText(0) == "Demographics"


@pytest.mark.parametrize(("role", "enabled"), [("physician", True), ("nurse", True), ("front_desk", True),
                                               ("admin", False)])
def test_new_patient_only_for_roles_that_register(window_for, role, enabled):
    window = window_for(role)
    assert _action(window, "actNewPatient").isEnabled() is enabled
    assert window.search_panel.new_button.isEnabled() is enabled


@pytest.mark.parametrize(("role", "can_sign"), [("physician", True), ("nurse", False)])
def test_nurse_drafts_but_has_no_sign(qtbot, app_ctx, add_patient, role, can_sign):
    from desktop.services import encounters
    from desktop.services.encounters import EncounterInput
    from desktop.views.note_editor import NoteEditor

    patient = add_patient(given="Note", family="Roles")
    ctx = app_ctx(role)
    details = call_service(ctx, encounters.create_encounter, patient.id, EncounterInput(reason="cough", provider_id=1))
    editor = NoteEditor(ctx, patient.id)
    qtbot.addWidget(editor)
    editor.show()
    editor.open_encounter(details.id, offer_recovery=False)  # read in a worker
    qtbot.waitUntil(lambda: editor.encounter_id == details.id, timeout=5000)
    assert editor.save_button.isEnabled()  # both may draft
    assert editor.sign_button.isEnabled() is can_sign


@pytest.mark.parametrize("role", ["front_desk", "admin"])
def test_no_clinical_menu_entries_for_front_desk_and_admin(window_for, role):
    window = window_for(role)
    offered = [a.text().replace("&", "") for a in window.chart_menu.actions() if a.isEnabled() and a.isVisible()]
    assert not any(t.startswith(("New prescription", "Import health record", "Export chart")) for t in offered)
    for name in ("actImportPhr", "actPhrHistory", "actExportFhir"):
        assert _action(window, name) is None


def test_physician_gets_the_clinical_menu_entries(window_for):
    window = window_for("physician")
    offered = [a.text().replace("&", "") for a in window.chart_menu.actions() if a.isEnabled()]
    assert any(t.startswith("New prescription") for t in offered)
    assert _action(window, "actImportPhr") is not None and _action(window, "actExportFhir") is not None


def test_front_desk_printing_agrees_between_chart_menu_and_role_matrix(qtbot, window_for, add_patient):
    """Issue 14.13: front desk saw demographics only in the chart, yet Ctrl+P printed the full summary. The
    decision (README, Roles): front desk prints and reprints prescriptions and summaries (the printout is
    handed to the patient and audited) but does not view the chart; notes are not theirs to print."""
    from PySide6.QtWidgets import QApplication

    from desktop.services.permissions import MATRIX as ROLE_PERMISSIONS
    from desktop.services.permissions import Permission, Role
    from desktop.views.pdf_preview import PdfPreviewDialog

    assert Permission.PRINT in ROLE_PERMISSIONS[Role.FRONT_DESK]
    assert Permission.VIEW_CHART not in ROLE_PERMISSIONS[Role.FRONT_DESK]
    p = add_patient(given="Alma", family="Reyes")
    window = window_for("front_desk")
    view = window.open_chart(p.id)
    assert [s.key for s in view.specs] == ["demographics"]
    tab = view.page("demographics")
    qtbot.waitUntil(lambda: tab.details is not None, timeout=5000)
    assert tab.summary_button.isVisible() and tab.rx_button.isVisible()  # in the chart ...
    assert _action(window, "actPrintSummary").isEnabled()  # ... and in the menu
    assert _action(window, "actPrescriptions").isEnabled()
    assert _action(window, "actPrintNote") is None  # notes: clinical, not front desk's
    tab.summary_button.click()
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), PdfPreviewDialog), timeout=15000)
    QApplication.activeModalWidget().reject()


def test_roles_without_print_see_no_print_buttons(qtbot, window_for, add_patient):
    from desktop.services.permissions import MATRIX as ROLE_PERMISSIONS
    from desktop.services.permissions import Permission, Role

    p = add_patient()
    window = window_for("admin")
    assert Permission.PRINT not in ROLE_PERMISSIONS[Role.ADMIN]
    view = window.open_chart(p.id)
    tab = view.page("demographics")
    assert not tab.summary_button.isVisible() and not tab.rx_button.isVisible()
