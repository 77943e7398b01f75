"""Prescribing rules and the life of a prescription: draft, sign, renew, modify, discontinue, print, reprint."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from desktop.models import AuditEntry, Medication, Prescription, PrintRecord
from desktop.services import prescriptions as rxs
from desktop.services.errors import NotFound, PermissionDenied, ServiceError, ValidationError
from tests.conftest import user_for

from .conftest import flat, pdf_pages, pdf_text


def test_draft_builds_plain_language_sig_and_days_supply(db, prescriber, patient, rx_input):
    with db.uow(user_for("physician")) as uow:
        rx = rxs.create_draft(uow, patient.id, rx_input())
    assert rx.status == "draft"
    assert rx.sig_text == "Take 1 capsule by mouth three times a day for 10 days"
    assert rx.days_supply == 10
    assert rx.prescriber_name == "Ana Lima, MD"
    assert rxs.rx_number_valid(rx.rx_number) and rx.rx_number == rxs.rx_number_for(rx.id)


def test_typed_abbreviations_are_expanded(db, prescriber, patient, rx_input):
    with db.uow(user_for("physician")) as uow:
        rx = rxs.create_draft(uow, patient.id, rx_input(sig_text="1 cap po bid x 15d", quantity=30))
    assert rx.sig_text == "Take 1 capsule by mouth twice a day for 15 days"
    assert rx.days_supply == 15


def test_rx_numbers_are_unique(db, prescriber, patient, rx_input):
    with db.uow(user_for("physician")) as uow:
        numbers = {rxs.create_draft(uow, patient.id, rx_input()).rx_number for _ in range(5)}
    assert len(numbers) == 5
    assert not rxs.rx_number_valid("RX000000011")  # a mistyped check digit is caught


@pytest.mark.parametrize("over, field, words", [
    ({"quantity": 0}, "quantity", "more than 0"),
    ({"quantity_unit": ""}, "quantity_unit", "unit"),
    ({"drug_name": ""}, "drug_name", "choose a drug"),
    ({"refills": 12}, "refills", "at most 11"),
    ({"refills": -1}, "refills", "negative"),
    ({"dea_schedule": "II", "refills": 1}, "refills", "cannot be refilled"),
    ({"dea_schedule": "IV", "refills": 6}, "refills", "at most 5 refills"),
    ({"prn": True, "prn_indication": ""}, "prn_indication", "taken for"),
])
def test_validation_rules(db, prescriber, patient, rx_input, over, field, words):
    with db.uow(user_for("physician")) as uow, pytest.raises(ValidationError) as err:
        rxs.create_draft(uow, patient.id, rx_input(**over))
    assert words in err.value.errors[field]


def test_schedule_iii_to_v_allow_five_refills(db, prescriber, patient, rx_input):
    with db.uow(user_for("physician")) as uow:
        rx = rxs.create_draft(uow, patient.id, rx_input(drug_name="tramadol", dea_schedule="IV", refills=5))
    assert rx.refills == 5 and rx.controlled


def test_controlled_needs_prescriber_dea(db, patient, rx_input):
    from desktop.services.prescribers import PrescriberInput, save_prescriber

    from .conftest import VALID_NPI

    with db.uow(user_for("admin")) as uow:
        save_prescriber(uow, PrescriberInput(user_id=user_for("physician").id, full_name="Ana Lima", npi=VALID_NPI))
    with db.uow(user_for("physician")) as uow, pytest.raises(ValidationError) as err:
        rxs.create_draft(uow, patient.id, rx_input(drug_name="oxycodone", dea_schedule="II"))
    assert "DEA number" in err.value.errors["dea_schedule"]


def test_controlled_needs_patient_address(db, prescriber, add_patient, rx_input):
    homeless = add_patient(given="Zoë", family="Müller")
    with db.uow(user_for("physician")) as uow, pytest.raises(ValidationError) as err:
        rxs.create_draft(uow, homeless.id, rx_input(drug_name="oxycodone", dea_schedule="II"))
    assert "address" in err.value.errors["patient"]


@pytest.mark.parametrize("role", ["nurse", "front_desk", "admin"])
def test_only_physicians_prescribe(db, prescriber, patient, rx_input, role):
    with db.uow(user_for(role)) as uow, pytest.raises(PermissionDenied):
        rxs.create_draft(uow, patient.id, rx_input())


def test_physician_without_profile_is_told_why(db, patient, rx_input):
    with db.uow(user_for("physician")) as uow, pytest.raises(PermissionDenied, match="prescriber profile"):
        rxs.create_draft(uow, patient.id, rx_input())


def test_sign_makes_active_and_adds_to_medication_list(db, signed_rx):
    rx = signed_rx()
    assert rx.status == "active" and rx.written_date == date.today() and rx.signed_at is not None
    with db.uow(user_for("physician")) as uow:
        med = uow.session.execute(select(Medication).where(Medication.prescription_id == rx.id)).scalar_one()
        actions = [a.action for a in uow.session.execute(select(AuditEntry).where(
            AuditEntry.entity == "prescription", AuditEntry.entity_id == str(rx.id))).scalars()]
    assert med.status == "active" and med.source == "clinic"
    assert med.sig == "Take 1 capsule by mouth three times a day for 10 days"
    assert "amoxicillin" in med.drug_name
    assert actions == ["create", "sign"]


def test_sign_updates_an_existing_patient_reported_row(db, prescriber, patient, rx_input, no_alert_engine):
    with db.uow(user_for("nurse")) as uow:
        uow.session.add(Medication(patient_id=patient.id, drug_name="amoxicillin", strength="500 mg",
                                   ingredients="amoxicillin", source="patient-reported"))
    with db.uow(user_for("physician")) as uow:
        rx = rxs.sign(uow, rxs.create_draft(uow, patient.id, rx_input()).id)
        rows = uow.session.execute(select(Medication).where(Medication.patient_id == patient.id)).scalars().all()
    assert len(rows) == 1 and rows[0].prescription_id == rx.id and rows[0].source == "clinic"


def test_signed_prescription_cannot_be_edited(db, signed_rx, rx_input):
    rx = signed_rx()
    with db.uow(user_for("physician")) as uow, pytest.raises(ServiceError, match="only a draft"):
        rxs.update_draft(uow, rx.id, rx_input(quantity=60))


def test_modify_writes_new_and_replaces_old_on_signing(db, signed_rx, rx_input):
    old = signed_rx()
    with db.uow(user_for("physician")) as uow:
        new = rxs.modify(uow, old.id, rx_input(dose="2", quantity=60))
        assert rxs.get_prescription(uow, old.id).status == "active"  # until the new one is signed
        signed = rxs.sign(uow, new.id)
        old_now = rxs.get_prescription(uow, old.id)
        meds = uow.session.execute(select(Medication).where(Medication.patient_id == old.patient_id,
                                                            Medication.status == "active")).scalars().all()
    assert signed.replaces_id == old.id and signed.rx_number != old.rx_number
    assert old_now.status == "replaced" and signed.rx_number in old_now.discontinued_reason
    assert len(meds) == 1 and meds[0].prescription_id == signed.id
    assert meds[0].sig.startswith("Take 2 capsules")


def test_renew_copies_and_replaces(db, signed_rx):
    old = signed_rx(refills=1)
    with db.uow(user_for("physician")) as uow:
        new = rxs.renew(uow, old.id)
        assert new.status == "draft" and new.drug_name == old.drug_name and new.sig_text == old.sig_text
        rxs.sign(uow, new.id)
        assert rxs.get_prescription(uow, old.id).status == "replaced"


def test_discontinue_needs_reason_and_stops_medication(db, signed_rx):
    rx = signed_rx()
    with db.uow(user_for("physician")) as uow, pytest.raises(ValidationError):
        rxs.discontinue(uow, rx.id, "  ")
    with db.uow(user_for("physician")) as uow:
        done = rxs.discontinue(uow, rx.id, "rash after 3 days")
        med = uow.session.execute(select(Medication).where(Medication.prescription_id == rx.id)).scalar_one()
    assert done.status == "discontinued" and done.discontinued_reason == "rash after 3 days"
    assert med.status == "stopped" and med.stop_date == date.today() and "rash" in med.note


def test_history_lists_every_prescription_newest_first(db, signed_rx, patient):
    first = signed_rx()
    second = signed_rx(drug_name="lisinopril", strength="10 mg", dose_form="oral tablet", dose_unit="tablet",
                       quantity_unit="tablet", frequency="qd", quantity=90, duration_days=None)
    with db.uow(user_for("physician")) as uow:
        rxs.discontinue(uow, first.id, "course finished")
        rows = rxs.history(uow, patient.id)
        active = rxs.active_prescriptions(uow, patient.id)
    assert [r.id for r in rows] == [second.id, first.id]
    assert [r.status for r in rows] == ["active", "discontinued"]
    assert [r.id for r in active] == [second.id]


def test_discarded_draft_leaves_history(db, prescriber, patient, rx_input):
    with db.uow(user_for("physician")) as uow:
        draft = rxs.create_draft(uow, patient.id, rx_input())
        rxs.discard_draft(uow, draft.id, "wrong patient")
        assert rxs.history(uow, patient.id) == []
        with pytest.raises(NotFound):
            rxs.get_prescription(uow, draft.id)


# ---------------------------------------------------------------- printing and reprinting

def _print(db, role, rx_ids):
    with db.uow(user_for(role)) as uow:
        job = rxs.prepare_rx_print(uow, rx_ids)
        rxs.record_print(uow, job)
    return job


def test_front_desk_prints_then_reprints(db, signed_rx):
    rx = signed_rx()
    first = _print(db, "front_desk", [rx.id])
    assert not first.reprint and "REPRINT" not in pdf_text(first.pdf)
    assert rx.rx_number in pdf_text(first.pdf)
    again = _print(db, "front_desk", [rx.id])
    assert again.reprint and "COPY — REPRINT" in flat(pdf_text(again.pdf))
    with db.uow(user_for("admin")) as uow:
        records = uow.session.execute(select(PrintRecord).order_by(PrintRecord.id)).scalars().all()
        audit = [a.action for a in uow.session.execute(
            select(AuditEntry).where(AuditEntry.entity == "rx").order_by(AuditEntry.id)).scalars()]
    assert [(r.ref_id, r.reprint, r.user_id) for r in records] == [
        (rx.rx_number, False, user_for("front_desk").id), (rx.rx_number, True, user_for("front_desk").id)]
    assert audit == ["print", "reprint"]


def test_preview_without_printing_records_nothing(db, signed_rx):
    rx = signed_rx()
    with db.uow(user_for("front_desk")) as uow:
        rxs.prepare_rx_print(uow, [rx.id])
    again = _print(db, "front_desk", [rx.id])
    assert not again.reprint  # the preview alone was not a print


def test_original_printed_elsewhere_meanwhile_is_refused(db, signed_rx):
    rx = signed_rx()
    with db.uow(user_for("front_desk")) as uow:
        stale = rxs.prepare_rx_print(uow, [rx.id])
    _print(db, "physician", [rx.id])
    with db.uow(user_for("front_desk")) as uow, pytest.raises(rxs.AlreadyPrinted, match="reprint"):
        rxs.record_print(uow, stale)


def test_mixed_originals_and_reprints(db, signed_rx):
    a = signed_rx()
    _print(db, "front_desk", [a.id])
    b = signed_rx(drug_name="lisinopril", strength="10 mg", dose_form="oral tablet")
    job = _print(db, "front_desk", [a.id, b.id])
    assert job.reprint_refs == (a.rx_number,)
    import io

    from pypdf import PdfReader

    pages = [flat(p.extract_text()) for p in PdfReader(io.BytesIO(job.pdf)).pages]
    assert len(pages) == 2 and job.pages == 2
    assert b.rx_number in pages[0] and "REPRINT" not in pages[0]
    assert a.rx_number in pages[1] and "COPY — REPRINT" in pages[1]


def test_drafts_and_discontinued_do_not_print(db, signed_rx, prescriber, patient, rx_input):
    rx = signed_rx()
    with db.uow(user_for("physician")) as uow:
        draft = rxs.create_draft(uow, patient.id, rx_input())
        rxs.discontinue(uow, rx.id, "changed my mind")
    for rx_id, words in ((draft.id, "draft"), (rx.id, "discontinued")):
        with db.uow(user_for("front_desk")) as uow, pytest.raises(ServiceError, match=words):
            rxs.prepare_rx_print(uow, [rx_id])


def test_print_uses_practice_page_size(db, signed_rx, admin):
    from desktop.services.prescribers import set_page_size

    rx = signed_rx()
    with db.uow(admin) as uow:
        set_page_size(uow, "A4")
    job = _print(db, "front_desk", [rx.id])
    assert job.page_size == "A4" and pdf_pages(job.pdf) == 1
    import io

    from pypdf import PdfReader

    assert round(float(PdfReader(io.BytesIO(job.pdf)).pages[0].mediabox.width)) == 595


def test_controlled_print_carries_dea_and_words(db, signed_rx):
    rx = signed_rx(drug_name="oxycodone hydrochloride", strength="5 mg", dose_form="oral tablet", dose_unit="tablet",
                   quantity_unit="tablet", quantity=12, frequency="q6h", prn=True, prn_indication="severe pain",
                   duration_days=None, dea_schedule="II")
    job = _print(db, "front_desk", [rx.id])
    text = flat(pdf_text(job.pdf))
    assert "DEA BR1234563" in text and "Schedule II" in text and "12 (twelve) tablets" in text
    assert "José Núñez" in text and "48 Oak Street" in text


def test_nurse_cannot_sign(db, prescriber, patient, rx_input, no_alert_engine):
    with db.uow(user_for("physician")) as uow:
        draft = rxs.create_draft(uow, patient.id, rx_input())
    with db.uow(user_for("nurse")) as uow, pytest.raises(PermissionDenied):
        rxs.sign(uow, draft.id)
    with db.uow(user_for("front_desk")) as uow, pytest.raises(PermissionDenied):
        rxs.discontinue(uow, draft.id, "x")


def test_demo_prescriptions(db, prescriber, add_patient):
    import random

    from desktop.services import demo_chart

    ids = [add_patient(given=f"P{i}", family="Demo", address_line1=f"{i} Main St", city="Springfield").id
           for i in range(10)]
    with db.uow() as uow:
        n = demo_chart.add_demo_prescriptions(uow, ids, prescriber.id, random.Random(3))
    with db.uow(user_for("physician")) as uow:
        rows = uow.session.execute(select(Prescription)).scalars().all()
        meds = uow.session.execute(select(Medication)).scalars().all()
    assert n == len(rows) > 0
    assert len({r.patient_id for r in rows}) >= 5  # most patients
    assert any(r.dea_schedule for r in rows)  # at least one controlled
    assert all(r.status == "active" and rxs.rx_number_valid(r.rx_number) for r in rows)
    assert {m.prescription_id for m in meds} == {r.id for r in rows}
    assert all(r.refills == 0 for r in rows if r.dea_schedule == "II")
