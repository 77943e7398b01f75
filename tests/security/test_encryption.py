"""Encryption at rest: the default database is SQLCipher; a wrong key is refused and the file stays untouched;
an unencrypted database can be converted in place after a backup; sqlite:/// says it is not encrypted."""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from desktop.config import default_db_path
from desktop.models.engine import SQLITE_HEADER, DatabaseOpenError, DbKey
from desktop.models.keys import KEYRING_SERVICE
from desktop.services.database import Database
from desktop.services.encryption import EncryptionError, encrypt_in_place


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file in the folder with its content hash: 'untouched' means no byte and no file changed."""
    return {p.name: _digest(p) for p in sorted(folder.iterdir()) if p.is_file()}


def _patient_count(db: Database) -> int:
    from desktop.models import Patient

    with db.uow() as uow:
        return uow.session.execute(select(func.count(Patient.id))).scalar()


def _make_default_db(data_dir: Path) -> Path:
    from desktop.services import demo

    db = Database.open(None, create=True)
    with db.uow() as uow:
        demo.create_practice_and_users(uow)
        demo.add_patients(uow, 7)
    db.dispose()
    return default_db_path()


def _plain_db(path: Path, patients: int = 6) -> Path:
    from desktop.services import demo

    db = Database.open(f"sqlite:///{path}", create=True)
    with db.uow() as uow:
        demo.create_practice_and_users(uow)
        demo.add_patients(uow, patients)
    db.dispose()
    return path


# ---------------------------------------------------------------- the default database

def test_default_database_is_encrypted_with_a_keyring_key(data_dir, memory_keyring):
    path = _make_default_db(data_dir)
    assert path.parent == data_dir
    header = path.read_bytes()[:16]
    assert header != SQLITE_HEADER
    assert b"SQLite" not in path.read_bytes()[:4096]
    stored = memory_keyring.store[(KEYRING_SERVICE, str(path))]
    assert len(bytes.fromhex(stored)) == 32  # a 256-bit key
    db = Database.open(None)  # opens again with the key from the keyring
    assert db.encrypted and _patient_count(db) == 7
    db.dispose()
    # the plain sqlite3 module cannot read it
    import sqlite3

    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(path).execute("SELECT count(*) FROM sqlite_master").fetchone()


def test_wrong_key_is_refused_and_the_file_is_untouched(data_dir, memory_keyring):
    path = _make_default_db(data_dir)
    before = _snapshot(data_dir)
    memory_keyring.store[(KEYRING_SERVICE, str(path))] = "00" * 32
    with pytest.raises(DatabaseOpenError, match="wrong key or passphrase"):
        Database.open(None)
    assert _snapshot(data_dir) == before


def test_wrong_passphrase_is_refused_and_the_file_is_untouched(tmp_path):
    url = f"sqlcipher:///{tmp_path / 'p.db'}"
    Database.open(url, create=True, passphrase="right passphrase").dispose()
    before = _snapshot(tmp_path)
    with pytest.raises(DatabaseOpenError, match="wrong key or passphrase"):
        Database.open(url, passphrase="wrong passphrase")
    assert _snapshot(tmp_path) == before
    db = Database.open(url, passphrase="right passphrase")
    assert db.encrypted
    db.dispose()


@pytest.mark.parametrize("scheme", ["sqlcipher", "sqlite"])
def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path, scheme):
    path = tmp_path / "notes.db"
    path.write_bytes(b"Dear diary, " * 500)
    before = _snapshot(tmp_path)
    with pytest.raises(DatabaseOpenError) as err:
        Database.open(f"{scheme}:///{path}", passphrase="some passphrase")
    assert "not a" in str(err.value) and "database" in str(err.value)
    assert _snapshot(tmp_path) == before


def test_a_plain_file_opened_as_encrypted_is_refused_untouched(tmp_path):
    path = _plain_db(tmp_path / "plain.db")
    before = _snapshot(tmp_path)
    with pytest.raises(DatabaseOpenError):
        Database.open(f"sqlcipher:///{path}", passphrase="any passphrase")
    assert _snapshot(tmp_path) == before


def test_sqlite_url_stays_explicitly_unencrypted(tmp_path):
    path = _plain_db(tmp_path / "plain.db", patients=1)
    assert path.read_bytes()[:16] == SQLITE_HEADER
    db = Database.open(f"sqlite:///{path}")
    assert not db.encrypted
    db.dispose()


# ---------------------------------------------------------------- converting an unencrypted database

def test_convert_in_place_after_a_backup(tmp_path):
    path = _plain_db(tmp_path / "clinic.db", patients=9)
    result = encrypt_in_place(path, DbKey(passphrase="a long passphrase"))
    assert result.path == path and result.rows > 9
    assert path.read_bytes()[:16] != SQLITE_HEADER
    # the backup is the plain original, byte for byte readable, with the same data
    assert result.backup.exists() and result.backup.parent == tmp_path
    assert result.backup.read_bytes()[:16] == SQLITE_HEADER
    assert (path.stat().st_mode & 0o777, result.backup.stat().st_mode & 0o777) == (0o600, 0o600)  # owner only
    backup = Database.open(f"sqlite:///{result.backup}", upgrade=False)
    assert _patient_count(backup) == 9
    backup.dispose()
    db = Database.open(f"sqlcipher:///{path}", passphrase="a long passphrase")
    assert _patient_count(db) == 9
    with db.uow() as uow:
        from desktop.services.audit import verify_chain

        assert verify_chain(uow.session).ok
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    db.dispose()
    assert not list(tmp_path.glob("*.encrypting"))


def test_convert_with_a_keyring_key_then_open_by_default_url(data_dir, memory_keyring):
    from desktop.models.keys import key_for

    path = _plain_db(default_db_path(), patients=3)
    encrypt_in_place(path, key_for(path, create=True))
    db = Database.open(None)
    assert db.encrypted and _patient_count(db) == 3
    db.dispose()


def test_conversion_refuses_an_encrypted_or_foreign_file_untouched(tmp_path):
    enc = tmp_path / "enc.db"
    Database.open(f"sqlcipher:///{enc}", create=True, passphrase="right passphrase").dispose()
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    before = _snapshot(tmp_path)
    for path in (enc, junk):
        with pytest.raises(EncryptionError, match="not an unencrypted SQLite database"):
            encrypt_in_place(path, DbKey(passphrase="another passphrase"))
    with pytest.raises(EncryptionError, match="no database file"):
        encrypt_in_place(tmp_path / "missing.db", DbKey(passphrase="another passphrase"))
    assert _snapshot(tmp_path) == before


def test_conversion_failure_leaves_the_original_untouched(tmp_path, monkeypatch):
    path = _plain_db(tmp_path / "clinic.db", patients=2)
    before = _digest(path)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("desktop.services.encryption.os.replace", broken_replace)
    with pytest.raises(EncryptionError, match="disk full.*not changed"):
        encrypt_in_place(path, DbKey(passphrase="a long passphrase"))
    assert _digest(path) == before
    assert not list(tmp_path.glob("*.encrypting"))


def test_conversion_refuses_a_short_passphrase(tmp_path):
    path = _plain_db(tmp_path / "clinic.db", patients=1)
    before = _snapshot(tmp_path)
    with pytest.raises(EncryptionError, match="at least 8"):
        encrypt_in_place(path, DbKey(passphrase="short"))
    assert _snapshot(tmp_path) == before


def test_encrypt_command(tmp_path, monkeypatch, capsys):
    from desktop.cli import encrypt_cmd
    from desktop.cli.common import run_command

    path = _plain_db(tmp_path / "clinic.db", patients=2)
    monkeypatch.setenv("EMR_DB_PASSPHRASE", "command line passphrase")
    parser = argparse.ArgumentParser()
    encrypt_cmd.add_arguments(parser)
    args = parser.parse_args(["--db", f"sqlite:///{path}"])
    assert run_command(encrypt_cmd, args) == 0
    out = capsys.readouterr().out
    assert f"encrypted {path}" in out and f"--db sqlcipher:///{path}" in out
    assert path.read_bytes()[:16] != SQLITE_HEADER
    # a second run refuses: already encrypted
    assert run_command(encrypt_cmd, args) == 1
    assert "already encrypted" in capsys.readouterr().err


def test_conversion_refuses_a_database_in_use(tmp_path):
    """Another program (a workstation) has the file open, idle: refused, nothing changed."""
    import subprocess
    import sys

    path = _plain_db(tmp_path / "clinic.db", patients=2)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('SELECT count(*) FROM patient').fetchone(); print('open', flush=True); time.sleep(60)",
         str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        before = _snapshot(tmp_path)
        with pytest.raises(EncryptionError, match="in use"):
            encrypt_in_place(path, DbKey(passphrase="a long passphrase"))
        assert _snapshot(tmp_path) == before
    finally:
        holder.kill()
        holder.wait()
    # closed everywhere: now it converts
    encrypt_in_place(path, DbKey(passphrase="a long passphrase"))
    assert path.read_bytes()[:16] != SQLITE_HEADER
