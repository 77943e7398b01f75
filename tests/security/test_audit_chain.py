"""The audit log is a hash chain: editing or deleting rows behind the app's back is found by `check-db`."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from desktop.services import patients
from desktop.services.audit import verify_chain
from tests.security.conftest import run_cli


@pytest.fixture
def chained(db, as_role, add_patient):
    """A database whose audit log has ten rows (registrations and chart opens)."""
    ids = [add_patient(given=f"P{i}", family="Chain").id for i in range(4)]
    with as_role("nurse") as uow:
        for pid in ids:
            patients.record_chart_open(uow, pid)
    with as_role("physician") as uow:
        patients.record_chart_open(uow, ids[0])
        patients.record_chart_open(uow, ids[1])
    with db.uow() as uow:
        assert verify_chain(uow.session).rows == 10
    return db


def _raw(db, sql: str) -> None:
    """Change the database behind the app's back (as someone with the file or a SQL prompt would)."""
    with db.engine.begin() as conn:
        conn.execute(text(sql))


def _check(db_url: str):
    return run_cli("check-db", "--db", db_url)


def test_intact_chain_passes(chained, db_url):
    result = _check(db_url)
    assert result.returncode == 0, result.stderr
    assert "audit chain 10 rows intact" in result.stdout


def test_edited_summary_is_named(chained, db_url):
    _raw(chained, "UPDATE audit_log SET summary = 'nothing to see' WHERE id = 6")
    result = _check(db_url)
    assert result.returncode == 1
    assert "audit log broken at row 6" in result.stderr and "altered" in result.stderr


def test_edit_that_also_fixes_the_row_hash_breaks_the_next_link(chained, db_url):
    """Recomputing a row's own hash does not help: the next row still points at the old hash."""
    from desktop.models import AuditEntry
    from desktop.services.audit import row_hash

    with chained.uow() as uow:
        r = uow.session.get(AuditEntry, 4)
        new = row_hash(r.prev_hash, r.id, r.ts, r.user_id, r.username, r.patient_id, r.action, r.entity,
                       r.entity_id, "forged", r.state_digest)  # the row as the unkeyed chain hashes it
    _raw(chained, f"UPDATE audit_log SET summary = 'forged', hash = '{new}' WHERE id = 4")
    result = _check(db_url)
    assert result.returncode == 1 and "audit log broken at row 5" in result.stderr
    assert "does not follow row 4" in result.stderr


def test_deleted_middle_row_is_named(chained, db_url):
    _raw(chained, "DELETE FROM audit_log WHERE id = 7")
    result = _check(db_url)
    assert result.returncode == 1
    assert "audit log broken at row 7" in result.stderr and "missing" in result.stderr


def test_deleted_newest_rows_are_detected(chained, db_url):
    _raw(chained, "DELETE FROM audit_log WHERE id >= 9")
    result = _check(db_url)
    assert result.returncode == 1
    assert "audit log broken at row 9" in result.stderr and "after row 8 were removed" in result.stderr


def test_app_keeps_chaining_after_many_units_of_work(chained, as_role):
    with as_role("front_desk") as uow:
        for pid in patients.search_patients(uow, "chain"):
            patients.record_chart_open(uow, pid.id)
    with chained.uow() as uow:
        report = verify_chain(uow.session)
    assert report.ok and report.rows == 14
