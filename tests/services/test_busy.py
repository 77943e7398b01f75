"""SQLite: a unit of work that finds the database busy (another process holding the write lock longer than the
driver's wait) retries with a visible "database busy, retrying" message instead of failing (issue 13, point 8).
The 200 concurrent audited calls across processes are in tests/faults/test_concurrency.py."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text

from desktop.models import engine as engine_mod
from tests.conftest import PG_URL, user_for

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="SQLite's write lock")


def test_a_busy_database_is_retried_with_a_message(db, db_url, monkeypatch, caplog):
    path = Path(db_url.removeprefix("sqlite:///"))
    seen: list[int] = []
    engine_mod.busy_listeners.append(seen.append)
    monkeypatch.setattr(engine_mod, "BUSY_ATTEMPTS", 20)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another workstation holds the write lock...
    db.engine.dispose()  # ...longer than our driver waits (new connections: 50 ms here, not 5 s)

    def short_wait(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA busy_timeout = 50")

    event.listen(db.engine, "connect", short_wait)
    release = threading.Timer(0.6, lambda: other.execute("COMMIT"))
    release.start()
    try:
        with caplog.at_level(logging.WARNING), db.uow(user_for("nurse")) as uow:
            started = time.monotonic()
            uow.session.execute(text("SELECT 1"))
            waited = time.monotonic() - started
    finally:
        release.join()
        other.close()
        engine_mod.busy_listeners.remove(seen.append)
        event.remove(db.engine, "connect", short_wait)
    assert seen, "the wait was not announced"
    assert "database busy, retrying" in caplog.text
    assert waited >= 0.3
