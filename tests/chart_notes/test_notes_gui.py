"""Writing a note: from a template, today's vitals, diagnoses, sign; autosave recovery; nurse can't sign."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QRadioButton
from sqlalchemy import select

from desktop.models import Encounter, EncounterDiagnosis
from desktop.services import encounters, problems, vitals
from desktop.services.errors import ValidationError
from desktop.services.vitals import VitalsInput
from desktop.views.chart.base import ChartContext

pytestmark = pytest.mark.gui


@pytest.fixture
def tab_for(qtbot, app_ctx):
    def make(patient_id, role="physician"):
        from desktop.views.chart.encounters_tab import EncountersTab

        ctx = app_ctx(role)
        tab = EncountersTab(ChartContext(app=ctx, patient_id=patient_id, refresh_banner=lambda: None))
        qtbot.addWidget(tab)
        # as ChartView does: a change of a watched kind reloads the tab
        ctx.ops.data_changed.connect(lambda what, _pid: tab.load() if what in tab.watches else None)
        tab.resize(1300, 800)
        tab.show()
        qtbot.waitExposed(tab)
        tab.activateWindow()  # shortcuts only reach the active window
        qtbot.waitUntil(tab.isActiveWindow)
        tab.load()
        return tab
    return make


def new_via_dialog(tab, qtbot, template_key):
    from desktop.views.chart.encounters_tab import NewEncounterDialog

    tab.new_encounter()  # the providers are read in a worker, then the dialog opens
    qtbot.waitUntil(lambda: isinstance(getattr(tab, "new_dialog", None), NewEncounterDialog), timeout=5000)
    dialog = tab.new_dialog
    dialog.template.setCurrentIndex(dialog.template.findData(template_key))
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.created is not None or bool(dialog.errors.text()), timeout=5000)
    assert dialog.created is not None, dialog.errors.text()
    qtbot.waitUntil(lambda: tab.editor.encounter_id == dialog.created.id, timeout=5000)  # opened on creation
    tab.activateWindow()  # the dialog has closed: shortcuts reach the chart again
    qtbot.waitUntil(tab.isActiveWindow)
    return tab.editor


def open_note(qtbot, owner, encounter_id: int, **kwargs) -> None:
    """owner.open_encounter (a tab or an editor) reads in a worker: wait until the note is shown."""
    editor = getattr(owner, "editor", owner)
    answers: list[bool] = []
    owner.open_encounter(encounter_id, then=answers.append, **kwargs)
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == [True] and editor.encounter_id == encounter_id


def finished(qtbot, start) -> bool:
    """start(then) runs a flow of the editor (save, sign, close) that answers by callback: its answer."""
    answers: list[bool] = []
    start(answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    return answers[0]


def filled(content):
    """A template's marked fields filled in (as the physician does before signing)."""
    from dataclasses import replace

    from desktop.services import note_templates

    return replace(content, **{k: note_templates.MARKED_FIELD.sub("reviewed", getattr(content, k))
                               for k in ("subjective", "objective", "assessment", "plan")})


def fill_marked_fields(qtbot, editor) -> None:
    """What the physician does with a template: F2 selects the next blank, typing replaces it."""
    editor.editors["subjective"].setFocus()
    editor.editors["subjective"].moveCursor(QTextCursor.MoveOperation.Start)
    for _ in range(40):
        if not editor.remaining_marked_fields():
            return
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
        qtbot.keyClicks(QApplication.focusWidget(), "ok")
    raise AssertionError(f"marked fields left: {editor.remaining_marked_fields()}")


def test_write_a_note_from_a_template_with_vitals_and_diagnoses_and_sign_it(db, as_role, add_patient, tab_for,
                                                                             qtbot, messages):
    p = add_patient(birth_date=date(1950, 5, 5))
    with as_role("physician") as uow:
        htn = problems.add_problem(uow, p.id, problems.ProblemInput(icd10_code="I10"))
    tab = tab_for(p.id)
    editor = new_via_dialog(tab, qtbot, "hypertension_followup")
    assert editor.reason.text() == "Hypertension follow-up"
    assert editor.editors["objective"].toPlainText().startswith("Vitals: not recorded today")
    # the nurse takes vitals meanwhile; the physician inserts them with Ctrl+Shift+V
    with as_role("nurse") as uow:
        vitals.record_vitals(uow, p.id, VitalsInput(systolic=150, diastolic=92, heart_rate=70))
    editor.editors["objective"].setFocus()
    qtbot.keyClick(editor.editors["objective"], Qt.Key.Key_V,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: "BP 150/92" in editor.editors["objective"].toPlainText(), timeout=5000)
    objective = editor.editors["objective"].toPlainText()
    assert "BP 150/92 mmHg (H), HR 70 /min" in objective and "not recorded today" not in objective
    editor.editors["assessment"].selectAll()
    qtbot.keyClicks(editor.editors["assessment"], "Hypertension, not at goal")
    editor.dx_pick.setCurrentIndex(editor.dx_pick.findData(htn.id))
    editor.link_button.click()
    assert [editor.dx_list.item(i).text() for i in range(editor.dx_list.count())] == \
        ["I10 Essential (primary) hypertension"]
    assert editor.sign_button.isEnabled()
    fill_marked_fields(qtbot, editor)  # the template's blanks: F2, type
    with qtbot.waitSignal(editor.sig_saved, timeout=5000):  # signed in a worker
        qtbot.keyClick(editor.editors["assessment"], Qt.Key.Key_S,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        assert not editor.sign_button.isEnabled()  # while it signs: no second signature
    assert messages.shown[-1][0] == "Sign note"  # confirmed (the recorder answers yes)
    with db.uow() as uow:
        e = uow.session.execute(select(Encounter).where(Encounter.patient_id == p.id)).scalar_one()
        links = uow.session.execute(select(EncounterDiagnosis.problem_id)
                                    .where(EncounterDiagnosis.encounter_id == e.id)).scalars().all()
    assert e.status == "signed" and e.signed_by_id == 1 and e.assessment == "Hypertension, not at goal"
    assert "BP 150/92" in e.objective and links == [htn.id]
    assert editor.signature.isVisible() and "Dr. Ana Lima" in editor.signature.text()
    assert all(ed.isReadOnly() for ed in editor.editors.values())
    assert not editor.sign_button.isVisible() and editor.addendum_button.isVisible()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1 and tab.model.row_at(0).status == "signed", timeout=5000)


def test_addendum_after_signing(db, as_role, add_patient, tab_for, qtbot):
    from desktop.views.note_editor import AddendumDialog

    p = add_patient()
    with as_role("physician") as uow:
        e = encounters.create_encounter(uow, p.id, encounters.EncounterInput(template="general_visit"))
        encounters.sign(uow, e.id, e.version, filled(e.content))
    tab = tab_for(p.id)
    open_note(qtbot, tab, e.id)

    tab.editor.add_addendum()  # opens the dialog window-modal, without a nested event loop
    dialog = tab.editor.addendum_dialog
    assert isinstance(dialog, AddendumDialog) and dialog.isVisible()
    dialog.edit.setPlainText("Called patient: feeling better.")
    dialog._accept()
    qtbot.waitUntil(tab.editor.addenda.isVisible, timeout=5000)
    assert "Called patient: feeling better." in tab.editor.addenda.text()
    assert "Dr. Ana Lima" in tab.editor.addenda.text()


def test_nurse_drafts_but_the_sign_button_is_disabled(db, add_patient, tab_for, qtbot, messages):
    p = add_patient()
    tab = tab_for(p.id, role="nurse")
    editor = new_via_dialog(tab, qtbot, "upper_respiratory_infection")
    assert not editor.sign_button.isEnabled()
    qtbot.keyClicks(editor.editors["plan"], " Fluids.")
    with qtbot.waitSignal(editor.sig_saved, timeout=5000):  # Ctrl+S saves in a worker
        qtbot.keyClick(editor.editors["plan"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    editor.sign()  # the shortcut path: explains instead of signing
    assert messages.shown[-1][0] == "Sign note" and "Only a physician" in messages.shown[-1][1]
    with db.uow() as uow:
        e = uow.session.execute(select(Encounter)).scalar_one()
    assert e.status == "draft" and e.plan.startswith(" Fluids.Supportive care")  # typed at the cursor


def test_autosave_then_crash_then_reopen_offers_the_text(db, as_role, add_patient, app_ctx, qtbot, messages):
    from desktop.views.note_editor import NoteEditor

    p = add_patient()
    with as_role("physician") as uow:
        e = encounters.create_encounter(uow, p.id, encounters.EncounterInput())
    ctx = app_ctx("physician")
    editor = NoteEditor(ctx, p.id)
    qtbot.addWidget(editor)
    open_note(qtbot, editor, e.id)
    assert editor.timer.isActive() and editor.timer.interval() == 3000
    qtbot.keyClicks(editor.editors["subjective"], "Dizzy when standing up")
    editor.autosave()  # what the 3-second timer does
    ctx.ops.wait_idle(5000)
    qtbot.waitUntil(lambda: editor.status.text().startswith("Autosaved"), timeout=3000)
    editor.timer.stop()  # ... and the workstation dies here: no save, no close
    again = NoteEditor(app_ctx("physician"), p.id)
    qtbot.addWidget(again)
    open_note(qtbot, again, e.id)  # shown once the autosaved text was offered
    assert messages.shown[-1][0] == "Recover unsaved note"
    assert again.editors["subjective"].toPlainText() == "Dizzy when standing up"
    assert again.dirty()
    assert finished(qtbot, lambda then: again.save(then=then))
    with db.uow() as uow:
        assert uow.session.get(Encounter, e.id).subjective == "Dizzy when standing up"


def test_closing_the_chart_flushes_and_asks(db, as_role, add_patient, app_ctx, qtbot, messages):
    from desktop.views.chart_view import ChartView

    p = add_patient()
    with as_role("physician") as uow:
        e = encounters.create_encounter(uow, p.id, encounters.EncounterInput())
    view = ChartView(app_ctx("physician"), p.id)
    qtbot.addWidget(view)
    view.show_tab("encounters")
    tab = view.page("encounters")
    open_note(qtbot, tab, e.id)
    qtbot.keyClicks(tab.editor.editors["plan"], "Recheck in 2 weeks")
    messages.answers[:] = [False]  # "Not now": the text must survive anyway
    assert finished(qtbot, view.before_close)  # flushed in a worker, then asked
    assert messages.shown[-1][0] == "Unsaved note"
    with as_role("physician") as uow:
        kept = encounters.recover_autosave(uow, e.id)
        assert uow.session.get(Encounter, e.id).plan == ""
    assert kept is not None and kept.content.plan == "Recheck in 2 weeks"


def test_stale_save_shows_both_versions_and_keeps_both(db, as_role, add_patient, tab_for, qtbot):
    from desktop.views.note_editor import NoteConflictDialog

    p = add_patient()
    with as_role("physician") as uow:
        e = encounters.create_encounter(uow, p.id, encounters.EncounterInput())
    tab = tab_for(p.id)
    open_note(qtbot, tab, e.id)
    with as_role("nurse") as uow:  # another workstation saves first
        encounters.save_draft(uow, e.id, encounters.NoteContent(subjective="Nurse: cough 3 days"), e.version)
    qtbot.keyClicks(tab.editor.editors["subjective"], "Doctor: no fever")
    seen = {}

    answers: list[bool] = []
    tab.editor.save(then=answers.append)  # refused as stale (in a worker): the dialog opens, window-modal
    qtbot.waitUntil(lambda: isinstance(getattr(tab.editor, "conflict_dialog", None), NoteConflictDialog),
                    timeout=5000)
    dialog = tab.editor.conflict_dialog
    assert dialog.isVisible() and not answers
    seen["differing"] = list(dialog.differing)
    dialog.save_button.click()  # the defaults: keep both
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == [True] and seen["differing"] == ["subjective"]
    with db.uow() as uow:
        text = uow.session.get(Encounter, e.id).subjective
    assert text.startswith("Doctor: no fever") and text.endswith("Nurse: cough 3 days")
    assert "saved by Nora Quinn, RN" in text


def test_a_section_only_one_side_changed_starts_on_that_sides_version(db, as_role, add_patient, tab_for, qtbot):
    """The nurse added to Objective, the physician rewrote the Plan: saving both must not repeat the whole
    Objective, nor put the old plan ("2 weeks") beside the new one ("1 week")."""
    p = add_patient()
    start = encounters.NoteContent(objective="Lungs: clear", plan="Recheck in 2 weeks")
    with as_role("physician") as uow:
        e = encounters.create_encounter(uow, p.id, encounters.EncounterInput())
        e = encounters.save_draft(uow, e.id, start, e.version)
    tab = tab_for(p.id)
    open_note(qtbot, tab, e.id)
    with as_role("nurse") as uow:  # another workstation saves first
        encounters.save_draft(uow, e.id, encounters.NoteContent(objective="Lungs: clear\nBP repeated 138/86",
                                                                plan="Recheck in 2 weeks"), e.version)
    tab.editor.editors["plan"].setPlainText("Recheck in 1 week")
    answers: list[bool] = []
    tab.editor.save(then=answers.append)
    qtbot.waitUntil(lambda: getattr(tab.editor, "conflict_dialog", None) is not None, timeout=5000)
    dialog = tab.editor.conflict_dialog
    assert dialog.differing == ["objective", "plan"]
    assert dialog.findChild(QRadioButton, "theirs_objective").isChecked()
    assert dialog.findChild(QRadioButton, "mine_plan").isChecked()
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    with db.uow() as uow:
        stored = uow.session.get(Encounter, e.id)
        assert (stored.objective, stored.plan) == ("Lungs: clear\nBP repeated 138/86", "Recheck in 1 week")


def test_an_encounter_can_be_marked_entered_in_error_with_a_reason(db, as_role, add_patient, tab_for, qtbot,
                                                                   monkeypatch):
    from desktop.views.chart.entry_dialogs import ReasonDialog

    p = add_patient()
    with as_role("physician") as uow:
        keep = encounters.create_encounter(uow, p.id, encounters.EncounterInput(reason="Real visit"))
        wrong = encounters.create_encounter(uow, p.id, encounters.EncounterInput(reason="Wrong chart"))
    tab = tab_for(p.id)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2, timeout=5000)
    row = next(i for i in range(2) if tab.model.row_at(i).id == wrong.id)
    tab.table.selectRow(row)
    tab.error_button.click()
    dialog = tab.reason_dialog
    assert isinstance(dialog, ReasonDialog) and dialog.isVisible()
    dialog.set_reason("Wrong patient")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=5000)
    assert tab.model.row_at(0).id == keep.id
    with db.uow() as uow:
        row = uow.session.get(Encounter, wrong.id)
        assert row.entered_in_error and row.error_reason == "Wrong patient"



def test_correct_a_drafts_visit_type_and_date_keeping_unsaved_text(db, add_patient, tab_for, qtbot, messages):
    from datetime import datetime, timedelta

    from desktop.views.note_editor import VisitDialog

    p = add_patient()
    tab = tab_for(p.id, role="nurse")
    editor = new_via_dialog(tab, qtbot, "general_visit")
    editor.editors["plan"].setPlainText("Recheck in two weeks")  # typed, not saved yet
    yesterday = (datetime.now() - timedelta(days=1)).replace(hour=15, minute=10, second=0, microsecond=0)

    answers: list[bool] = []
    editor.edit_visit(then=answers.append)  # saves the text, reads the physicians, then opens the dialog
    qtbot.waitUntil(lambda: isinstance(editor.visit_dialog, VisitDialog), timeout=5000)
    dialog = editor.visit_dialog
    dialog.kind.setCurrentIndex(dialog.kind.findData("telephone"))
    dialog.when.setDateTime(yesterday)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == [True]
    assert f"Telephone — {yesterday:%Y-%m-%d %H:%M}" in editor.title.text()
    assert editor.editors["plan"].toPlainText() == "Recheck in two weeks" and not editor.dirty()
    with db.uow() as uow:
        stored = uow.session.get(Encounter, editor.encounter_id)
        assert (stored.kind, stored.plan) == ("telephone", "Recheck in two weeks")


def test_a_future_visit_date_is_explained_in_the_dialog(db, add_patient, tab_for, qtbot, messages):
    from datetime import datetime, timedelta

    from desktop.views.note_editor import VisitDialog

    p = add_patient()
    tab = tab_for(p.id)
    editor = new_via_dialog(tab, qtbot, "general_visit")
    answers: list[bool] = []
    editor.edit_visit(then=answers.append)
    qtbot.waitUntil(lambda: isinstance(editor.visit_dialog, VisitDialog), timeout=5000)
    dialog = editor.visit_dialog
    dialog.when.setDateTime(datetime.now() + timedelta(days=5))
    dialog.save_button.click()  # refused in a worker: the reason shows beside the form, the dialog stays
    qtbot.waitUntil(lambda: bool(dialog.errors.text()), timeout=5000)
    assert dialog.errors.text() == "The encounter date cannot be in the future" and dialog.isVisible()
    dialog.reject()
    assert answers == [False]
    with db.uow() as uow:
        assert uow.session.get(Encounter, editor.encounter_id).version == editor.version


def test_a_template_with_unfilled_fields_is_not_signed(db, as_role, add_patient, tab_for, qtbot, messages):
    """Issue 14.2: the hypertension template's choices were signed and printed unfilled, without a warning."""
    p = add_patient()
    tab = tab_for(p.id)
    editor = new_via_dialog(tab, qtbot, "hypertension_followup")
    assert "{controlled/not at goal}" in editor.editors["assessment"].toPlainText()
    assert len(editor.remaining_marked_fields()) == 7
    assert not editor.sign()  # refused, naming the fields; nothing asked, nothing signed
    title, text = messages.shown[-1]
    assert title == "Sign note" and "Assessment: {controlled/not at goal}" in text and "F2" in text
    # F2 walks the blanks in order and selects each one: typing replaces it
    editor.editors["subjective"].setFocus()
    editor.editors["subjective"].moveCursor(QTextCursor.MoveOperation.Start)
    qtbot.keyClick(editor.editors["subjective"], Qt.Key.Key_F2)
    assert editor.editors["subjective"].textCursor().selectedText() == "***"
    qtbot.keyClicks(editor.editors["subjective"], "128/78 average")
    qtbot.keyClick(editor.editors["subjective"], Qt.Key.Key_F2)
    assert editor.editors["subjective"].textCursor().selectedText() == "{good/missed doses}"
    qtbot.keyClicks(editor.editors["subjective"], "good")
    assert "Home BP readings: 128/78 average\nAdherence to antihypertensives: good" in \
        editor.editors["subjective"].toPlainText()
    with as_role("physician") as uow:  # the service refuses too (any path that signs)
        stored = encounters.get_encounter(uow, editor.encounter_id)
        with pytest.raises(ValidationError) as refused:
            encounters.sign(uow, stored.id, stored.version)
    assert "Assessment: 1 marked field not filled ({controlled/not at goal})" in refused.value.errors["assessment"]
    fill_marked_fields(qtbot, editor)
    assert finished(qtbot, lambda then: editor.sign(then=then))
    with db.uow() as uow:
        assert uow.session.get(Encounter, editor.encounter_id).status == "signed"


def test_inserting_todays_vitals_never_doubles_the_line(db, as_role, add_patient, tab_for, qtbot, messages):
    """Issue 14.3: "Insert today's vitals" put the same vitals line twice into Objective."""
    p = add_patient()
    with as_role("nurse") as uow:
        vitals.record_vitals(uow, p.id, VitalsInput(systolic=132, diastolic=84, heart_rate=68))
    tab = tab_for(p.id)
    editor = new_via_dialog(tab, qtbot, "hypertension_followup")  # the template already brings them
    assert editor.editors["objective"].toPlainText().count("BP 132/84") == 1
    editor.editors["objective"].setFocus()
    editor.editors["objective"].moveCursor(QTextCursor.MoveOperation.End)
    editor.vitals_button.click()
    editor.vitals_button.click()  # pressed twice while the first is still being read
    tab.chart.ops.wait_idle(5000)
    qtbot.waitUntil(lambda: tab.chart.ops.pending == 0, timeout=5000)
    assert editor.editors["objective"].toPlainText().count("BP 132/84") == 1
    assert editor.status.text() == "Today's vitals are already in Objective"


def test_encounter_reasons_are_readable_while_no_note_is_open(db, as_role, add_patient, tab_for, qtbot):
    """Issue 14.12: the list cut Reason to "Hype…" while the right pane sat empty."""
    p = add_patient()
    with as_role("physician") as uow:
        e = encounters.create_encounter(uow, p.id, encounters.EncounterInput(
            reason="Hypertension follow-up and medication review"))
    tab = tab_for(p.id)  # 1300 px wide, as on a laptop
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=5000)
    needed = tab.table.fontMetrics().horizontalAdvance("Hypertension follow-up and medication review")
    assert tab.table.columnWidth(2) >= needed
    open_note(qtbot, tab, e.id)  # a note open: the note gets the room
    left, right = tab.splitter.sizes()
    assert right > left


def test_a_double_click_saves_once_and_closing_during_the_save_waits_for_it(db, as_role, add_patient, app_ctx,
                                                                            qtbot, messages):
    from desktop.views.chart_view import ChartView

    p = add_patient()
    with as_role("physician") as uow:
        e = encounters.create_encounter(uow, p.id, encounters.EncounterInput())
    view = ChartView(app_ctx("physician"), p.id)
    qtbot.addWidget(view)
    view.show_tab("encounters")
    tab = view.page("encounters")
    open_note(qtbot, tab, e.id)
    editor = tab.editor
    qtbot.keyClicks(editor.editors["plan"], "Recheck in 2 weeks")
    saves: list = []
    editor.sig_saved.connect(saves.append)
    editor.save_button.click()  # in a worker: the buttons are off until it is stored
    assert not editor.save_button.isEnabled() and not editor.sign_button.isEnabled()
    assert not editor.save()  # the Ctrl+S path while it runs: refused, not a second save
    closed: list[bool] = []
    view.before_close(closed.append)  # the chart closes after that save, with nothing left to ask
    qtbot.waitUntil(lambda: bool(closed), timeout=5000)
    assert closed == [True] and len(saves) == 1
    assert not [m for m in messages.shown if m[0] == "Unsaved note"]
    with db.uow() as uow:
        stored = uow.session.get(Encounter, e.id)
        assert stored.plan == "Recheck in 2 weeks" and stored.version == e.version + 1
