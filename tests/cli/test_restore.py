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
