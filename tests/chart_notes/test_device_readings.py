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
