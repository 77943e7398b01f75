"""Drug-lab checks at order time go through the one alert check: metformin with eGFR < 30 stops the order
until a physician overrides it, warfarin with INR >= 4 and potassium-raising drugs with K >= 5.5 too; nothing
when the results are fine or absent; never silent when the lab rules cannot load."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desktop.alerts import DrugRef
from desktop.services import alerts as alert_service
from desktop.services import medications as meds
from desktop.services import results as svc
from desktop.services.results import PanelInput, ResultInput
from tests.conftest import user_for


def _result(db, patient_id, loinc, name, value, unit, days_ago=3):
    with db.uow(user_for("nurse")) as uow:
        svc.record_results(uow, patient_id, PanelInput(
            collected_at=datetime.now(UTC) - timedelta(days=days_ago),
            results=(ResultInput(name=name, loinc=loinc, value=value, unit=unit),)))


def _add(uow, patient_id, inp, overrides=()):
    """add_medication under the one alert protocol: the pending alerts when it stopped, else the row.
    (Works with a service that returns NeedsDecision and with one that raises it.)"""
    try:
        from desktop.services.alert_decisions import Decision
    except ImportError:
        Decision = meds.AlertDecision
    decision = Decision(overrides=tuple(overrides)) if overrides else None
    try:
        out = meds.add_medication(uow, patient_id, inp, decision)
    except Exception as exc:
        if hasattr(exc, "pending"):
            return tuple(exc.pending), None
        raise
    pending = getattr(out, "pending", None)
    return (tuple(pending), None) if pending is not None else ((), out)


def test_metformin_with_egfr_below_30_needs_an_override(db, patient):
    _result(db, patient.id, "33914-3", "eGFR", 24, "mL/min/{1.73_m2}")
    metformin = meds.MedicationInput(formulary_id="metformin-500-tab", sig="1 bid")
    with db.uow(user_for("physician")) as uow:
        pending, row = _add(uow, patient.id, metformin)
    assert row is None
    (alert,) = [a for a in pending if a.kind == "drug-lab"]
    assert alert.severity == "contraindicated" and "eGFR" in alert.message and "24" in alert.message
    assert "FDA" in alert.source
    with db.uow(user_for("physician")) as uow:
        pending, row = _add(uow, patient.id, metformin, [(alert, "Benefit outweighs risk", "nephrology")])
    assert not pending and row.drug_name.lower().startswith("metformin")


def test_the_latest_result_decides(db, patient):
    _result(db, patient.id, "33914-3", "eGFR", 24, "mL/min/{1.73_m2}", days_ago=400)
    _result(db, patient.id, "33914-3", "eGFR", 52, "mL/min/{1.73_m2}", days_ago=2)
    with db.uow(user_for("physician")) as uow:
        check = alert_service.check_for_patient(uow, patient.id, DrugRef("metformin", ("metformin",)))
    assert not [a for a in check.alerts if a.kind == "drug-lab"]


@pytest.mark.parametrize(("drug", "loinc", "name", "value", "unit", "fires"), [
    ("warfarin", "6301-6", "INR", 4.3, "{INR}", True),
    ("warfarin", "6301-6", "INR", 3.1, "{INR}", False),
    ("spironolactone", "6298-4", "Potassium", 5.6, "mmol/L", True),
    ("lisinopril", "6298-4", "Potassium", 5.5, "mEq/L", True),
    ("lisinopril", "6298-4", "Potassium", 5.2, "mmol/L", False),
    ("amlodipine", "6298-4", "Potassium", 6.1, "mmol/L", False),
])
def test_drug_lab_rules_at_order_time(db, patient, drug, loinc, name, value, unit, fires):
    _result(db, patient.id, loinc, name, value, unit)
    with db.uow(user_for("physician")) as uow:
        check = alert_service.check_for_patient(uow, patient.id, DrugRef(drug, (drug,)))
    found = [a for a in check.alerts if a.kind == "drug-lab"]
    assert bool(found) is fires
    if fires:
        assert found[0].severity == "major" and drug in found[0].message and found[0].source


def test_no_result_no_alert_and_the_chart_list_shows_active_drugs(db, patient):
    with db.uow(user_for("physician")) as uow:
        assert not [a for a in alert_service.check_for_patient(uow, patient.id, DrugRef("warfarin", ("warfarin",)))
                    .alerts if a.kind == "drug-lab"]
        assert _add(uow, patient.id, meds.MedicationInput(formulary_id="warfarin-5-tab", sig="1 daily"))[1] is not None
    _result(db, patient.id, "6301-6", "INR", 5.2, "{INR}")
    with db.uow(user_for("physician")) as uow:
        passive = alert_service.check_for_patient(uow, patient.id)  # the chart-open list
    assert [a.rule_id for a in passive.alerts if a.kind == "drug-lab"] == ["druglab-warfarin-inr"]


def test_lab_rules_that_cannot_load_are_reported(db, patient, monkeypatch):
    from desktop.alerts import labs as lab_rules
    from desktop.kb.errors import KnowledgeBaseError

    def broken():
        raise KnowledgeBaseError("the lab knowledge file lab_alerts.json cannot be read")

    monkeypatch.setattr(lab_rules, "rules", broken)
    _result(db, patient.id, "6301-6", "INR", 5.2, "{INR}")
    with db.uow(user_for("physician")) as uow:
        check = alert_service.check_for_patient(uow, patient.id, DrugRef("warfarin", ("warfarin",)))
    assert any("lab_alerts.json" in u for u in check.unchecked)
