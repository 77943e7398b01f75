"""Fixtures for the laboratory results tests: a registered patient."""

from __future__ import annotations

import pytest


@pytest.fixture
def patient(add_patient):  # noqa: ANN001, ANN201
    return add_patient(given="Lena", family="Okafor")


@pytest.fixture
def audit_rows(db):  # noqa: ANN001, ANN201
    """audit_rows(entity) -> [(action, entity_id, patient_id, summary)] in order."""
    from sqlalchemy import select

    from desktop.models import AuditEntry

    def rows(entity: str) -> list[tuple]:
        with db.uow() as uow:
            return [tuple(r) for r in uow.session.execute(
                select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.patient_id, AuditEntry.summary)
                .where(AuditEntry.entity == entity).order_by(AuditEntry.id)).all()]

    return rows
