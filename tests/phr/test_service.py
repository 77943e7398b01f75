"""Applying a PHR merge: one transaction, provenance, re-import, newer files, roles, identity, alerts, undo."""

from __future__ import annotations

import json
from datetime import date

import orjson
import pytest
from sqlalchemy import func, select

from desktop.models import Allergy, AuditEntry, Immunization, Medication, PhrImport, Problem, VitalSign
from desktop.phr import Decision, ItemStatus, Verdict, read_bytes, read_file
from desktop.services import phr_import as svc
from desktop.services.errors import PermissionDenied, ValidationError

from .conftest import APPLE_HYDAWO, CCD1, MIGUEL, REYNA, apply_reviewed, dump, everything


def _plan(db, role, patient_id, parsed):
    with db.uow(_user(role)) as uow:
        return svc.plan_import(uow, patient_id, parsed)


def _user(role):
    from tests.conftest import user_for

    return user_for(role)


def _apply(db, role, patient_id, plan, decisions=None, reason=None):
    """Apply as the role would through the dialog: a physician overrides the alert modal with a reason."""
    with db.uow(_user(role)) as uow:
        if uow.can(svc.Permission.OVERRIDE_ALERT):
            return apply_reviewed(uow, patient_id, plan, decisions, identity_override_reason=reason)
        return svc.apply_import(uow, patient_id, plan, plan.default_decisions("new") if decisions is None else decisions,
                                plan.info, identity_override_reason=reason)


def _count(db, model, **where) -> int:
    with db.uow() as uow:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return uow.session.execute(stmt).scalar_one()


def test_merge_writes_rows_with_provenance_and_an_import_record(db, samples, chart_for):
    patient = chart_for(REYNA)
    parsed = read_file(samples / REYNA)
    plan = _plan(db, "physician", patient.id, parsed)
    assert plan.identity.verdict is Verdict.MATCH
    result = _apply(db, "physician", patient.id, plan)
    assert result.applied and result.import_id
    assert result.written["problems"]["added"] == 9 and result.written["allergies"]["added"] == 10
    with db.uow() as uow:
        imp = uow.session.get(PhrImport, result.import_id)
        assert imp.sha256 == parsed.info.sha256 and imp.file_name == parsed.info.name and imp.user_id == 1
        assert json.loads(imp.counts_json)["written"]["immunizations"]["added"] == 8
        problem = uow.session.execute(select(Problem).where(Problem.patient_id == patient.id)).scalars().first()
        assert problem.phr_import_id == imp.id and problem.source_system == "Synthea"
        assert problem.source_resource_id.startswith("urn:uuid:") and problem.source_date is not None
        meds = uow.session.execute(select(Medication).where(Medication.patient_id == patient.id)).scalars().all()
        assert all(m.source == "phr-import" and m.ingredients for m in meds)
        vitals = uow.session.execute(select(VitalSign).where(VitalSign.patient_id == patient.id)).scalars().all()
        assert vitals and all(v.origin == "phr-import" and v.phr_import_id == imp.id for v in vitals)
        bp_sets = {}
        for v in vitals:
            if v.loinc in ("8480-6", "8462-4"):
                bp_sets.setdefault(v.set_id, set()).add(v.loinc)
        assert bp_sets and all(s == {"8480-6", "8462-4"} for s in bp_sets.values())
        allergies = uow.session.execute(select(Allergy).where(Allergy.patient_id == patient.id)).scalars().all()
        assert len({a.substance_key for a in allergies}) == len(allergies)
        actions = [a.action for a in uow.session.execute(select(AuditEntry)).scalars()]
        assert "phr_import" in actions and actions.count("create") >= 30


def test_reimporting_the_same_file_changes_nothing(db, samples, chart_for):
    patient = chart_for(MIGUEL)
    parsed = read_file(samples / MIGUEL)
    first = _plan(db, "physician", patient.id, parsed)
    _apply(db, "physician", patient.id, first, everything(first))  # the stopped medications too
    before = dump(db)
    plan = _plan(db, "physician", patient.id, parsed)
    assert set(plan.totals()) == {"duplicate"}
    assert "import #" in plan.previous_import
    result = _apply(db, "physician", patient.id, plan)
    assert not result.applied and result.import_id is None
    assert dump(db) == before


def _reyna_newer(samples) -> bytes:
    """The same record a year later: one condition now resolved, one new condition, one new weight."""
    data = orjson.loads((samples / REYNA).read_bytes())
    entries = data["entry"]
    cond = next(e for e in entries if e["resource"]["resourceType"] == "Condition"
                and e["resource"]["clinicalStatus"]["coding"][0]["code"] == "active")
    cond["resource"]["clinicalStatus"]["coding"][0]["code"] = "resolved"
    cond["resource"]["abatementDateTime"] = "2020-02-02T10:00:00+00:00"
    patient_ref = cond["resource"]["subject"]["reference"]
    entries.append({"fullUrl": "urn:uuid:0f0f0f0f-0000-4000-8000-000000000001", "resource": {
        "resourceType": "Condition", "id": "0f0f0f0f-0000-4000-8000-000000000001",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "active"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "90560007", "display": "Gout"}]},
        "subject": {"reference": patient_ref}, "onsetDateTime": "2021-05-05"}})
    entries.append({"fullUrl": "urn:uuid:0f0f0f0f-0000-4000-8000-000000000002", "resource": {
        "resourceType": "Observation", "id": "0f0f0f0f-0000-4000-8000-000000000002", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]}, "subject": {"reference": patient_ref},
        "effectiveDateTime": "2021-05-05T09:00:00+00:00",
        "valueQuantity": {"value": 154, "unit": "lb", "system": "http://unitsofmeasure.org", "code": "[lb_av]"}}})
    return orjson.dumps(data), cond["resource"]["code"]["text"]


def test_a_newer_overlapping_file_brings_only_what_changed(db, samples, chart_for):
    patient = chart_for(REYNA)
    first = _apply(db, "physician", patient.id, _plan(db, "physician", patient.id, read_file(samples / REYNA)))
    newer_bytes, changed_text = _reyna_newer(samples)
    parsed = read_bytes(newer_bytes, "reyna-2021.json")
    plan = _plan(db, "physician", patient.id, parsed)
    totals = plan.totals()
    assert totals["new"] == 2 and totals["changed"] == 1 and totals["conflict"] == 0
    changed = next(i for i in plan.items if i.status is ItemStatus.CHANGED)
    assert changed.file_item.text == changed_text and changed.matched_by == "source id"
    weight = next(i for i in plan.items if i.status is ItemStatus.NEW and i.category == "observations")
    assert weight.file_item.value == pytest.approx(69.853, abs=0.001)
    decisions = plan.default_decisions("new") | {changed.key: Decision.TAKE_FILE}
    second = _apply(db, "physician", patient.id, plan, decisions)
    assert second.written["problems"] == {"added": 1, "updated": 1}
    with db.uow() as uow:
        row = uow.session.get(Problem, changed.chart_item.id)
        assert row.status == "resolved" and row.resolved_date == date(2020, 2, 2) and row.phr_import_id == second.import_id
    # undoing the newer import puts the changed problem back as the first import left it
    with db.uow(_user("physician")) as uow:
        svc.undo_import(uow, second.import_id, "wrong file")
    with db.uow() as uow:
        row = uow.session.get(Problem, changed.chart_item.id)
        assert row.status == "active" and row.resolved_date is None and row.phr_import_id == first.import_id
        assert not row.entered_in_error


def test_nurses_merge_vitals_only(db, samples, chart_for):
    patient = chart_for(REYNA)
    plan = _plan(db, "nurse", patient.id, read_file(samples / REYNA))
    before = dump(db)
    with pytest.raises(PermissionDenied):
        _apply(db, "nurse", patient.id, plan)
    assert dump(db) == before
    vitals_only = {k: d for k, d in plan.default_decisions("new").items() if k.startswith("observations|")}
    result = _apply(db, "nurse", patient.id, plan, vitals_only)
    assert result.applied and set(result.written["observations"]) == {"added"}
    assert _count(db, Problem) == 0
    with pytest.raises(PermissionDenied):
        with db.uow(_user("front_desk")) as uow:
            svc.plan_import(uow, patient.id, read_file(samples / REYNA))


def test_identity_mismatch_needs_a_physician_and_a_reason(db, samples, add_patient):
    patient = add_patient(given="Eve", family="Goodwife", birth_date=date(1975, 5, 1), sex="female")
    plan = _plan(db, "physician", patient.id, read_file(samples / CCD1))
    assert plan.identity.verdict is Verdict.MISMATCH
    before = dump(db)
    with pytest.raises(svc.IdentityMismatch, match="family name"):
        _apply(db, "physician", patient.id, plan)
    vitals = {k: d for k, d in plan.default_decisions("new").items() if k.startswith("observations|")}
    with pytest.raises(PermissionDenied):
        _apply(db, "nurse", patient.id, plan, vitals, reason="she married")
    assert dump(db) == before
    result = _apply(db, "physician", patient.id, plan, reason="married name; confirmed with the patient")
    assert result.applied
    with db.uow() as uow:
        assert uow.session.get(PhrImport, result.import_id).identity_override_reason.startswith("married name")


def test_decisions_are_checked_against_the_plan(db, samples, chart_for):
    patient = chart_for(REYNA)
    plan = _plan(db, "physician", patient.id, read_file(samples / REYNA))
    key = plan.items[0].key
    with pytest.raises(ValidationError):
        _apply(db, "physician", patient.id, plan, {key: Decision.TAKE_FILE})
    with pytest.raises(ValidationError):
        _apply(db, "physician", patient.id, plan, {"nope": Decision.ADD})


def test_a_chart_change_after_the_review_is_not_overwritten(db, samples, chart_for):
    patient = chart_for(REYNA)
    parsed = read_file(samples / REYNA)
    plan = _plan(db, "physician", patient.id, parsed)
    _apply(db, "physician", patient.id, plan)  # another workstation merged the same file meanwhile
    result = _apply(db, "physician", patient.id, plan)
    assert not result.applied
    assert any("changed since the review" in n for n in result.notes)
    assert _count(db, PhrImport) == 1


def test_undo_marks_rows_entered_in_error_and_the_file_can_come_back(db, samples, chart_for):
    patient = chart_for(MIGUEL)
    parsed = read_file(samples / MIGUEL)
    result = _apply(db, "physician", patient.id, _plan(db, "physician", patient.id, parsed))
    with db.uow(_user("physician")) as uow:
        touched = svc.undo_import(uow, result.import_id, "imported into the wrong chart")
    assert touched == sum(sum(v.values()) for v in result.written.values())
    assert _count(db, Medication, entered_in_error=False) == 0
    with db.uow(_user("physician")) as uow:
        (record,) = svc.import_history(uow, patient.id)
        assert record.status == "undone" and record.undone_at is not None and record.user == "Dr. Ana Lima"
        with pytest.raises(Exception, match="already undone"):
            svc.undo_import(uow, result.import_id, "again")
    plan = _plan(db, "physician", patient.id, parsed)
    assert set(plan.totals()) == {"new"}


def test_no_known_allergies_replaced_by_a_real_allergy_and_restored_by_undo(db, samples, chart_for):
    from desktop.services.allergies import record_nkda

    patient = chart_for(CCD1)
    with db.uow(_user("physician")) as uow:
        record_nkda(uow, patient.id)
    plan = _plan(db, "physician", patient.id, read_file(samples / CCD1))
    conflicts = [i for i in plan.items if i.category == "allergies"]
    assert conflicts and all(i.status is ItemStatus.CONFLICT for i in conflicts)
    decisions = {i.key: Decision.TAKE_FILE for i in conflicts}
    result = _apply(db, "physician", patient.id, plan, decisions)
    with db.uow() as uow:
        rows = uow.session.execute(select(Allergy).where(Allergy.patient_id == patient.id)).scalars().all()
        nkda = next(r for r in rows if r.no_known_allergies)
        assert nkda.status == "inactive"
        assert {r.substance_key for r in rows if not r.no_known_allergies and r.status == "active"} >= {"penicillin"}
    with db.uow(_user("physician")) as uow:
        svc.undo_import(uow, result.import_id, "test")
    with db.uow() as uow:
        nkda = uow.session.execute(select(Allergy).where(Allergy.no_known_allergies.is_(True))).scalar_one()
        assert nkda.status == "active" and not nkda.entered_in_error


def test_allergy_entered_in_the_chart_is_not_added_twice(db, samples, chart_for):
    from desktop.services.allergies import AllergyInput, add_allergy

    patient = chart_for(CCD1)
    with db.uow(_user("physician")) as uow:
        add_allergy(uow, patient.id, AllergyInput(substance="Penicillin", reaction="hives"))
    plan = _plan(db, "physician", patient.id, read_file(samples / CCD1))
    pen = next(i for i in plan.items if i.category == "allergies" and i.file_item.allergen_key == "penicillin")
    assert pen.status in (ItemStatus.DUPLICATE, ItemStatus.CHANGED)
    _apply(db, "physician", patient.id, plan)
    assert _count(db, Allergy, substance_key="penicillin") == 1


def test_alerts_run_on_the_merged_list(db, samples, chart_for):
    patient = chart_for(MIGUEL)
    plan = _plan(db, "physician", patient.id, read_file(samples / MIGUEL))
    decisions = plan.default_decisions("new")
    before = dump(db)
    with db.uow(_user("physician")) as uow:
        preview = svc.preview_alerts(uow, patient.id, plan, decisions)
    assert dump(db) == before  # a preview writes nothing
    assert preview.available
    assert any("warfarin" in a.message.lower() for a in preview.alerts)
    result = _apply(db, "physician", patient.id, plan, decisions)
    # the same alerts; those the physician overrode while merging are listed as overridden, not dropped
    assert {a.message for a in result.alerts.alerts + result.alerts.suppressed} == {a.message for a in preview.alerts}
    assert {a.key for a in result.alerts.suppressed} == {a.key for a in preview.interrupting}


def test_interrupting_alerts_need_an_override_each_and_are_recorded(db, samples, chart_for):
    """The merge answers with the one alert protocol: NeedsDecision (nothing written) until every interrupting
    alert has a physician's reasoned override; the overrides are stored like any order's."""
    from desktop.models import AlertOverride
    from desktop.services.alert_decisions import Decision, NeedsDecision
    from desktop.services.alerts import check_for_patient

    patient = chart_for(MIGUEL)
    plan = _plan(db, "physician", patient.id, read_file(samples / MIGUEL))
    decisions = plan.default_decisions("new")
    with db.uow(_user("physician")) as uow:
        serious = svc.preview_alerts(uow, patient.id, plan, decisions).interrupting
    assert len(serious) >= 2 and all(a.key for a in serious)
    before = dump(db)
    # no override, or one short: nothing written, the rest still pending
    for given in ((), ((serious[0], "Will monitor", ""),)):
        with db.uow(_user("physician")) as uow:
            need = svc.apply_import(uow, patient.id, plan, decisions, plan.info, decision=Decision(overrides=given))
        assert isinstance(need, NeedsDecision)
        assert {a.key for a in need.pending} == {a.key for a in serious} - {a.key for a, _r, _c in given}
        assert dump(db) == before
    # a nurse cannot override
    with pytest.raises(svc.PermissionDenied), db.uow(_user("nurse")) as uow:
        svc.apply_import(uow, patient.id, plan, decisions, plan.info,
                         decision=Decision(overrides=((serious[0], "Will monitor", ""),)))
    assert dump(db) == before
    decision = Decision(overrides=tuple((a, "Patient has tolerated this combination", "cardiology manages")
                                        for a in serious))
    with db.uow(_user("physician")) as uow:
        result = svc.apply_import(uow, patient.id, plan, decisions, plan.info, decision=decision)
    assert result.applied
    with db.uow(_user("physician")) as uow:
        rows = uow.session.execute(select(AlertOverride).where(AlertOverride.patient_id == patient.id)).scalars().all()
        assert {r.alert_key for r in rows} == {a.key for a in serious}
        assert {r.reason for r in rows} == {"Patient has tolerated this combination"}
        assert all(r.medication_id is not None for r in rows if r.kind == "interaction")
        # overridden once, the same alerts do not interrupt again on this chart
        assert not [a for a in check_for_patient(uow, patient.id).interrupting if a.key in {s.key for s in serious}]
        audit = uow.session.execute(select(AuditEntry.summary).where(AuditEntry.action == "override")).scalars().all()
        assert len(audit) == len(serious)


def test_alert_checking_unavailable_needs_an_acknowledgement_and_is_reported(db, samples, chart_for, monkeypatch):
    """A knowledge base that cannot load is never a silent "no alerts": the merge waits for the same
    acknowledgement as an order, then says in its result, notes and audit row that nothing was checked."""
    from desktop.alerts import KnowledgeBaseUnavailable
    from desktop.services import alerts
    from desktop.services.alert_decisions import NeedsDecision

    def broken():
        raise KnowledgeBaseUnavailable("interactions.json is corrupt")

    patient = chart_for(MIGUEL)
    plan = _plan(db, "physician", patient.id, read_file(samples / MIGUEL))
    monkeypatch.setattr(alerts, "load_kb", broken)
    with db.uow(_user("physician")) as uow:
        need = svc.apply_import(uow, patient.id, plan, plan.default_decisions("new"), plan.info)
    assert isinstance(need, NeedsDecision) and need.needs_acknowledgement and "corrupt" in need.error
    result = _apply(db, "physician", patient.id, plan)  # acknowledges, like the dialog
    assert result.applied and not result.alerts.available
    assert result.alerts.message.startswith(svc.ALERTS_UNAVAILABLE) and "corrupt" in result.alerts.message
    assert any(svc.ALERTS_UNAVAILABLE in n for n in result.notes)
    with db.uow() as uow:
        summary = uow.session.execute(select(AuditEntry.summary).where(AuditEntry.action == "phr_import")).scalar_one()
        assert svc.ALERTS_UNAVAILABLE in summary
        acks = uow.session.execute(select(AuditEntry.summary).where(AuditEntry.action == "acknowledge")).scalars().all()
        assert acks and all("without interaction checking" in a for a in acks)


def test_a_failure_while_writing_leaves_the_database_unchanged(db, samples, chart_for, monkeypatch):
    patient = chart_for(REYNA)
    plan = _plan(db, "physician", patient.id, read_file(samples / REYNA))
    before = dump(db)

    def boom(self, it, decision):
        raise RuntimeError("disk full")

    monkeypatch.setattr(svc._Writer, "immunization", boom)
    with pytest.raises(RuntimeError):
        _apply(db, "physician", patient.id, plan)
    assert dump(db) == before


def test_apple_health_readings_as_device_data(db, samples, add_patient):
    patient = add_patient(given="Hanna", family="Fixture", birth_date=date(1990, 1, 1))
    plan = _plan(db, "nurse", patient.id, read_file(samples / APPLE_HYDAWO))
    assert plan.identity.verdict is Verdict.PARTIAL
    assert {s.loinc for s in plan.series} == {"40443-4", "55423-8", "29463-7", "8480-6", "8462-4"}
    result = _apply(db, "nurse", patient.id, plan)
    assert result.written["observations"]["added"] == 13
    with db.uow() as uow:
        rows = uow.session.execute(select(VitalSign).where(VitalSign.loinc.in_(("8480-6", "8462-4")))).scalars().all()
        assert {r.origin for r in rows} == {"device"} and len({r.set_id for r in rows}) == 1
        weights = uow.session.execute(select(VitalSign).where(VitalSign.loinc == "29463-7")).scalars().all()
        assert {w.entered_unit for w in weights} == {"lb"}
    assert _count(db, Immunization) == 0


def test_stopped_medications_in_the_file_arrive_unticked_and_merge_as_history(db, chart_for, samples):
    """Issue 14.18: stopped medications (galantamine, amiodarone... "stopped" in the file) arrived ticked as NEW
    and would have joined the active medication list."""
    from desktop.services import medications

    name = "synthea/Fletcher_Hyatt_fe0562b5-f517-4951-8366-32fdab088930.json"
    patient = chart_for(name)
    plan = _plan(db, "physician", patient.id, read_file(samples / name))
    meds = [i for i in plan.in_category("medications") if i.status is ItemStatus.NEW]
    stopped = [i for i in meds if i.file_item.status in ("stopped", "completed")]
    active = [i for i in meds if i.file_item.status == "active"]
    assert stopped and active
    assert all(i.default is Decision.SKIP for i in stopped)  # not ticked
    assert all(i.default is Decision.ADD for i in active)
    one = stopped[0]  # ticked by the reviewer: merged, but as history
    _apply(db, "physician", patient.id, plan, {**plan.default_decisions(), one.key: Decision.ADD})
    with db.uow(_user("physician")) as uow:
        rows = medications.list_medications(uow, patient.id, False)
    assert len(rows) == len(active) + 1
    assert [r.status for r in rows if r.status != "active"] == [one.file_item.status]
