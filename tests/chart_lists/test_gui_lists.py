"""GUI: allergies (banner, duplicates, NKDA), medications (formulary, uncoded, stop, alerts), immunizations and the
Summary tab, driven through the real chart view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer

from desktop.services.allergies import list_allergies
from desktop.services.medications import MedicationInput, add_medication, list_medications

pytestmark = pytest.mark.gui


def _rows(qtbot, page, n: int) -> None:
    qtbot.waitUntil(lambda: page.model.rowCount() == n and page._loading == 0 and page.chart.ops.pending == 0,
                    timeout=8000)  # saves run in a worker too: wait until nothing is on its way


def _banner(view) -> str:
    return view.banner.allergies.text()


def test_adding_an_allergy_turns_the_banner_red(qtbot, db, chart_view, patient, nurse):
    view = chart_view(role="nurse", tab="allergies")
    page = view.page("allergies")
    qtbot.waitUntil(lambda: _banner(view) == "Allergies not recorded", timeout=5000)
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.empty, timeout=5000)
    assert page.empty.text().startswith("Allergies not recorded")
    page.add()
    dialog = page.editor
    qtbot.keyClicks(dialog.substance, "Penicillin")
    dialog.reaction.setEditText("Hives")
    dialog.severity.setCurrentIndex(dialog.severity.findData("moderate"))
    dialog.save_button.click()
    _rows(qtbot, page, 1)
    qtbot.waitUntil(lambda: "Penicillin" in _banner(view), timeout=5000)
    assert _banner(view) == "Allergies: Penicillins"
    assert "#c0392b" in view.banner.allergies.styleSheet()  # red
    with db.uow(nurse) as uow:
        assert [a.substance for a in list_allergies(uow, patient.id)] == ["Penicillins"]


def test_entering_the_same_allergy_again_keeps_one_row(qtbot, db, chart_view, patient, nurse, messages):
    view = chart_view(role="nurse", tab="allergies")
    page = view.page("allergies")
    for typed, reaction in (("Penicillin", "Rash"), ("PENICILLIN ", "Anaphylaxis")):
        page.add()
        dialog = page.editor
        qtbot.keyClicks(dialog.substance, typed)
        if typed.startswith("PEN"):
            assert "Already listed" in dialog.listed_hint.text()
        dialog.reaction.setEditText(reaction)
        dialog.save_button.click()
        _rows(qtbot, page, 1)
    assert page.model.row_at(0).reaction == "Anaphylaxis"
    assert any("already listed" in text for _t, text in messages.shown)
    with db.uow(nurse) as uow:
        assert len(list_allergies(uow, patient.id)) == 1


def test_nkda_button_and_banner(qtbot, chart_view, messages):
    view = chart_view(role="nurse", tab="allergies")
    page = view.page("allergies")
    qtbot.waitUntil(lambda: page._loading == 0 and page.nkda_button.isEnabled(), timeout=5000)
    page.nkda_button.click()  # the recorder answers "yes" to the confirmation
    _rows(qtbot, page, 1)
    qtbot.waitUntil(lambda: _banner(view) == "NKDA", timeout=5000)
    assert not page.nkda_button.isEnabled()


def test_add_coded_and_uncoded_medications_and_stop_one(qtbot, db, chart_view, patient, physician):
    view = chart_view(tab="medications")
    page = view.page("medications")
    qtbot.waitUntil(lambda: page._loading == 0, timeout=5000)
    page.add()
    dialog = page.editor
    qtbot.keyClicks(dialog.drug.edit, "lisinopril 10")
    qtbot.waitUntil(lambda: bool(dialog.drug.results()), timeout=3000)
    qtbot.keyClick(dialog.drug.edit, Qt.Key.Key_Return)
    assert dialog.drug.chosen.id == "lisinopril-10-tab" and dialog.coding.text().startswith("Coded: RxNorm 314076")
    assert dialog.sig.text() == dialog.drug.chosen.default_sig and dialog.strength.isReadOnly()
    dialog.save_button.click()
    _rows(qtbot, page, 1)

    page.add()
    dialog = page.editor
    qtbot.keyClicks(dialog.drug.edit, "Grandmas herbal tea")
    qtbot.waitUntil(lambda: "Uncoded" in dialog.coding.text(), timeout=3000)
    dialog.source.setCurrentIndex(dialog.source.findData("patient-reported"))
    dialog.save_button.click()
    _rows(qtbot, page, 2)
    coding = {r.drug_name: r.coding for r in page.model.rows()}
    assert coding["Grandmas herbal tea"] == "uncoded" and coding["lisinopril 10 mg oral tablet"] == "RxNorm 314076"

    page.select_id(next(r.id for r in page.model.rows() if r.coded))
    page.stop_selected()
    stop = page.stop_dialog
    stop.ok_button.click()  # no reason: refused
    assert stop.isVisible() and stop.error.isVisible()
    stop.reason_edit.setText("dry cough")
    stop.ok_button.click()
    qtbot.waitUntil(lambda: any(r.status == "stopped" for r in page.model.rows()), timeout=5000)
    with db.uow(physician) as uow:
        rows = {r.drug_name: r for r in list_medications(uow, patient.id)}
    assert rows["lisinopril 10 mg oral tablet"].status == "stopped"
    assert "dry cough" in rows["lisinopril 10 mg oral tablet"].note


def test_interacting_drug_opens_the_alert_modal_and_cancel_saves_nothing(qtbot, db, chart_view, patient, physician):
    with db.uow(physician) as uow:
        add_medication(uow, patient.id, MedicationInput(formulary_id="warfarin-5-tab"))
    view = chart_view(tab="medications")
    page = view.page("medications")
    _rows(qtbot, page, 1)
    page.add()
    dialog = page.editor
    qtbot.keyClicks(dialog.drug.edit, "ibuprofen 400")
    qtbot.waitUntil(lambda: bool(dialog.drug.results()), timeout=3000)
    qtbot.keyClick(dialog.drug.edit, Qt.Key.Key_Return)
    seen = []

    def answer(override: bool) -> None:
        from PySide6.QtWidgets import QApplication

        modal = QApplication.activeModalWidget()
        assert modal is dialog.alert_dialog
        seen.append([a.message for a in modal.alerts])
        if override:
            modal.reason_box.setCurrentIndex(modal.reason_box.findText("Will monitor"))
            modal.override_button.click()
        else:
            modal.cancel_button.click()

    QTimer.singleShot(50, lambda: answer(False))
    dialog.save_button.click()  # the save runs in a worker; its answer (alerts to decide) opens the modal
    qtbot.waitUntil(lambda: bool(seen) and dialog.save_button.isEnabled(), timeout=5000)
    assert dialog.isVisible()  # cancelled: nothing saved, the form keeps what was typed
    with db.uow(physician) as uow:
        assert len(list_medications(uow, patient.id)) == 1
    QTimer.singleShot(50, lambda: answer(True))
    dialog.save_button.click()
    _rows(qtbot, page, 2)


def test_record_immunization(qtbot, db, chart_view, patient, nurse):
    view = chart_view(role="nurse", tab="immunizations")
    page = view.page("immunizations")
    qtbot.waitUntil(lambda: page._loading == 0, timeout=5000)
    assert page.empty.text() == "No immunizations recorded."
    page.add()
    dialog = page.editor
    assert dialog.select_cvx("115")
    dialog.save_button.click()  # lot number missing for a dose given here
    qtbot.waitUntil(dialog.errors["lot_number"].isVisible, timeout=5000)
    dialog.lot.setText("TD4431")
    dialog.site.setCurrentIndex(dialog.site.findData("right deltoid"))
    dialog.save_button.click()
    _rows(qtbot, page, 1)
    assert page.model.row_at(0).cvx_code == "115" and page.model.row_at(0).route == "intramuscular"
    page.add()  # the same vaccine on the same day: refused beside the date
    dialog = page.editor
    dialog.select_cvx("115")
    dialog.lot.setText("TD4431")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "already recorded" in dialog.errors["date_given"].text(), timeout=5000)
    assert dialog.isVisible()


def test_summary_tab_shows_the_chart(qtbot, db, chart_view, patient, physician):
    from desktop.services.alert_decisions import Decision
    from desktop.services.allergies import AllergyInput, add_allergy
    from desktop.services.problems import ProblemInput, add_problem
    from desktop.services.vitals import VitalsInput, record_vitals

    with db.uow(physician) as uow:
        add_problem(uow, patient.id, ProblemInput(icd10_code="I10"))
        add_medication(uow, patient.id, MedicationInput(formulary_id="warfarin-5-tab"))
        advil = MedicationInput(drug_name="Advil", source="patient-reported")
        need = add_medication(uow, patient.id, advil)  # warfarin + ibuprofen: a physician's decision
        add_medication(uow, patient.id, advil, Decision(overrides=tuple(
            (a, "Patient has tolerated this combination", "") for a in need.pending)))
        add_allergy(uow, patient.id, AllergyInput(substance="Latex", category="environment"))
        high = VitalsInput(systolic=182, diastolic=96, heart_rate=70)  # re-checked and acknowledged first
        need = record_vitals(uow, patient.id, high)
        record_vitals(uow, patient.id, high, Decision(acknowledged=tuple((a, "") for a in need.pending)))
    view = chart_view()
    page = view.page("summary")
    with qtbot.waitSignal(page.sig_ready, timeout=10000):
        pass
    text = {name: label.text() for name, label in (("problems", page.problems), ("meds", page.medications),
                                                   ("allergies", page.allergies), ("vitals", page.vitals))}
    assert "I10" in text["problems"] and "Essential (primary) hypertension" in text["problems"]
    assert "warfarin" in text["meds"] and "uncoded" in text["meds"]
    assert "Latex" in text["allergies"]
    assert "182/96 mmHg" in text["vitals"] and "#b00020" in text["vitals"]  # high BP in red
    assert page.alert_bar.count() >= 1  # warfarin + ibuprofen (Advil) is an unresolved alert
    assert "1 problems" in page.counts.text() or "1 problem" in page.counts.text()


def test_summary_says_so_when_alert_checking_is_unavailable(qtbot, chart_view, monkeypatch):
    import desktop.services.alerts as alerts_service
    from desktop.alerts import KnowledgeBaseUnavailable

    def broken():
        raise KnowledgeBaseUnavailable("interactions.json is not valid JSON")

    monkeypatch.setattr(alerts_service, "load_kb", broken)
    view = chart_view()
    page = view.page("summary")
    qtbot.waitUntil(lambda: page.alert_check is not None, timeout=10000)
    assert page.kb_banner.isVisible() and "unavailable" in page.kb_banner.text()


def test_drug_typeahead_down_then_enter_takes_the_first_match(qtbot, chart_view):
    """Issue 14.5 for the drug type-ahead: Down moves into the list at the highlighted first match."""
    view = chart_view(tab="medications")
    page = view.page("medications")
    qtbot.waitUntil(lambda: page._loading == 0, timeout=5000)
    page.add()
    dialog = page.editor
    qtbot.keyClicks(dialog.drug.edit, "lisinopril")
    qtbot.waitUntil(lambda: len(dialog.drug.results()) > 1, timeout=3000)
    first, second = dialog.drug.results()[:2]
    qtbot.keyClick(dialog.drug.edit, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.drug.table, Qt.Key.Key_Return)
    assert dialog.drug.chosen.id == first.id
    dialog.drug.edit.setFocus()
    dialog.drug.edit.clear()
    qtbot.keyClicks(dialog.drug.edit, "lisinopril")
    qtbot.waitUntil(lambda: len(dialog.drug.results()) > 1, timeout=3000)
    qtbot.keyClick(dialog.drug.edit, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.drug.table, Qt.Key.Key_Down)  # Down again: from the first to the second
    qtbot.keyClick(dialog.drug.table, Qt.Key.Key_Return)
    assert dialog.drug.chosen.id == second.id


def test_overridden_combination_stays_in_the_alert_bar_marked_overridden(qtbot, db, chart_view, patient, physician):
    """Warfarin added with its major alerts overridden: warfarin+apixaban and warfarin+naproxen are still active
    combinations, so the chart's alert bar keeps listing them, marked "overridden by NAME, DATE: reason"."""
    from desktop.services.alert_decisions import Decision, NeedsDecision

    with db.uow(physician) as uow:
        add_medication(uow, patient.id, MedicationInput(formulary_id="apixaban-5-tab"))
        need = add_medication(uow, patient.id, MedicationInput(formulary_id="naproxen-250-tab"))
        if isinstance(need, NeedsDecision):
            add_medication(uow, patient.id, MedicationInput(formulary_id="naproxen-250-tab"), Decision(
                overrides=tuple((a, "Will monitor", "") for a in need.pending)))
    with db.uow(physician) as uow:
        need = add_medication(uow, patient.id, MedicationInput(formulary_id="warfarin-5-tab"))
        assert isinstance(need, NeedsDecision) and len(need.pending) >= 2
        add_medication(uow, patient.id, MedicationInput(formulary_id="warfarin-5-tab"), Decision(
            overrides=tuple((a, "Benefit outweighs risk", "cardiology") for a in need.pending)))
    view = chart_view()
    page = view.page("summary")
    qtbot.waitUntil(lambda: page.alert_bar.count() > 0, timeout=10000)
    texts = [page.alert_bar.list.item(i).text() for i in range(page.alert_bar.list.count())]
    for other in ("apixaban", "naproxen"):
        line = next(t for t in texts if "warfarin" in t.lower() and other in t.lower())
        assert "overridden by" in line and "Benefit outweighs risk" in line, texts


@pytest.mark.parametrize("on_list, ordered, words", [
    ("warfarin-5-tab", "sertraline 50", ("warfarin", "sertraline")),  # a moderate interaction
    ("oxycodone-5-tab", "oxycodone 10", ("oxycodone", "two active medications")),  # a second opioid: duplicate
])
def test_moderate_and_duplicate_alerts_are_listed_while_ordering(qtbot, db, chart_view, patient, physician,
                                                                 on_list, ordered, words):
    """Every alert is listed at order time: a moderate or duplicate-therapy alert opens the same alert dialog,
    listed without blocking (no override reason; Continue saves)."""
    with db.uow(physician) as uow:
        add_medication(uow, patient.id, MedicationInput(formulary_id=on_list))
    view = chart_view(tab="medications")
    page = view.page("medications")
    _rows(qtbot, page, 1)
    page.add()
    dialog = page.editor
    qtbot.keyClicks(dialog.drug.edit, ordered)
    qtbot.waitUntil(lambda: bool(dialog.drug.results()), timeout=3000)
    qtbot.keyClick(dialog.drug.edit, Qt.Key.Key_Return)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: getattr(dialog, "alert_dialog", None) is not None
                    and dialog.alert_dialog.isVisible(), timeout=10000)
    modal = dialog.alert_dialog
    assert not modal.pending and modal.listed and modal.continue_button.isVisible()
    assert not modal.override_button.isVisible()
    text = " ".join(c.title.text().lower() for c in modal.listed_cards)
    assert all(w in text for w in words), text
    modal.continue_button.click()
    _rows(qtbot, page, 2)


def test_drug_typeahead_understands_an_abbreviation(qtbot, chart_view):
    """A nurse or physician types HCTZ: Enter takes hydrochlorothiazide on its own, not a combination."""
    view = chart_view(tab="medications")
    page = view.page("medications")
    qtbot.waitUntil(lambda: page._loading == 0, timeout=5000)
    page.add()
    dialog = page.editor
    qtbot.keyClicks(dialog.drug.edit, "HCTZ")
    qtbot.waitUntil(lambda: len(dialog.drug.results()) > 1, timeout=3000)
    qtbot.keyClick(dialog.drug.edit, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.drug.table, Qt.Key.Key_Return)
    assert [i.name for i in dialog.drug.chosen.ingredients] == ["hydrochlorothiazide"]


def test_summary_cuts_a_long_encounter_reason_in_its_table(qtbot, db, chart_view, patient, physician):
    """The Last encounters table is laid out without word wrap (a chart opens faster): a long reason is cut with an
    ellipsis there; the note keeps it whole."""
    from desktop.services.encounters import EncounterInput, create_encounter
    from desktop.views.chart.summary_tab import REASON_CHARS

    reason = "Follow-up of uncontrolled hypertension after the emergency visit last week"
    with db.uow(physician) as uow:
        saved = create_encounter(uow, patient.id, EncounterInput(reason=reason))
    view = chart_view()
    page = view.page("summary")
    with qtbot.waitSignal(page.sig_ready, timeout=10000):
        pass
    shown = page.encounters.text()
    assert reason[: REASON_CHARS - 1].rstrip() + "…" in shown and reason not in shown
    assert not page.encounters.wordWrap() and page.problems.wordWrap()
    with db.uow(physician) as uow:
        from desktop.models import Encounter

        assert uow.session.get(Encounter, saved.id).reason == reason


def test_drug_typeahead_reads_a_glued_strength_as_typed_apart(qtbot, chart_view):
    """Typed as a clinic writes it, HCTZ25 (strength glued on): Enter takes hydrochlorothiazide 25 mg alone; T3 (a
    thyroid hormone or Tylenol #3, never an abbreviation with a strength) offers nothing."""
    view = chart_view(tab="medications")
    page = view.page("medications")
    qtbot.waitUntil(lambda: page._loading == 0, timeout=5000)
    page.add()
    dialog = page.editor
    qtbot.keyClicks(dialog.drug.edit, "HCTZ25")
    qtbot.waitUntil(lambda: bool(dialog.drug.results())
                    and dialog.drug.results()[0].display.startswith("hydrochlorothiazide 25"), timeout=3000)
    qtbot.keyClick(dialog.drug.edit, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.drug.table, Qt.Key.Key_Return)
    assert [i.name for i in dialog.drug.chosen.ingredients] == ["hydrochlorothiazide"]
    assert dialog.drug.chosen.strength == "25 mg"
    dialog.drug.edit.clear()
    qtbot.keyClicks(dialog.drug.edit, "T3")
    # the search runs after a short pause in typing, and then says so
    qtbot.waitUntil(lambda: "Not in the formulary" in dialog.drug.status.text(), timeout=3000)
    assert dialog.drug.chosen is None and list(dialog.drug.results()) == []


def test_names_from_outside_are_shown_as_typed_not_as_markup(qtbot, db, patient, physician):
    """A medication name typed or imported from a file, and a patient's name, may hold '<': shown as text (a
    markup name such as '<s>...</s>' restyled the label or hid part of it)."""
    from PySide6.QtWidgets import QLabel

    from desktop.views.chart.medications_tab import StopDialog
    from desktop.views.prescription_editor import PrescriptionEditor, RxEditorServices

    with db.uow(physician) as uow:
        row = add_medication(uow, patient.id, MedicationInput(drug_name="<s>Grandmas</s> herbal tea"))
    stop = StopDialog(row)
    qtbot.addWidget(stop)
    editor = PrescriptionEditor(RxEditorServices(save_draft=None, sign=None), "<i>Lee</i>, Ann")
    qtbot.addWidget(editor)
    for dialog, words in ((stop, "<s>Grandmas</s> herbal tea"), (editor, "<i>Lee</i>, Ann")):
        label = next(x for x in dialog.findChildren(QLabel) if words in x.text())
        assert label.textFormat() == Qt.TextFormat.PlainText


def test_amox_clav_typed_in_the_form_meets_a_penicillin_allergy(qtbot, db, chart_view, patient, physician):
    """"amox/clav" typed as free text (no formulary pick) is read as amoxicillin + clavulanate: the penicillin
    allergy on the chart opens the alert modal (it was 'not checked' and saved without a word)."""
    from desktop.services.allergies import AllergyInput, add_allergy

    with db.uow(physician) as uow:
        add_allergy(uow, patient.id, AllergyInput(substance="Penicillin", reaction="hives"))
    view = chart_view(tab="medications")
    page = view.page("medications")
    qtbot.waitUntil(lambda: page._loading == 0, timeout=5000)
    page.add()
    dialog = page.editor
    qtbot.keyClicks(dialog.drug.edit, "amox/clav 875 mg")
    qtbot.waitUntil(lambda: "Uncoded" in dialog.coding.text() or bool(dialog.drug.results()), timeout=3000)
    seen = []

    def answer() -> None:
        from PySide6.QtWidgets import QApplication

        modal = QApplication.activeModalWidget()
        seen.append([a.message for a in getattr(modal, "alerts", [])])
        modal.cancel_button.click()

    QTimer.singleShot(50, answer)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(seen) and dialog.save_button.isEnabled(), timeout=5000)
    assert any("penicillin" in m.lower() for m in seen[0])
    with db.uow(physician) as uow:
        assert list_medications(uow, patient.id) == []  # cancelled: nothing saved
