"""Admin > Restore database… as a use case (services.restore.restore_database): administrator only, the backup is
checked before anything changes (a wrong, damaged or foreign file, or the wrong passphrase, leaves the database as
it was), a safety copy of the current database is kept, Cancel before the swap changes nothing, and the restored
log says who restored what. PostgreSQL is restored on the server, and the service says so."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from desktop.config import resolve_db
from desktop.services.backup_check import BackupRefused, check_backup, describe_backup
from desktop.services.database import Database
from desktop.services.errors import Cancelled, PermissionDenied
from desktop.services.patients import PatientInput, register_patient
from desktop.services.restore import RestoreRefused, _connect, restore_database
from tests.conftest import PG_URL, _seed, disk_full_while_restoring, user_for

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="restore of a SQLite file (PostgreSQL: pg_restore)")


def _register(db, family: str) -> None:
    with db.uow(user_for("front_desk")) as uow:
        register_patient(uow, PatientInput(given_name="Wal", family_name=family, birth_date=date(1970, 1, 1),
                                           sex="male"), allow_duplicate=True)


def _families(db_or_path, key=None, encrypted=False) -> list[str]:
    path = db_or_path.target.path if isinstance(db_or_path, Database) else db_or_path
    conn = _connect(path, key, encrypted, read_only=True)
    try:
        return sorted(r[0] for r in conn.execute("SELECT family_name FROM patient"))
    finally:
        conn.close()


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm")))


@pytest.fixture
def with_backup(db, tmp_path):
    """A database with one patient in a backup and one added after it (which a restore gives up)."""
    _register(db, "InBackup")
    backups = tmp_path / "backups"
    backups.mkdir()
    backup = db.backup_to(backups / "clinic-monday.db")
    _register(db, "AfterBackup")
    return db, backup


def test_the_admin_restores_with_a_safety_copy_and_the_log_says_who(with_backup):
    db, backup = with_backup
    path = db.target.path
    done = restore_database(db, user_for("admin"), backup, stamp="t1")
    assert _families(path) == ["InBackup"]
    assert done.kept_as == path.with_name("clinic.before-restore-t1.db")
    assert _families(done.kept_as) == ["AfterBackup", "InBackup"]  # the safety copy holds what was replaced
    assert "clinic-monday.db" in done.audit and "by admin" in done.audit
    again = Database.open(db.target.url)
    try:
        with again.uow() as uow:
            from sqlalchemy import select

            from desktop.models import AuditEntry

            last = uow.session.execute(select(AuditEntry.action, AuditEntry.summary)
                                       .order_by(AuditEntry.id.desc()).limit(1)).one()
        assert last.action == "restore" and "by admin" in last.summary
    finally:
        again.dispose()


@pytest.mark.parametrize("role", ["physician", "nurse", "front_desk"])
def test_only_the_administrator_may_restore(with_backup, role):
    db, backup = with_backup
    before = _files(db.target.path.parent)
    with pytest.raises(PermissionDenied):
        restore_database(db, user_for(role), backup, stamp="t2")
    with pytest.raises(PermissionDenied), db.uow(user_for(role)) as uow:
        describe_backup(uow, db, backup)
    db.dispose()
    assert _families(db) == ["AfterBackup", "InBackup"] and _files(db.target.path.parent) == before


@pytest.mark.parametrize("stop_in", ["keeping the current database", "copying the backup"])
def test_cancel_before_the_swap_leaves_the_database_exactly_as_it_was(with_backup, stop_in):
    db, backup = with_backup
    folder = db.target.path.parent
    db.dispose()
    before, files_before = _families(db), _files(folder)
    stages: list[str] = []
    with pytest.raises(Cancelled):
        restore_database(db, user_for("admin"), backup, stamp="t3", progress=lambda d, t, s: stages.append(s),
                         cancelled=lambda: stop_in in stages)
    assert stages[-1] == stop_in
    assert _families(db) == before and _files(folder) == files_before  # no safety copy, no half-copied file
    _register(db, "StillWorking")  # the app goes on with the same database object
    assert "StillWorking" in _families(db)


def _damaged(backup: Path) -> Path:
    bad = backup.with_name("damaged.db")
    data = backup.read_bytes()
    bad.write_bytes(data[:4096] + b"\x00garbage" * 500)
    return bad


def _foreign(folder: Path) -> Path:
    path = folder / "photos.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE album (id INTEGER PRIMARY KEY, title TEXT)")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(("make", "said"), [
    (lambda b: _damaged(b), "damaged"),
    (lambda b: _foreign(b.parent), "another program"),
    (lambda b: b.with_name("missing.db"), "no backup file"),
    (lambda b: (b.with_name("empty.db").write_bytes(b""), b.with_name("empty.db"))[1], "empty"),
    (lambda b: (b.with_name("notes.db").write_text("hello " * 2000), b.with_name("notes.db"))[1], "not a"),
])
def test_a_wrong_or_damaged_file_is_refused_and_nothing_changes(with_backup, make, said):
    db, backup = with_backup
    bad = make(backup)
    folder = db.target.path.parent
    db.dispose()
    before, files_before = _families(db), _files(folder)
    with pytest.raises(BackupRefused) as refused:
        restore_database(db, user_for("admin"), bad, stamp="t4")
    assert said in str(refused.value) and ("nothing" in str(refused.value) or "no backup" in str(refused.value))
    assert _families(db) == before and _files(folder) == files_before


def test_the_database_itself_is_not_a_backup(db):
    with pytest.raises(BackupRefused, match="the database itself"):
        restore_database(db, user_for("admin"), db.target.path)


def test_refused_while_another_workstation_has_it_open(with_backup):
    db, backup = with_backup
    other = Database.open(db.target.url)  # another workstation, idle with its connection open
    try:
        _register(other, "OtherDesk")
        with pytest.raises(RestoreRefused, match="in use"):
            restore_database(db, user_for("admin"), backup, stamp="t5")
    finally:
        other.dispose()
    assert "OtherDesk" in _families(db)
    assert not list(db.target.path.parent.glob("*before-restore*"))


def test_the_description_says_what_the_backup_holds(with_backup):
    db, backup = with_backup
    with db.uow(user_for("admin")) as uow:
        info = describe_backup(uow, db, backup)
    assert info.patients == 1 and info.size_bytes == backup.stat().st_size and not info.upgrade_needed
    assert info.last_activity is not None and info.modified.year >= 2024


# ---------------------------------------------------------------- encrypted databases and passphrases


def _encrypted(path: Path, passphrase: str) -> Database:
    db = Database.open(f"sqlcipher:///{path}", create=True, passphrase=passphrase)
    _seed(db)
    return db


def test_a_backup_made_with_another_passphrase_needs_that_passphrase(tmp_path):
    old = _encrypted(tmp_path / "old" / "clinic.db", "old-passphrase")
    _register(old, "FromOldKey")
    backup = old.backup_to(tmp_path / "old-key-backup.db")
    old.dispose()
    db = _encrypted(tmp_path / "now" / "clinic.db", "current-passphrase")
    _register(db, "Current")
    folder = db.target.path.parent
    db.dispose()
    before = _files(folder)
    with pytest.raises(BackupRefused) as refused:
        restore_database(db, user_for("admin"), backup, stamp="t6")
    assert refused.value.wrong_key and "another passphrase" in str(refused.value)
    assert _files(folder) == before and _families(db, db.key, True) == ["Current"]
    with pytest.raises(BackupRefused):
        check_backup(db.target, db.key, backup, passphrase="not-this-one")
    done = restore_database(db, user_for("admin"), backup, passphrase="old-passphrase", stamp="t6")
    # the restored database keeps the backup's passphrase: its audit log is keyed from it, and under the current
    # key nothing more could be saved (it was so until issue 17's review); the safety copy keeps the current one
    from desktop.models.engine import DbKey

    assert _families(db, DbKey(passphrase="old-passphrase"), True) == ["FromOldKey"]
    assert done.passphrase_changed and "by admin" in done.audit
    assert _families(done.kept_as, db.key, True) == ["Current"]
    reopened = Database.open(db.target.url, passphrase="old-passphrase")
    try:
        _register(reopened, "SavedAfterRestore")
    finally:
        reopened.dispose()


def test_an_unencrypted_file_is_not_a_backup_of_an_encrypted_database(tmp_path, db):
    plain = db.backup_to(tmp_path / "plain-backup.db")
    enc = _encrypted(tmp_path / "enc" / "clinic.db", "current-passphrase")
    try:
        with pytest.raises(BackupRefused, match="unencrypted"):
            check_backup(enc.target, enc.key, plain)
    finally:
        enc.dispose()


def test_postgresql_is_restored_on_the_server():
    target = resolve_db("postgresql+psycopg://emr@server/clinic")
    with pytest.raises(BackupRefused, match="pg_restore"):
        check_backup(target, None, Path("/nonexistent.dump"))


def name_practice(db, name: str) -> None:
    from desktop.services.settings import PracticeInput, save_practice

    with db.uow(user_for("admin")) as uow:
        save_practice(uow, PracticeInput(name=name, address_line1="1 Main St", city="Springfield", state="IL",
                                         postal_code="62701", phone="217-555-0100"))


def test_the_description_names_the_backups_practice_and_tells_another_one_apart(db, tmp_path):
    """The patient count does not say whose patients they are: a backup of another practice is named as such."""
    name_practice(db, "Lakeside Family Practice")
    ours = db.backup_to(tmp_path / "ours.db")
    with db.uow(user_for("admin")) as uow:
        info = describe_backup(uow, db, ours)
    assert info.practice == info.this_practice == "Lakeside Family Practice"
    name_practice(db, "Hillside Pediatrics")  # as if this database were another practice's
    with db.uow(user_for("admin")) as uow:
        info = describe_backup(uow, db, ours)
    assert (info.practice, info.this_practice) == ("Lakeside Family Practice", "Hillside Pediatrics")


def test_a_restore_that_failed_after_its_safety_copy_can_be_tried_again(with_backup, monkeypatch):
    """The disk filled while the backup was being copied: the database is as it was and its safety copy stays.
    Trying again (the same dialog, so the same stamp) writes a second safety copy beside the first one; it was
    refused because the first one's name was taken."""
    from desktop.services import restore

    db, backup = with_backup
    path = db.target.path
    real_copy = disk_full_while_restoring(monkeypatch)
    with pytest.raises(RestoreRefused, match="No space left"):
        restore_database(db, user_for("admin"), backup, stamp="t9")
    first = path.with_name("clinic.before-restore-t9.db")
    assert _families(path) == ["AfterBackup", "InBackup"] and _families(first) == ["AfterBackup", "InBackup"]
    monkeypatch.setattr(restore, "_copy", real_copy)
    done = restore_database(db, user_for("admin"), backup, stamp="t9")
    assert done.kept_as == path.with_name("clinic.before-restore-t9-2.db")
    assert _families(path) == ["InBackup"] and _families(done.kept_as) == ["AfterBackup", "InBackup"]
    assert first.exists()  # the first try's safety copy is not overwritten
