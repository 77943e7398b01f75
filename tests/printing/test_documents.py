"""Summary and note documents built from the database: right content, few queries, recent rows only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select

from desktop.models import (
    Addendum,
    Allergy,
    Encounter,
    EncounterDiagnosis,
    Immunization,
    Medication,
    PrintRecord,
    Problem,
    VitalSign,
)
from desktop.services import documents
from desktop.services import prescriptions as rxs
from desktop.services.errors import NotFound, PermissionDenied, ServiceError
from tests.conftest import user_for

from .conftest import flat, pdf_text

NOW = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)


def fill_chart(db, patient_id: int, encounters: int = 300, vital_sets: int = 1500) -> None:
    """A big chart written in bulk: encounters, vitals (BP, HR, weight per set), lists."""
    with db.uow() as uow:
        s = uow.session
        s.add_all([
            Problem(patient_id=patient_id, description="Essential (primary) hypertension", icd10_code="I10",
                    onset_date=date(2015, 4, 1)),
            Problem(patient_id=patient_id, description="Old sprain", icd10_code="S93.401A", status="resolved"),
            Medication(patient_id=patient_id, drug_name="lisinopril 10 mg oral tablet",
                       sig="Take 1 tablet by mouth once a day", start_date=date(2020, 1, 1)),
            Medication(patient_id=patient_id, drug_name="stopped drug", status="stopped"),
            Allergy(patient_id=patient_id, substance="penicillins", substance_key="penicillins",
                    reaction="hives", severity="severe"),
            Immunization(patient_id=patient_id, vaccine="Influenza, seasonal", cvx_code="141",
                         date_given=date(2024, 10, 1)),
        ])
        rows = []
        for i in range(vital_sets):
            t = NOW - timedelta(days=i * 2)
            sid = f"set-{i}"
            for loinc, value, unit in (("8480-6", 120 + i % 30, "mm[Hg]"), ("8462-4", 70 + i % 15, "mm[Hg]"),
                                       ("8867-4", 70, "/min"), ("29463-7", 80 + (i % 7) / 10, "kg")):
                rows.append(dict(patient_id=patient_id, set_id=sid, taken_at=t, loinc=loinc, value=value, unit=unit,
                                 origin="clinic", version=1, entered_in_error=False))
        s.execute(insert(VitalSign), rows)
        s.execute(insert(Encounter), [
            dict(patient_id=patient_id, encounter_date=NOW - timedelta(days=7 * i), kind="office",
                 reason=f"Visit {i}", assessment=f"Assessment {i}", status="signed", signed_at=NOW,
                 provider_id=user_for("physician").id, signed_by_id=user_for("physician").id,
                 version=1, entered_in_error=False)
            for i in range(encounters)])


@pytest.fixture
def count_queries(db):
    counter = {"n": 0}

    def before(*_a):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    yield counter
    event.remove(db.engine, "before_cursor_execute", before)


def test_summary_of_a_large_chart_prints_recent_rows_with_few_queries(db, patient, count_queries):
    fill_chart(db, patient.id)
    count_queries["n"] = 0
    with db.uow(user_for("front_desk")) as uow:  # front desk prints summaries (DESIGN.md)
        data = documents.summary_data(uow, patient.mrn)
    # a fixed number, not one per row (+3: the histories, issue 18; +1: the reader's display units, issue 14)
    assert count_queries["n"] <= 20 + 3 + 1
    assert len(data.vitals) == documents.RECENT_VITAL_SETS
    assert data.vitals[0].systolic == 120 and data.vitals[0].diastolic == 70 and data.vitals[0].weight_kg == 80
    assert len(data.bp_trend) == documents.TREND_POINTS
    assert data.bp_trend[0].when < data.bp_trend[-1].when  # oldest first for the chart
    assert all(p.value2 is not None for p in data.bp_trend)
    assert len(data.encounters) == documents.RECENT_ENCOUNTERS and data.total_encounters == 300
    assert data.encounters[0].reason == "Visit 0" and data.encounters[0].provider == "Dr. Ana Lima"
    assert [p.description for p in data.problems] == ["Essential (primary) hypertension"]
    assert [m.name for m in data.medications] == ["lisinopril 10 mg oral tablet"]
    assert data.allergy_status == "recorded" and data.allergies[0].substance == "penicillins"


def test_summary_pdf_from_database(db, patient):
    fill_chart(db, patient.id, encounters=20, vital_sets=30)
    with db.uow(user_for("physician")) as uow:
        job = documents.summary_document(uow, patient.mrn)
        rxs.record_print(uow, job)
    text = flat(pdf_text(job.pdf))
    assert "José Núñez" in text and patient.mrn in text and "penicillins" in text
    assert "Recent encounters (last 10 of 20)" in text
    with db.uow(user_for("physician")) as uow:
        rec = uow.session.execute(select(PrintRecord)).scalar_one()
    assert rec.document == "summary" and rec.ref_id == patient.mrn and not rec.reprint


def test_nkda_and_unrecorded_allergies(db, patient, add_patient):
    with db.uow() as uow:
        uow.session.add(Allergy(patient_id=patient.id, substance="No known drug allergies",
                                substance_key="nkda", no_known_allergies=True))
    other = add_patient(given="Łukasz", family="Wiśniewski")
    with db.uow(user_for("physician")) as uow:
        assert documents.summary_data(uow, patient.mrn).allergy_status == "nkda"
        assert documents.summary_data(uow, other.mrn).allergy_status == "not recorded"


def test_unknown_mrn(db):
    with db.uow(user_for("physician")) as uow, pytest.raises(NotFound, match="MRN"):
        documents.summary_data(uow, "NOPE")


def _signed_note(db, patient_id: int) -> int:
    with db.uow() as uow:
        s = uow.session
        prob = Problem(patient_id=patient_id, description="Essential (primary) hypertension", icd10_code="I10")
        enc = Encounter(patient_id=patient_id, encounter_date=NOW, kind="office", reason="BP follow-up",
                        subjective="Feels well.", objective="BP 148/92", assessment="Not at goal.",
                        plan="Increase lisinopril.", status="signed", signed_at=NOW,
                        provider_id=user_for("physician").id, signed_by_id=user_for("physician").id)
        s.add_all([prob, enc])
        s.flush()
        s.add(EncounterDiagnosis(encounter_id=enc.id, problem_id=prob.id, rank=0))
        s.add(Addendum(encounter_id=enc.id, text="Potassium normal.", author_id=user_for("physician").id,
                       created_at=NOW + timedelta(days=1)))
        return enc.id


def test_note_pdf(db, patient, prescriber):
    enc_id = _signed_note(db, patient.id)
    with db.uow(user_for("nurse")) as uow:
        job = documents.note_document(uow, enc_id)
    text = flat(pdf_text(job.pdf))
    for expected in ["Encounter note", "José Núñez", "BP follow-up", "Feels well.", "Increase lisinopril.",
                     "I10 Essential (primary) hypertension", "Electronically signed by Ana Lima, MD",
                     "Addendum by Ana Lima, MD", "Potassium normal."]:
        assert expected in text, expected


def test_draft_note_is_not_printed_and_front_desk_cannot_print_notes(db, patient):
    enc_id = _signed_note(db, patient.id)
    with db.uow(user_for("front_desk")) as uow, pytest.raises(PermissionDenied):
        documents.note_data(uow, enc_id)
    with db.uow() as uow:
        uow.session.get(Encounter, enc_id).status = "draft"
    with db.uow(user_for("physician")) as uow, pytest.raises(ServiceError, match="signed"):
        documents.note_data(uow, enc_id)


def test_the_summary_prints_no_unsigned_note_text(db, patient):
    """A draft (template blanks and all) is not the record yet: the summary handed to the patient lists the
    visit, never its unsigned assessment."""
    with db.uow() as uow:
        uow.session.add_all([
            Encounter(patient_id=patient.id, encounter_date=NOW - timedelta(days=30), kind="office",
                      reason="Cough", assessment="Acute bronchitis", status="signed", signed_at=NOW,
                      provider_id=1, signed_by_id=1),
            Encounter(patient_id=patient.id, encounter_date=NOW, kind="office", reason="Hypertension follow-up",
                      assessment="Essential hypertension: {controlled/not at goal}", status="draft",
                      provider_id=1)])
    with db.uow(user_for("front_desk")) as uow:
        data = documents.summary_data(uow, patient.mrn)
        job = documents.summary_document(uow, patient.mrn)
    assert [(e.reason, e.assessment) for e in data.encounters] == [("Hypertension follow-up", ""),
                                                                   ("Cough", "Acute bronchitis")]
    text = flat(pdf_text(job.pdf))
    assert "Acute bronchitis" in text and "(note not signed yet)" in text
    assert "controlled/not at goal" not in text
