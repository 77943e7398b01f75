"""Admin > Restore database…: the administrator chooses a backup, sees what it holds and what will happen, confirms
explicitly, watches the copy with Cancel; then the session ends and she logs in again against the restored data.
A damaged file or Cancel leaves the database exactly as it was; PostgreSQL gets the server's instructions."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPushButton, QWidget

from desktop.services import restore
from desktop.services.patients import PatientInput, register_patient
from tests.conftest import PG_URL, TEST_PASSWORDS, disk_full_while_restoring, user_for

pytestmark = [pytest.mark.gui,
              pytest.mark.skipif(bool(PG_URL), reason="restore of a SQLite file (PostgreSQL: pg_restore)")]


def _register(db, family: str) -> None:
    with db.uow(user_for("front_desk")) as uow:
        register_patient(uow, PatientInput(given_name="Wal", family_name=family, birth_date=date(1970, 1, 1),
                                           sex="male"), allow_duplicate=True)


def _families(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sorted(r[0] for r in conn.execute("SELECT family_name FROM patient"))
    finally:
        conn.close()


@pytest.fixture
def backup(db, tmp_path) -> Path:
    _register(db, "InBackup")
    folder = tmp_path / "backups"
    folder.mkdir()
    made = db.backup_to(folder / "clinic-monday.db")
    _register(db, "AfterBackup")
    return made


def _dialog(qtbot, ctx):
    from desktop.views.admin.restore_dialog import RestoreDialog

    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    dialog = RestoreDialog(ctx, parent)
    dialog.test_parent = parent  # the parent lives as long as the dialog
    dialog.open()
    return dialog


def _choose(qtbot, dialog, path: Path) -> None:
    dialog.file_edit.setText(str(path))
    qtbot.keyClick(dialog.file_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.info is not None or dialog.error.isVisible(), timeout=10000)


def test_restore_ends_the_session_and_the_admin_logs_in_to_the_restored_data(qtbot, db, db_url, backup, messages):
    from desktop.views.app import AppController
    from desktop.views.main_window import MainWindow

    path = db.target.path
    db.dispose()  # the test's own handle: the app is the only one with the database open
    window = MainWindow()
    qtbot.addWidget(window)
    controller = AppController(window, db_url)
    window.show()
    controller.open_database()
    controller.login("admin", TEST_PASSWORDS["admin"])
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=10000)
    old_db = controller.db

    window.findChild(QAction, "actAdminRestore").trigger()
    dialog = window.admin_dialog
    assert dialog.isVisible() and dialog.windowTitle() == "Restore database"
    assert str(restore.aside_path(path, dialog.stamp)) in dialog.findChild(QWidget, "restoreWhat").text()
    _choose(qtbot, dialog, backup)
    assert "clinic-monday.db" in dialog.details.text() and "Patients: 1" in dialog.details.text()
    assert not dialog.restore_button.isEnabled()  # not before the explicit confirmation
    dialog.confirm.click()
    assert dialog.restore_button.isEnabled()
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.workspace is None and controller.db is not None and controller.db is not old_db,
                    timeout=20000)
    title, text = messages.shown[-1]
    assert title == "Restore" and "clinic-monday.db" in text and "log in again" in text
    assert window.locked and "restored" in window.login_page.subtitle.text()
    assert not window.menuBar().actions()  # nothing of the old session is left to click
    assert _families(path) == ["InBackup"]
    assert _families(restore.aside_path(path, dialog.stamp)) == ["AfterBackup", "InBackup"]

    controller.login("admin", TEST_PASSWORDS["admin"])
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=10000)
    assert window.ctx.db is controller.db and window.ctx.user.username == "admin"
    from desktop.services.patients import search_patients

    found: list = []
    window.ctx.ops.run(search_patients, "wal", done=found.append)
    qtbot.waitUntil(lambda: bool(found), timeout=10000)
    assert [p.family_name for p in found[0]] == ["InBackup"]
    window.ctx.ops.wait_idle(5000)
    controller.db.dispose()


def test_cancel_leaves_the_database_exactly_as_it_was(qtbot, app_ctx, db, backup, messages, monkeypatch):
    path = db.target.path
    dialog = _dialog(qtbot, app_ctx("admin"))
    _choose(qtbot, dialog, backup)
    dialog.confirm.click()
    real, pressed = restore.restore_database, threading.Event()

    def waiting_for_the_user(database, user, backup, *, progress=None, **kw):
        def report(done, total, stage):  # a large database: the user sees the dialog and presses Cancel
            progress(done, total, stage)
            pressed.wait(10)

        return real(database, user, backup, progress=report, **kw)

    monkeypatch.setattr(restore, "restore_database", waiting_for_the_user)
    with qtbot.waitSignal(dialog.sig_finished, timeout=20000) as finished:
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.progress is not None and dialog.progress.isVisible(), timeout=10000)
        cancel = next(b for b in dialog.progress.findChildren(QPushButton) if b.text() == "Cancel")
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
        pressed.set()
    assert finished.args == [None] and dialog.isVisible() and dialog.progress is None
    assert messages.shown[-1] == ("Restore", "Restore cancelled: the database was not changed.")
    assert _families(path) == ["AfterBackup", "InBackup"]
    assert not list(path.parent.glob("*before-restore*")) and not list(path.parent.glob("*.restoring"))
    _register(db, "StillWorking")  # the session goes on with the same database
    assert "StillWorking" in _families(path)


def test_a_damaged_file_is_refused_in_the_dialog(qtbot, app_ctx, db, backup):
    bad = backup.with_name("damaged.db")
    bad.write_bytes(backup.read_bytes()[:4096] + b"\x00garbage" * 500)
    dialog = _dialog(qtbot, app_ctx("admin"))
    _choose(qtbot, dialog, bad)
    assert dialog.error.isVisible() and "damaged" in dialog.error.text()
    assert not dialog.confirm.isEnabled() and not dialog.restore_button.isEnabled()
    assert not dialog.passphrase.isVisible()  # a plain database: no passphrase to try
    db.dispose()
    assert _families(db.target.path) == ["AfterBackup", "InBackup"]


def test_only_the_administrator_gets_the_menu_entry(qtbot, app_ctx):
    from desktop.views.main_window import MainWindow

    for role, offered in (("admin", True), ("physician", False), ("front_desk", False)):
        window = MainWindow(app_ctx(role))
        qtbot.addWidget(window)
        assert (window.findChild(QAction, "actAdminRestore") is not None) is offered, role


def test_a_postgresql_database_gets_the_server_instructions(qtbot, messages):
    from desktop.config import resolve_db
    from desktop.ops import Ops
    from desktop.views.context import AppContext

    server = SimpleNamespace(target=resolve_db("postgresql+psycopg://emr@dbserver/clinic"), encrypted=False)
    ctx = AppContext(ops=Ops(server, user_for("admin")), messages=messages)
    dialog = _dialog(qtbot, ctx)
    note = dialog.findChild(QWidget, "restoreServerNote")
    assert note.isVisible() and "pg_restore --no-owner" in note.text() and "every workstation" in note.text()
    assert dialog.findChild(QWidget, "restoreButton") is None


def test_a_backup_made_under_another_passphrase_asks_for_it(qtbot, messages, tmp_path):
    """An encrypted practice whose passphrase changed since the backup: the dialog says the key does not open
    it, asks for the backup's passphrase, and restores with it. The restored database keeps the backup's
    passphrase (its audit log is keyed from it: under the current key nothing could be saved any more), the
    message says so, and the safety copy keeps the current one."""
    from desktop.ops import Ops
    from desktop.services.database import Database
    from desktop.views.context import AppContext
    from tests.conftest import _seed

    old = Database.open(f"sqlcipher:///{tmp_path / 'old' / 'clinic.db'}", create=True, passphrase="old-passphrase")
    _seed(old)
    _register(old, "FromOldKey")
    backup = old.backup_to(tmp_path / "old-key-backup.db")
    old.dispose()
    db = Database.open(f"sqlcipher:///{tmp_path / 'now' / 'clinic.db'}", create=True, passphrase="new-passphrase")
    _seed(db)
    ctx = AppContext(ops=Ops(db, user_for("admin")), messages=messages)
    try:
        dialog = _dialog(qtbot, ctx)
        _choose(qtbot, dialog, backup)
        assert dialog.error.isVisible() and "another passphrase" in dialog.error.text()
        assert dialog.passphrase.isVisible() and not dialog.restore_button.isEnabled()
        dialog.passphrase.setText("old-passphrase")
        qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.info is not None, timeout=10000)
        assert not dialog.error.isVisible() and "Patients: 1" in dialog.details.text()
        dialog.confirm.click()
        # the passphrase edited after the check: the restore would open the backup with what was not checked
        qtbot.keyClicks(dialog.passphrase, "x")
        assert dialog.info is None and not dialog.confirm.isChecked() and not dialog.restore_button.isEnabled()
        assert "Press Enter" in dialog.details.text()
        dialog.passphrase.setText("old-passphrase")
        qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.info is not None, timeout=10000)
        dialog.confirm.click()
        with qtbot.waitSignal(dialog.sig_finished, timeout=20000) as finished:
            qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
        done = finished.args[0]
        assert done is not None and done.passphrase_changed, messages.shown
        assert "passphrase the backup was made with" in messages.shown[-1][1]
    finally:
        ctx.ops.wait_idle(5000)
        db.dispose()
    reopened = Database.open(db.target.url, passphrase="old-passphrase")
    try:
        from sqlalchemy import select

        from desktop.models import Patient

        _register(reopened, "SavedAfterRestore")  # the audit log takes new rows
        with reopened.uow() as uow:
            assert sorted(uow.session.execute(select(Patient.family_name)).scalars()) == [
                "FromOldKey", "SavedAfterRestore"]
    finally:
        reopened.dispose()
    kept = Database.open(f"sqlcipher:///{done.kept_as}", passphrase="new-passphrase", read_only=True)
    kept.dispose()


def test_a_backup_of_another_practice_is_named_as_such(qtbot, app_ctx, db, tmp_path):
    from tests.services.test_restore_database import name_practice

    name_practice(db, "Lakeside & Sons <Family> Practice")
    theirs = db.backup_to(tmp_path / "theirs.db")
    dialog = _dialog(qtbot, app_ctx("admin"))
    _choose(qtbot, dialog, theirs)
    assert "Lakeside &amp; Sons &lt;Family&gt; Practice" in dialog.details.text()  # shown as typed, not as markup
    assert "another practice" not in dialog.details.text()
    name_practice(db, "Hillside Pediatrics")
    _choose(qtbot, dialog, tmp_path / "missing.db")  # a refused file in between: the next check starts afresh
    _choose(qtbot, dialog, theirs)
    assert dialog.info is not None and "another practice" in dialog.details.text()
    assert "Hillside Pediatrics" in dialog.details.text()
    assert dialog.confirm.isEnabled()  # told, not refused: restoring it may be what the administrator wants


def test_editing_the_file_name_after_the_check_asks_for_a_new_check(qtbot, app_ctx, db, backup):
    """Checked and confirmed one file, then the name changed by hand: Restore must not restore the first file
    under the second one's name."""
    other = backup.with_name("clinic-tuesday.db")
    other.write_bytes(backup.read_bytes())
    dialog = _dialog(qtbot, app_ctx("admin"))
    _choose(qtbot, dialog, backup)
    dialog.confirm.setChecked(True)
    assert dialog.restore_button.isEnabled()
    dialog.file_edit.selectAll()
    qtbot.keyClicks(dialog.file_edit, str(other))
    assert dialog.info is None and not dialog.confirm.isChecked() and not dialog.restore_button.isEnabled()
    assert "Press Enter" in dialog.details.text()
    _choose(qtbot, dialog, other)
    assert dialog.info is not None and dialog.info.path == other.resolve()
    # edited while its check runs: the answer for the name no longer shown is dropped, the new name waits for Enter
    dialog.check()
    qtbot.keyClicks(dialog.file_edit, "x")
    qtbot.wait(500)
    assert dialog.info is None and "Press Enter" in dialog.details.text()


def test_the_safety_copy_path_is_shown_as_it_is_named(qtbot, messages, tmp_path):
    """A data folder named 'R&D <main>' is shown as such in 'What will happen', not read as markup."""
    from desktop.ops import Ops
    from desktop.services.database import Database
    from desktop.views.context import AppContext
    from tests.conftest import _seed

    (tmp_path / "R&D <main>").mkdir()
    db = Database.open(f"sqlite:///{tmp_path / 'R&D <main>' / 'clinic.db'}", create=True)
    _seed(db)
    ctx = AppContext(ops=Ops(db, user_for("admin")), messages=messages)
    try:
        dialog = _dialog(qtbot, ctx)
        what = dialog.findChild(QWidget, "restoreWhat")
        assert "R&amp;D &lt;main&gt;" in what.text()
    finally:
        ctx.ops.wait_idle(5000)
        db.dispose()


def test_restore_again_after_a_failure_in_the_same_dialog(qtbot, app_ctx, db, backup, messages, monkeypatch):
    """The copy failed (a full disk) after the safety copy was written; the admin frees space and presses Restore
    again in the same dialog: it restores, beside the first safety copy, under the name the dialog now shows."""
    path = db.target.path
    dialog = _dialog(qtbot, app_ctx("admin"))
    what = dialog.findChild(QWidget, "restoreWhat")
    first = restore.aside_path(path, dialog.stamp)
    assert str(first) in what.text()
    _choose(qtbot, dialog, backup)
    dialog.confirm.click()
    real_copy = disk_full_while_restoring(monkeypatch)
    with qtbot.waitSignal(dialog.sig_finished, timeout=20000) as finished:
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert finished.args == [None] and dialog.isVisible()
    assert "No space left" in messages.shown[-1][1] and first.exists()
    second = restore.aside_path(path, dialog.stamp, 2)
    assert str(second) in what.text() and str(first) not in what.text()
    assert dialog.restore_button.isEnabled()

    monkeypatch.setattr(restore, "_copy", real_copy)
    with qtbot.waitSignal(dialog.sig_finished, timeout=20000) as finished:
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    done = finished.args[0]
    assert done is not None and done.kept_as == second
    assert _families(path) == ["InBackup"] and _families(second) == ["AfterBackup", "InBackup"]
    assert _families(first) == ["AfterBackup", "InBackup"]
