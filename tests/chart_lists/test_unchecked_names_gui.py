"""The chart's summary says why a medication is not checked: a supplement the knowledge base has nothing for,
or a near spelling of a known drug ("did you mean ...?"), never a silent match."""

from __future__ import annotations

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
