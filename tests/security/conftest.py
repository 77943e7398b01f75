"""Fixtures for the security tests: an empty database (first run), helpers to read the audit log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, user_for


@pytest.fixture
def empty_db(tmp_path):
    """A new practice database with the schema and nothing else (no practice, no users)."""
    from desktop.services.database import Database

    database = Database.open(f"sqlite:///{tmp_path / 'new.db'}", create=True)
    yield database
    database.dispose()


def audit_rows(db, as_user=None, **filters):
    """Every audit row matching the filter, newest first (read as the test admin, or as_user: permission checks
    need an account that exists in this database)."""
    from desktop.services.audit_report import AuditFilter, search_audit

    with db.uow(as_user or user_for("admin")) as uow:
        return search_audit(uow, AuditFilter(**filters), page_size=1000).rows


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """`python -m desktop ARGS` in a child process with the test's data folder and the given environment."""
    full = {k: v for k, v in os.environ.items() if k not in ("EMR_DB_PASSPHRASE", "EMR_DB_URL")}
    full.update(env or {})
    full.setdefault("PYTHONPATH", str(ROOT))
    return subprocess.run([sys.executable, "-m", "desktop", *args], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A private data folder (EMR_DATA_DIR) for this test: the default encrypted database lives there."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("EMR_DATA_DIR", str(path))
    return path


@pytest.fixture
def logged_in(qtbot, db, db_url, messages):
    """logged_in(role) -> (window, controller): the real main window, logged in through the login page."""
    from desktop.views.app import AppController
    from desktop.views.main_window import MainWindow
    from tests.conftest import TEST_PASSWORDS, TEST_USERS

    made: list = []

    def login(role: str = "physician"):
        from PySide6.QtCore import Qt

        window = MainWindow()
        qtbot.addWidget(window)
        window.show()
        controller = AppController(window, db_url)
        made.append(controller)
        controller.open_database()
        qtbot.waitUntil(lambda: controller.db is not None, timeout=15000)
        page = window.login_page
        qtbot.keyClicks(page.username, TEST_USERS[role][1])
        qtbot.keyClicks(page.password, TEST_PASSWORDS[role])
        qtbot.mouseClick(page.login_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.workspace is not None and not window.locked, timeout=15000)
        return window, controller

    yield login
    for controller in made:
        lock = getattr(controller, "idle_lock", None)
        if lock is not None:
            lock.uninstall()
        if controller.window.ctx is not None:
            controller.window.ctx.ops.wait_idle(5000)
        if controller.db is not None:
            controller.db.dispose()
