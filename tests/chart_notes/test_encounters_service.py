"""Encounters and SOAP notes: templates, drafts with conflicts, autosave recovery, signing and addenda."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from desktop.models import AuditEntry, Encounter, NoteAutosave
from desktop.services import encounters, note_templates, problems, vitals
from desktop.services.database import Database
from desktop.services.encounters import EncounterInput, NoteContent
from desktop.services.errors import ConflictError, PermissionDenied, ServiceError, ValidationError
from desktop.services.vitals import VitalsInput

PHYSICIAN_ID = 1


def new_note(as_role, patient_id, role="physician", **kw):
    kw.setdefault("provider_id", PHYSICIAN_ID)
    with as_role(role) as uow:
        return encounters.create_encounter(uow, patient_id, EncounterInput(**kw))


def filled(content):
    """A template's marked fields (*** and {a/b}) filled in, as the physician does before signing."""
    return replace(content, **{k: note_templates.MARKED_FIELD.sub("reviewed", getattr(content, k))
                               for k in ("subjective", "objective", "assessment", "plan")})


def test_templates_shipped():
    keys = {t.key for t in note_templates.list_templates()}
    assert {"general_visit", "hypertension_followup", "upper_respiratory_infection", "annual_physical"} <= keys
    for t in note_templates.list_templates():
        assert t.title and note_templates.VITALS_PLACEHOLDER in t.objective


def test_new_encounter_from_template_gets_todays_vitals_in_objective(as_role, add_patient):
    p = add_patient(birth_date=date(1950, 2, 3))
    with as_role("nurse") as uow:
        vitals.record_vitals(uow, p.id, VitalsInput(systolic=152, diastolic=91, heart_rate=70))
    e = new_note(as_role, p.id, kind="office", template="hypertension_followup")
    assert e.status == "draft" and e.version == 1 and e.provider_name == "Dr. Ana Lima"
    assert e.content.reason == "Hypertension follow-up"
    assert "BP 152/91 mmHg (H), HR 70 /min" in e.content.objective
    assert "{{vitals}}" not in e.content.objective
    assert e.content.subjective.startswith("Here for blood pressure follow-up")


def test_template_without_vitals_today_says_so(as_role, add_patient):
    p = add_patient()
    e = new_note(as_role, p.id, template="general_visit")
    assert e.content.objective.startswith(note_templates.NO_VITALS_TODAY)


def test_encounter_fields_are_validated(as_role, add_patient):
    p = add_patient()
    with as_role("nurse") as uow, pytest.raises(ValidationError) as err:
        encounters.create_encounter(uow, p.id, EncounterInput(kind="house call", provider_id=2,
                                                              encounter_date=datetime.now() + timedelta(days=3)))
    assert set(err.value.errors) == {"kind", "provider_id", "encounter_date"}
    with as_role("nurse") as uow, pytest.raises(ValidationError) as err:
        encounters.create_encounter(uow, p.id, EncounterInput())  # a nurse must name the physician
    assert "provider_id" in err.value.errors


def test_several_diagnoses_from_the_problem_list_and_a_new_one_link_to_one_encounter(as_role, add_patient):
    p = add_patient()
    with as_role("physician") as uow:
        htn = problems.add_problem(uow, p.id, problems.ProblemInput(icd10_code="I10"))
        dm = problems.add_problem(uow, p.id, problems.ProblemInput(icd10_code="E11.9"))
    e = new_note(as_role, p.id, kind="telehealth", reason="Chronic care")
    with as_role("physician") as uow:
        lipids = encounters.add_problem_for_note(uow, p.id, "", "e785")
        same = encounters.add_problem_for_note(uow, p.id, "", "I10")  # already on the list: reused
        assert same.id == htn.id
        saved = encounters.save_draft(uow, e.id, replace(e.content, assessment="Stable",
                                                         diagnosis_ids=(dm.id, htn.id, lipids.id)), e.version)
    assert [d.icd10_code for d in saved.diagnoses] == ["E11.9", "I10", "E78.5"]
    assert saved.version == 2
    with as_role("physician") as uow:
        page = encounters.list_encounters(uow, p.id)
        assert page.rows[0].diagnoses == "E11.9, I10, E78.5" and page.rows[0].kind_label == "Telehealth"
        assert [c.icd10_code for c in encounters.problem_choices(uow, p.id)] == ["I10", "E78.5", "E11.9"]  # by name


def test_linking_another_patients_problem_is_refused(as_role, add_patient):
    a, b = add_patient(given="A"), add_patient(given="B")
    with as_role("physician") as uow:
        other = problems.add_problem(uow, b.id, problems.ProblemInput(icd10_code="I10"))
    e = new_note(as_role, a.id)
    with as_role("physician") as uow, pytest.raises(ValidationError) as err:
        encounters.save_draft(uow, e.id, NoteContent(diagnosis_ids=(other.id,)), e.version)
    assert "diagnoses" in err.value.errors


def test_stale_draft_save_is_a_conflict_carrying_both_texts(db, as_role, add_patient):
    p = add_patient()
    e = new_note(as_role, p.id)
    with as_role("nurse") as uow:
        encounters.save_draft(uow, e.id, NoteContent(subjective="Nurse: cough for 3 days"), e.version)
    with as_role("physician") as uow, pytest.raises(ConflictError) as err:
        encounters.save_draft(uow, e.id, NoteContent(subjective="Doctor: cough, no fever"), e.version)
    c = err.value
    assert c.mine["subjective"] == "Doctor: cough, no fever"
    assert c.theirs["subjective"] == "Nurse: cough for 3 days"
    assert c.their_version == 2 and c.changed_by == "Nora Quinn, RN"
    with db.uow() as uow:  # nothing overwritten
        assert uow.session.get(Encounter, e.id).subjective == "Nurse: cough for 3 days"
    with as_role("physician") as uow:  # saving again on top of their version works
        merged = encounters.save_draft(uow, e.id, NoteContent(subjective="Nurse: cough for 3 days\nDoctor: no fever"),
                                       c.their_version)
    assert merged.version == 3


def test_nurse_drafts_but_cannot_sign(db, as_role, add_patient):
    p = add_patient()
    e = new_note(as_role, p.id, role="nurse", template="upper_respiratory_infection")
    with as_role("nurse") as uow:
        e = encounters.save_draft(uow, e.id, replace(e.content, plan="Fluids and rest"), e.version)
    with as_role("nurse") as uow, pytest.raises(PermissionDenied):
        encounters.sign(uow, e.id, e.version)
    with db.uow() as uow:
        assert uow.session.get(Encounter, e.id).status == "draft"


def test_signed_note_is_read_only_and_takes_addenda(db, as_role, add_patient):
    p = add_patient()
    e = new_note(as_role, p.id, template="annual_physical")
    with as_role("physician") as uow:
        signed = encounters.sign(uow, e.id, e.version, filled(replace(e.content, assessment="Healthy adult")))
    assert signed.signed and signed.content.assessment == "Healthy adult"
    assert signed.signed_by == "Dr. Ana Lima" and signed.signed_at is not None
    assert signed.signature.startswith("Electronically signed by Dr. Ana Lima on ")
    with as_role("physician") as uow, pytest.raises(ServiceError, match="addendum"):
        encounters.save_draft(uow, e.id, NoteContent(assessment="changed"), signed.version)
    with as_role("physician") as uow, pytest.raises(ServiceError):
        encounters.sign(uow, e.id, signed.version)
    with as_role("physician") as uow, pytest.raises(ServiceError):
        encounters.autosave(uow, e.id, NoteContent(assessment="changed"))
    with as_role("nurse") as uow:
        add = encounters.add_addendum(uow, e.id, "Lab results reviewed by phone: normal.")
    assert add.author == "Nora Quinn, RN"
    with as_role("nurse") as uow, pytest.raises(ValidationError):
        encounters.add_addendum(uow, e.id, "   ")
    with as_role("physician") as uow:
        again = encounters.get_encounter(uow, e.id)
    assert again.content.assessment == "Healthy adult"
    assert [(a.text, a.author) for a in again.addenda] == [("Lab results reviewed by phone: normal.", "Nora Quinn, RN")]
    with db.uow() as uow:
        actions = uow.session.execute(select(AuditEntry.action, AuditEntry.entity)
                                      .where(AuditEntry.patient_id == p.id)).all()
    assert ("sign", "encounter") in actions and ("create", "addendum") in actions


def test_addendum_on_a_draft_is_refused(as_role, add_patient):
    p = add_patient()
    e = new_note(as_role, p.id)
    with as_role("physician") as uow, pytest.raises(ServiceError):
        encounters.add_addendum(uow, e.id, "too early")


def test_no_addendum_on_a_signed_note_entered_in_error(db, as_role, add_patient):
    """A signed note marked entered in error (the wrong patient's chart) takes no more text: a window that still
    shows it could otherwise add to the wrong chart."""
    from desktop.models import Addendum

    p = add_patient()
    e = new_note(as_role, p.id)
    with as_role("physician") as uow:
        e = encounters.save_draft(uow, e.id, encounters.NoteContent(assessment="Cough"), e.version)
        e = encounters.sign(uow, e.id, e.version)
    with as_role("physician") as uow:
        encounters.mark_encounter_in_error(uow, e.id, "wrong patient", e.version)
    with as_role("physician") as uow, pytest.raises(ServiceError, match="entered in error"):
        encounters.add_addendum(uow, e.id, "late entry")
    with db.uow() as uow:
        assert uow.session.execute(select(Addendum)).first() is None


def test_empty_note_cannot_be_signed(as_role, add_patient):
    p = add_patient()
    e = new_note(as_role, p.id)
    with as_role("physician") as uow, pytest.raises(ValidationError):
        encounters.sign(uow, e.id, e.version)


def test_autosave_survives_a_crash_and_is_offered_on_reopen(db_url, db, as_role, add_patient):
    p = add_patient()
    e = new_note(as_role, p.id)
    typed = NoteContent(subjective="Headache since Monday", objective="BP 150/90", assessment="Tension headache")
    with as_role("physician") as uow:
        encounters.autosave(uow, e.id, typed, base_version=e.version)
        encounters.autosave(uow, e.id, replace(typed, plan="Ibuprofen"), base_version=e.version)
    with db.uow() as uow:
        enc = uow.session.get(Encounter, e.id)
        assert enc.version == 1 and enc.subjective == ""  # autosave never touches the note itself
    db.dispose()  # the workstation crashes: no save, no close

    from tests.conftest import user_for

    reopened = Database.open(db_url)
    try:
        with reopened.uow(user_for("physician")) as uow:
            found = encounters.recover_autosave(uow, e.id)
        assert found is not None and not found.saved_since
        assert found.content == replace(typed, plan="Ibuprofen")
        with reopened.uow(user_for("nurse")) as uow:  # autosaves are per user
            assert encounters.recover_autosave(uow, e.id) is None
        with reopened.uow(user_for("physician")) as uow:
            saved = encounters.save_draft(uow, e.id, found.content, found.base_version)
        assert saved.content.plan == "Ibuprofen"
        with reopened.uow(user_for("physician")) as uow:
            assert encounters.recover_autosave(uow, e.id) is None  # saved: nothing more to offer
            assert uow.session.execute(select(func.count()).select_from(NoteAutosave)).scalar() == 0
    finally:
        reopened.dispose()


def test_recovered_text_knows_when_someone_saved_since(as_role, add_patient):
    p = add_patient()
    e = new_note(as_role, p.id)
    with as_role("physician") as uow:
        encounters.autosave(uow, e.id, NoteContent(plan="mine"), base_version=e.version)
    with as_role("nurse") as uow:
        encounters.save_draft(uow, e.id, NoteContent(plan="theirs"), e.version)
    with as_role("physician") as uow:
        found = encounters.recover_autosave(uow, e.id)
        assert found.saved_since and found.current_version == 2
        encounters.discard_autosave(uow, e.id)
        assert encounters.recover_autosave(uow, e.id) is None


def test_encounters_list_pages(db, as_role, add_patient):
    from sqlalchemy import insert

    p = add_patient()
    now = datetime.now().astimezone()
    with db.uow() as uow:
        uow.session.execute(insert(Encounter), [
            {"patient_id": p.id, "encounter_date": now - timedelta(days=i), "kind": "office", "reason": f"visit {i}",
             "provider_id": PHYSICIAN_ID, "status": "signed", "signed_by_id": PHYSICIAN_ID,
             "signed_at": now - timedelta(days=i), "version": 1} for i in range(250)])
    with as_role("nurse") as uow:
        first = encounters.list_encounters(uow, p.id, limit=100)
        last = encounters.list_encounters(uow, p.id, offset=200, limit=100)
    assert first.total == 250 and first.has_more and first.rows[0].reason == "visit 0"
    assert len(last.rows) == 50 and not last.has_more and last.rows[-1].reason == "visit 249"
    assert first.rows[0].provider == "Dr. Ana Lima" and first.rows[0].signed_by == "Dr. Ana Lima"


def test_encounter_entered_in_error_leaves_the_list(as_role, add_patient):
    p = add_patient()
    e = new_note(as_role, p.id)
    with as_role("nurse") as uow:
        encounters.mark_encounter_in_error(uow, e.id, "wrong patient", e.version)
    with as_role("nurse") as uow:
        assert encounters.list_encounters(uow, p.id).total == 0
        assert encounters.list_encounters(uow, p.id, include_in_error=True).rows[0].entered_in_error


def test_front_desk_sees_no_notes(as_role, add_patient):
    p = add_patient()
    with as_role("front_desk") as uow, pytest.raises(PermissionDenied):
        encounters.list_encounters(uow, p.id)


def test_a_drafts_visit_details_can_be_corrected_and_are_audited(db, as_role, add_patient):
    from desktop.services.encounters import VisitInput

    p = add_patient()
    e = new_note(as_role, p.id, role="nurse", kind="office", encounter_date=datetime(2026, 3, 2, 9, 30))
    yesterday = (datetime.now() - timedelta(days=1)).replace(second=0, microsecond=0)
    with as_role("nurse") as uow:
        changed = encounters.update_visit(uow, e.id, VisitInput(yesterday, "telephone", PHYSICIAN_ID), e.version)
    assert (changed.kind, changed.encounter_date, changed.version) == ("telephone", yesterday, e.version + 1)
    assert changed.content == e.content  # the note itself is untouched
    with as_role("physician") as uow:
        summary = uow.session.execute(select(AuditEntry.summary).where(
            AuditEntry.entity == "encounter", AuditEntry.action == "update")).scalars().all()
    assert summary == [f"visit details: Office visit 2026-03-02 09:30, Dr. Ana Lima -> "
                       f"Telephone {yesterday:%Y-%m-%d %H:%M}, Dr. Ana Lima"]


def test_visit_details_are_checked_and_never_overwrite_silently(db, as_role, add_patient):
    from desktop.services.encounters import VisitInput

    p = add_patient()
    e = new_note(as_role, p.id)
    with as_role("physician") as uow, pytest.raises(ValidationError) as err:
        encounters.update_visit(uow, e.id, VisitInput(datetime.now() + timedelta(days=3), "house call", 2), e.version)
    assert set(err.value.errors) == {"encounter_date", "kind", "provider_id"}
    with as_role("physician") as uow:
        encounters.save_draft(uow, e.id, replace(e.content, plan="Rest"), e.version)
    with as_role("nurse") as uow, pytest.raises(ConflictError):  # loaded before that save
        encounters.update_visit(uow, e.id, VisitInput(None, "telehealth", PHYSICIAN_ID), e.version)
    with as_role("front_desk") as uow, pytest.raises(PermissionDenied):
        encounters.update_visit(uow, e.id, VisitInput(None, "telehealth", PHYSICIAN_ID), e.version + 1)
    with as_role("physician") as uow:
        signed = encounters.sign(uow, e.id, e.version + 1)
    with as_role("physician") as uow, pytest.raises(ServiceError, match="signed"):
        encounters.update_visit(uow, e.id, VisitInput(None, "telehealth", PHYSICIAN_ID), signed.version)
    with as_role("physician") as uow:
        assert encounters.get_encounter(uow, e.id).kind == "office"
