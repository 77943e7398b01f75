"""Evidence that cannot be rewritten (issue 13 point 10): each way of tampering with the database behind the
app's back makes `check-db` fail, and says where.

The database is the default kind, SQLCipher, whose audit key is derived from the database key. The tamperer
edits it with sqlcipher3 and the database key, as a person with the file and its passphrase would, but
without the audit key (they re-hash with plain SHA-256, as the chain was before it was keyed); they leave the
anchor file beside the database alone unless the test says otherwise.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlcipher3.dbapi2 as sqlcipher

from desktop.__main__ import main
from desktop.services.audit import GENESIS, row_hash
from desktop.services.database import Database
from tests.conftest import _seed, user_for

PASSPHRASE = "correct horse battery staple"


def _fill(db: Database) -> dict[str, int]:
    """A small practice's day, through the services: a patient, an allergy later struck out, a medication,
    vitals, a problem, a chart opened."""
    from desktop.services import allergies, medications, patients, problems, vitals

    doc = user_for("physician")
    with db.uow(doc) as uow:
        p = patients.register_patient(uow, patients.PatientInput(
            given_name="Zoe", family_name="Muller", birth_date=date(1980, 1, 2), sex="female"))
    with db.uow(doc) as uow:
        a = allergies.add_allergy(uow, p.id, allergies.AllergyInput(substance="Latex", category="environment",
                                                                    reaction="rash")).row
    with db.uow(doc) as uow:
        allergies.mark_allergy_in_error(uow, a.id, "wrong patient", a.version)
    with db.uow(doc) as uow:
        m = medications.add_medication(uow, p.id, medications.MedicationInput(
            drug_name="Vitamin D3 1000 unit tablet", sig="1 tablet daily"))
    with db.uow(doc) as uow:
        vitals.record_vitals(uow, p.id, vitals.VitalsInput(systolic=128, diastolic=82, heart_rate=71))
    with db.uow(doc) as uow:
        problems.add_problem(uow, p.id, problems.ProblemInput(description="Essential hypertension",
                                                              icd10_code="I10"))
    with db.uow(doc) as uow:
        patients.record_chart_open(uow, p.id)
    return {"patient": p.id, "allergy": a.id, "medication": m.id}


@pytest.fixture(scope="module")
def _template(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("tamper") / "clinic.db"
    db = Database.open(f"sqlcipher:///{path}", passphrase=PASSPHRASE, create=True)
    _seed(db)
    ids = _fill(db)
    with db.uow() as uow:
        from desktop.models import AuditHead

        ids["last"] = uow.session.get(AuditHead, 1).last_id
    db.dispose()
    return path, ids


@pytest.fixture
def clinic(_template, tmp_path, monkeypatch) -> tuple[Path, dict[str, int]]:
    """A copy of the filled database with its anchor, opened by check-db with the passphrase."""
    src, ids = _template
    path = tmp_path / "clinic.db"
    shutil.copyfile(src, path)
    shutil.copyfile(src.with_name("clinic.db.audit-anchor"), tmp_path / "clinic.db.audit-anchor")
    monkeypatch.setenv("EMR_DB_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("EMR_AUDIT_KEY", raising=False)
    return path, ids


def check_db(path: Path, capsys) -> tuple[int, str, str]:
    code = main(["check-db", "--db", f"sqlcipher:///{path}"])
    out = capsys.readouterr()
    return code, out.out, out.err


def tamper(path: Path, *statements: str | tuple) -> None:
    conn = sqlcipher.connect(str(path))
    try:
        conn.execute("PRAGMA key = '" + PASSPHRASE.replace("'", "''") + "'")
        for st in statements:
            conn.execute(*st) if isinstance(st, tuple) else conn.execute(st)
        conn.commit()
    finally:
        conn.close()


def query(path: Path, sql: str) -> list[tuple]:
    conn = sqlcipher.connect(str(path))
    try:
        conn.execute("PRAGMA key = '" + PASSPHRASE.replace("'", "''") + "'")
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)


def rehash_without_key(path: Path, keyed_flag: int) -> None:
    """What a tamperer without the key can do: recompute every link with plain SHA-256 and fix the head."""
    rows = query(path, "SELECT id, ts, user_id, username, patient_id, action, entity, entity_id, summary, "
                       "state_digest FROM audit_log ORDER BY id")
    prev, statements = GENESIS, []
    for r in rows:
        h = row_hash(prev, r[0], _ts(r[1]), *r[2:9], r[9], None)
        statements.append(("UPDATE audit_log SET prev_hash = ?, hash = ?, keyed = ? WHERE id = ?",
                           (prev, h, keyed_flag, r[0])))
        prev = h
    statements.append(("UPDATE audit_head SET last_hash = ?, key_check = NULL, keyed_since = NULL", (prev,)))
    tamper(path, *statements)


# ------------------------------------------------------------------ a good database


def test_an_untouched_database_passes_with_the_same_output(clinic, capsys):
    path, _ids = clinic
    code, out, err = check_db(path, capsys)
    assert code == 0, err
    assert out.startswith(f"ok: {path} (encrypted), schema ") and f"audit chain {_ids['last']} rows intact, keyed" in out
    assert "chart rows as last audited" in out


# ------------------------------------------------------------------ the audit log itself


def _truncate(path: Path, keep: int) -> None:
    (last_kept,) = query(path, f"SELECT hash FROM audit_log WHERE id = {keep}")[0]
    tamper(path, f"DELETE FROM audit_row_state WHERE entry_id > {keep}", f"DELETE FROM audit_log WHERE id > {keep}",
           ("UPDATE audit_head SET last_id = ?, last_hash = ?", (keep, last_kept)))


def test_deleting_the_newest_rows_and_fixing_audit_head_fails(clinic, capsys):
    path, ids = clinic
    _truncate(path, ids["last"] - 2)
    code, _out, err = check_db(path, capsys)
    assert code == 1
    assert f"ends at row {ids['last'] - 2} but its anchor records row {ids['last']}" in err


def test_deleting_every_audit_row_fails(clinic, capsys):
    path, ids = clinic
    tamper(path, "DELETE FROM audit_row_state", "DELETE FROM audit_log", "DELETE FROM audit_head")
    code, _out, err = check_db(path, capsys)
    assert code == 1 and f"ends at row 0 but its anchor records row {ids['last']}" in err


def test_re_hashing_after_an_edit_fails(clinic, capsys):
    path, _ids = clinic
    tamper(path, "UPDATE audit_log SET username = 'mallory' WHERE id = 3")
    rehash_without_key(path, keyed_flag=1)  # still claiming to be keyed
    code, _out, err = check_db(path, capsys)
    assert code == 1 and "audit row 1 was altered" in err


def test_re_hashing_as_unkeyed_history_fails(clinic, capsys):
    path, ids = clinic
    tamper(path, "UPDATE audit_log SET summary = 'nothing happened' WHERE id = 5")
    rehash_without_key(path, keyed_flag=0)  # the whole log passed off as pre-key history
    code, _out, err = check_db(path, capsys)
    assert code == 1 and f"audit row {ids['last']} is not the row the anchor recorded" in err


def test_appending_a_forged_row_fails(clinic, capsys):
    path, ids = clinic
    n = ids["last"] + 1
    (prev,) = query(path, f"SELECT hash FROM audit_log WHERE id = {n - 1}")[0]
    ts = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    forged = row_hash(prev, n, ts, 1, "drlima", None, "login", "user", "1", "", None, None)
    tamper(path, ("INSERT INTO audit_log (id, ts, user_id, username, patient_id, action, entity, entity_id, "
                  "summary, prev_hash, hash, keyed) VALUES (?, ?, 1, 'drlima', NULL, 'login', 'user', '1', '', ?, ?, 1)",
                  (n, ts.strftime("%Y-%m-%d %H:%M:%S.%f"), prev, forged)),
           ("UPDATE audit_head SET last_id = ?, last_hash = ?", (n, forged)))
    code, _out, err = check_db(path, capsys)
    assert code == 1 and f"audit row {n} was altered" in err


def test_deleting_the_anchor_with_the_newest_rows_fails(clinic, capsys):
    path, ids = clinic
    _truncate(path, ids["last"] - 2)
    (path.parent / "clinic.db.audit-anchor").unlink()
    code, _out, err = check_db(path, capsys)
    assert code == 1 and "anchor beside the database (clinic.db.audit-anchor) is missing" in err


def test_putting_back_an_older_copy_by_hand_fails(_template, tmp_path, monkeypatch, capsys):
    """Restore-rollback: a copy taken earlier replaces the database while the anchor stays."""
    src, ids = _template
    monkeypatch.setenv("EMR_DB_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "clinic.db"
    shutil.copyfile(src, path)
    db = Database.open(f"sqlcipher:///{path}")
    old = tmp_path / "old-copy.db"
    db.backup_to(old)
    from desktop.services import patients

    with db.uow(user_for("physician")) as uow:
        patients.record_chart_open(uow, ids["patient"])
    db.dispose()
    shutil.copyfile(old, path)
    code, _out, err = check_db(path, capsys)
    assert code == 1 and f"ends at row {ids['last']} but its anchor records row {ids['last'] + 1}" in err


# ------------------------------------------------------------------ chart rows edited behind the app's back


@pytest.mark.parametrize(("what", "sql", "table"), [
    ("a birth date", "UPDATE patient SET birth_date = '1979-01-02' WHERE id = {patient}", "patient"),
    ("a medication", "UPDATE medication SET sig = '10 tablets daily' WHERE id = {medication}", "medication"),
    ("a vital value", "UPDATE vital_sign SET value = 98 WHERE loinc = '8480-6'", "vital_sign"),
    ("a deleted allergy", "UPDATE allergy SET entered_in_error = 0 WHERE id = {allergy}", "allergy"),
])
def test_editing_a_chart_row_fails(clinic, capsys, what, sql, table):
    path, ids = clinic
    tamper(path, sql.format(**ids))
    code, _out, err = check_db(path, capsys)
    assert code == 1, what
    assert f"{table} row" in err and "differs from its last audited state" in err


def test_deleting_a_chart_row_fails(clinic, capsys):
    path, ids = clinic
    tamper(path, f"DELETE FROM allergy WHERE id = {ids['allergy']}")
    code, _out, err = check_db(path, capsys)
    assert code == 1 and f"allergy row {ids['allergy']} was deleted after audit row" in err


def test_editing_the_recorded_row_states_fails(clinic, capsys):
    """Covering an edit by also rewriting the stored digest."""
    path, ids = clinic
    tamper(path, "UPDATE patient SET family_name = 'Other' WHERE id = {patient}".format(**ids))
    rows = query(path, "SELECT * FROM patient WHERE id = {patient}".format(**ids))
    assert rows
    fake = hashlib.sha256(b"whatever the tamperer computes").hexdigest()
    tamper(path, ("UPDATE audit_row_state SET digest = ? WHERE table_name = 'patient'", (fake,)))
    code, _out, err = check_db(path, capsys)
    assert code == 1 and "chart row states recorded with audit row" in err


def test_restore_records_the_rollback_and_check_db_then_passes(clinic, capsys):
    """The `restore` command puts a backup back on purpose: the log says which rows the old log had beyond it,
    and the anchor follows (a copy put back by hand fails, see above)."""
    path, ids = clinic
    url = f"sqlcipher:///{path}"
    backup = path.with_name("backup.db")
    assert main(["backup", "--db", url, "--out", str(backup)]) == 0
    db = Database.open(url)
    from desktop.services import patients

    with db.uow(user_for("physician")) as uow:
        patients.record_chart_open(uow, ids["patient"])
    db.dispose()
    assert main(["restore", "--db", url, str(backup)]) == 0
    out = capsys.readouterr().out
    n = ids["last"]
    assert f"rows {n + 1} to {n + 1} of it are not in this database" in out
    code, out, err = check_db(path, capsys)
    assert code == 0, err
    assert f"audit chain {n + 1} rows intact, keyed" in out
    (summary,) = query(path, f"SELECT summary FROM audit_log WHERE id = {n + 1} AND action = 'restore'")[0]
    assert "backup.db" in summary


def test_the_anchor_is_readable_by_its_owner_only(clinic):
    path, _ids = clinic
    db = Database.open(f"sqlcipher:///{path}")
    from desktop.services import patients

    with db.uow(user_for("physician")) as uow:
        patients.record_chart_open(uow, _ids["patient"])
    db.dispose()
    assert (path.parent / "clinic.db.audit-anchor").stat().st_mode & 0o777 == 0o600


def test_check_db_as_a_separate_process_names_the_edited_row_in_one_line(clinic):
    import os
    import subprocess
    import sys

    path, ids = clinic
    tamper(path, "UPDATE medication SET sig = '10 tablets daily' WHERE id = {medication}".format(**ids))
    env = {k: v for k, v in os.environ.items() if k not in ("EMR_DB_URL", "EMR_AUDIT_KEY")}
    env["EMR_DB_PASSPHRASE"] = PASSPHRASE
    result = subprocess.run([sys.executable, "-m", "desktop", "check-db", "--db", f"sqlcipher:///{path}"],
                            cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"medication row {ids['medication']} differs from its last audited state" in result.stderr
