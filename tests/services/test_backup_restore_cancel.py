"""Backup and restore report their progress and stop on Cancel, leaving the database as it was and no file
behind (the GUI's progress dialog and the command line's bar plug into the same callbacks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.services.errors import Cancelled
from desktop.services.patients import PatientInput, register_patient
from desktop.services.restore import restore_file
from tests.conftest import user_for


def _patients(path: Path, key, encrypted: bool) -> list[tuple]:
    """What the database holds (its bytes may move: SQLite checkpoints its log on close)."""
    from desktop.services.restore import _connect

    conn = _connect(path, key, encrypted, read_only=True)
    try:
        return conn.execute("SELECT id, given_name, family_name FROM patient ORDER BY id").fetchall()
    finally:
        conn.close()


@pytest.fixture
def sqlite_db(db):
    if db.target.path is None:
        pytest.skip("PostgreSQL is backed up with the server's tools")
    with db.uow(user_for("front_desk")) as uow:  # some pages to copy
        for n in range(40):
            register_patient(uow, PatientInput(given_name=f"Ann{n}", family_name="Copy", sex="female",
                                               birth_date=__import__("datetime").date(1980, 1, 1 + n % 28)))
    return db


def test_backup_reports_progress_and_writes_the_file(sqlite_db, tmp_path):
    seen: list[tuple[int, int, str]] = []
    out = sqlite_db.backup_to(tmp_path / "b.db", progress=lambda d, t, s: seen.append((d, t, s)))
    assert out.is_file() and seen and seen[-1][0] == seen[-1][1] > 0 and {s for *_, s in seen} == {"copying"}


def test_a_cancelled_backup_leaves_no_file(sqlite_db, tmp_path):
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 1  # the user presses Cancel once the copy is under way

    with pytest.raises(Cancelled):
        sqlite_db.backup_to(tmp_path / "b.db", cancelled=cancelled)
    assert asked and not list(tmp_path.glob("b.db*"))


def test_a_cancelled_restore_leaves_the_database_and_no_copy(sqlite_db, tmp_path):
    backup = sqlite_db.backup_to(tmp_path / "b.db")
    with sqlite_db.uow(user_for("front_desk")) as uow:  # after the backup: a restore would lose this patient
        register_patient(uow, PatientInput(given_name="Late", family_name="Comer", sex="male",
                                           birth_date=__import__("datetime").date(1990, 5, 5)))
    path, key = sqlite_db.target.path, sqlite_db.key
    sqlite_db.dispose()  # restore needs the database to itself
    before = _patients(path, key, sqlite_db.target.encrypted)
    assert ("Late", "Comer") in [r[1:] for r in before]
    def files() -> list[str]:  # SQLite's own -wal/-shm come and go with connections
        return sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm")))

    files_before = files()
    for stop_in in ("keeping the current database", "copying the backup"):
        stages: list[str] = []
        with pytest.raises(Cancelled):
            restore_file(path, backup, key, encrypted=sqlite_db.target.encrypted, stamp=f"t-{len(stop_in)}",
                         progress=lambda d, t, s, _seen=stages: _seen.append(s),
                         cancelled=lambda _seen=stages, _stop=stop_in: _stop in _seen)
        assert stages and stages[-1] == stop_in
        assert _patients(path, key, sqlite_db.target.encrypted) == before
        assert files() == files_before


def test_restore_reports_both_copies(sqlite_db, tmp_path):
    backup = sqlite_db.backup_to(tmp_path / "b.db")
    path, key = sqlite_db.target.path, sqlite_db.key
    sqlite_db.dispose()
    stages: list[tuple[int, int, str]] = []
    aside = restore_file(path, backup, key, encrypted=sqlite_db.target.encrypted, stamp="ok",
                         progress=lambda d, t, s: stages.append((d, t, s)))
    assert aside is not None and aside.is_file()
    assert [s for *_, s in stages][0] == "keeping the current database"
    assert stages[-1][2] == "copying the backup" and stages[-1][0] == stages[-1][1] > 0
