"""Readings measured elsewhere (a PHR file, a device) stored through vitals.add_readings: streamed in chunks,
all or nothing, each row with its provenance, one audit row for the lot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from desktop.models import AuditEntry, VitalSign
from desktop.services import vitals
from desktop.services.chart_rows import Provenance
from desktop.services.errors import ValidationError
from desktop.services.vitals import Reading

START = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def _readings(n: int, *, bad_at: int | None = None):
    """A generator, as the PHR merge hands them over: the service never sees a list."""
    for i in range(n):
        taken = START + timedelta(minutes=5 * i)
        if i == bad_at:
            taken = datetime.now(UTC) + timedelta(days=30)  # a device clock a month ahead
        yield Reading(set_id=f"s{i}", taken_at=taken, loinc="8867-4", value=60 + i % 40, unit="/min",
                      origin="device", entered_unit="count/min",
                      provenance=Provenance(import_id=None, source_system="Apple Health",
                                            resource_id=f"HeartRate|Watch|{i}", source_date=taken))


def _count(db, patient_id):
    with db.uow() as uow:
        return uow.session.execute(select(func.count()).select_from(VitalSign)
                                   .where(VitalSign.patient_id == patient_id)).scalar_one()


def test_more_readings_than_a_chunk_are_all_stored_with_provenance_and_one_audit_row(db, as_role, add_patient):
    p = add_patient()
    n = vitals.READINGS_CHUNK * 2 + 7
    with as_role("nurse") as uow:
        assert vitals.add_readings(uow, p.id, _readings(n), what="from a watch") == n
    assert _count(db, p.id) == n
    with db.uow() as uow:
        last = uow.session.execute(select(VitalSign).where(VitalSign.patient_id == p.id)
                                   .order_by(VitalSign.id.desc()).limit(1)).scalar_one()
        audit = uow.session.execute(select(AuditEntry).where(AuditEntry.entity == "vital_sign",
                                                             AuditEntry.patient_id == p.id)).scalars().all()
    assert (last.source_system, last.source_resource_id, last.origin) == (
        "Apple Health", f"HeartRate|Watch|{n - 1}", "device")
    assert last.taken_at.replace(tzinfo=UTC) == START + timedelta(minutes=5 * (n - 1))
    assert last.source_date.replace(tzinfo=UTC) == last.taken_at.replace(tzinfo=UTC)
    last_day = (START + timedelta(minutes=5 * (n - 1))).date()
    assert [a.summary for a in audit] == [f"{n} readings from a watch (2024-03-01 to {last_day})"]


def test_a_wrong_reading_in_a_later_chunk_stores_nothing(db, as_role, add_patient):
    p = add_patient()
    bad = vitals.READINGS_CHUNK + 3  # the first chunk is already inserted when it is met
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        vitals.add_readings(uow, p.id, _readings(vitals.READINGS_CHUNK * 2, bad_at=bad))
    assert f"reading {bad + 1} " in str(err.value.errors["readings"]) and "future" in err.value.errors["readings"]
    assert _count(db, p.id) == 0
    with db.uow() as uow:
        assert not uow.session.execute(select(AuditEntry).where(AuditEntry.entity == "vital_sign",
                                                                AuditEntry.patient_id == p.id)).all()


def test_the_caller_keeps_its_transaction_when_a_reading_is_refused(db, as_role, add_patient):
    """The PHR merge catches the refusal and goes on: what it wrote before stays, the readings do not."""
    p = add_patient()
    with as_role("nurse") as uow:
        vitals.add_readings(uow, p.id, _readings(3))
        with pytest.raises(ValidationError):
            vitals.add_readings(uow, p.id, _readings(vitals.READINGS_CHUNK + 10, bad_at=vitals.READINGS_CHUNK + 5))
    assert _count(db, p.id) == 3


def test_readings_are_audited_as_written_and_check_db_finds_a_changed_or_deleted_one(db, as_role, add_patient):
    """On SQLite the readings' states are digested as they are written, not read back at commit: check-db must
    find every reading as recorded (a -0.0, texts cut to their column, no provenance, microseconds; readings of
    a refused batch rolled back, their ids then taken by others), then name a reading changed or deleted."""
    from sqlalchemy import text

    from desktop.models import AuditRowState
    from desktop.services.audit import verify_chain

    p = add_patient()
    odd = [Reading(set_id="x" * 60, taken_at=START.replace(microsecond=123456), loinc="8867-4", value=-0.0,
                   unit="/min", origin="device"),
           Reading(set_id="y", taken_at=START, loinc="29463-7", value=70, unit="kg", origin="patient",
                   entered_unit="[lb_av]", provenance=Provenance(import_id=None, source_system="S" * 400,
                                                                 resource_id="r", source_date=START - timedelta(hours=1)))]
    with as_role("nurse") as uow:
        vitals.add_readings(uow, p.id, _readings(3))
        with pytest.raises(ValidationError):
            vitals.add_readings(uow, p.id, _readings(vitals.READINGS_CHUNK + 10, bad_at=vitals.READINGS_CHUNK + 5))
        assert vitals.add_readings(uow, p.id, iter(odd)) == 2
    with db.uow() as uow:
        ids = uow.session.execute(select(VitalSign.id).where(VitalSign.patient_id == p.id)
                                  .order_by(VitalSign.id)).scalars().all()
        states = uow.session.execute(select(AuditRowState.row_id).where(AuditRowState.table_name == "vital_sign",
                                                                        AuditRowState.row_id.in_(ids))).scalars().all()
        assert sorted(states) == ids and len(ids) == 5
        report = verify_chain(uow.session)
        assert report.ok, report.reason
    with db.uow() as uow:
        uow.session.execute(text("UPDATE vital_sign SET value = 99.5 WHERE id = :i"), {"i": ids[1]})
        uow.session.execute(text("DELETE FROM vital_sign WHERE id = :i"), {"i": ids[4]})
    with db.uow() as uow:
        report = verify_chain(uow.session)
    assert not report.ok
    assert any(f.startswith(f"vital_sign row {ids[1]} differs from its last audited state")
               for f in report.chart_findings)
    assert any(f.startswith(f"vital_sign row {ids[4]} was deleted") for f in report.chart_findings)
