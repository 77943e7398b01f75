"""chart_summary: what the Summary tab shows, in a fixed number of queries whatever the chart's size."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert

from desktop.models import Encounter, VitalSign
from desktop.services.allergies import AllergyInput, add_allergy, record_nkda
from desktop.services.errors import PermissionDenied
from desktop.services.medications import MedicationInput, add_medication, stop_medication
from desktop.services.problems import ProblemInput, add_problem
from desktop.services.summary import ENCOUNTERS_SHOWN, chart_summary
from desktop.services.vitals import VitalsInput, record_vitals
from tests.conftest import earlier_today


def _encounters(db, patient_id: int, n: int, start: datetime) -> None:
    with db.uow() as uow:
        uow.session.execute(insert(Encounter), [
            {"patient_id": patient_id, "encounter_date": start + timedelta(days=7 * i), "kind": "office",
             "reason": f"visit {i}", "status": "signed" if i % 2 else "draft", "provider_id": 1, "version": 1}
            for i in range(n)])


def _vitals(db, patient_id: int, sets: int, start: datetime) -> None:
    rows = []
    for i in range(sets):
        taken = start + timedelta(days=i)
        for loinc, value, unit in (("8480-6", 120 + i % 30, "mm[Hg]"), ("8462-4", 75, "mm[Hg]"),
                                   ("8867-4", 70, "/min"), ("29463-7", 80.5, "kg"), ("8302-2", 170, "cm")):
            rows.append({"patient_id": patient_id, "set_id": f"s{i}", "taken_at": taken, "loinc": loinc,
                         "value": value, "unit": unit, "origin": "clinic", "version": 1})
    with db.uow() as uow:
        uow.session.execute(insert(VitalSign), rows)


def test_summary_content(db, as_role, patient):
    with as_role("physician") as uow:
        add_problem(uow, patient.id, ProblemInput(icd10_code="I10", onset_date=date(2018, 1, 1)))
        add_problem(uow, patient.id, ProblemInput(icd10_code="J06.9", status="resolved",
                                                  resolved_date=date(2023, 1, 9)))
        lis = add_medication(uow, patient.id, MedicationInput(formulary_id="lisinopril-10-tab", sig="1 daily"))
        add_medication(uow, patient.id, MedicationInput(formulary_id="atorvastatin-20-tab"))
        add_allergy(uow, patient.id, AllergyInput(substance="Penicillin", reaction="hives"))
        add_allergy(uow, patient.id, AllergyInput(substance="Latex", category="environment"))
        record_vitals(uow, patient.id, VitalsInput(systolic=150, diastolic=95, heart_rate=72, spo2=98,
                                                   weight=80, height=170,
                                                   taken_at=earlier_today()))
    with as_role("physician") as uow:
        stop_medication(uow, lis.id, "cough", lis.version)
    _encounters(db, patient.id, 8, datetime(2024, 1, 1, 9, 0, tzinfo=UTC))
    with as_role("nurse") as uow:
        s = chart_summary(uow, patient.id)
    assert [p.icd10_code for p in s.problems] == ["I10"]
    assert [m.drug_name.split()[0] for m in s.medications] == ["atorvastatin"]
    # "Penicillin" typed is the penicillin class: shown by the class's name
    assert (s.allergy_status, s.has_allergies) == ("Latex, Penicillins", True)
    assert [a.substance for a in s.allergies] == ["Latex", "Penicillins"]
    vitals = {v.label: v for v in s.vitals}
    assert vitals["Blood pressure"].text == "150/95 mmHg" and vitals["Blood pressure"].flag == "high"
    assert vitals["Heart rate"].flag == "" and vitals["BMI"].text.startswith("27.7")
    assert [v.label for v in s.vitals][:2] == ["Blood pressure", "Heart rate"]
    assert s.vitals_taken_at is not None
    assert len(s.encounters) == ENCOUNTERS_SHOWN
    assert [e.reason for e in s.encounters] == ["visit 7", "visit 6", "visit 5", "visit 4", "visit 3"]
    assert s.encounters[0].provider == "Dr. Ana Lima"
    c = s.counts
    assert (c.problems, c.active_problems, c.medications, c.active_medications, c.allergies, c.encounters) == \
        (2, 1, 2, 1, 2, 8)
    assert c.vitals == 7  # 6 typed + BMI


def test_empty_chart_says_so(as_role, patient):
    with as_role("nurse") as uow:
        s = chart_summary(uow, patient.id)
    assert (s.allergy_status, s.problems, s.medications, s.vitals, s.encounters) == \
        ("Allergies not recorded", [], [], [], [])
    with as_role("nurse") as uow:
        record_nkda(uow, patient.id)
        assert chart_summary(uow, patient.id).allergy_status == "NKDA"


def test_query_count_does_not_grow_with_the_chart(db, as_role, add_patient, count_sql):
    small, large = add_patient(given="Small", family="Chart"), add_patient(given="Large", family="Chart")
    start = datetime(2015, 1, 1, 9, 0, tzinfo=UTC)
    _encounters(db, small.id, 2, start)
    _encounters(db, large.id, 500, start)
    _vitals(db, small.id, 2, start)
    _vitals(db, large.id, 1000, start)
    with as_role("physician") as uow:
        for pid in (small.id, large.id):
            add_problem(uow, pid, ProblemInput(icd10_code="I10"))
            add_allergy(uow, pid, AllergyInput(substance="Latex", category="environment"))
    counts = []
    for pid in (small.id, large.id):
        with as_role("physician") as uow, count_sql() as counter:
            s = chart_summary(uow, pid)
        counts.append(len(counter.selects))
    # + social, procedure and family history (issue 18), + the latest key lab results (issue 15)
    # + the reader's display units, one query (issue 14)
    assert counts[0] == counts[1] <= 8 + 3 + 1 + 1, counts
    assert s.counts.encounters == 500 and s.counts.vitals == 5000 and len(s.encounters) == ENCOUNTERS_SHOWN


@pytest.mark.parametrize("role", ["front_desk", "admin"])
def test_non_clinical_roles_refused(as_role, patient, role):
    with pytest.raises(PermissionDenied), as_role(role) as uow:
        chart_summary(uow, patient.id)
