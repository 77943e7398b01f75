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
