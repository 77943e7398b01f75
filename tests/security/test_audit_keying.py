"""Where the audit chain's key comes from, and what an older database's history is reported as."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from desktop.__main__ import main
from desktop.config import resolve_db
from desktop.models import AuditEntry, AuditHead
from desktop.models.engine import DbKey, make_engine
from desktop.models.schema import alembic_config
from desktop.services import patients
from desktop.services.audit import GENESIS, row_hash, verify_chain
from desktop.services.audit_keys import AuditKeyError
from desktop.services.database import Database
from tests.conftest import _seed, user_for

PASSPHRASE = "an older practice's passphrase"
KEY_A, KEY_B = "a" * 64, "b" * 64


def _register(db: Database, given: str = "Zoe") -> int:
    with db.uow(user_for("physician")) as uow:
        return patients.register_patient(uow, patients.PatientInput(
            given_name=given, family_name="Muller", birth_date=date(1980, 1, 2), sex="female"),
            allow_duplicate=True).id


def test_an_older_database_reports_its_history_as_unkeyed_up_to_the_upgrade(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMR_DB_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("EMR_AUDIT_KEY", raising=False)
    path = tmp_path / "old.db"
    url = f"sqlcipher:///{path}"
    engine = make_engine(resolve_db(url), DbKey(passphrase=PASSPHRASE))
    before = ScriptDirectory.from_config(alembic_config()).get_revision("0005").down_revision
    command.upgrade(alembic_config(engine), before)
    prev, rows = GENESIS, []
    for n, action in enumerate(("login", "view"), start=1):  # two rows the way the app chained them before
        ts = datetime(2026, 11, 30, 9, n, tzinfo=UTC)
        h = row_hash(prev, n, ts, 1, "drlima", None, action, "user", "1", "")
        rows.append({"id": n, "ts": ts, "prev": prev, "hash": h, "action": action})
        prev = h
    with engine.begin() as conn:
        for r in rows:
            conn.execute(text("INSERT INTO audit_log (id, ts, user_id, username, patient_id, action, entity, entity_id,"
                              " summary, prev_hash, hash) VALUES (:id, :ts, 1, 'drlima', NULL, :action, 'user', '1',"
                              " '', :prev, :hash)"), r)
        conn.execute(text("INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 2, :h)"), {"h": prev})
    engine.dispose()

    assert main(["check-db", "--db", url]) == 1  # older schema: check-db says to start the app first
    capsys.readouterr()
    db = Database.open(url)  # the upgrade (after a backup)
    _seed(db)
    _register(db)
    db.dispose()
    assert main(["check-db", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "audit chain 3 rows intact, keyed from row 3 (unkeyed history up to row 2)" in out
    assert "1 chart rows as last audited" in out


def test_unencrypted_sqlite_is_unkeyed_but_anchored_and_checks_chart_rows(db, db_url, add_patient, capsys,
                                                                        monkeypatch):
    monkeypatch.delenv("EMR_AUDIT_KEY", raising=False)
    if not db_url.startswith("sqlite"):
        pytest.skip("the unencrypted SQLite case")
    p = add_patient(given="Ann")
    assert main(["check-db", "--db", db_url]) == 0
    assert "unkeyed history up to row 1 (no audit key for this database)" in capsys.readouterr().out
    path = db_url[len("sqlite:///"):]
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE patient SET birth_date = '1970-05-07' WHERE id = ?", (p.id,))
    assert main(["check-db", "--db", db_url]) == 1
    assert f"patient row {p.id} differs from its last audited state (audit row 1)" in capsys.readouterr().err


def test_emr_audit_key_keys_any_database_and_a_wrong_key_writes_nothing(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("EMR_AUDIT_KEY", KEY_A)
    db = Database.open(url, create=True)
    _seed(db)
    _register(db)
    with db.uow() as uow:
        report = verify_chain(uow.session)
        assert report.ok and report.keyed_since == 1
        assert uow.session.execute(select(AuditEntry.keyed)).scalars().all() == [True]
    db.dispose()

    monkeypatch.setenv("EMR_AUDIT_KEY", KEY_B)  # another workstation, set up with another key
    other = Database.open(url)
    with pytest.raises(AuditKeyError, match="not the key"):
        _register(other, "Bea")
    with other.uow() as uow:
        assert uow.session.get(AuditHead, 1).last_id == 1  # nothing was written
        assert not verify_chain(uow.session).ok
    other.dispose()

    monkeypatch.delenv("EMR_AUDIT_KEY")  # and one with no key at all
    keyless = Database.open(url)
    with pytest.raises(AuditKeyError, match="does not hold its key"):
        _register(keyless, "Cy")
    keyless.dispose()


def test_postgresql_with_the_practice_key_is_keyed_anchored_and_checked(db, db_url, add_patient, monkeypatch,
                                                                        capsys):
    if not db_url.startswith("postgresql"):
        pytest.skip("needs EMR_TEST_PG_URL")
    monkeypatch.setenv("EMR_AUDIT_KEY", KEY_A)
    first = add_patient(given="Ann")
    add_patient(given="Bea")
    assert main(["check-db", "--db", db_url]) == 0
    assert "audit chain 2 rows intact, keyed, 2 chart rows as last audited" in capsys.readouterr().out
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE patient SET birth_date = '1970-05-07' WHERE id = :i"), {"i": first.id})
    assert main(["check-db", "--db", db_url]) == 1
    assert f"patient row {first.id} differs" in capsys.readouterr().err
    with db.engine.begin() as conn:  # the newest row removed and the tip moved back: this computer's anchor shows it
        h = conn.execute(text("SELECT hash FROM audit_log WHERE id = 1")).scalar_one()
        conn.execute(text("DELETE FROM audit_row_state WHERE entry_id = 2"))
        conn.execute(text("DELETE FROM audit_log WHERE id = 2"))
        conn.execute(text("UPDATE audit_head SET last_id = 1, last_hash = :h"), {"h": h})
    assert main(["check-db", "--db", db_url]) == 1
    assert "ends at row 1 but its anchor records row 2" in capsys.readouterr().err
