"""Two workstations on one note: while a draft is open here, it is signed on another computer. A signed note cannot
change, so the text typed here must not be lost either (save, or closing the chart, used to refuse with "this
note is signed" and keep the chart from closing, the text nowhere but on screen): the note is shown signed and
what was typed here opens in the addendum window."""

from __future__ import annotations

import pytest

from desktop.models import Encounter
from desktop.services import encounters
from desktop.views.chart.base import ChartContext

pytestmark = pytest.mark.gui


@pytest.fixture
def open_draft(qtbot, app_ctx, add_patient, as_role):
    """A draft note (S/O/A/P written) open in the physician's encounters tab; returns (tab, encounter)."""
    from desktop.views.chart.encounters_tab import EncountersTab

    p = add_patient()
    with as_role("physician") as uow:
        e = encounters.create_encounter(uow, p.id, encounters.EncounterInput(reason="Cough"))
        e = encounters.save_draft(uow, e.id, encounters.NoteContent(
            reason="Cough", subjective="Cough 3 days", objective="Lungs clear", assessment="URI",
            plan="Fluids"), e.version)
    tab = EncountersTab(ChartContext(app=app_ctx("physician"), patient_id=p.id, refresh_banner=lambda: None))
    qtbot.addWidget(tab)
    tab.resize(1300, 800)
    tab.show()
    tab.load()
    opened: list[bool] = []
    tab.open_encounter(e.id, then=opened.append)
    qtbot.waitUntil(lambda: opened == [True], timeout=5000)
    return tab, e


def _sign_elsewhere(as_role, e) -> None:
    with as_role("physician") as uow:  # the other workstation signs the note as it was saved
        encounters.sign(uow, e.id, e.version)


def _wait_for_addendum_window(qtbot, editor):
    qtbot.waitUntil(lambda: getattr(editor, "addendum_dialog", None) is not None
                    and editor.addendum_dialog.isVisible(), timeout=5000)
    return editor.addendum_dialog


@pytest.mark.parametrize("how", ["save", "close the chart"])
def test_text_typed_into_a_note_signed_elsewhere_goes_into_an_addendum(qtbot, open_draft, as_role, db, messages,
                                                                       how):
    tab, e = open_draft
    editor = tab.editor
    _sign_elsewhere(as_role, e)
    editor.editors["plan"].setPlainText("Fluids. Recheck in 1 week if no better")
    answers: list[bool] = []
    if how == "save":
        editor.save(then=answers.append)
    else:
        editor.before_close(answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == [False]  # nothing was saved into the signed note

    dialog = _wait_for_addendum_window(qtbot, editor)
    assert editor.signed and editor.editors["plan"].isReadOnly()
    assert editor.editors["plan"].toPlainText() == "Fluids"  # the signed text is what the editor shows
    assert dialog.text() == "Plan:\nFluids. Recheck in 1 week if no better"
    assert "signed this note" in dialog.intro.text() and dialog.intro.isVisible()
    assert not any("no longer be changed" in text for _t, text in messages.shown)  # no dead-end error
    dialog.accept()
    qtbot.waitUntil(lambda: bool(editor.details and editor.details.addenda), timeout=5000)
    with db.uow() as uow:
        stored = uow.session.get(Encounter, e.id)
        assert (stored.status, stored.plan) == ("signed", "Fluids")  # the signed note did not change
    assert [a.text for a in editor.details.addenda] == ["Plan:\nFluids. Recheck in 1 week if no better"]
    closed: list[bool] = []
    editor.before_close(closed.append)  # the chart closes now
    qtbot.waitUntil(lambda: bool(closed), timeout=5000)
    assert closed == [True]


def test_the_autosave_timer_finds_the_note_signed_elsewhere(qtbot, open_draft, as_role, messages):
    tab, e = open_draft
    editor = tab.editor
    _sign_elsewhere(as_role, e)
    editor.editors["assessment"].setPlainText("URI, likely viral")
    editor.autosave()  # what the 3-second timer does
    dialog = _wait_for_addendum_window(qtbot, editor)
    assert dialog.text() == "Assessment:\nURI, likely viral"
    assert editor.signed
    dialog.reject()  # dropped on purpose: the chart closes without asking again
    closed: list[bool] = []
    editor.before_close(closed.append)
    qtbot.waitUntil(lambda: bool(closed), timeout=5000)
    assert closed == [True]
