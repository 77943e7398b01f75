"""Problem list service: coded entries, ordering, entered-in-error, roles, conflicts, audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from desktop.services.errors import ConflictError, PermissionDenied, ServiceError, ValidationError
from desktop.services.problems import (
    ProblemInput,
    add_problem,
    list_problems,
    mark_problem_in_error,
    update_problem,
)


def test_add_coded_problem_takes_the_icd_description(as_role, patient, audit_rows):
    with as_role("physician") as uow:
        row = add_problem(uow, patient.id, ProblemInput(icd10_code="i10", onset_date=date(2019, 3, 1)))
    assert (row.icd10_code, row.description, row.status) == ("I10", "Essential (primary) hypertension", "active")
    assert audit_rows("problem") == [("create", str(row.id), patient.id, "I10 Essential (primary) hypertension")]


def test_uncoded_problem_and_validation(as_role, patient):
    with as_role("nurse") as uow:
        row = add_problem(uow, patient.id, ProblemInput(description="Chronic fatigue (pt description)"))
    assert row.icd10_code == ""
    with pytest.raises(ValidationError) as err, as_role("physician") as uow:
        add_problem(uow, patient.id, ProblemInput(
            icd10_code="X99.99", snomed_code="12ab", onset_date=date.today() + timedelta(days=2)))
    assert set(err.value.errors) >= {"icd10_code", "snomed_code", "onset_date"}
    with pytest.raises(ValidationError) as err, as_role("physician") as uow:
        add_problem(uow, patient.id, ProblemInput(description="Gout", onset_date=date(2020, 1, 1),
                                                  resolved_date=date(2019, 1, 1), status="resolved"))
    assert "resolved_date" in err.value.errors


def test_same_active_code_twice_is_refused(as_role, patient):
    with as_role("physician") as uow:
        add_problem(uow, patient.id, ProblemInput(icd10_code="E11.9"))
    with pytest.raises(ValidationError) as err, as_role("physician") as uow:
        add_problem(uow, patient.id, ProblemInput(icd10_code="E119"))
    assert "already an active problem" in err.value.errors["icd10_code"]


def test_active_listed_first(as_role, patient):
    with as_role("physician") as uow:
        add_problem(uow, patient.id, ProblemInput(icd10_code="J06.9", status="resolved",
                                                  onset_date=date(2023, 1, 1), resolved_date=date(2023, 1, 9)))
        add_problem(uow, patient.id, ProblemInput(icd10_code="I10", onset_date=date(2015, 1, 1)))
        add_problem(uow, patient.id, ProblemInput(icd10_code="E78.5", status="inactive"))
        add_problem(uow, patient.id, ProblemInput(icd10_code="E11.9", onset_date=date(2020, 1, 1)))
        rows = list_problems(uow, patient.id)
    assert [r.icd10_code for r in rows] == ["E11.9", "I10", "E78.5", "J06.9"]


def test_edit_resolve_and_audit(as_role, patient, audit_rows):
    with as_role("physician") as uow:
        row = add_problem(uow, patient.id, ProblemInput(icd10_code="J02.9", onset_date=date(2024, 2, 1)))
    with as_role("nurse") as uow:
        new = update_problem(uow, row.id, ProblemInput(
            description=row.description, icd10_code="J02.9", onset_date=date(2024, 2, 1),
            resolved_date=date(2024, 2, 10), status="resolved"), row.version)
    assert (new.status, new.resolved_date, new.version) == ("resolved", date(2024, 2, 10), row.version + 1)
    action, _id, pid, summary = audit_rows("problem")[-1]
    assert action == "update" and pid == patient.id and "Resolved" in summary and "Status" in summary


def test_stale_version_raises_conflict_with_both_versions(as_role, patient):
    with as_role("physician") as uow:
        row = add_problem(uow, patient.id, ProblemInput(icd10_code="I10"))
    with as_role("nurse") as uow:
        update_problem(uow, row.id, ProblemInput(icd10_code="I10", description=row.description,
                                                 note="home readings 150s"), row.version)
    with pytest.raises(ConflictError) as err, as_role("physician") as uow:
        update_problem(uow, row.id, ProblemInput(icd10_code="I10", description=row.description,
                                                 note="well controlled"), row.version)
    c = err.value
    assert c.mine["note"] == "well controlled" and c.theirs["note"] == "home readings 150s"
    assert c.their_version == row.version + 1 and c.changed_by == "Nora Quinn, RN"


def test_entered_in_error_needs_a_reason_and_hides_the_row(as_role, patient, audit_rows):
    with as_role("physician") as uow:
        row = add_problem(uow, patient.id, ProblemInput(icd10_code="E66.9"))
    with pytest.raises(ValidationError), as_role("physician") as uow:
        mark_problem_in_error(uow, row.id, "   ", row.version)
    with as_role("physician") as uow:
        gone = mark_problem_in_error(uow, row.id, "wrong patient", row.version)
        assert gone.entered_in_error and gone.error_reason == "wrong patient"
        assert list_problems(uow, patient.id) == []
        shown = list_problems(uow, patient.id, include_errors=True)
    assert [r.id for r in shown] == [row.id] and shown[0].entered_in_error
    assert audit_rows("problem")[-1][0] == "error" and "wrong patient" in audit_rows("problem")[-1][3]
    with pytest.raises(ServiceError), as_role("physician") as uow:
        update_problem(uow, row.id, ProblemInput(icd10_code="E66.9"), gone.version)


@pytest.mark.parametrize("role", ["front_desk", "admin"])
def test_non_clinical_roles_cannot_read_or_write(as_role, patient, role):
    with as_role("physician") as uow:
        row = add_problem(uow, patient.id, ProblemInput(icd10_code="I10"))
    with pytest.raises(PermissionDenied), as_role(role) as uow:
        list_problems(uow, patient.id)
    with pytest.raises(PermissionDenied), as_role(role) as uow:
        add_problem(uow, patient.id, ProblemInput(icd10_code="E11.9"))
    with pytest.raises(PermissionDenied), as_role(role) as uow:
        mark_problem_in_error(uow, row.id, "x", row.version)
