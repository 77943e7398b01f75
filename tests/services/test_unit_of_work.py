"""The unit of work: what reads cost, what writes and audit rows must survive."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from desktop.models import AuditEntry
from tests.conftest import user_for


def _audit_count(db) -> int:
    with db.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(AuditEntry))


def test_a_read_only_unit_never_opens_an_orm_session(db):
    with db.uow(user_for("front_desk")) as uow:
        assert uow.read_connection().execute(text("SELECT 1")).scalar() == 1
        assert uow._session is None


def test_audit_rows_queued_by_a_unit_that_only_read_are_written(db):
    before = _audit_count(db)
    with db.uow(user_for("nurse")) as uow:
        uow.read_connection().execute(text("SELECT 1"))
        uow.audit("view", "report", summary="looked at a list")
    assert _audit_count(db) == before + 1


def test_an_error_discards_queued_audit_rows(db):
    before = _audit_count(db)
    with pytest.raises(RuntimeError), db.uow(user_for("nurse")) as uow:
        uow.audit("view", "report")
        raise RuntimeError("boom")
    assert _audit_count(db) == before


def test_the_session_shares_its_connection_with_reads_once_it_exists(db):
    with db.uow(user_for("front_desk")) as uow:
        session_conn = uow.session.connection()
        assert uow.read_connection() is session_conn


def test_using_a_unit_outside_its_with_block_is_refused(db):
    uow = db.uow(user_for("front_desk"))
    with pytest.raises(RuntimeError, match="not open"):
        uow.session  # noqa: B018
    with pytest.raises(RuntimeError, match="not open"):
        uow.read_connection()


def test_a_reader_leaves_its_transaction_when_the_session_starts(db):
    """A unit that read on its bare connection, then writes: the reader must not stay in a transaction while
    the session works (on SQLite it would hold its read snapshot; on PostgreSQL, where the reader runs in
    autocommit, the server never sees a transaction from it)."""
    with db.uow(user_for("front_desk")) as uow:
        reader = uow.read_connection()
        reader.execute(text("SELECT 1"))
        assert reader.in_transaction()
        uow.session.execute(text("SELECT 1"))
        assert not reader.in_transaction()
        if uow.session.bind.dialect.name == "postgresql":
            assert reader.connection.driver_connection.autocommit is True
