"""The audit chain: every change leaves a row, and tampering is detected."""

from __future__ import annotations

from sqlalchemy import select, text

from desktop.models import AuditEntry
from desktop.services.audit import verify_chain


def test_chain_verifies_and_detects_an_edit(db, add_patient):
    add_patient(given="Ann", family="Lee")
    add_patient(given="Bob", family="Ray")
    with db.uow() as uow:
        report = verify_chain(uow.session)
        assert report.ok and report.rows >= 2
        first = uow.session.execute(select(AuditEntry.id).order_by(AuditEntry.id)).scalars().first()
        uow.session.execute(text("UPDATE audit_log SET summary = 'nothing to see' WHERE id = :i"), {"i": first})
    with db.uow() as uow:
        broken = verify_chain(uow.session)
    assert not broken.ok and broken.first_broken_id == first


def test_chain_detects_a_deleted_row(db, add_patient):
    for name in ("A", "B", "C"):
        add_patient(given=name, family="Test")
    with db.uow() as uow:
        uow.session.execute(text("DELETE FROM audit_log WHERE id = 2"))
    with db.uow() as uow:
        broken = verify_chain(uow.session)
    assert not broken.ok and broken.first_broken_id == 2


def test_bulk_insert_digests_read_raw_match_what_sqlalchemy_reads_back(tmp_path):
    """A device import adds 100,000s of rows, whose digests are taken from the driver's raw values on SQLite:
    every chart table's every row must digest exactly as when SQLAlchemy reads it back (datetimes with and
    without microseconds, booleans, dates, floats, NULLs), or check-db would report untouched rows as changed."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from desktop.models import VitalSign
    from desktop.services import audit_state, demo, demo_chart
    from desktop.services.database import Database

    db = Database.open(f"sqlite:///{tmp_path / 'demo.db'}", create=True)
    try:
        with db.uow() as uow:
            demo.create_practice_and_users(uow)
            demo.ensure_named_demo_patients(uow)
            ids = demo.add_patients(uow, 12, seed=5)
        with db.uow() as uow:
            demo_chart.fill_demo_charts(uow, ids, seed=5)
        with db.uow() as uow:  # a whole second, a NULL float and an error flag: the edge cases of the raw form
            uow.session.execute(insert(VitalSign), [{
                "patient_id": ids[0], "set_id": "edge", "taken_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                "loinc": "8867-4", "value": 70.0, "unit": "/min", "origin": "device", "version": 1,
                "entered_in_error": True, "error_at": datetime(2026, 1, 2, 3, 4, 5, 120, tzinfo=UTC)}])
        with db.engine.connect() as conn:
            compared = 0
            for name, t in audit_state.TABLES.items():
                slow = {r.id: audit_state.row_digest(t, r) for r in conn.execute(select(t))}
                fast = {r[0]: audit_state._raw_digest(t)(t, r) for r in audit_state._raw_rows_after(conn, t, 0)}
                assert fast == slow, name
                compared += len(fast)
        assert compared > 1000
    finally:
        db.dispose()
