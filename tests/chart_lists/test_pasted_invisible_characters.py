"""Allergies and medications pasted from a web page, a PDF or a word processor carry characters nobody sees: a
zero-width space, a soft hyphen (PDF hyphenation), a NUL. "Peni<zero-width space>cillin" looked like penicillin
in the form but was stored as an unknown substance, so prescribing amoxicillin raised no alert; the same hid a
free-text drug from the interaction check. They are dropped before the entry is read and stored."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication

from desktop.services.alert_decisions import NeedsDecision
from desktop.services.allergies import AllergyInput, add_allergy, list_allergies
from desktop.services.medications import MedicationInput, add_medication, list_medications

pytestmark = pytest.mark.gui

PASTED_PENICILLIN = ["Peni\u200bcillin", "Penicil\u00adlin", "Pen\x00icillin", "\u200ePenicillin\u200d"]


@pytest.mark.parametrize("pasted", PASTED_PENICILLIN)
def test_an_allergy_pasted_with_invisible_characters_is_the_drug_it_shows(qtbot, db, chart_view, patient, nurse,
                                                                           pasted):
    view = chart_view(role="nurse", tab="allergies")
    page = view.page("allergies")
    qtbot.waitUntil(lambda: page._loading == 0, timeout=5000)
    page.add()
    dialog = page.editor
    QGuiApplication.clipboard().setText(pasted)
    dialog.substance.setFocus()
    dialog.substance.paste()
    dialog.save_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.chart.ops.pending == 0, timeout=8000)
    qtbot.waitUntil(lambda: view.banner.allergies.text() == "Allergies: Penicillins", timeout=5000)
    with db.uow(nurse) as uow:
        [row] = list_allergies(uow, patient.id)
    assert (row.substance, row.code_system) == ("Penicillins", "class")


def test_a_drug_pasted_with_a_soft_hyphen_meets_the_allergy(as_role, db, patient):
    with as_role("physician") as uow:
        add_allergy(uow, patient.id, AllergyInput(substance="Penicillin", reaction="Hives"))
        need = add_medication(uow, patient.id, MedicationInput(drug_name="amoxi\u00adcillin 500 mg",
                                                               sig="1 cap tid\u200b"))
    assert isinstance(need, NeedsDecision)
    assert any("penicillin" in a.message.lower() for a in need.pending)
    with as_role("physician") as uow:
        assert list_medications(uow, patient.id) == []  # nothing saved until decided


def test_one_line_fields_pasted_with_line_breaks_are_one_line_and_notes_keep_theirs(as_role, patient):
    from desktop.services.problems import ProblemInput, add_problem, list_problems

    with as_role("physician") as uow:
        add_medication(uow, patient.id, MedicationInput(drug_name="Grandma's\nherbal  tea", sig="1 cup\r\n daily",
                                                        note="From the health shop.\nStopped in May."))
        add_problem(uow, patient.id, ProblemInput(description="Chronic\tlow back pain\n", note="Line 1\nLine 2"))
    with as_role("physician") as uow:
        [med] = list_medications(uow, patient.id)
        [problem] = list_problems(uow, patient.id)
    assert (med.drug_name, med.sig, med.note) == ("Grandma's herbal tea", "1 cup daily",
                                                  "From the health shop.\nStopped in May.")
    assert (problem.description, problem.note) == ("Chronic low back pain", "Line 1\nLine 2")
