"""One write path per clinical entity: the PHR merge reaches the same entity-service functions (validation,
duplicate rules, the "no known drug allergies" rule, alert checks, audit) as the chart screens."""

from __future__ import annotations

import importlib
import inspect

import pytest
from sqlalchemy import select

from desktop.models import Allergy, AuditEntry
from desktop.phr import Decision, read_file
from desktop.services import allergies, immunizations, medications, problems, vitals
from desktop.services import phr_import as svc
from desktop.services.alert_decisions import NeedsDecision
from desktop.services.chart_rows import DEMO
from tests.conftest import user_for

from .conftest import CCD1, MIGUEL, apply_reviewed, readings_bundle

ENTITY_SERVICES = (allergies, immunizations, medications, problems, vitals)
WRITERS = ("add_", "update_", "record_")  # the public functions that write clinical rows


def _writers() -> dict[str, object]:
    """Every public function of the entity services that writes clinical data (found by name, so a new one
    is walked too)."""
    found = {}
    for module in ENTITY_SERVICES:
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == module.__name__ and name.startswith(WRITERS) \
                    and list(inspect.signature(fn).parameters)[:1] == ["uow"]:
                found[f"{module.__name__.rsplit('.', 1)[1]}.{name}"] = fn
    return found


def test_the_merge_writes_every_entity_through_its_service(db, samples, chart_for, monkeypatch):
    writers = _writers()
    assert {"allergies.add_allergy", "allergies.record_nkda", "medications.add_medication",
            "problems.add_problem", "immunizations.add_immunization", "vitals.add_readings"} <= set(writers)
    called: list[str] = []
    for qual, fn in writers.items():
        def spy(*a, _fn=fn, _qual=qual, **k):
            called.append(_qual)
            return _fn(*a, **k)

        # the merge imports them by name: patch both the service module and the merge's reference
        monkeypatch.setattr(importlib.import_module(fn.__module__), fn.__name__, spy)
        if hasattr(svc, fn.__name__):
            monkeypatch.setattr(svc, fn.__name__, spy)
    patient = chart_for(MIGUEL)
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, read_file(samples / MIGUEL))
    with db.uow(user_for("physician")) as uow:
        result = apply_reviewed(uow, patient.id, plan)
    written = {c for c, v in result.written.items() if v.get("added")}
    expected = {"problems": "problems.add_problem", "medications": "medications.add_medication",
                "allergies": "allergies.add_allergy", "immunizations": "immunizations.add_immunization",
                "observations": "vitals.add_readings"}
    for category in written & set(expected):
        assert expected[category] in called, (category, sorted(set(called)))


def test_an_imported_drug_allergy_follows_the_nkda_rule(db, samples, chart_for):
    """NKDA recorded in the chart, then a file with a penicillin allergy: the allergy service's rule makes the
    NKDA entry inactive, as entering the allergy by hand would."""
    patient = chart_for(CCD1)
    with db.uow(user_for("physician")) as uow:
        allergies.record_nkda(uow, patient.id)
        plan = svc.plan_import(uow, patient.id, read_file(samples / CCD1))
    decisions = {i.key: Decision.TAKE_FILE for i in plan.items if i.category == "allergies"}  # the reviewer's
    with db.uow(user_for("physician")) as uow:
        apply_reviewed(uow, patient.id, plan, decisions)
    with db.uow(user_for("physician")) as uow:
        rows = uow.session.execute(select(Allergy).where(Allergy.patient_id == patient.id)).scalars().all()
        audit = uow.session.execute(select(AuditEntry.summary).where(AuditEntry.entity == "allergy")).scalars().all()
    assert [r.status for r in rows if r.no_known_allergies] == ["inactive"]
    assert any(a.startswith("No known drug allergies inactivated") for a in audit)  # the allergy service's rule
    assert any(r.substance_key == "penicillin" and r.status == "active" and r.phr_import_id for r in rows)


def test_an_imported_medication_needs_the_same_decision_as_adding_it_by_hand(db, samples, chart_for):
    """A medication in the file that interacts with one on the chart: the merge answers NeedsDecision with the
    same interrupting alert (same key) that adding the same drug by hand gives."""
    patient = chart_for(MIGUEL)
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, read_file(samples / MIGUEL))
    warfarin = next(i for i in plan.items if i.category == "medications" and "warfarin" in i.file_item.text.lower())
    with db.uow(user_for("physician")) as uow:  # an interacting drug already on the chart, entered by hand
        medications.add_medication(uow, patient.id, medications.MedicationInput(formulary_id="aspirin-81-ec-tab"))
    only = {k: d for k, d in plan.default_decisions("new").items() if k == warfarin.key}
    with db.uow(user_for("physician")) as uow:
        by_merge = svc.apply_import(uow, patient.id, plan, only, plan.info)
    by_hand_input = medications.MedicationInput(
        drug_name=warfarin.file_item.text, ingredients="+".join(warfarin.file_item.ingredients),
        ingredient_rxcui=warfarin.file_item.ingredient_rxcui or "", source="patient-reported")
    with db.uow(user_for("physician")) as uow:
        by_hand = medications.add_medication(uow, patient.id, by_hand_input)
    assert isinstance(by_merge, NeedsDecision) and isinstance(by_hand, NeedsDecision)
    assert {a.key for a in by_merge.pending} == {a.key for a in by_hand.pending} != set()


# ---------------------------------------------------------------- the demo builder: the same write path

def _spy_writers(monkeypatch) -> list[tuple[str, tuple, dict, object]]:
    """Patch every entity-service writer (found by name) to record (name, args, kwargs, outcome)."""
    calls: list[tuple[str, tuple, dict, object]] = []
    for qual, fn in _writers().items():
        def spy(*a, _fn=fn, _qual=qual, **k):
            out = _fn(*a, **k)
            calls.append((_qual, a, k, out))
            return out

        monkeypatch.setattr(importlib.import_module(fn.__module__), fn.__name__, spy)
    return calls


def _demo(tmp_path, n: int = 6):
    from desktop.services import demo
    from desktop.services.database import Database

    db = Database.open(f"sqlite:///{tmp_path / 'demo.db'}", create=True)
    with db.uow() as uow:
        demo.create_practice_and_users(uow)
        demo.ensure_named_demo_patients(uow)
        ids = demo.add_patients(uow, n, seed=11)
    return db, ids


def test_the_demo_builder_writes_every_entity_through_its_service(tmp_path, monkeypatch):
    """The demo reaches the chart's entity services (validation, duplicates, NKDA, alerts, audit) with the
    provenance "demo"; a medication the check interrupts is written only with a physician's override record."""
    from desktop.models import AlertOverride, Medication, Problem, User
    from desktop.services import alerts, demo_chart

    db, ids = _demo(tmp_path)
    calls = _spy_writers(monkeypatch)
    with db.uow() as uow:
        stats = demo_chart.fill_demo_charts(uow, ids, seed=11)
    names = {c[0] for c in calls}
    assert {"problems.add_problem", "allergies.add_allergy", "medications.add_medication",
            "immunizations.add_immunization", "vitals.record_vitals_sets", "vitals.add_readings"} <= names
    for name, args, kwargs, _out in calls:  # each row says where it came from
        given = {r.provenance for r in args[2]} if name == "vitals.add_readings" else {kwargs.get("provenance")}
        assert given == {DEMO}, name
    # the same gate as the chart's: the large chart's apixaban+naproxen stopped, then overridden by the physician
    stopped = [c for c in calls if c[0] == "medications.add_medication" and isinstance(c[3], NeedsDecision)]
    assert stopped, "no demo medication met the alert check"
    harold = stats.large_patient_id
    with db.uow(user_for("physician")) as uow:
        s = uow.session
        for _name, args, _k, need in stopped:
            pid = args[1]
            retried = [c for c in calls if c[0] == "medications.add_medication" and c[1][1] == pid
                       and c[1][2] == args[2] and len(c[1]) > 3 and c[1][3] is not None]
            if pid != harold:
                assert not retried  # left out: no order stands without a decision
                continue
            assert retried and not isinstance(retried[0][3], NeedsDecision)
            overrides = s.execute(select(AlertOverride.alert_key, AlertOverride.reason, User.display_name).join(
                User, User.id == AlertOverride.user_id).where(
                AlertOverride.medication_id == retried[0][3].id)).all()
            assert {k for k, _r, _n in overrides} == {a.key for a in need.pending}
            assert all(r == demo_chart.LARGE_OVERRIDE[0] and n == "Dr. Ana Lima" for _k, r, n in overrides)
        listed = alerts.check_for_patient(uow, harold).listed
        marked = alerts.check_for_patient(uow, harold).overridden
        assert any(a.key in marked and "overridden by Dr. Ana Lima" in marked[a.key] for a in listed)
        assert s.execute(select(Problem.source_system).where(Problem.patient_id == harold)).scalars().all() \
            and {m for m in s.execute(select(Medication.source_system).where(
                Medication.patient_id == harold, Medication.prescription_id.is_(None))).scalars()} == {"demo"}
    db.dispose()


def test_the_demo_builder_meets_the_vitals_validation_and_stays_atomic(tmp_path, monkeypatch):
    """An implausible demo vital sign is refused by the vitals service's own check, and the whole demo
    transaction is rolled back: nothing half-built is left."""
    import pytest
    from sqlalchemy import func

    from desktop.models import Problem
    from desktop.services import demo_chart
    from desktop.services.errors import ValidationError

    db, ids = _demo(tmp_path, n=2)
    real = demo_chart._visit_values

    def implausible(*a, **k):
        values = real(*a, **k)
        values[vitals.SYSTOLIC] = 400
        return values

    monkeypatch.setattr(demo_chart, "_visit_values", implausible)
    with pytest.raises(ValidationError, match="not plausible for bp systolic"), db.uow() as uow:
        demo_chart.fill_demo_charts(uow, ids, seed=11)
    with db.uow(user_for("physician")) as uow:
        assert uow.session.execute(select(func.count(Problem.id))).scalar() == 0
    db.dispose()


def test_merged_vitals_need_the_same_acknowledgement_as_typed_ones(db, add_patient, qapp):
    """A file whose newest reading is an SpO2 of 84 %: the merge (a nurse may merge readings) answers
    NeedsDecision with the vitals form's alert; the review dialog offers Acknowledge and names the reading as the
    entry raising it; acknowledged, the reading is merged and the acknowledgement recorded."""
    import json
    from datetime import UTC, date, datetime, timedelta

    from desktop.models import AlertOverride
    from desktop.phr import read_bytes
    from desktop.services.alert_decisions import Decision
    from desktop.services.alerts import ACKNOWLEDGED
    from desktop.widgets.phr_review_models import DecisionBook, entries_raising

    when = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Oxley", "given": ["Ruth"]}],
                      "gender": "female", "birthDate": "1950-03-04"}},
        {"resource": {"resourceType": "Observation", "id": "o1", "status": "final", "subject": {"reference": "Patient/p1"},
                      "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                                "code": "vital-signs"}]}],
                      "code": {"coding": [{"system": "http://loinc.org", "code": "59408-5"}]},
                      "effectiveDateTime": when,
                      "valueQuantity": {"value": 84, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}},
    ]}
    patient = add_patient(given="Ruth", family="Oxley", birth_date=date(1950, 3, 4), sex="female")
    with db.uow(user_for("nurse")) as uow:
        plan = svc.plan_import(uow, patient.id, read_bytes(json.dumps(bundle).encode(), "ruth.json"))
    decisions = plan.default_decisions("new")
    assert {i.category for i in plan.items if i.key in decisions} == {"observations"}
    with db.uow(user_for("nurse")) as uow:
        need = svc.apply_import(uow, patient.id, plan, decisions, plan.info)
    assert isinstance(need, NeedsDecision) and [a.kind for a in need.pending] == ["vital"]
    book = DecisionBook(plan)
    for key, d in decisions.items():
        book.set(key, d)
    assert set(entries_raising(need.pending, book)) == set(decisions)  # "Leave these out" finds the reading
    with db.uow(user_for("nurse")) as uow:
        done = svc.apply_import(uow, patient.id, plan, decisions, plan.info,
                                decision=Decision(acknowledged=tuple((a, "") for a in need.pending)))
    assert done.applied and done.written["observations"]["added"] == 1
    with db.uow() as uow:
        (ack,) = uow.session.execute(select(AlertOverride)).scalars().all()
    assert ack.reason == ACKNOWLEDGED and ack.kind == "vital"


def _merge_by_nurse_then_system(db, add_patient, data: bytes):
    """Ruth Oxley's file merged by a nurse (answered: what needs deciding), then by the system as `import-phr`
    runs (answered: the result), and the chart's alert list afterwards."""
    from datetime import date

    from desktop.phr import read_bytes
    from desktop.services import alerts

    patient = add_patient(given="Ruth", family="Oxley", birth_date=date(1950, 3, 4), sex="female")
    with db.uow(user_for("nurse")) as uow:
        plan = svc.plan_import(uow, patient.id, read_bytes(data, "ruth.json"))
    decisions = plan.default_decisions("new")
    with db.uow(user_for("nurse")) as uow:
        need = svc.apply_import(uow, patient.id, plan, decisions, plan.info)
    with db.uow() as uow:
        done = svc.apply_import(uow, patient.id, plan, decisions, plan.info)
    with db.uow(user_for("physician")) as uow:
        shown = alerts.check_for_patient(uow, patient.id)
    return need, done, shown


def _two_hours_ago() -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("weight_first", [True, False])
def test_every_newest_reading_is_checked_not_only_the_first_set(db, add_patient, weight_first):
    """A PHR file gives each reading its own set: a heart rate of 240 taken at the same instant as a weight must
    stop the merge whichever comes first in the file; merged by the system (command line) it is reported, and
    the chart's alert list shows it."""
    readings = [("w", "29463-7", 70, "kg"), ("hr", "8867-4", 240, "/min")]
    need, done, shown = _merge_by_nurse_then_system(
        db, add_patient, readings_bundle(_two_hours_ago(), readings if weight_first else readings[::-1]))
    assert isinstance(need, NeedsDecision)
    assert [a.rule_id for a in need.pending] == ["adult-hr-high"]
    assert done.applied and done.written["observations"]["added"] == 2
    assert [a.rule_id for a in done.alerts.alerts if a.kind == "vital"] == ["adult-hr-high"]
    assert "adult-hr-high" in {a.rule_id for a in shown.alerts}


@pytest.mark.parametrize("low_first", [True, False])
def test_two_heart_rates_at_the_newest_instant_are_both_checked(db, add_patient, low_first):
    """Two devices give a heart rate at the same instant (30 and 72): whichever is stored last, the rate of 30
    stops the merge and stays in the chart's alert list (one value per LOINC hid the other)."""
    rates = [("hr-a", "8867-4", 30, "/min"), ("hr-b", "8867-4", 72, "/min")]
    need, done, shown = _merge_by_nurse_then_system(
        db, add_patient, readings_bundle(_two_hours_ago(), [("w", "29463-7", 70, "kg"),
                                                            *(rates if low_first else rates[::-1])]))
    assert isinstance(need, NeedsDecision) and [a.rule_id for a in need.pending] == ["adult-hr-low"]
    assert done.applied and done.written["observations"]["added"] == 3
    assert "adult-hr-low" in {a.rule_id for a in shown.alerts}


def test_reading_sets_keep_every_value_of_a_loinc_measured_twice():
    from desktop.services.alerts import reading_sets

    rows = [("8867-4", 30.0), ("29463-7", 70.0), ("8867-4", 72.0), ("8867-4", 30.0)]
    assert reading_sets(rows) == [{"8867-4": 30.0, "29463-7": 70.0}, {"8867-4": 72.0, "29463-7": 70.0}]
    assert reading_sets([]) == []
