"""GUI: the history tabs driven like a user would (procedures, social history, family history, outside visits)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt

from desktop.services import family_history as fh
from desktop.services import outside_encounters as oe
from desktop.services import procedure_history as ph
from desktop.services import social_history as sh

pytestmark = pytest.mark.gui


def _ready(qtbot, page) -> None:
    qtbot.waitUntil(lambda: page._loading == 0, timeout=5000)
    page.chart.ops.wait_idle(5000)
    qtbot.wait(10)


def _save(qtbot, dialog) -> None:
    completer = getattr(dialog, "completer", None)
    if completer is not None and completer.popup().isVisible():  # Esc closes the suggestions, as a user would
        qtbot.keyClick(completer.popup(), Qt.Key.Key_Escape)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    dialog.ctx.ops.wait_idle(5000)
    qtbot.wait(20)
    assert not {k: e.text() for k, e in dialog.errors.items() if not e.isHidden()}, dialog.general_error.text()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)


def test_procedure_typeahead_fills_the_code_and_free_text_saves_uncoded(qtbot, db, chart_view, patient, physician):
    view = chart_view(tab="procedures")
    page = view.page("procedures")
    _ready(qtbot, page)
    assert page.stack.currentWidget() is page.empty
    page.add()
    dialog = page.editor
    qtbot.keyClicks(dialog.description, "colono")
    popup = dialog.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=3000)
    assert dialog.completer.currentCompletion() == "Colonoscopy"
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)  # choose the suggestion
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=3000)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    assert dialog.description.text() == "Colonoscopy"
    assert (dialog.code_system.currentData(), dialog.code.text()) == ("snomed", "73761001")
    dialog.performed.setText("2021-05-02")
    _save(qtbot, dialog)
    page.add()
    dialog = page.editor
    qtbot.keyClicks(dialog.description, "Removal of cyst, left wrist")
    _save(qtbot, dialog)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    with db.uow(physician) as uow:
        rows = ph.list_procedures(uow, patient.id)
    assert [(r.description, r.code) for r in rows] == [("Colonoscopy", "73761001"), ("Removal of cyst, left wrist", "")]


def test_nurse_records_smoking_status_with_pack_years_but_no_procedures(qtbot, db, chart_view, patient, nurse):
    view = chart_view(role="nurse", tab="procedures")
    assert not view.page("procedures").add_button.isVisible()
    view.show_tab("social_history")
    page = view.page("social_history")
    _ready(qtbot, page)
    assert page.add_button.isVisible()
    page.add()
    dialog = page.editor
    assert dialog.kind.currentData() == "smoking" and dialog.observed.value() is not None
    dialog.smoking.setCurrentIndex(dialog.smoking.findData("8517006"))
    qtbot.keyClicks(dialog.pack_years, "abc")
    dialog.save()
    assert dialog.isVisible() and dialog.errors["pack_years"].isVisible()
    dialog.pack_years.setText("15")
    _save(qtbot, dialog)
    page.add()
    dialog = page.editor
    dialog.kind.setCurrentIndex(dialog.kind.findData("alcohol"))
    assert not dialog.smoking.isEnabled() and dialog.audit_c.isEnabled()
    qtbot.keyClicks(dialog.audit_c, "5")
    qtbot.keyClicks(dialog.drinks, "8")
    _save(qtbot, dialog)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    with db.uow(nurse) as uow:
        cur = sh.current(sh.list_social_history(uow, patient.id))
    assert cur["smoking"].summary == "Former smoker, 15 pack-years"
    assert (cur["alcohol"].audit_c, cur["alcohol"].drinks_per_week) == (5, 8.0)
    assert page.model.data(page.model.index(0, 1)) == "current"


def test_family_history_with_icd_search_and_death(qtbot, db, chart_view, patient, physician):
    view = chart_view(tab="family_history")
    page = view.page("family_history")
    _ready(qtbot, page)
    page.add()
    dialog = page.editor
    dialog.relative.setCurrentIndex(dialog.relative.findData("mother"))
    qtbot.keyClicks(dialog.icd.edit, "C50.919")
    qtbot.waitUntil(lambda: any(c.code == "C50.919" for c in dialog.icd.results()), timeout=20000)
    assert dialog.icd.select_code("C50.919")
    qtbot.keyClick(dialog.icd.table, Qt.Key.Key_Return)
    assert dialog.code.text() == "C50.919"
    qtbot.keyClicks(dialog.onset, "48")
    assert not dialog.death_age.isEnabled()
    dialog.deceased.setChecked(True)
    qtbot.keyClicks(dialog.death_age, "52")
    _save(qtbot, dialog)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    with db.uow(physician) as uow:
        (row,) = fh.list_family_history(uow, patient.id)
    assert (row.relative, row.icd10_code, row.onset_age, row.deceased, row.death_age) == (
        "mother", "C50.919", 48, True, 52)
    assert page.model.data(page.model.index(0, 4)) == "yes, at 52"


def test_outside_visits_are_listed_read_only_and_can_be_struck_out(qtbot, db, chart_view, patient, physician):
    with db.uow(physician) as uow:
        oe.create_encounter(uow, patient.id, oe.OutsideEncounterInput(
            start=datetime(2022, 3, 4, 15, 0, tzinfo=UTC), kind="Urgent care visit", facility="Good Health Urgent Care",
            reason="Pneumonia"), dict(source_system="Good Health HIE"))
    view = chart_view(tab="outside_visits")
    page = view.page("outside_visits")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    assert not page.add_button.isVisible() and not page.edit_button.isVisible()
    assert page.model.data(page.model.index(0, 5)) == "Good Health HIE"
    page.table.selectRow(0)
    page.mark_selected_in_error()
    page.reason_dialog.set_reason("Another patient's visit")
    page.reason_dialog.ok_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=5000)
    with db.uow(physician) as uow:
        assert oe.list_outside_encounters(uow, patient.id) == []


def test_note_editor_inserts_the_social_history_into_subjective(qtbot, db, patient, app_ctx, physician, messages):
    from datetime import date

    from desktop.services import encounters
    from desktop.views.note_editor import NoteEditor

    with db.uow(physician) as uow:
        sh.add_entry(uow, patient.id, sh.SocialInput(kind="smoking", value_code="8517006", pack_years=10,
                                                     observed_date=date(2024, 2, 3)))
        enc = encounters.create_encounter(uow, patient.id, encounters.EncounterInput(reason="Cough"))
    editor = NoteEditor(app_ctx("physician"), patient.id)
    qtbot.addWidget(editor)
    editor.show()
    editor.open_encounter(enc.id)
    qtbot.waitUntil(lambda: editor.details is not None and editor.social_button.isEnabled(), timeout=5000)
    editor.social_button.click()
    subjective = editor.editors["subjective"]
    line = "Social history: Smoking status: Former smoker, 10 pack-years (2024-02-03)."
    qtbot.waitUntil(lambda: line in subjective.toPlainText(), timeout=5000)
    editor.social_button.click()  # twice: not duplicated
    qtbot.waitUntil(lambda: "already" in editor.status.text(), timeout=5000)
    assert subjective.toPlainText().count("Social history:") == 1
    editor.ctx.ops.wait_idle()
