"""One write path per clinical entity: the PHR merge reaches the same entity-service functions (validation,
duplicate rules, the "no known drug allergies" rule, alert checks, audit) as the chart screens."""

from __future__ import annotations

import importlib
import inspect

from sqlalchemy import select

from desktop.models import Allergy, AuditEntry
from desktop.phr import Decision, read_file
from desktop.services import allergies, immunizations, medications, problems, vitals
from desktop.services import phr_import as svc
from desktop.services.alert_decisions import NeedsDecision
from tests.conftest import user_for

from .conftest import CCD1, MIGUEL, apply_reviewed

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
