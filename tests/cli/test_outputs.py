"""Output files (export-fhir --out, print --out): an existing file is refused unless --force, the file is
written whole (temporary file, then rename) and owner-only, and an export that failed is not audited."""

from __future__ import annotations

import stat
from datetime import date

import pytest
from sqlalchemy import select

from desktop.__main__ import main
from desktop.models import AuditEntry
from desktop.services.patients import PatientInput, register_patient
from tests.conftest import user_for


@pytest.fixture
def mrn(db) -> str:
    with db.uow(user_for("front_desk")) as uow:
        return register_patient(uow, PatientInput(given_name="Out", family_name="Put", birth_date=date(1980, 1, 2),
                                                  sex="male")).mrn


def _exports(db) -> int:
    with db.uow() as uow:
        return len(uow.session.execute(select(AuditEntry.id).where(AuditEntry.action == "export")).all())


@pytest.mark.parametrize("command", ["export-fhir", "print"])
def test_an_existing_file_is_refused_unless_force(db, db_url, mrn, tmp_path, capsys, command):
    out = tmp_path / "precious.db"
    out.write_bytes(b"SQLite format 3\x00 someone else's database")
    argv = (["export-fhir", "--patient", mrn] if command == "export-fhir" else ["print", "summary", mrn])
    argv += ["--out", str(out), "--db", db_url]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and err.count("\n") == 1
    assert out.read_bytes() == b"SQLite format 3\x00 someone else's database"
    assert main([*argv, "--force"]) == 0
    assert out.read_bytes()[:1] in (b"{", b"%")  # JSON or PDF replaced it, whole
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_a_failed_export_is_not_audited(db, db_url, mrn, tmp_path, capsys):
    before = _exports(db)
    # /proc takes no new files, even from root
    assert main(["export-fhir", "--patient", mrn, "--out", "/proc/emr-export.json", "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and err.count("\n") == 1
    assert _exports(db) == before
    assert main(["export-fhir", "--patient", mrn, "--out", str(tmp_path / "x.json"), "--db", db_url]) == 0
    assert _exports(db) == before + 1
