"""Histories services: procedures, social history, family history, outside encounters (roles, audit, versions,
entered-in-error) and their knowledge base (procedure type-ahead, smoking-status answers)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from desktop.kb import histories as kb
from desktop.services import family_history as fh
from desktop.services import outside_encounters as oe
from desktop.services import procedure_history as ph
from desktop.services import social_history as sh
from desktop.services.errors import ConflictError, PermissionDenied, ServiceError, ValidationError


def test_procedure_with_code_and_free_text(as_role, patient, audit_rows):
    with as_role("physician") as uow:
        coded = ph.add_procedure(uow, patient.id, ph.ProcedureInput(
            code_system="snomed", code="73761001", performed_date=date(2021, 5, 2), performer="City Hospital"))
        free = ph.add_procedure(uow, patient.id, ph.ProcedureInput(description="Mole removed, left shoulder"))
    assert (coded.description, coded.code_system, coded.code) == ("Colonoscopy", "snomed", "73761001")
    assert (free.code, free.code_system, free.status) == ("", "", "completed")
    assert audit_rows("procedure") == [("create", str(coded.id), patient.id, "73761001 Colonoscopy"),
                                       ("create", str(free.id), patient.id, "uncoded Mole removed, left shoulder")]
    with as_role("nurse") as uow:
        assert [r.description for r in ph.list_procedures(uow, patient.id)] == [
            "Colonoscopy", "Mole removed, left shoulder"]


def test_procedure_validation(as_role, patient):
    with pytest.raises(ValidationError) as err, as_role("physician") as uow:
        ph.add_procedure(uow, patient.id, ph.ProcedureInput(
            description="x", code_system="cpt", code="12", performed_date=date.today() + timedelta(days=1)))
    assert set(err.value.errors) == {"code", "performed_date"}
    with pytest.raises(ValidationError) as err, as_role("physician") as uow:
        ph.add_procedure(uow, patient.id, ph.ProcedureInput(code="6025007"))
    assert "code_system" in err.value.errors


def test_roles_front_desk_sees_nothing_nurse_records_social_history_only(as_role, patient):
    with pytest.raises(PermissionDenied), as_role("front_desk") as uow:
        ph.list_procedures(uow, patient.id)
    with pytest.raises(PermissionDenied), as_role("front_desk") as uow:
        sh.list_social_history(uow, patient.id)
    with pytest.raises(PermissionDenied), as_role("front_desk") as uow:
        fh.list_family_history(uow, patient.id)
    with pytest.raises(PermissionDenied), as_role("front_desk") as uow:
        oe.list_outside_encounters(uow, patient.id)
    with pytest.raises(PermissionDenied), as_role("nurse") as uow:
        ph.add_procedure(uow, patient.id, ph.ProcedureInput(description="Appendectomy"))
    with pytest.raises(PermissionDenied), as_role("nurse") as uow:
        fh.add_entry(uow, patient.id, fh.FamilyInput(relative="mother", condition="Breast cancer"))
    with as_role("nurse") as uow:
        row = sh.add_entry(uow, patient.id, sh.SocialInput(kind="smoking", value_code="8517006", pack_years=12))
    assert (row.value_text, row.loinc, row.smoking_group) == ("Former smoker", "72166-2", "former")
    assert row.summary == "Former smoker, 12 pack-years"


def test_smoking_history_latest_is_current(as_role, patient):
    with as_role("nurse") as uow:
        sh.add_entry(uow, patient.id, sh.SocialInput(kind="smoking", value_code="449868002",
                                                     observed_date=date(2020, 1, 5)))
        sh.add_entry(uow, patient.id, sh.SocialInput(kind="smoking", value_code="8517006",
                                                     observed_date=date(2023, 2, 1)))
        sh.add_entry(uow, patient.id, sh.SocialInput(kind="alcohol", audit_c=3, observed_date=date(2023, 2, 1)))
    with as_role("physician") as uow:
        rows = sh.list_social_history(uow, patient.id)
        status = sh.smoking_status(uow, patient.id)
    assert [(r.kind, r.value_text) for r in rows] == [
        ("smoking", "Former smoker"), ("smoking", "Current every day smoker"), ("alcohol", "")]
    assert status is not None and status.smoking_group == "former"
    assert sh.current(rows)["alcohol"].summary == "AUDIT-C 3"


def test_social_history_validation(as_role, patient):
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        sh.add_entry(uow, patient.id, sh.SocialInput(kind="smoking", value_code="123456", audit_c=20))
    assert set(err.value.errors) >= {"value_code", "audit_c", "kind"}
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        sh.add_entry(uow, patient.id, sh.SocialInput(kind="alcohol"))
    assert "value_text" in err.value.errors


def test_family_history_entry_update_conflict_and_error(as_role, patient, audit_rows):
    with as_role("physician") as uow:
        row = fh.add_entry(uow, patient.id, fh.FamilyInput(relative="Father", icd10_code="i21.9", onset_age=57,
                                                           death_age=60))
    assert (row.relative, row.condition, row.deceased) == ("father", "Acute myocardial infarction, unspecified", True)
    assert row.summary == "Father: Acute myocardial infarction, unspecified (onset 57); deceased at 60"
    with as_role("physician") as uow:
        updated = fh.update_entry(uow, row.id, row.as_input().__class__(
            **{**{n: getattr(row, n) for n in fh.INPUT_FIELDS}, "onset_age": 55}), row.version)
    with pytest.raises(ConflictError), as_role("physician") as uow:
        fh.update_entry(uow, row.id, row.as_input(), row.version)
    with pytest.raises(ValidationError), as_role("physician") as uow:
        fh.mark_entry_in_error(uow, row.id, " ", updated.version)
    with as_role("physician") as uow:
        fh.mark_entry_in_error(uow, row.id, "wrong patient", updated.version)
    with as_role("physician") as uow:
        assert fh.list_family_history(uow, patient.id) == []
        assert fh.list_family_history(uow, patient.id, include_errors=True)[0].entered_in_error
    with pytest.raises(ServiceError), as_role("physician") as uow:
        fh.update_entry(uow, row.id, row.as_input(), updated.version + 1)
    assert [a[0] for a in audit_rows("family_history")] == ["create", "update", "error"]


def test_procedure_update_keeps_version_and_audits_changes(as_role, patient, audit_rows):
    with as_role("physician") as uow:
        row = ph.add_procedure(uow, patient.id, ph.ProcedureInput(description="Tonsillectomy"))
    with as_role("physician") as uow:
        new = ph.update_procedure(uow, row.id, ph.ProcedureInput(description="Tonsillectomy",
                                                                 performed_date=date(1990, 6, 1)), row.version)
    assert new.version == row.version + 1
    assert audit_rows("procedure")[-1][3] == "uncoded Tonsillectomy; changed: Date"


def test_outside_encounters_come_only_through_the_merge_path(as_role, patient):
    with pytest.raises(PermissionDenied), as_role("nurse") as uow:
        oe.create_encounter(uow, patient.id, oe.OutsideEncounterInput(kind="Office visit"))
    with as_role("physician") as uow:
        oe.create_encounter(uow, patient.id, oe.OutsideEncounterInput(kind="Office visit", facility="Clinic B"))
    with as_role("nurse") as uow:
        assert [r.facility for r in oe.list_outside_encounters(uow, patient.id)] == ["Clinic B"]


def test_procedure_typeahead_and_codes_carry_sources():
    cat = kb.procedures()
    assert [p.name for p in cat.search("append")][:2] == ["Appendectomy", "Laparoscopic appendectomy"]
    assert cat.search("44970")[0].snomed == "6025007"
    assert cat.search("ekg")[0].cpt == "93000"
    assert any(not p.snomed for p in cat.items)  # unverifiable codes stay empty
    answers = kb.social().standard_answers()
    assert [a.group for a in answers] == ["current", "current", "former", "never", "unknown"]
    assert kb.social().answer("266919005").name == "Never smoker"


def _fill_histories(as_role, patient_id):
    with as_role("physician") as uow:
        sh.add_entry(uow, patient_id, sh.SocialInput(kind="smoking", value_code="449868002", pack_years=20,
                                                     observed_date=date(2024, 3, 1)))
        sh.add_entry(uow, patient_id, sh.SocialInput(kind="alcohol", drinks_per_week=4, observed_date=date(2024, 3, 1)))
        for day in (date(2019, 1, 5), date(2021, 6, 7)):
            ph.add_procedure(uow, patient_id, ph.ProcedureInput(code_system="snomed", code="73761001",
                                                                performed_date=day))
        ph.add_procedure(uow, patient_id, ph.ProcedureInput(description="Appendectomy", performed_date=date(1990, 4, 2)))
        fh.add_entry(uow, patient_id, fh.FamilyInput(relative="mother", condition="Breast cancer", onset_age=48))


def test_summary_shows_smoking_surgeries_and_family(as_role, patient):
    from desktop.services.summary import chart_summary

    _fill_histories(as_role, patient.id)
    with as_role("nurse") as uow:
        s = chart_summary(uow, patient.id)
    h = s.histories
    assert h.smoking.summary == "Current every day smoker, 20 pack-years" and h.smoking.smoking_group == "current"
    assert [(p.description, p.last, p.times) for p in h.procedures] == [
        ("Colonoscopy", date(2021, 6, 7), 2), ("Appendectomy", date(1990, 4, 2), 1)]
    assert [f.summary for f in h.family] == ["Mother: Breast cancer (onset 48)"]
    assert h.subjective_text() == ("Social history: Smoking status: Current every day smoker, 20 pack-years "
                                   "(2024-03-01); Alcohol: 4 drinks/week (2024-03-01).")


def test_summary_pdf_prints_the_histories(as_role, patient):
    from desktop.services import documents
    from tests.printing.conftest import flat, pdf_text

    with as_role("front_desk") as uow:  # nothing recorded yet: said so
        empty = flat(pdf_text(documents.summary_document(uow, patient.mrn).pdf))
    assert "Smoking status not recorded." in empty and "No family history recorded." in empty
    _fill_histories(as_role, patient.id)
    with as_role("front_desk") as uow:
        text = flat(pdf_text(documents.summary_document(uow, patient.mrn).pdf))
    assert "Social history Smoking status: Current every day smoker, 20 pack-years (2024-03-01)" in text
    assert "Surgical and procedure history" in text and "Colonoscopy 2021-06-07 ×2" in text
    assert "Family history Mother: Breast cancer (onset 48)" in text


def test_annual_physical_template_puts_the_social_history_in_subjective(as_role, patient):
    from desktop.services.encounters import EncounterInput, create_encounter

    _fill_histories(as_role, patient.id)
    with as_role("physician") as uow:
        note = create_encounter(uow, patient.id, EncounterInput(template="annual_physical"))
    assert "Social history: Smoking status: Current every day smoker, 20 pack-years" in note.content.subjective
    assert "{{social_history}}" not in note.content.subjective
