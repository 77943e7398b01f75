"""The chart's summary says why a medication is not checked: a supplement the knowledge base has nothing for,
or a near spelling of a known drug ("did you mean ...?"), never a silent match."""

from __future__ import annotations

import pytest

from desktop.models import Medication


def test_the_summary_says_why_a_medication_is_not_checked(qtbot, db, chart_view, patient):
    with db.uow() as uow:  # an old list's free text, as a PHR merge or a paper list leaves it
        uow.session.add(Medication(patient_id=patient.id, drug_name="amoxacillin 500 mg", ingredients=""))
        uow.session.add(Medication(patient_id=patient.id, drug_name="melatonin 3 mg", ingredients=""))
    view = chart_view()
    page = view.page("summary")
    with qtbot.waitSignal(page.sig_ready, timeout=10000):
        pass
    text = page.unchecked.text()
    assert "amoxacillin 500 mg (did you mean 'amoxicillin'?)" in text
    assert "melatonin 3 mg (a melatonin supplement: no interaction data here)" in text


@pytest.mark.parametrize(("on_chart", "typed", "says"), [
    ("sildenafil 50 mg", "SL NTG 0.4 mg", "SL NTG 0.4 mg"),  # nitrate with a PDE5 inhibitor: contraindicated
    ("rifampin 300 mg", "OCP", "checked as a combined pill containing ethinyl estradiol"),
    ("spironolactone 25 mg", "K-Dur 20 mEq", "K-Dur 20 mEq"),
])
def test_names_typed_in_the_medication_form_open_the_alert_modal(qtbot, db, chart_view, patient, physician,
                                                                 on_chart, typed, says):
    """Typed as free text (no formulary pick): the GUI form's check reads the name like every other path."""
    from PySide6.QtCore import QTimer

    from desktop.alerts import drug_ref_from_text
    from desktop.kb.formulary import load_formulary
    from desktop.services.medications import list_medications

    ingredients = "+".join(drug_ref_from_text(on_chart, load_formulary()).ingredients)
    with db.uow() as uow:
        uow.session.add(Medication(patient_id=patient.id, drug_name=on_chart, ingredients=ingredients))
    view = chart_view(tab="medications")
    page = view.page("medications")
    qtbot.waitUntil(lambda: page._loading == 0, timeout=5000)
    page.add()
    dialog = page.editor
    qtbot.keyClicks(dialog.drug.edit, typed)
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
    assert any(says in m for m in seen[0]), seen
    with db.uow(physician) as uow:
        assert [m.drug_name for m in list_medications(uow, patient.id)] == [on_chart]  # cancelled: not saved
