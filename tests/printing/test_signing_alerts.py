"""Signing runs the real alert engine: interrupting alerts need a reason, a failed check an acknowledgement
(sign answers NeedsDecision, signing nothing, until the Decision gives them)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop.models import AlertOverride, Medication
from desktop.services import prescriptions as rxs
from desktop.services.alert_decisions import Decision, NeedsDecision
from tests.conftest import user_for


@pytest.fixture
def clarithromycin_listed(db, patient):
    with db.uow() as uow:
        uow.session.add(Medication(patient_id=patient.id, drug_name="clarithromycin 500 mg tablet",
                                   ingredients="clarithromycin", source="patient-reported"))


def _simvastatin(db, patient_id):
    with db.uow(user_for("physician")) as uow:
        return rxs.create_draft(uow, patient_id, rxs.RxInput(
            formulary_id="simvastatin-20-tab", dose="1", dose_unit="tablet", route="po", frequency="qhs",
            quantity=30, quantity_unit="tablet"))


def test_formulary_fills_drug_fields(db, prescriber, patient):
    rx = _simvastatin(db, patient.id)
    assert (rx.drug_name, rx.strength, rx.dose_form, rx.ingredients) == (
        "simvastatin", "20 mg", "oral tablet", "simvastatin")
    assert rx.ingredient_rxcui == "36567"  # CLINICAL-REFERENCES.md
    assert rx.sig_text == "Take 1 tablet by mouth at bedtime" and rx.days_supply == 30


def test_formulary_sets_the_schedule_not_the_user(db, prescriber, patient):
    with db.uow(user_for("physician")) as uow:
        rx = rxs.create_draft(uow, patient.id, rxs.RxInput(
            formulary_id="oxycodone-5-tab", dea_schedule="", sig_text="1 tab po q6h prn pain", quantity=12,
            quantity_unit="tablet"))
    assert rx.dea_schedule == "II" and rx.controlled


def test_interrupting_alert_needs_a_reason(db, prescriber, patient, clarithromycin_listed):
    draft = _simvastatin(db, patient.id)
    with db.uow(user_for("physician")) as uow:
        check = rxs.check_before_signing(uow, draft.id)
    assert check.kb_available and len(check.interrupting) == 1
    alert = check.interrupting[0]
    assert alert.severity == "contraindicated" and "clarithromycin" in alert.message
    with db.uow(user_for("physician")) as uow:
        need = rxs.sign(uow, draft.id)
        assert isinstance(need, NeedsDecision) and [a.key for a in need.pending] == [alert.key]
        assert "override" in str(need) and rxs.get_prescription(uow, draft.id).status == "draft"
    with db.uow(user_for("physician")) as uow:
        signed = rxs.sign(uow, draft.id, Decision(overrides=((alert, "Will monitor", "CK"),)))
        [ov] = uow.session.execute(select(AlertOverride)).scalars().all()
    assert signed.status == "active"
    assert (ov.prescription_id, ov.reason, ov.alert_key) == (signed.id, "Will monitor", alert.key)


def test_renewal_is_not_a_duplicate_of_itself(db, prescriber, patient):
    draft = _simvastatin(db, patient.id)
    with db.uow(user_for("physician")) as uow:
        first = rxs.sign(uow, draft.id)
        renewal = rxs.renew(uow, first.id)
        check = rxs.check_before_signing(uow, renewal.id)
    assert not check.alerts, [a.message for a in check.alerts]


def test_failed_check_needs_acknowledgement(db, prescriber, patient, monkeypatch):
    from desktop.alerts import KnowledgeBaseUnavailable
    from desktop.services import alerts

    def broken():
        raise KnowledgeBaseUnavailable("interactions.json is corrupt")

    monkeypatch.setattr(alerts, "load_kb", broken)
    draft = _simvastatin(db, patient.id)
    with db.uow(user_for("physician")) as uow:
        need = rxs.sign(uow, draft.id)
        assert isinstance(need, NeedsDecision) and need.needs_acknowledgement and "acknowledgement" in str(need)
    with db.uow(user_for("physician")) as uow:
        assert rxs.sign(uow, draft.id, Decision(acknowledged_no_checking=True)).status == "active"
