"""Fixtures for the chart-list tests: a registered patient and audit/SQL helpers."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select


@pytest.fixture
def patient(add_patient):
    return add_patient(given="Maria", family="Santos")


@pytest.fixture
def audit_rows(db):
    """audit_rows(entity) -> [(action, entity_id, patient_id, summary)] in order."""
    from desktop.models import AuditEntry

    def rows(entity: str) -> list[tuple]:
        with db.uow() as uow:
            return [tuple(r) for r in uow.session.execute(
                select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.patient_id, AuditEntry.summary)
                .where(AuditEntry.entity == entity).order_by(AuditEntry.id)).all()]

    return rows


class StatementCounter:
    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _on(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on)

    @property
    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]


@pytest.fixture
def count_sql(db):
    return lambda: StatementCounter(db.engine)


@pytest.fixture
def chart_view(qtbot, app_ctx, patient):
    from desktop.views.chart_view import ChartView

    def make(role: str = "physician", tab: str | None = None):
        view = ChartView(app_ctx(role), patient.id)
        qtbot.addWidget(view)
        view.resize(1200, 800)
        view.show()
        view.activateWindow()
        qtbot.waitUntil(view.isActiveWindow, timeout=3000)
        if tab:
            view.show_tab(tab)
        return view

    return make
