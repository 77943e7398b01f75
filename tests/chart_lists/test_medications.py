"""Medication list: coded from the formulary or uncoded free text, stop with reason, errors, roles, conflicts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from desktop.services.errors import ConflictError, PermissionDenied, ServiceError, ValidationError
from desktop.services.medications import (
    MedicationInput,
    add_medication,
    list_medications,
    mark_medication_in_error,
    stop_medication,
    update_medication,
)

LISINOPRIL = MedicationInput(formulary_id="lisinopril-10-tab", sig="1 tablet by mouth once daily",
                             start_date=date(2022, 1, 5))


def test_formulary_product_is_coded(as_role, patient, audit_rows):
    with as_role("nurse") as uow:
        row = add_medication(uow, patient.id, LISINOPRIL)
    assert row.coded and row.coding == "RxNorm 314076"
    assert (row.ingredient_rxcui, row.product_rxcui, row.ingredients) == ("29046", "314076", "lisinopril")
    assert row.drug_name.startswith("lisinopril 10 mg") and row.route == "oral"
    action, _id, pid, summary = audit_rows("medication")[0]
    assert (action, pid) == ("create", patient.id) and "RxNorm 314076" in summary


def test_combination_product_lists_both_ingredients(as_role, patient):
    with as_role("nurse") as uow:
        row = add_medication(uow, patient.id, MedicationInput(formulary_id="lisinopril-hctz-20-12_5-tab"))
    assert row.ingredients == "lisinopril+hydrochlorothiazide"


def test_free_text_is_stored_uncoded(as_role, patient):
    with as_role("nurse") as uow:
        row = add_medication(uow, patient.id, MedicationInput(
            drug_name="Grandma's herbal tea", sig="1 cup nightly", source="patient-reported"))
    assert not row.coded and row.coding == "uncoded"
    assert (row.ingredient_rxcui, row.product_rxcui, row.ingredients) == ("", "", "")
    assert row.source == "patient-reported"


def test_validation(as_role, patient):
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        add_medication(uow, patient.id, MedicationInput(formulary_id="no-such-drug",
                                                        start_date=date.today() + timedelta(days=3),
                                                        status="taking", source="internet"))
    assert set(err.value.errors) == {"formulary_id", "start_date", "status", "source"}
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        add_medication(uow, patient.id, MedicationInput())
    assert "drug_name" in err.value.errors


def test_same_product_active_twice_is_refused(as_role, patient):
    with as_role("nurse") as uow:
        add_medication(uow, patient.id, LISINOPRIL)
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        add_medication(uow, patient.id, LISINOPRIL)
    assert "already on the active list" in err.value.errors["formulary_id"]


def test_stop_with_reason_then_listed_after_active(as_role, patient, audit_rows):
    with as_role("physician") as uow:
        lis = add_medication(uow, patient.id, LISINOPRIL)
        add_medication(uow, patient.id, MedicationInput(formulary_id="atorvastatin-20-tab"))
    with pytest.raises(ValidationError), as_role("physician") as uow:
        stop_medication(uow, lis.id, "", lis.version)
    with as_role("physician") as uow:
        stopped = stop_medication(uow, lis.id, "dry cough", lis.version, stop_date=date(2024, 3, 1))
        rows = list_medications(uow, patient.id)
    assert (stopped.status, stopped.stop_date) == ("stopped", date(2024, 3, 1))
    assert "Stopped 2024-03-01: dry cough" in stopped.note
    assert [r.status for r in rows] == ["active", "stopped"]
    assert audit_rows("medication")[-1][0] == "stop" and "dry cough" in audit_rows("medication")[-1][3]
    with pytest.raises(ServiceError), as_role("physician") as uow:
        stop_medication(uow, lis.id, "again", stopped.version)


def test_edit_conflict_keeps_both_versions(as_role, patient):
    with as_role("nurse") as uow:
        row = add_medication(uow, patient.id, LISINOPRIL)
    with as_role("physician") as uow:
        update_medication(uow, row.id, MedicationInput(formulary_id=row.formulary_id, sig="2 tablets daily",
                                                       start_date=row.start_date), row.version)
    with pytest.raises(ConflictError) as err, as_role("nurse") as uow:
        update_medication(uow, row.id, MedicationInput(formulary_id=row.formulary_id, sig="1 tablet at night",
                                                       start_date=row.start_date), row.version)
    assert err.value.theirs["sig"] == "2 tablets daily" and err.value.mine["sig"] == "1 tablet at night"
    assert err.value.their_version == row.version + 1


def test_entered_in_error(as_role, patient, audit_rows):
    with as_role("nurse") as uow:
        row = add_medication(uow, patient.id, LISINOPRIL)
        gone = mark_medication_in_error(uow, row.id, "other patient's list", row.version)
        assert list_medications(uow, patient.id) == []
        assert [r.id for r in list_medications(uow, patient.id, include_errors=True)] == [row.id]
    assert gone.entered_in_error and audit_rows("medication")[-1][0] == "error"


@pytest.mark.parametrize("role", ["front_desk", "admin"])
def test_non_clinical_roles_refused(as_role, patient, role):
    with pytest.raises(PermissionDenied), as_role(role) as uow:
        add_medication(uow, patient.id, LISINOPRIL)
    with pytest.raises(PermissionDenied), as_role(role) as uow:
        list_medications(uow, patient.id)


def test_formulary_drug_without_a_verified_code_is_listed_by_name_and_exported_as_text(as_role, patient):
    """Issue 16: clarithromycin is in the formulary with no verified RXCUI: the chart keeps its ingredient name
    (so the checks work), shows it uncoded, and the FHIR export carries text, never an empty or made-up code."""
    from desktop.services.fhir_export import export_patient

    with as_role("nurse") as uow:
        row = add_medication(uow, patient.id, MedicationInput(formulary_id="clarithromycin-500-tab",
                                                              sig="1 tablet by mouth every 12 hours"))
        bundle = export_patient(uow, patient.id)
    assert not row.coded and row.coding == "uncoded" and row.ingredients == "clarithromycin"
    assert row.drug_name.startswith("clarithromycin 500 mg oral tablet")
    (stmt,) = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationStatement"]
    concept = stmt["medicationCodeableConcept"]
    assert "coding" not in concept and concept["text"].startswith("clarithromycin 500 mg")
