"""Histories from PHR files: FHIR Procedure / FamilyMemberHistory / Encounter / social-history Observations and
the C-CDA Procedures, Social History, Family History and Encounters sections arrive with codes, dates and
provenance; re-import adds nothing; undo strikes them out; the command line counts them."""

from __future__ import annotations

import json
from datetime import date

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from desktop.__main__ import main
from desktop.models import FamilyHistory, OutsideEncounter, PhrImport, ProcedureHistory, SocialHistory
from desktop.phr import ItemStatus, read_bytes, read_file
from desktop.services import phr_import as svc

from .conftest import CCD1, CCD2, CLEMENTE, FLETCHER, IPS_EU, JORGE, LAWRENCE, MIGUEL, REYNA, apply_reviewed
from .test_service import _plan, _user

HISTORY_KEYS = ("procedures", "social_history", "family_history", "encounters")
# (procedures, smoking-status statements, encounters) in each Synthea sample, counted in the files
SYNTHEA = {CLEMENTE: (1, 3, 3), FLETCHER: (53, 10, 127), JORGE: (12, 18, 30), LAWRENCE: (19, 0, 88),
           MIGUEL: (19, 10, 24), REYNA: (3, 5, 23)}


def _rows(db, model, patient_id):
    with db.uow() as uow:
        return list(uow.session.execute(
            select(model).where(model.patient_id == patient_id, model.entered_in_error.is_(False))
            .order_by(model.id)).scalars())


def _merge(db, patient_id, parsed):
    plan = _plan(db, "physician", patient_id, parsed)
    with db.uow(_user("physician")) as uow:
        return plan, apply_reviewed(uow, patient_id, plan)


@pytest.mark.parametrize("sample", sorted(SYNTHEA))
def test_synthea_procedures_smoking_and_encounters_are_read(samples, sample):
    parsed = read_file(samples / sample)
    n_proc, n_smoking, n_enc = SYNTHEA[sample]
    assert (len(parsed.procedures), len(parsed.encounters)) == (n_proc, n_enc)
    smoking = [s for s in parsed.social_history if s.kind == "smoking"]
    assert len(smoking) == n_smoking
    assert all(s.loinc == "72166-2" and s.value_code in ("266919005", "8517006") and s.observed for s in smoking)
    assert all(p.code_system == "snomed" and p.code and p.performed and p.source_resource_id
               for p in parsed.procedures)
    assert not [s for s in parsed.skipped if s.item.startswith(("Procedure", "Encounter", "Observation (social"))]


def test_ccd1_sections_arrive_with_codes_dates_and_provenance(db, samples, chart_for):
    patient = chart_for(CCD1)
    parsed = read_file(samples / CCD1)
    assert not [s for s in parsed.skipped if "procedures" in s.item or "social" in s.item or "family" in s.item
                or "encounters" in s.item]
    plan, result = _merge(db, patient.id, parsed)
    assert {c: result.written[c].get("added", 0) for c in HISTORY_KEYS} == {
        "procedures": 2, "social_history": 3, "family_history": 2, "encounters": 1}
    procs = _rows(db, ProcedureHistory, patient.id)
    assert sorted((p.code_system, p.code, p.performed_date, p.status) for p in procs) == [
        ("snomed", "274025005", date(2011, 2, 3), "completed"),
        ("snomed", "73761001", date(2012, 5, 12), "completed")]  # given twice (aborted, done): one row
    assert all(p.phr_import_id == result.import_id and p.source_system == "Good Health HIE" and p.source_resource_id
               for p in procs)
    social = {s.kind: s for s in _rows(db, SocialHistory, patient.id)}
    assert (social["smoking"].loinc, social["smoking"].value_code, social["smoking"].observed_date) == (
        "72166-2", "8517006", date(2012, 9, 10))
    assert (social["tobacco"].value_code, social["tobacco"].end_date) == ("160604004", date(2011, 2, 15))
    assert (social["alcohol"].loinc, social["alcohol"].quantity) == ("74013-4", 12.0)
    family = _rows(db, FamilyHistory, patient.id)
    assert sorted((f.relative, f.relative_code, f.snomed_code, f.onset_age, f.deceased) for f in family) == [
        ("father", "FTH", "22298006", 57, True), ("father", "FTH", "44054006", 40, False)]
    (enc,) = _rows(db, OutsideEncounter, patient.id)
    assert (enc.type_code, enc.type_system, enc.facility, enc.reason) == ("99213", "cpt", "Good Health Urgent Care",
                                                                         "Pneumonia")


def test_ccd2_procedure_keeps_snomed_and_the_smoking_status_unknown(db, samples, chart_for):
    patient = chart_for(CCD2)
    _plan_, result = _merge(db, patient.id, read_file(samples / CCD2))
    procs = _rows(db, ProcedureHistory, patient.id)
    assert ("snomed", "6025007", date(2014, 10, 2)) in [(p.code_system, p.code, p.performed_date) for p in procs]
    (smoking,) = _rows(db, SocialHistory, patient.id)
    assert (smoking.value_code, smoking.value_text) == ("266927001", "Tobacco smoking consumption unknown")
    assert result.written["encounters"] == {}


def test_reimport_adds_nothing_and_undo_strikes_histories_out(db, samples, chart_for):
    patient = chart_for(REYNA)
    parsed = read_file(samples / REYNA)
    _p, first = _merge(db, patient.id, parsed)
    assert first.written["procedures"]["added"] == 3 and first.written["encounters"]["added"] == 23
    for model in (ProcedureHistory, SocialHistory, OutsideEncounter):  # provenance on every row
        rows = _rows(db, model, patient.id)
        assert rows and all(r.phr_import_id == first.import_id and r.source_system == "Synthea"
                            and r.source_resource_id.startswith("urn:uuid:") and r.source_date for r in rows)
    smoking = _rows(db, SocialHistory, patient.id)
    assert {(s.kind, s.loinc, s.value_code) for s in smoking} == {("smoking", "72166-2", "266919005")}
    assert all(p.code_system == "snomed" and p.code and p.performed_date for p in _rows(db, ProcedureHistory,
                                                                                         patient.id))
    again = _plan(db, "physician", patient.id, read_file(samples / REYNA))
    for cat in HISTORY_KEYS:
        assert {i.status for i in again.in_category(cat)} <= {ItemStatus.DUPLICATE}
    assert not again.default_decisions("new")
    with db.uow(_user("physician")) as uow:
        svc.undo_import(uow, first.import_id, "wrong patient")
    for model in (ProcedureHistory, SocialHistory, OutsideEncounter):
        assert _rows(db, model, patient.id) == []
    offered = _plan(db, "physician", patient.id, parsed)
    assert len([i for i in offered.in_category("procedures") if i.status is ItemStatus.NEW]) == 3


def test_chart_entry_is_matched_by_code_and_date(db, samples, chart_for):
    from desktop.services import procedure_history as ph

    patient = chart_for(CCD2)
    with db.uow(_user("physician")) as uow:
        ph.add_procedure(uow, patient.id, ph.ProcedureInput(code_system="snomed", code="6025007",
                                                            description="Lap appy", performed_date=date(2014, 10, 2),
                                                            body_site="Appendix"))
    plan = _plan(db, "physician", patient.id, read_file(samples / CCD2))
    item = next(i for i in plan.in_category("procedures") if i.file_item.code == "6025007")
    assert (item.status, item.matched_by) == (ItemStatus.CHANGED, "code and date")  # the body site differs
    assert "body site" in item.differences[0]


def test_fhir_family_history_and_null_flavors(samples):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Doe", "given": ["Ann"]}]}},
        {"resource": {"resourceType": "FamilyMemberHistory", "id": "f1", "status": "completed",
                      "patient": {"reference": "Patient/p1"},
                      "relationship": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                                   "code": "MTH"}]},
                      "deceasedBoolean": True,
                      "condition": [{"code": {"coding": [{"system": "http://snomed.info/sct", "code": "254837009",
                                                          "display": "Breast cancer"}]},
                                     "onsetAge": {"value": 48, "unit": "a", "system": "http://unitsofmeasure.org",
                                                  "code": "a"}}]}},
    ]}
    parsed = read_bytes(json.dumps(bundle).encode(), "fmh.json")
    (f,) = parsed.family_history
    assert (f.relative, f.relative_code, f.snomed, f.onset_age, f.deceased) == ("mother", "MTH", "254837009", 48, True)
    ccd = (samples / CCD1).read_bytes()
    broken = ccd.replace(b'<value xsi:type="CD" code="8517006" displayName="Ex-smoker" codeSystem="2.16.840.1.113883.6.96" />',
                         b'<value xsi:type="CD" nullFlavor="UNK" />')
    assert broken != ccd
    parsed = read_bytes(broken, "ccd.xml")
    assert "smoking" not in {s.kind for s in parsed.social_history}
    assert any("nullFlavor UNK" in s.reason for s in parsed.skipped)


def test_import_phr_json_counts_the_history_categories(db, db_url, samples, chart_for, capsys):
    patient = chart_for(CCD1)
    assert main(["import-phr", str(samples / CCD1), "--patient", patient.mrn, "--db", db_url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["categories"]["procedures"] == {"new": 2, "duplicate": 0, "changed": 0, "conflict": 0}
    assert out["categories"]["family_history"]["new"] == 2 and out["categories"]["encounters"]["new"] == 1
    assert out["categories"]["social_history"]["new"] == 3
    assert not [s for s in out["skipped"] if "procedures" in s["item"] or "family" in s["item"]]
    assert main(["import-phr", str(samples / CCD1), "--patient", patient.mrn, "--db", db_url, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["applied"] is False
    assert all(again["categories"][c]["new"] == 0 for c in ("procedures", "social_history", "family_history",
                                                            "encounters"))
    with db.uow() as uow:
        assert uow.session.query(PhrImport).count() == 1


def test_ips_procedures_arrive(samples):
    parsed = read_file(samples / IPS_EU)
    assert len(parsed.procedures) == 10 and {p.code for p in parsed.procedures} >= {"73761001"}


@pytest.mark.gui
def test_review_dialog_has_a_tab_per_history_and_merges_them(qtbot, app_ctx, db, samples, chart_for, messages):
    from desktop.views.phr_import_dialog import PhrImportDialog

    patient = chart_for(CCD1)
    dialog = PhrImportDialog(app_ctx("physician"), patient.id, samples / CCD1)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=20000)
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert [t for t in titles if t.startswith(("Proce", "So&c", "Famil", "Outside"))] == [
        "Proce&dures (2 new)", "So&cial history (3 new)", "Famil&y history (2 new)", "Outside visi&ts (1 new)"]
    family = dialog.tabs_by_category["family_history"].model
    texts = sorted(family.data(family.index(r, 2)) for r in range(family.rowCount()))
    assert texts[0] == "father · Diabetes mellitus type 2 · onset age 40"
    assert "Good Health HIE" in family.data(family.index(0, 3))
    with qtbot.waitSignal(dialog.sig_applied, timeout=20000):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert len(_rows(db, FamilyHistory, patient.id)) == 2 and len(_rows(db, OutsideEncounter, patient.id)) == 1
    dialog.ctx.ops.wait_idle()


def _history_rows(db, patient_id):
    def cols(model, *names):
        return sorted((tuple(getattr(r, n) for n in names) for r in _rows(db, model, patient_id)), key=repr)

    return {
        "procedures": cols(ProcedureHistory, "description", "code_system", "code", "performed_date", "performed_end",
                           "body_site", "performer", "status", "note"),
        "social": cols(SocialHistory, "kind", "loinc", "value_text", "value_code", "pack_years", "audit_c",
                       "drinks_per_week", "quantity", "observed_date", "end_date"),
        "family": cols(FamilyHistory, "relative", "relative_code", "condition", "icd10_code", "snomed_code",
                       "onset_age", "deceased", "death_age"),
        "encounters": cols(OutsideEncounter, "kind", "type_code", "facility", "reason", "performer"),
    }


def test_export_fhir_round_trip_of_the_histories(db, samples, chart_for):
    import orjson

    from desktop.services import family_history as fh
    from desktop.services import procedure_history as ph
    from desktop.services import social_history as sh
    from desktop.services.fhir_export import export_patient

    patient = chart_for(CCD1)
    _merge(db, patient.id, read_file(samples / CCD1))  # outside encounter, imported family and social history
    with db.uow(_user("physician")) as uow:
        ph.add_procedure(uow, patient.id, ph.ProcedureInput(
            code_system="cpt", code="44970", description="Laparoscopic appendectomy", performed_date=date(2015, 3, 4),
            performed_end=date(2015, 3, 5), body_site="appendix", performer="Dr. Who, City Hospital", note="uneventful"))
        ph.add_procedure(uow, patient.id, ph.ProcedureInput(description="Mole removed"))
        sh.add_entry(uow, patient.id, sh.SocialInput(kind="smoking", value_code="449868002", pack_years=12.5,
                                                     observed_date=date(2024, 1, 2)))
        sh.add_entry(uow, patient.id, sh.SocialInput(kind="alcohol", audit_c=4, drinks_per_week=6,
                                                     observed_date=date(2024, 1, 2)))
        sh.add_entry(uow, patient.id, sh.SocialInput(kind="occupation", value_text="Teacher",
                                                     observed_date=date(2024, 1, 2)))
        fh.add_entry(uow, patient.id, fh.FamilyInput(relative="mother", icd10_code="C50.919", onset_age=48,
                                                     death_age=52))
    with db.uow(_user("physician")) as uow:
        bundle = export_patient(uow, patient.id)
    types = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Procedure", "FamilyMemberHistory", "Encounter", "Observation"} <= types
    data = orjson.dumps(bundle)
    again = _plan(db, "physician", patient.id, read_bytes(data, "export.json"))
    for cat in HISTORY_KEYS:
        assert again.in_category(cat) and {i.status for i in again.in_category(cat)} == {ItemStatus.DUPLICATE}, cat
    copy = chart_for(CCD1)
    _merge(db, copy.id, read_bytes(data, "export.json"))
    assert _history_rows(db, copy.id) == _history_rows(db, patient.id)


def test_merging_a_combined_pill_and_current_smoking_raises_the_boxed_warning(db, add_patient):
    """The PHR merge's alert check sees the file's smoking status with the file's contraceptive."""
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Smoker", "given": ["Ann"]}],
                      "gender": "female", "birthDate": "1980-02-01"}},
        {"resource": {"resourceType": "MedicationStatement", "id": "m1", "status": "active",
                      "subject": {"reference": "Patient/p1"},
                      "medicationCodeableConcept": {"text": "norgestimate 0.25 MG / ethinyl estradiol 0.035 MG Oral Tablet"}}},
        {"resource": {"resourceType": "Observation", "id": "o1", "status": "final", "subject": {"reference": "Patient/p1"},
                      "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                                "code": "social-history"}]}],
                      "code": {"coding": [{"system": "http://loinc.org", "code": "72166-2"}]},
                      "effectiveDateTime": "2025-01-02",
                      "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "449868002"}]}}},
    ]}
    patient = add_patient(given="Ann", family="Smoker", birth_date=date(1980, 2, 1), sex="female")
    plan = _plan(db, "physician", patient.id, read_bytes(json.dumps(bundle).encode(), "ann.json"))
    from desktop.services.alert_decisions import NeedsDecision

    with db.uow(_user("physician")) as uow:
        stopped = svc.apply_import(uow, patient.id, plan, plan.default_decisions("new"), plan.info)
    assert isinstance(stopped, NeedsDecision)
    assert [a.severity for a in stopped.pending if "boxed warning" in a.message] == ["contraindicated"]
    assert _rows(db, SocialHistory, patient.id) == []  # nothing written without the override


def test_a_merged_smoking_status_alone_meets_the_contraceptive_on_the_chart(db, add_patient):
    """The file brings only a smoking status (current smoker); the combined pill is already on the chart. The
    smoking + contraceptive rule is decided at merge time (NeedsDecision, nothing written), not only later in the
    chart's alert list; with a physician's override the status is merged and the override recorded."""
    from desktop.models import AlertOverride
    from desktop.services import medications
    from desktop.services.alert_decisions import Decision, NeedsDecision

    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Smoker", "given": ["Bea"]}],
                      "gender": "female", "birthDate": "1980-02-01"}},
        {"resource": {"resourceType": "Observation", "id": "o1", "status": "final", "subject": {"reference": "Patient/p1"},
                      "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                                "code": "social-history"}]}],
                      "code": {"coding": [{"system": "http://loinc.org", "code": "72166-2"}]},
                      "effectiveDateTime": "2025-01-02",
                      "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "449868002"}]}}},
    ]}
    patient = add_patient(given="Bea", family="Smoker", birth_date=date(1980, 2, 1), sex="female")
    with db.uow(_user("physician")) as uow:  # on the chart before the file: no smoking status yet, no alert
        pill = medications.add_medication(uow, patient.id, medications.MedicationInput(
            drug_name="norgestimate 0.25 MG / ethinyl estradiol 0.035 MG Oral Tablet",
            ingredients="norgestimate+ethinyl estradiol", source="patient-reported"))
    assert not isinstance(pill, NeedsDecision)
    plan = _plan(db, "physician", patient.id, read_bytes(json.dumps(bundle).encode(), "bea.json"))
    assert {i.category for i in plan.items if i.key in plan.default_decisions("new")} == {"social_history"}
    with db.uow(_user("physician")) as uow:
        stopped = svc.apply_import(uow, patient.id, plan, plan.default_decisions("new"), plan.info)
    assert isinstance(stopped, NeedsDecision)
    assert [(a.severity, a.med_ids) for a in stopped.pending if "boxed warning" in a.message] == [
        ("contraindicated", (pill.id,))]
    assert _rows(db, SocialHistory, patient.id) == []  # nothing written without the decision
    with db.uow(_user("physician")) as uow:
        done = svc.apply_import(uow, patient.id, plan, plan.default_decisions("new"), plan.info, decision=Decision(
            overrides=tuple((a, "Benefit outweighs risk", "counselled; switching method") for a in stopped.pending)))
    assert done.applied and [s.kind for s in _rows(db, SocialHistory, patient.id)] == ["smoking"]
    assert any("boxed warning" in a.message for a in done.alerts.alerts + done.alerts.suppressed)
    with db.uow() as uow:
        (override,) = uow.session.execute(select(AlertOverride)).scalars().all()
    assert override.reason == "Benefit outweighs risk" and "boxed warning" in override.message
