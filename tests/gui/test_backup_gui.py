"""Admin > Back up database…: the copy runs in a worker behind a progress dialog whose Cancel really stops it
(no file is left, the database is untouched); only the administrator may."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWidget

from desktop.services import backups
from desktop.services.errors import PermissionDenied

pytestmark = pytest.mark.gui


@pytest.fixture
def sqlite_only(db):
    if db.target.path is None:
        pytest.skip("PostgreSQL is backed up with the server's tools")


def _runner(qtbot, ctx):
    from desktop.views.admin.backup_runner import BackupRunner

    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    return BackupRunner(ctx, parent)


def test_the_admin_backs_up_with_a_progress_dialog(qtbot, app_ctx, db, messages, sqlite_only, tmp_path):
    runner = _runner(qtbot, app_ctx("admin"))
    with qtbot.waitSignal(runner.sig_finished, timeout=20000) as finished:
        runner.start(tmp_path / "backup.db")
    assert finished.args == [tmp_path / "backup.db"] and (tmp_path / "backup.db").stat().st_size > 0
    assert [t for t, _x in messages.shown] == ["Backup"] and runner.progress is None
    with db.uow() as uow:
        from sqlalchemy import select

        from desktop.models import AuditEntry

        assert uow.session.execute(select(AuditEntry.summary).where(AuditEntry.action == "backup")).scalar_one() \
            == "backup written to backup.db"


def _grow(db) -> None:
    """Enough pages that the copy takes more than a blink (a practice's database is large)."""
    from desktop.services.demo import add_patients

    with db.uow() as uow:
        add_patients(uow, 300)


def test_cancel_stops_the_backup_and_leaves_no_file(qtbot, app_ctx, db, messages, sqlite_only, tmp_path,
                                                    monkeypatch):
    out = tmp_path / "backups"  # the database itself lives in tmp_path
    out.mkdir()
    _grow(db)
    runner = _runner(qtbot, app_ctx("admin"))
    real, pressed = backups.backup_database, threading.Event()

    def copy_waiting_for_the_user(uow, database, out, *, progress=None, cancelled=None):
        def report(done, total, stage):  # a large database: the user sees the dialog and presses Cancel
            progress(done, total, stage)
            pressed.wait(10)

        return real(uow, database, out, progress=report, cancelled=cancelled)

    monkeypatch.setattr(backups, "backup_database", copy_waiting_for_the_user)
    with qtbot.waitSignal(runner.sig_finished, timeout=20000) as finished:
        runner.start(out / "backup.db")
        qtbot.waitUntil(lambda: runner.progress is not None and runner.progress.isVisible(), timeout=10000)
        cancel = next(b for b in runner.progress.findChildren(QPushButton) if b.text() == "Cancel")
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
        pressed.set()
    assert finished.args == [None] and not list(out.iterdir())
    assert messages.shown and "cancelled" in messages.shown[-1][1]


def test_only_the_admin_may_back_up(db, tmp_path):
    from tests.conftest import user_for

    with pytest.raises(PermissionDenied), db.uow(user_for("physician")) as uow:
        backups.backup_database(uow, db, tmp_path / "b.db")
    assert not (tmp_path / "b.db").exists()


def test_the_first_backup_of_an_encrypted_database_says_to_write_the_key_down(qtbot, messages, tmp_path,
                                                                             monkeypatch):
    """Key escrow: the keyring key is lost with the computer, and every backup with it. The first backup of an
    encrypted database on this computer says so, once."""
    from PySide6.QtCore import QSettings

    from desktop.ops import Ops
    from desktop.views.admin import backup_runner

    # this test's own settings file: the user's real one is neither read nor written
    monkeypatch.setattr(backup_runner, "app_settings",
                        lambda: QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    from desktop.services.database import Database
    from desktop.views.context import AppContext
    from tests.conftest import _seed, user_for

    db = Database.open(f"sqlcipher:///{tmp_path / 'clinic.db'}", create=True, passphrase="the-passphrase")
    _seed(db)
    ctx = AppContext(ops=Ops(db, user_for("admin")), messages=messages)
    try:
        runner = _runner(qtbot, ctx)
        for name in ("monday.db", "tuesday.db"):
            with qtbot.waitSignal(runner.sig_finished, timeout=20000):
                runner.start(tmp_path / name)
        first, second = messages.shown[-2][1], messages.shown[-1][1]
        assert "monday.db" in first and "Key escrow" in first and "written down" in first
        assert "tuesday.db" in second and "Key escrow" not in second
    finally:
        ctx.ops.wait_idle(5000)
        db.dispose()
