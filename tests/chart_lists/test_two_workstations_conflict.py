"""Two workstations edit the same allergy or medication. The second save opens the conflict dialog; its defaults
must keep both people's changes: a field only the other person changed used to start on "your version" (the
value the form was opened with), so Save quietly put a severity raised to severe back to mild. A medication
picked from the formulary also listed its name, ingredients and RxNorm codes as "(empty)" against the saved
ones, with "(empty)" chosen; and the few rows were spread over the whole dialog."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QRadioButton

from desktop.services.allergies import AllergyInput, add_allergy, list_allergies, update_allergy
from desktop.services.medications import MedicationInput, add_medication, list_medications, update_medication
from desktop.views.conflict_dialog import ConflictDialog

pytestmark = pytest.mark.gui


def _edit_first(qtbot, chart_view, kind):
    view = chart_view(role="physician", tab=kind)
    page = view.page(kind)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page._loading == 0, timeout=5000)
    page.table.selectRow(0)
    page.edit_selected()
    return page, page.editor


def _conflict(qtbot, dialog) -> ConflictDialog:
    dialog.save_button.click()
    qtbot.waitUntil(lambda: isinstance(getattr(dialog, "conflict_dialog", None), ConflictDialog), timeout=5000)
    return dialog.conflict_dialog


def _checked(conflict: ConflictDialog) -> dict[str, str]:
    return {key: ("mine" if conflict._choices[key].checkedId() == 1 else "theirs") for key in conflict.differing}


def test_an_allergy_keeps_my_reaction_and_their_severity(qtbot, db, chart_view, patient, physician, nurse):
    with db.uow(physician) as uow:
        add_allergy(uow, patient.id, AllergyInput(substance="Penicillin", reaction="Rash", severity="mild"))
    page, dialog = _edit_first(qtbot, chart_view, "allergies")
    with db.uow(nurse) as uow:  # the other workstation: the reaction was worse than recorded
        row = list_allergies(uow, patient.id)[0]
        update_allergy(uow, row.id, AllergyInput(substance="Penicillin", reaction="Rash", severity="severe"),
                       row.version)
    dialog.reaction.setEditText("Rash, hives")
    conflict = _conflict(qtbot, dialog)
    assert _checked(conflict) == {"reaction": "mine", "severity": "theirs"}
    conflict.resize(800, 660)
    qtbot.wait(50)
    first = conflict.findChildren(QRadioButton)[0]
    assert first.mapTo(conflict, first.rect().topLeft()).y() < 150  # the rows start at the top
    conflict.save_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    with db.uow(physician) as uow:
        saved = list_allergies(uow, patient.id)[0]
    assert (saved.reaction, saved.severity) == ("Rash, hives", "severe")


def test_a_formulary_medication_conflict_lists_only_what_was_changed(qtbot, db, chart_view, patient, physician,
                                                                      nurse):
    with db.uow(physician) as uow:
        add_medication(uow, patient.id, MedicationInput(formulary_id="lisinopril-10-tab", sig="Take 1 tablet daily"))
    page, dialog = _edit_first(qtbot, chart_view, "medications")
    with db.uow(nurse) as uow:
        row = list_medications(uow, patient.id)[0]
        update_medication(uow, row.id, MedicationInput(formulary_id="lisinopril-10-tab", sig="Take 1 tablet daily",
                                                       note="Patient takes it at night"), row.version)
    dialog.sig.setText("Take 2 tablets daily")
    conflict = _conflict(qtbot, dialog)
    assert _checked(conflict) == {"sig": "mine", "note": "theirs"}
    conflict.save_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    with db.uow(physician) as uow:
        saved = list_medications(uow, patient.id)[0]
    assert (saved.drug_name, saved.sig, saved.note) == ("lisinopril 10 mg oral tablet", "Take 2 tablets daily",
                                                        "Patient takes it at night")
    assert (saved.ingredient_rxcui, saved.product_rxcui) == ("29046", "314076")


def test_demographics_defaults_keep_their_phone_and_my_email(qtbot, app_ctx, add_patient, db):
    from dataclasses import replace

    from desktop.services import patients
    from desktop.views.patient_dialog import PatientDialog
    from tests.conftest import user_for

    p = add_patient(given="Ann", family="Lee", phone_home="(217) 555-0001")
    dialog = PatientDialog(app_ctx("nurse"), p)
    qtbot.addWidget(dialog)
    with db.uow(user_for("front_desk")) as uow:  # the front desk saves a new phone number meanwhile
        patients.update_patient(uow, p.id, replace(p.data, phone_home="(217) 555-0002"), p.version)
    dialog.inputs["email"].setText("ann@example.com")
    conflict = _conflict(qtbot, dialog)
    assert _checked(conflict) == {"phone_home": "theirs", "email": "mine"}
    conflict.save_button.click()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=5000)
    with db.uow(user_for("nurse")) as uow:
        saved = patients.get_patient(uow, p.id)
    assert (saved.data.phone_home, saved.data.email) == ("(217) 555-0002", "ann@example.com")
