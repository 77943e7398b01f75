"""GUI: the problem list tab driven like a user would (type, pick, save, see the row)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.services.problems import ProblemInput, add_problem, list_problems

pytestmark = pytest.mark.gui


def _wait_loaded(qtbot, page) -> None:
    qtbot.waitUntil(lambda: page._loading == 0 and page.sig_loaded is not None, timeout=5000)
    page.chart.ops.wait_idle(5000)
    qtbot.wait(10)


def test_add_problem_through_icd10_search(qtbot, db, chart_view, patient, physician):
    view = chart_view(tab="problems")
    page = view.page("problems")
    _wait_loaded(qtbot, page)
    assert page.stack.currentWidget() is page.empty and page.empty.text() == "No problems recorded."
    page.setFocus()  # focus goes to the add button in the empty state
    qtbot.keyClick(page.add_button, Qt.Key.Key_Insert)
    dialog = page.editor
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.icd.edit, "hypertension")
    qtbot.waitUntil(lambda: any(c.code == "I10" for c in dialog.icd.results()), timeout=20000)
    assert dialog.icd.select_code("I10")
    qtbot.keyClick(dialog.icd.table, Qt.Key.Key_Return)
    assert dialog.code.text() == "I10" and dialog.description.text() == "Essential (primary) hypertension"
    dialog.onset.setText("2019-04-02")
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)  # saved in a worker, then closed
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    row = page.model.row_at(0)
    assert (row.icd10_code, row.description, str(row.onset_date)) == ("I10", "Essential (primary) hypertension",
                                                                      "2019-04-02")
    assert page.stack.currentWidget() is page.table
    with db.uow(physician) as uow:
        assert [p.icd10_code for p in list_problems(uow, patient.id)] == ["I10"]


def test_validation_shows_beside_the_field(qtbot, chart_view):
    view = chart_view(tab="problems")
    page = view.page("problems")
    _wait_loaded(qtbot, page)
    page.add()
    dialog = page.editor
    dialog.onset.setText("31/31/2020")
    dialog.save()
    assert dialog.isVisible() and dialog.errors["onset_date"].isVisible()
    dialog.onset.setText("")
    dialog.save()
    qtbot.waitUntil(dialog.errors["description"].isVisible, timeout=5000)  # the service's answer
    assert "Describe the problem" in dialog.errors["description"].text()


def test_entered_in_error_with_reason_and_toggle(qtbot, db, chart_view, patient, physician):
    with db.uow(physician) as uow:
        add_problem(uow, patient.id, ProblemInput(icd10_code="E11.9"))
    view = chart_view(tab="problems")
    page = view.page("problems")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    dialog = page.reason_dialog
    dialog.ok_button.click()  # no reason yet: refused
    assert dialog.isVisible() and dialog.error.isVisible()
    dialog.set_reason("Wrong patient")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=5000)
    assert page.stack.currentWidget() is page.empty
    page.show_errors.setChecked(True)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    index = page.model.index(0, 0)
    assert page.model.data(index, Qt.ItemDataRole.FontRole).strikeOut()
    assert not page.edit_button.isEnabled()


def test_front_desk_sees_no_clinical_tabs(qtbot, chart_view):
    view = chart_view(role="front_desk")
    titles = [view.tabs.tabText(i) for i in range(view.tabs.count())]
    assert titles == ["Demographics"]


def test_edit_controls_follow_the_role(qtbot, chart_view, monkeypatch):
    nurse_view = chart_view(role="nurse", tab="problems")
    assert not nurse_view.page("problems").add_button.isHidden()
    admin_view = chart_view(role="admin")
    assert "Problems" not in [admin_view.tabs.tabText(i) for i in range(admin_view.tabs.count())]
    # a role that may read the chart but not change it gets no edit controls and no shortcuts
    from desktop.services.permissions import Permission
    from desktop.services.uow import CurrentUser

    monkeypatch.setattr(CurrentUser, "can", lambda self, p: p != Permission.EDIT_CHART)
    reader = chart_view(role="nurse", tab="problems").page("problems")
    assert reader.add_button.isHidden() and reader.edit_button.isHidden() and reader.error_button.isHidden()
    reader.add()
    assert not hasattr(reader, "editor")


def test_down_then_enter_takes_the_highlighted_first_code(qtbot, chart_view):
    """Issue 14.5: "reflux" + Down + Enter picked the second row ("Newborn esophageal reflux"); Enter takes the
    highlighted row, Down moves from the first. Issue 14.4: header codes cannot be picked."""
    view = chart_view(tab="problems")
    page = view.page("problems")
    _wait_loaded(qtbot, page)
    page.add()
    dialog = page.editor
    qtbot.waitUntil(lambda: dialog.icd._sex is not None, timeout=5000)  # the patient's age and sex arrived
    qtbot.keyClicks(dialog.icd.edit, "reflux")
    qtbot.waitUntil(lambda: bool(dialog.icd.results()), timeout=20000)
    assert dialog.icd.results()[0].code == "K21.9"
    assert not any(c.code.startswith("P") for c in dialog.icd.results())  # an adult: no newborn codes
    qtbot.keyClick(dialog.icd.edit, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.icd.table, Qt.Key.Key_Return)
    assert dialog.code.text() == "K21.9"
    dialog.icd.edit.setFocus()
    dialog.icd.edit.clear()
    qtbot.keyClicks(dialog.icd.edit, "M54.5")
    qtbot.waitUntil(lambda: bool(dialog.icd.results()) and dialog.icd.results()[0].code == "M54.5", timeout=5000)
    qtbot.keyClick(dialog.icd.edit, Qt.Key.Key_Return)  # the highlighted header: refused, with the reason
    assert dialog.code.text() == "K21.9"
    assert "pick a more specific code" in dialog.icd.status.text()
    qtbot.keyClick(dialog.icd.table, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.icd.table, Qt.Key.Key_Return)
    assert dialog.code.text() == "M54.50"
