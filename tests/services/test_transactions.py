"""Every service write commits only with its unit of work: a unit that fails after the write leaves nothing behind,
on SQLite, SQLCipher and (with EMR_TEST_PG_URL) PostgreSQL. Before the fix, register_patient's SAVEPOINT was
committed on the spot by pysqlite (it began a transaction only before DML, so RELEASE committed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from desktop.models import Base
from desktop.services import (
    allergies,
    encounters,
    immunizations,
    medications,
    patients,
    problems,
    settings,
    users,
    vitals,
)
from tests.conftest import PG_URL, _seed, user_for


class Boom(Exception):
    pass


def _snapshot(db) -> dict[str, list]:
    out = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table)).fetchall()
            out[table.name] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


def _new_patient(uow, given="Una", family="Committed"):
    return patients.register_patient(uow, patients.PatientInput(
        given_name=given, family_name=family, birth_date=date(1961, 3, 4), sex="female"), allow_duplicate=True)


def _update(uow, pid):
    d = patients.get_patient(uow, pid)
    return patients.update_patient(uow, pid, replace(d.data, phone_mobile="(217) 555-0199"), d.version)


WRITES = {  # name -> (role, write(uow, patient_id))
    "register_patient": ("front_desk", lambda uow, pid: _new_patient(uow, "Rolled", "Back")),
    "update_patient": ("front_desk", _update),
    "record_chart_open": ("nurse", lambda uow, pid: patients.record_chart_open(uow, pid)),
    "add_allergy": ("nurse", lambda uow, pid: allergies.add_allergy(uow, pid, allergies.AllergyInput(
        substance="Latex", category="environment", reaction="rash", severity="mild"))),
    "add_problem": ("physician", lambda uow, pid: problems.add_problem(uow, pid, problems.ProblemInput(
        description="Essential hypertension", icd10_code="I10"))),
    "add_medication": ("physician", lambda uow, pid: medications.add_medication(uow, pid, medications.MedicationInput(
        drug_name="Vitamin D3", sig="1 daily"))),
    "add_immunization": ("nurse", lambda uow, pid: immunizations.add_immunization(
        uow, pid, immunizations.ImmunizationInput(
        cvx_code="140", date_given=date(2025, 10, 1), given_here=False, historical_source="state registry"))),
    "record_vitals": ("nurse", lambda uow, pid: vitals.record_vitals(uow, pid, vitals.VitalsInput(
        systolic=128, diastolic=82, heart_rate=70))),
    "create_encounter": ("physician", lambda uow, pid: encounters.create_encounter(
        uow, pid, encounters.EncounterInput(reason="follow-up"))),
    "add_user": ("admin", lambda uow, pid: users.add_user(uow, users.NewUser(
        "newnurse", "New Nurse", "nurse", "a-long-enough-pass-1", "a-long-enough-pass-1"))),
    "set_idle_lock_minutes": ("admin", lambda uow, pid: settings.set_idle_lock_minutes(uow, 7)),
}


@pytest.fixture(params=["default", "sqlcipher"])
def any_db(request, tmp_path):
    """The suite's database (SQLite, or PostgreSQL with EMR_TEST_PG_URL) and an encrypted SQLCipher file."""
    from desktop.services.database import Database

    if request.param == "default":
        database = request.getfixturevalue("db")
        yield database
        return
    database = Database.open(f"sqlcipher:///{tmp_path / 'clinic.db'}", create=True)
    _seed(database)
    yield database
    database.dispose()


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_failing_unit_of_work_leaves_nothing(any_db, name):
    role, write = WRITES[name]
    with any_db.uow(user_for("front_desk")) as uow:
        pid = _new_patient(uow).id
    before = _snapshot(any_db)
    with pytest.raises(Boom), any_db.uow(user_for(role)) as uow:
        assert write(uow, pid) is not False
        raise Boom
    assert _snapshot(any_db) == before, f"{name} left rows behind after its unit of work failed"


def test_the_database_under_test_is_the_one_ci_asked_for(db):
    assert db.engine.dialect.name == ("postgresql" if PG_URL else "sqlite")
