"""Immunizations: CVX from the vaccine list, given here or historical, duplicates refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from desktop.services.errors import ConflictError, PermissionDenied, ValidationError
from desktop.services.immunizations import (
    ImmunizationInput,
    add_immunization,
    list_immunizations,
    mark_immunization_in_error,
    update_immunization,
)

FLU = ImmunizationInput(cvx_code="140", date_given=date(2024, 10, 2), lot_number="FL2231", site="left deltoid",
                        route="intramuscular", dose_number="1")


def test_given_here_records_the_catalogue_name(as_role, patient, audit_rows):
    with as_role("nurse") as uow:
        row = add_immunization(uow, patient.id, FLU)
    assert row.vaccine.startswith("Influenza vaccine") and row.given_here and row.origin == "given here"
    action, _id, pid, summary = audit_rows("immunization")[0]
    assert (action, pid) == ("create", patient.id) and "CVX 140" in summary and "FL2231" in summary


def test_historical_needs_a_source_and_no_lot(as_role, patient):
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        add_immunization(uow, patient.id, ImmunizationInput(cvx_code="03", date_given=date(1990, 5, 1),
                                                            given_here=False))
    assert set(err.value.errors) == {"historical_source"}
    with as_role("nurse") as uow:
        row = add_immunization(uow, patient.id, ImmunizationInput(
            cvx_code="3", date_given=date(1990, 5, 1), given_here=False, historical_source="paper card"))
    assert row.cvx_code == "03" and row.origin == "historical: paper card"


def test_same_vaccine_same_day_is_refused_with_a_clear_message(as_role, patient):
    with as_role("nurse") as uow:
        add_immunization(uow, patient.id, FLU)
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        add_immunization(uow, patient.id, FLU)
    assert "already recorded" in err.value.errors["date_given"] and "2024-10-02" in err.value.errors["date_given"]
    with as_role("nurse") as uow:  # another vaccine the same day, or the same next season, is fine
        add_immunization(uow, patient.id, ImmunizationInput(cvx_code="115", date_given=FLU.date_given, lot_number="T1"))
        add_immunization(uow, patient.id, ImmunizationInput(cvx_code="140", date_given=date(2025, 10, 1),
                                                            lot_number="FL9"))
        rows = list_immunizations(uow, patient.id)
    assert [r.date_given for r in rows] == [date(2025, 10, 1), date(2024, 10, 2), date(2024, 10, 2)]


def test_validation(as_role, patient):
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        add_immunization(uow, patient.id, ImmunizationInput(cvx_code="99999", date_given=date.today() + timedelta(1),
                                                            site="elbow"))
    assert set(err.value.errors) >= {"cvx_code", "date_given", "lot_number", "site"}


def test_edit_conflict_and_entered_in_error(as_role, patient, audit_rows):
    with as_role("nurse") as uow:
        row = add_immunization(uow, patient.id, FLU)
    with as_role("physician") as uow:
        update_immunization(uow, row.id, replace(FLU, site="right deltoid"), row.version)
    with pytest.raises(ConflictError) as err, as_role("nurse") as uow:
        update_immunization(uow, row.id, FLU, row.version)
    assert err.value.theirs["site"] == "right deltoid" and err.value.mine["site"] == "left deltoid"
    with as_role("nurse") as uow:
        gone = mark_immunization_in_error(uow, row.id, "duplicate of registry record", err.value.their_version)
        assert gone.entered_in_error and list_immunizations(uow, patient.id) == []
        add_immunization(uow, patient.id, FLU)  # the slot is free again
    assert [r[0] for r in audit_rows("immunization")] == ["create", "update", "error", "create"]


@pytest.mark.parametrize("role", ["front_desk", "admin"])
def test_non_clinical_roles_refused(as_role, patient, role):
    with pytest.raises(PermissionDenied), as_role(role) as uow:
        add_immunization(uow, patient.id, FLU)
    with pytest.raises(PermissionDenied), as_role(role) as uow:
        list_immunizations(uow, patient.id)
