"""Adding a medication runs the alert checks first; interrupting alerts need a physician's override, an
unavailable knowledge base an explicit acknowledgement (the service answers NeedsDecision, a result, and
writes nothing until then). Nothing is skipped silently."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop.alerts import KnowledgeBaseUnavailable
from desktop.models import AlertOverride, Medication
from desktop.services.alert_decisions import Decision, NeedsDecision
from desktop.services.errors import PermissionDenied
from desktop.services.medications import (
    MedicationInput,
    add_medication,
    check_medication,
    list_medications,
)

WARFARIN = MedicationInput(formulary_id="warfarin-5-tab")
IBUPROFEN = MedicationInput(formulary_id="ibuprofen-400-tab")


@pytest.fixture
def on_warfarin(as_role, patient):
    with as_role("physician") as uow:
        add_medication(uow, patient.id, WARFARIN)
    return patient


def _meds(db, patient_id: int) -> list[str]:
    with db.uow() as uow:
        return list(uow.session.execute(select(Medication.formulary_id).where(
            Medication.patient_id == patient_id).order_by(Medication.id)).scalars())


def test_interrupting_alert_blocks_the_save_until_decided(db, as_role, on_warfarin):
    with as_role("physician") as uow:
        need = add_medication(uow, on_warfarin.id, IBUPROFEN)
    assert isinstance(need, NeedsDecision)
    pending = need.pending
    assert pending and all(a.severity in ("contraindicated", "major") for a in pending)
    assert any("warfarin" in a.message.lower() for a in pending)
    assert _meds(db, on_warfarin.id) == ["warfarin-5-tab"]  # nothing saved


def test_physician_override_saves_and_records_the_reason(db, as_role, on_warfarin, audit_rows):
    with as_role("physician") as uow:
        check = check_medication(uow, on_warfarin.id, IBUPROFEN)
    decision = Decision(overrides=tuple((a, "Will monitor", "INR in 3 days") for a in check.interrupting))
    with as_role("physician") as uow:
        row = add_medication(uow, on_warfarin.id, IBUPROFEN, decision)
    with db.uow() as uow:
        overrides = uow.session.execute(select(AlertOverride)).scalars().all()
    assert overrides and {o.medication_id for o in overrides} == {row.id}
    assert {o.reason for o in overrides} == {"Will monitor"}
    assert any(r[0] == "override" for r in audit_rows("alert"))


def test_nurse_cannot_override(db, as_role, on_warfarin):
    with as_role("nurse") as uow:
        check = check_medication(uow, on_warfarin.id, IBUPROFEN)
    decision = Decision(overrides=tuple((a, "Will monitor", "") for a in check.interrupting))
    with pytest.raises(PermissionDenied), as_role("nurse") as uow:
        add_medication(uow, on_warfarin.id, IBUPROFEN, decision)
    assert _meds(db, on_warfarin.id) == ["warfarin-5-tab"]


def test_unavailable_knowledge_base_needs_acknowledgement(db, as_role, patient, monkeypatch, audit_rows):
    import desktop.services.alerts as alerts_service

    def broken():
        raise KnowledgeBaseUnavailable("interactions.json: not valid JSON")

    monkeypatch.setattr(alerts_service, "load_kb", broken)
    with as_role("nurse") as uow:
        need = add_medication(uow, patient.id, IBUPROFEN)
    assert isinstance(need, NeedsDecision) and need.needs_acknowledgement and "unavailable" in str(need)
    with as_role("nurse") as uow:
        row = add_medication(uow, patient.id, IBUPROFEN, Decision(acknowledged_no_checking=True))
        assert [m.id for m in list_medications(uow, patient.id)] == [row.id]
    assert any(r[0] == "acknowledge" and "without interaction checking" in r[3] for r in audit_rows("medication"))


def test_free_text_brand_is_still_checked(as_role, on_warfarin):
    with as_role("physician") as uow:
        need = add_medication(uow, on_warfarin.id, MedicationInput(drug_name="Advil", source="patient-reported"))
    assert isinstance(need, NeedsDecision) and need.pending
