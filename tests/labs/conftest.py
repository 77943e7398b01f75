"""Fixtures for the laboratory results tests: a registered patient."""

from __future__ import annotations

import pytest


@pytest.fixture
def patient(add_patient):
    return add_patient(given="Lena", family="Okafor")


@pytest.fixture
def audit_rows(db):
    """audit_rows(entity) -> [(action, entity_id, patient_id, summary)] in order."""
    from sqlalchemy import select

    from desktop.models import AuditEntry

    def rows(entity: str) -> list[tuple]:
        with db.uow() as uow:
            return [tuple(r) for r in uow.session.execute(
                select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.patient_id, AuditEntry.summary)
                .where(AuditEntry.entity == entity).order_by(AuditEntry.id)).all()]

    return rows


@pytest.fixture
def chart_view(qtbot, app_ctx, patient):
    from desktop.views.chart_view import ChartView

    def make(role: str = "physician", tab: str | None = None):
        view = ChartView(app_ctx(role), patient.id)
        qtbot.addWidget(view)
        view.resize(1280, 860)
        view.show()
        view.activateWindow()
        qtbot.waitUntil(view.isActiveWindow, timeout=3000)
        if tab:
            view.show_tab(tab)
        return view

    return make
