"""Restore: refused while another connection has the database open, never onto itself, and the copy kept aside
holds the edits still in the write-ahead log (issue 13, point 4)."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from desktop.__main__ import main
from desktop.services.patients import PatientInput, register_patient
from tests.conftest import PG_URL, user_for

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="restore of a SQLite file (PostgreSQL: pg_restore)")


def _register(db, family: str) -> None:
    with db.uow(user_for("front_desk")) as uow:
        register_patient(uow, PatientInput(given_name="Wal", family_name=family, birth_date=date(1970, 1, 1),
                                           sex="male"), allow_duplicate=True)


def _families(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT family_name FROM patient")}
    finally:
        conn.close()


def test_restore_is_refused_while_another_connection_is_open(db, db_url, tmp_path, capsys):
    path = Path(db_url.removeprefix("sqlite:///"))
    backup = tmp_path / "backup.db"
    assert main(["backup", "--db", db_url, "--out", str(backup)]) == 0
    _register(db, "Later")  # the live Database keeps its pooled connection open, idle
    before = path.read_bytes()
    assert main(["restore", "--db", db_url, str(backup)]) == 1
    err = capsys.readouterr().err
    assert "in use" in err and err.count("\n") == 1
    assert path.read_bytes() == before and not list(tmp_path.glob("*before-restore*"))
    _register(db, "StillHere")  # the open connection goes on working on the same file
    db.dispose()
    assert {"Later", "StillHere"} <= _families(path)


def test_the_copy_kept_aside_includes_edits_in_the_wal(db, db_url, tmp_path, capsys):
    path = Path(db_url.removeprefix("sqlite:///"))
    backup = tmp_path / "backup.db"
    assert main(["backup", "--db", db_url, "--out", str(backup)]) == 0
    _register(db, "Before")
    db.dispose()
    # a workstation that died right after its commit: the edit is only in the write-ahead log
    code = ("import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL'); "
            "c.execute(\"UPDATE patient SET family_name = 'InTheWal' WHERE family_name = 'Before'\"); c.commit(); "
            "os._exit(0)")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60)
    assert Path(str(path) + "-wal").stat().st_size > 0
    capsys.readouterr()
    assert main(["restore", "--db", db_url, str(backup)]) == 0
    out = capsys.readouterr().out
    aside = Path(out.split("kept as ", 1)[1].split("\n", 1)[0])
    assert "InTheWal" in _families(aside), "the edit in the WAL is missing from the copy kept aside"
    assert "InTheWal" not in _families(path)
    assert stat.S_IMODE(aside.stat().st_mode) == 0o600


def test_restoring_a_database_onto_itself_is_refused(db, db_url, capsys):
    path = Path(db_url.removeprefix("sqlite:///"))
    db.dispose()
    before = path.read_bytes()
    assert main(["restore", "--db", db_url, str(path)]) == 1
    assert "the database itself" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_an_encrypted_backup_is_restored_on_a_computer_without_the_database(tmp_path, monkeypatch, capsys):
    """Disaster recovery: the practice's computer is replaced; the encrypted backup is restored where there is no
    database yet, with the passphrase it was made with (it was refused as 'not a backup of this database')."""
    from sqlalchemy import select

    from desktop.models import Patient
    from desktop.models.keys import PASSPHRASE_ENV
    from desktop.services.database import Database
    from tests.conftest import _seed

    old = Database.open(f"sqlcipher:///{tmp_path / 'old' / 'clinic.db'}", create=True, passphrase="the-passphrase")
    _seed(old)
    _register(old, "Saved")
    backup = old.backup_to(tmp_path / "monday.db")
    old.dispose()
    url = f"sqlcipher:///{tmp_path / 'new' / 'clinic.db'}"
    (tmp_path / "new").mkdir()
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    assert main(["restore", "--db", url, str(backup)]) == 1  # no passphrase (not a terminal): said what to do
    assert PASSPHRASE_ENV in capsys.readouterr().err and not (tmp_path / "new" / "clinic.db").exists()
    monkeypatch.setenv(PASSPHRASE_ENV, "the-passphrase")
    assert main(["restore", "--db", url, str(backup)]) == 0
    assert "restored" in capsys.readouterr().out
    restored = Database.open(url, passphrase="the-passphrase")
    try:
        with restored.uow(user_for("front_desk")) as uow:
            from sqlalchemy import select

            from desktop.models import Patient

            assert "Saved" in set(uow.session.execute(select(Patient.family_name)).scalars())
    finally:
        restored.dispose()


def test_a_folder_is_refused_as_a_folder(db, db_url, tmp_path, capsys):
    """The backups folder typed instead of one of its files: said so (exit 2, as a missing file), nothing changed."""
    path = Path(db_url.removeprefix("sqlite:///"))
    db.dispose()
    before = path.read_bytes()
    assert main(["restore", "--db", db_url, str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a folder" in err and err.count("\n") == 1
    assert path.read_bytes() == before


# ---------------------------------------------------------------- a backup made under another passphrase (issue 17)


def _encrypted_practice(path: Path, family: str, passphrase: str | None = None):
    from desktop.services.database import Database
    from tests.conftest import _seed

    db = Database.open(f"sqlcipher:///{path}", create=True, passphrase=passphrase)
    _seed(db)
    _register(db, family)
    return db


def _backup_of_a_lost_computer(tmp_path: Path, memory_keyring) -> tuple[Path, str]:
    """A backup of a practice whose computer (and keyring) is gone, and its key as the administrator wrote it
    down (64 hex digits)."""
    from desktop.models.keys import KEYRING_SERVICE

    old_path = tmp_path / "old" / "clinic.db"
    old = _encrypted_practice(old_path, "FromOldComputer")
    backup = old.backup_to(tmp_path / "friday.db")
    old.dispose()
    written_down = memory_keyring.get_password(KEYRING_SERVICE, str(old_path))
    assert written_down and len(written_down) == 64
    memory_keyring.store.clear()  # the old computer, and its keyring, are gone
    return backup, written_down


def _families_in(url: str, passphrase: str | None = None) -> set[str]:
    from sqlalchemy import select

    from desktop.models import Patient
    from desktop.services.database import Database

    db = Database.open(url, passphrase=passphrase)
    try:
        with db.uow(user_for("front_desk")) as uow:
            return set(uow.session.execute(select(Patient.family_name)).scalars())
    finally:
        db.dispose()


@pytest.fixture
def old_key_backup(tmp_path, monkeypatch):
    """The practice's database is on its current passphrase; the backup was made under the one before."""
    from desktop.cli.restore_cmd import BACKUP_PASSPHRASE_ENV
    from desktop.models.keys import PASSPHRASE_ENV

    old = _encrypted_practice(tmp_path / "old" / "clinic.db", "FromOldKey", "old-passphrase")
    backup = old.backup_to(tmp_path / "old-key-backup.db")
    old.dispose()
    current = _encrypted_practice(tmp_path / "now" / "clinic.db", "Current", "current-passphrase")
    current.dispose()
    monkeypatch.setenv(PASSPHRASE_ENV, "current-passphrase")
    monkeypatch.delenv(BACKUP_PASSPHRASE_ENV, raising=False)
    return current.target.url, current.target.path, backup


def test_a_backup_made_under_another_passphrase_is_restored_with_it_from_the_environment(old_key_backup, monkeypatch,
                                                                                         capsys):
    from desktop.cli.restore_cmd import BACKUP_PASSPHRASE_ENV

    url, path, backup = old_key_backup
    before = path.read_bytes()
    assert main(["restore", "--db", url, str(backup)]) == 1  # not a terminal, nothing given: refused as before
    assert "another passphrase" in capsys.readouterr().err and path.read_bytes() == before
    monkeypatch.setenv(BACKUP_PASSPHRASE_ENV, "not-this-one")
    assert main(["restore", "--db", url, str(backup)]) == 1
    assert "does not open with that passphrase either" in capsys.readouterr().err
    assert path.read_bytes() == before and not list(path.parent.glob("*before-restore*"))

    monkeypatch.setenv(BACKUP_PASSPHRASE_ENV, "old-passphrase")
    assert main(["restore", "--db", url, str(backup)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("the previous database was kept as ") and out[1].startswith("restored ")
    assert out[2] == "the restored database opens with the passphrase the backup was made with"
    assert out[3].startswith("audit: database replaced by the backup")
    # it keeps the backup's passphrase (its audit log is keyed from it) and takes new rows; the safety copy keeps
    # the current passphrase
    monkeypatch.setenv("EMR_DB_PASSPHRASE", "old-passphrase")
    assert _families_in(url) == {"FromOldKey"}
    from desktop.services.database import Database

    restored = Database.open(url)
    try:
        _register(restored, "SavedAfter")
    finally:
        restored.dispose()
    kept = Path(out[0].removeprefix("the previous database was kept as "))
    assert _families_in(f"sqlcipher:///{kept}", "current-passphrase") == {"Current"}


def test_on_a_terminal_the_backups_passphrase_is_asked_for(old_key_backup, monkeypatch, capsys):
    import getpass

    url, _path, backup = old_key_backup
    asked: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(getpass, "getpass", lambda prompt: asked.append(prompt) or "old-passphrase")
    assert main(["restore", "--db", url, str(backup)]) == 0
    assert asked == ["The passphrase the backup was made with: "]
    assert "does not open with this database's key" in capsys.readouterr().err
    assert _families_in(url, "old-passphrase") == {"FromOldKey"}


def test_the_written_down_keyring_key_opens_a_backup_of_the_lost_computer(tmp_path, memory_keyring, monkeypatch,
                                                                          capsys):
    """Key escrow: the old computer kept its key in its keyring; the administrator wrote it down (64 hex digits).
    A new computer's database has its own key; the old backup is restored with the written-down key."""
    from desktop.cli.restore_cmd import BACKUP_PASSPHRASE_ENV
    from desktop.models.keys import KEYRING_SERVICE, PASSPHRASE_ENV

    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    backup, written_down = _backup_of_a_lost_computer(tmp_path, memory_keyring)
    new = _encrypted_practice(tmp_path / "new" / "clinic.db", "NewComputer")
    new.dispose()
    monkeypatch.setenv(BACKUP_PASSPHRASE_ENV, written_down.upper())
    new_key = memory_keyring.get_password(KEYRING_SERVICE, str(new.target.path))
    assert main(["restore", "--db", new.target.url, str(backup)]) == 0
    out = capsys.readouterr().out
    assert "restored" in out and "passphrase" not in out and "audit: database replaced" in out
    # the keyring follows the files: the restored database opens with the written-down key, its safety copy
    # with this computer's own
    assert memory_keyring.get_password(KEYRING_SERVICE, str(new.target.path)) == written_down
    assert _families_in(new.target.url) == {"FromOldComputer"}
    kept = next(new.target.path.parent.glob("clinic.before-restore-*.db"))
    assert memory_keyring.get_password(KEYRING_SERVICE, str(kept)) == new_key
    assert _families_in(f"sqlcipher:///{kept}") == {"NewComputer"}


def test_the_written_down_key_put_back_in_the_keyring_restores_on_an_empty_computer(tmp_path, memory_keyring,
                                                                                    monkeypatch, capsys):
    """Key escrow, the whole machine lost: the written-down key is put into the new computer's keyring for the
    database's file (keyring set "ClinicEMR database key" PATH), then `restore` needs nothing else."""
    from desktop.models.keys import KEYRING_SERVICE, PASSPHRASE_ENV

    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    backup, written_down = _backup_of_a_lost_computer(tmp_path, memory_keyring)
    new_path = tmp_path / "new" / "clinic.db"
    new_path.parent.mkdir()
    memory_keyring.set_password(KEYRING_SERVICE, str(new_path), written_down)
    url = f"sqlcipher:///{new_path}"
    assert main(["restore", "--db", url, str(backup)]) == 0
    assert "restored" in capsys.readouterr().out
    assert _families_in(url) == {"FromOldComputer"}


def test_restore_help_names_the_backups_passphrase_variable(capsys):
    with pytest.raises(SystemExit):
        main(["restore", "--help"])
    assert "EMR_BACKUP_PASSPHRASE" in capsys.readouterr().out


def test_a_keyring_key_is_not_restored_where_no_keyring_would_keep_it(tmp_path, memory_keyring, monkeypatch,
                                                                       capsys):
    """The written-down keyring key opens the backup, but this computer has no keyring: the restored database
    would open with nothing, so nothing is restored."""
    from desktop.cli.restore_cmd import BACKUP_PASSPHRASE_ENV
    from desktop.models import keys
    from desktop.models.keys import PASSPHRASE_ENV

    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    backup, written_down = _backup_of_a_lost_computer(tmp_path, memory_keyring)
    new = _encrypted_practice(tmp_path / "new" / "clinic.db", "Here", "a-passphrase")
    new.dispose()
    before = new.target.path.read_bytes()
    monkeypatch.setenv(PASSPHRASE_ENV, "a-passphrase")
    monkeypatch.setenv(BACKUP_PASSPHRASE_ENV, written_down)
    monkeypatch.setattr(keys, "keyring_usable", lambda: False)
    assert main(["restore", "--db", new.target.url, str(backup)]) == 1
    assert "no keyring to keep it" in capsys.readouterr().err
    assert new.target.path.read_bytes() == before and not list(new.target.path.parent.glob("*before-restore*"))
