"""The Results tab: flowsheet with flags, panel list, trend chart, manual entry with a typing slip, critical
value alert, entered-in-error; front desk never sees it."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from desktop.services import results as svc
from desktop.services.results import PanelInput, ResultInput
from tests.conftest import user_for

SHOTS = os.environ.get("EMR_SCREENSHOTS", "")


def _seed(db, patient_id: int) -> None:
    base = datetime(2024, 1, 10, 8, 0, tzinfo=UTC)
    with db.uow(user_for("nurse")) as uow:
        for n, (k, glucose, a1c) in enumerate(((4.4, 98, 6.1), (5.0, 131, 6.8), (5.4, 160, 7.4))):
            svc.record_results(uow, patient_id, PanelInput(
                collected_at=base + timedelta(days=120 * n), panel_code="51990-0", panel_name="Basic Metabolic Panel",
                performing_lab="City Lab", results=(
                    ResultInput(name="Potassium", loinc="6298-4", value=k, unit="mmol/L"),
                    ResultInput(name="Sodium", loinc="2947-0", value=139, unit="mmol/L"),
                    ResultInput(name="Glucose", loinc="2339-0", value=glucose, unit="mg/dL"),
                    ResultInput(name="Creatinine", loinc="38483-4", value=1.0 + n / 10, unit="mg/dL"))))
            svc.record_results(uow, patient_id, PanelInput(
                collected_at=base + timedelta(days=120 * n, hours=1), results=(
                    ResultInput(name="HbA1c", loinc="4548-4", value=a1c, unit="%"),)))
        # an imported glucose in mmol/L: trended in mg/dL, original kept
        svc.record_results(uow, patient_id, PanelInput(
            collected_at=base + timedelta(days=400), results=(
                ResultInput(name="Glucose", loinc="14749-6", value=7.2, unit="mmol/L", source_system="City Hospital",
                            source_resource_id="Observation/g1"),)), origin="phr-import")


def _ready(qtbot, view):
    tab = view.page("results")
    qtbot.waitUntil(lambda: tab is not None and tab.view is not None, timeout=5000)
    return tab


def test_flowsheet_panels_and_trend(qtbot, db, patient, chart_view, tmp_path):
    _seed(db, patient.id)
    view = chart_view("physician", "results")
    tab = _ready(qtbot, view)
    model = tab.sheet_model
    labels = [model.headerData(r, Qt.Orientation.Vertical) for r in range(model.rowCount())]
    assert labels[0] == "BMP/CMP" and "HbA1c" in labels and "HbA1c (%)" in labels
    glucose_row = labels.index("Glucose (mg/dL)")
    # newest column first: the imported mmol/L value, then the clinic's 160 (high, coloured)
    newest_clinic = next(c for c in range(model.columnCount()) if model.cell(glucose_row, c) is not None
                         and model.cell(glucose_row, c).origin == "clinic")
    idx = model.index(glucose_row, newest_clinic)
    assert model.data(idx) == "160 ▲"
    assert model.data(idx, Qt.ItemDataRole.ForegroundRole).color().name() == "#b3261e"
    assert "Range: 70–110 (default)" in model.data(idx, Qt.ItemDataRole.ToolTipRole)
    # selecting the cell draws the trend: clinic line, imported rings, the range shaded
    tab.sheet_table.setCurrentIndex(idx)
    qtbot.waitUntil(lambda: tab.trend_chart.trend is not None and tab.trend_chart.trend.key == "2339-0",
                    timeout=5000)
    chart = tab.trend_chart
    assert chart.point_counts == {"clinic": 3, "imported": 1}
    assert chart.band == (70, 110)
    (x_axis,) = chart.chart().axes(Qt.Orientation.Horizontal)  # ISO dates, as everywhere in the app
    assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", x_axis.min().toString(x_axis.format()))
    (imported,) = chart.trend.imported
    assert round(imported.value) == 130 and imported.original == "7.2 mmol/L"
    # the panel list: newest first, abnormal count in the header row
    tab.pages.setCurrentIndex(1)
    first_panel, result = tab.panel_model.entry(0)
    assert result is None and first_panel.origin == "phr-import"
    if SHOTS:
        tab.pages.setCurrentIndex(0)
        qtbot.wait(200)
        view.grab().save(os.path.join(SHOTS, "results_tab.png"))
        tab.pages.setCurrentIndex(1)
        qtbot.wait(100)
        view.grab().save(os.path.join(SHOTS, "results_panels.png"))


def test_group_filter(qtbot, db, patient, chart_view):
    _seed(db, patient.id)
    tab = _ready(qtbot, chart_view("nurse", "results"))
    tab.group_combo.setCurrentIndex(tab.group_combo.findData("hba1c"))
    qtbot.waitUntil(lambda: tab.sheet_model.rowCount() == 2, timeout=5000)
    assert tab.sheet_model.row_key(1) == "4548-4"
    assert all(p.title == "HbA1c/Hemoglobin.total in Blood" or "HbA1c" in p.title or p.results[0].loinc == "4548-4"
               for p in tab.view.panels)


def test_manual_entry_with_a_typing_slip_then_a_critical_value(qtbot, db, patient, chart_view, messages):
    from desktop.widgets.alert_dialog import AlertDialog

    view = chart_view("nurse", "results")
    tab = _ready(qtbot, view)
    tab.enter_button.click()
    qtbot.waitUntil(lambda: getattr(tab, "entry_dialog", None) is not None and tab.entry_dialog.isVisible(),
                    timeout=5000)
    dialog = tab.entry_dialog
    row = dialog.rows[0]
    row.test.setCurrentIndex(row.test.findData("6298-4"))
    assert row.unit.currentData() == "mmol/L"
    qtbot.keyClicks(row.value, "65")  # meant 6.5: the decimal point was lost
    assert not dialog.save_button.isEnabled()
    assert "not plausible for K" in row.error.text() and "decimal point" in row.error.text()
    row.value.clear()
    qtbot.keyClicks(row.value, "6.5")
    assert row.error.isHidden() and dialog.save_button.isEnabled()
    dialog.lab.setEditText("Paper report, Dr Lee")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(getattr(tab, "alert_dialog", None), AlertDialog), timeout=5000)
    alert = tab.alert_dialog
    assert alert.informational and "Critical potassium 6.5 mmol/L" in alert.cards[0].title.text()
    alert.close()
    with db.uow(user_for("physician")) as uow:
        (panel,) = svc.results_view(uow, patient.id).panels
    assert panel.performing_lab == "Paper report, Dr Lee" and panel.results[0].value == 6.5
    qtbot.waitUntil(lambda: tab.view is not None and tab.view.total == 1, timeout=5000)


def test_front_desk_has_no_results_tab(qtbot, chart_view):
    view = chart_view("front_desk")
    assert "Results" not in [view.tabs.tabText(i) for i in range(view.tabs.count())]


@pytest.mark.parametrize("role", ["physician"])
def test_mark_a_result_entered_in_error(qtbot, db, patient, chart_view, monkeypatch, role):
    from PySide6.QtWidgets import QInputDialog

    _seed(db, patient.id)
    tab = _ready(qtbot, chart_view(role, "results"))
    total = tab.view.total
    row = next(r for r in range(tab.sheet_model.rowCount()) if tab.sheet_model.row_key(r) == "6298-4")
    col = next(c for c in range(tab.sheet_model.columnCount()) if tab.sheet_model.cell(row, c) is not None)
    tab.sheet_table.setCurrentIndex(tab.sheet_model.index(row, col))
    assert tab.error_button.isEnabled()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("haemolysed sample", True))
    tab.error_button.click()
    qtbot.waitUntil(lambda: tab.view.total == total - 1, timeout=5000)


def test_summary_shows_the_latest_key_results_with_flags(qtbot, db, patient, chart_view):
    _seed(db, patient.id)
    view = chart_view("physician", "summary")
    summary = view.page("summary")
    qtbot.waitUntil(lambda: summary.summary is not None, timeout=5000)
    html = summary.labs.text()
    assert "HbA1c" in html and "7.4 %" in html
    assert "160 mg/dL ▲" not in html  # the newest glucose is the imported one ...
    assert "7.2 mmol/L" in html and "imported" in html  # ... shown as received
    assert "5.4 mmol/L ▲" in html  # potassium above the default range, in colour
    if SHOTS:
        qtbot.wait(200)
        view.grab().save(os.path.join(SHOTS, "summary_tab.png"))


def test_insert_recent_results_into_objective(qtbot, db, patient, app_ctx, messages):
    from desktop.services import encounters
    from desktop.views.note_editor import NoteEditor

    with db.uow(user_for("nurse")) as uow:
        svc.record_results(uow, patient.id, PanelInput(
            collected_at=datetime.now(UTC) - timedelta(days=2), panel_name="Basic Metabolic Panel", results=(
                ResultInput(name="Potassium", loinc="6298-4", value=5.4, unit="mmol/L"),
                ResultInput(name="Creatinine", loinc="38483-4", value=1.0, unit="mg/dL"))))
    with db.uow(user_for("physician")) as uow:
        enc = encounters.create_encounter(uow, patient.id, encounters.EncounterInput(reason="Review"))
    editor = NoteEditor(app_ctx("physician"), patient.id)
    qtbot.addWidget(editor)
    editor.show()
    editor.open_encounter(enc.id)
    qtbot.waitUntil(lambda: editor.details is not None and editor.results_button.isEnabled(), timeout=5000)
    editor.results_button.click()
    objective = editor.editors["objective"]
    qtbot.waitUntil(lambda: "Labs " in objective.toPlainText(), timeout=5000)
    assert "(Basic Metabolic Panel): K 5.4 mmol/L (H), Creat 1.00 mg/dL" in objective.toPlainText()
    editor.results_button.click()  # twice: not duplicated
    qtbot.waitUntil(lambda: "already" in editor.status.text(), timeout=5000)
    assert objective.toPlainText().count("Labs ") == 1


def test_a_large_chart_shows_the_newest_panels_first_then_all(qtbot, db, patient, chart_view):
    base = datetime(2020, 1, 1, 8, 0, tzinfo=UTC)
    with db.uow(user_for("nurse")) as uow:
        svc.bulk_add_results(uow, patient.id, [PanelInput(
            collected_at=base + timedelta(days=7 * n), results=(
                ResultInput(name="INR", loinc="6301-6", value=2.0 + (n % 5) / 10, unit="{INR}"),)) for n in range(55)])
    tab = _ready(qtbot, chart_view("physician", "results"))
    assert len(tab.view.panels) == svc.PAGE_PANELS and tab.older_button.isVisible()
    assert tab.sheet_model.columnCount() == svc.PAGE_PANELS
    assert "of 55 panels" in tab.count_label.text()
    tab.older_button.click()
    qtbot.waitUntil(lambda: len(tab.view.panels) == 55, timeout=5000)
    assert not tab.older_button.isVisible() and tab.sheet_model.columnCount() == 55


def test_a_catalog_that_cannot_load_is_shown_in_red(qtbot, db, patient, chart_view, monkeypatch):
    from desktop.kb import labs as kb_labs
    from desktop.kb.errors import KnowledgeBaseError

    _seed(db, patient.id)

    def broken():
        raise KnowledgeBaseError("the lab knowledge file lab_tests.json is not valid JSON")

    monkeypatch.setattr(svc, "catalog", broken)
    monkeypatch.setattr(kb_labs, "catalog", broken)
    view = chart_view("physician", "results")
    tab = view.page("results")
    qtbot.waitUntil(lambda: tab.failure.isVisible(), timeout=5000)
    assert "lab_tests.json" in tab.failure.text() and tab.view is None
    assert tab.sheet_model.rowCount() == 0  # never an empty flowsheet presented as "no results"
