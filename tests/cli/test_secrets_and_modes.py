"""Credentials never reach error.log, stderr or a log line; the database, its backups and error.log are created
owner-only (issue 13, points 11 and 12)."""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from desktop.cli.common import run_command
from desktop.config import data_dir
from desktop.redaction import RedactingFilter, redact

URL = "postgresql+psycopg://emr:Sup3r-Secret@db.clinic.lan:5432/emr"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_crash_log_names_no_password(monkeypatch, capsys):
    log = data_dir() / "error.log"
    log.unlink(missing_ok=True)
    monkeypatch.setattr(sys, "argv", ["desktop", "export-fhir", "--db", URL, "--patient", "M1"])

    def run(_args):
        raise RuntimeError(f"lost the connection to {URL} (password=Sup3r-Secret)")

    assert run_command(SimpleNamespace(run=run), None) == 1
    err = capsys.readouterr().err
    text = log.read_text(encoding="utf-8")
    assert "Sup3r-Secret" not in text and "Sup3r-Secret" not in err
    assert "emr:***@db.clinic.lan" in text and "export-fhir" in text  # still useful to support
    assert _mode(log) == 0o600


def test_log_lines_are_redacted():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "cannot reach %s", (URL,), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "cannot reach postgresql+psycopg://emr:***@db.clinic.lan:5432/emr"


@pytest.mark.parametrize("text, secret", [
    ("PRAGMA key = 'my passphrase'", "my passphrase"),
    ("host=db user=emr password=hunter22 dbname=emr", "hunter22"),
    ("EMR_DB_PASSPHRASE=correct-horse", "correct-horse"),
])
def test_other_credential_forms(text, secret):
    assert secret not in redact(text)


def test_database_and_backup_are_owner_only(tmp_path):
    from desktop.services.database import Database

    previous = os.umask(0o022)  # the usual umask, which made them 644
    try:
        db = Database.open(f"sqlite:///{tmp_path / 'clinic.db'}", create=True)
        try:
            backup = db.backup_to(tmp_path / "backup.db")
        finally:
            db.dispose()
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "clinic.db") == 0o600
    assert _mode(backup) == 0o600
    for leftover in tmp_path.glob("clinic.db-*"):
        assert _mode(leftover) == 0o600


def test_an_encrypted_database_is_owner_only(tmp_path):
    from desktop.services.database import Database

    Database.open(f"sqlcipher:///{tmp_path / 'clinic.db'}", create=True).dispose()
    assert _mode(tmp_path / "clinic.db") == 0o600
