"""A date of the chart before the patient was born is a typing slip (2010 for 2020): every service that takes
one refuses it at its field, on adding and on editing, and writes nothing. The day of birth itself is fine."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from desktop.models import (
    Allergy,
    Encounter,
    Immunization,
    LabResult,
    Medication,
    Problem,
    ProcedureHistory,
    SocialHistory,
    VitalSign,
)
from desktop.services import (
    allergies,
    encounters,
    immunizations,
    medications,
    problems,
    procedure_history,
    results,
    social_history,
    vitals,
)
from desktop.services.errors import ValidationError

BORN = date(2020, 6, 1)
SLIP = date(2010, 6, 1)


@pytest.fixture
def child(add_patient):
    return add_patient(given="Mia", family="Young", birth_date=BORN)


def _count(db, model) -> int:
    with db.uow() as uow:
        return uow.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize(("role", "model", "field", "add"), [
    ("nurse", VitalSign, "taken_at", lambda uow, pid, day: vitals.record_vitals(
        uow, pid, vitals.VitalsInput(heart_rate=110, taken_at=datetime.combine(day, datetime.min.time())
                                     .replace(hour=10).astimezone()))),
    ("physician", Encounter, "encounter_date", lambda uow, pid, day: encounters.create_encounter(
        uow, pid, encounters.EncounterInput(encounter_date=datetime.combine(day, datetime.min.time())
                                            .replace(hour=10)))),
    ("nurse", Immunization, "date_given", lambda uow, pid, day: immunizations.add_immunization(
        uow, pid, immunizations.ImmunizationInput(cvx_code="08", date_given=day, lot_number="HB123"))),
    ("physician", Problem, "onset_date", lambda uow, pid, day: problems.add_problem(
        uow, pid, problems.ProblemInput(description="Asthma", onset_date=day))),
    ("physician", Medication, "start_date", lambda uow, pid, day: medications.add_medication(
        uow, pid, medications.MedicationInput(drug_name="albuterol inhaler", start_date=day))),
    ("physician", Allergy, "onset_date", lambda uow, pid, day: allergies.add_allergy(
        uow, pid, allergies.AllergyInput(substance="Peanut", category="food", onset_date=day))),
    ("nurse", LabResult, "collected_at", lambda uow, pid, day: results.record_results(
        uow, pid, results.PanelInput(collected_at=datetime.combine(day, datetime.min.time()).replace(hour=10),
                                     results=(results.ResultInput(name="Hemoglobin", value=15.0, unit="g/dL"),)))),
    ("physician", ProcedureHistory, "performed_date", lambda uow, pid, day: procedure_history.add_procedure(
        uow, pid, procedure_history.ProcedureInput(description="Circumcision", performed_date=day))),
    ("nurse", SocialHistory, "observed_date", lambda uow, pid, day: social_history.add_entry(
        uow, pid, social_history.SocialInput(kind="smoking", value_text="Never smoker", observed_date=day))),
])
def test_a_date_before_birth_is_refused_at_its_field_and_the_birthday_is_not(db, as_role, child, role, model,
                                                                                 field, add):
    with as_role(role) as uow, pytest.raises(ValidationError) as refused:
        add(uow, child.id, SLIP)
    assert "before the patient's birth (2020-06-01)" in refused.value.errors[field]
    assert _count(db, model) == 0
    with as_role(role) as uow:
        add(uow, child.id, BORN)  # born that day: a hepatitis B dose, a newborn visit
    assert _count(db, model) >= 1


def test_editing_to_a_date_before_birth_is_refused_too(db, as_role, child):
    with as_role("physician") as uow:
        problem = problems.add_problem(uow, child.id, problems.ProblemInput(description="Eczema",
                                                                            onset_date=date(2021, 1, 1)))
        visit = encounters.create_encounter(uow, child.id, encounters.EncounterInput())
    with as_role("physician") as uow, pytest.raises(ValidationError) as refused:
        problems.update_problem(uow, problem.id, problems.ProblemInput(description="Eczema", onset_date=SLIP),
                                problem.version)
    assert "onset_date" in refused.value.errors
    with as_role("physician") as uow, pytest.raises(ValidationError) as refused:
        encounters.update_visit(uow, visit.id, encounters.VisitInput(
            encounter_date=datetime(2010, 6, 1, 10, 0), kind="office", provider_id=visit.provider_id),
            visit.version)
    assert "encounter_date" in refused.value.errors
    with db.uow() as uow:
        assert uow.session.get(Problem, problem.id).onset_date == date(2021, 1, 1)
