"""Two workstations saving the same record: the loser gets the conflict dialog's ConflictError, never a raw
StaleDataError, wherever in the unit of work the stale row is flushed (issue 13, point 7). The real two-process
race is in tests/faults/test_concurrency.py."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from desktop.models import Patient
from desktop.services.errors import ConflictError
from desktop.services.patients import PatientInput, register_patient
from tests.conftest import user_for


def _patient(db) -> int:
    with db.uow(user_for("front_desk")) as uow:
        return register_patient(uow, PatientInput(given_name="Stale", family_name="Row", birth_date=date(1950, 2, 3),
                                                  sex="male")).id


def test_a_flush_inside_the_unit_meets_another_save(db):
    pid = _patient(db)
    with pytest.raises(ConflictError) as err, db.uow(user_for("front_desk")) as uow:
        row = uow.session.get(Patient, pid)
        # another workstation's save lands between our read and our write
        uow.session.execute(text("UPDATE patient SET version = version + 1 WHERE id = :id"), {"id": pid})
        row.phone_mobile = "(217) 555-0142"
        uow.session.flush()
    assert err.value.entity == "patient"
    assert "changed by" in str(err.value)


def test_a_stale_row_flushed_at_commit(db):
    pid = _patient(db)
    with pytest.raises(ConflictError), db.uow(user_for("front_desk")) as uow:
        row = uow.session.get(Patient, pid)
        uow.session.execute(text("UPDATE patient SET version = version + 1 WHERE id = :id"), {"id": pid})
        row.phone_mobile = "(217) 555-0143"
    with db.uow(user_for("front_desk")) as uow:
        assert uow.session.get(Patient, pid).phone_mobile != "(217) 555-0143"
