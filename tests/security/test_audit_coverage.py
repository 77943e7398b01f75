"""Every chart open and every change is in the audit log with user, time, patient, action and entity."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from desktop.services import allergies, encounters, patients, problems
from desktop.services.allergies import AllergyInput
from desktop.services.encounters import EncounterInput, NoteContent
from desktop.services.patients import PatientInput
from desktop.services.problems import ProblemInput
from tests.security.conftest import audit_rows


def test_a_visit_leaves_a_complete_trail(db, as_role):
    started = datetime.now(UTC) - timedelta(seconds=1)
    with as_role("front_desk") as uow:
        p = patients.register_patient(uow, PatientInput(given_name="Trail", family_name="Walker",
                                                        birth_date=date(1966, 6, 6), sex="male"))
    with as_role("front_desk") as uow:
        patients.record_chart_open(uow, p.id)
        data = patients.get_patient(uow, p.id)
        patients.update_patient(uow, p.id, replace(data.data, phone_mobile="(217) 555-0123"), data.version)
    with as_role("nurse") as uow:
        patients.record_chart_open(uow, p.id)
        allergies.add_allergy(uow, p.id, AllergyInput(substance="Latex", category="environment",
                                                      reaction="rash", severity="mild"))
    with as_role("physician") as uow:
        patients.record_chart_open(uow, p.id)
        problems.add_problem(uow, p.id, ProblemInput(description="Essential hypertension", icd10_code="I10"))
        note = encounters.create_encounter(uow, p.id, EncounterInput(reason="blood pressure"))
    with as_role("physician") as uow:
        saved = encounters.save_draft(uow, note.id, NoteContent(reason="blood pressure", subjective="well"),
                                      note.version)
        encounters.sign(uow, note.id, saved.version)

    trail = [r for r in reversed(audit_rows(db, patient_id=p.id))]
    got = [(r.username, r.action, r.entity) for r in trail]
    expected_in_order = [
        ("sortiz", "create", "patient"), ("sortiz", "view", "chart"), ("sortiz", "update", "patient"),
        ("nquinn", "view", "chart"), ("nquinn", "create", "allergy"),
        ("drlima", "view", "chart"), ("drlima", "create", "problem"),
    ]
    positions = [got.index(e) for e in expected_in_order]
    assert positions == sorted(positions), got
    physician_note = [(a, e) for u, a, e in got if u == "drlima" and e == "encounter"]
    assert ("sign", "encounter") in physician_note and len(physician_note) >= 3, got  # create, save, sign
    for r in trail:
        assert r.patient_id == p.id and r.ts >= started and r.user_id is not None
    update = next(r for r in trail if r.action == "update" and r.entity == "patient")
    assert "Mobile phone" in update.summary  # what changed, not only that something did
