"""Several processes at once: two workstations saving one record, 200 audited calls, two first imports, a
restore while another process has the database open (issue 13, points 4, 7, 8 and 9)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop.models import AuditEntry, User
from desktop.services.database import Database
from desktop.services.patients import PatientInput, register_patient
from tests.conftest import PG_URL, SAMPLES, user_for

from .conftest import cli, script, start

SETUP = """
import sys, time
from pathlib import Path
from desktop.services.database import Database
from tests.conftest import user_for
db = Database.open(sys.argv[1])
"""

# one workstation: load the chart's demographics, wait for the other one at the barrier, then save
SAVE = SETUP + """
from dataclasses import replace
from desktop.services import patients
from desktop.services.errors import ConflictError
pid, me, barrier, round_ = int(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), sys.argv[5]
with db.uow(user_for("front_desk")) as uow:
    loaded = patients.get_patient(uow, pid)
(barrier / me).touch()
while len(list(barrier.iterdir())) < 2:
    time.sleep(0.005)
try:
    with db.uow(user_for("front_desk")) as uow:
        patients.update_patient(uow, pid, replace(loaded.data, phone_mobile=f"(217) 555-0{round_}{me[-1]}0"), loaded.version)
    print("saved")
except ConflictError as exc:
    print("ConflictError")
"""

AUDITED = SETUP + """
from desktop.services import patients
pid, n = int(sys.argv[2]), int(sys.argv[3])
failed = 0
for _ in range(n):
    try:
        with db.uow(user_for("nurse")) as uow:
            patients.record_chart_open(uow, pid)
    except Exception as exc:
        failed += 1
        print(f"failed: {type(exc).__name__}: {exc}", file=sys.stderr)
print(n - failed)
"""

# another workstation: its pooled connection stays open (idle) until the go file appears, then it saves
HOLDER = SETUP + """
from dataclasses import replace
from desktop.services import patients
pid, go = int(sys.argv[2]), Path(sys.argv[3])
with db.uow(user_for("front_desk")) as uow:
    p = patients.get_patient(uow, pid)
print("open", flush=True)
while not go.exists():
    time.sleep(0.01)
with db.uow(user_for("front_desk")) as uow:
    p = patients.get_patient(uow, pid)
    patients.update_patient(uow, pid, replace(p.data, phone_mobile="(217) 555-0177"), p.version)
print("saved", flush=True)
"""


def _patient(db, family: str = "Shared") -> int:
    with db.uow(user_for("front_desk")) as uow:
        return register_patient(uow, PatientInput(given_name="Con", family_name=family, birth_date=date(1977, 7, 7),
                                                  sex="female"), allow_duplicate=True).id


def test_two_workstations_saving_the_same_record(db, db_url, tmp_path, record):
    pid = _patient(db)
    for round_ in range(3):
        barrier = tmp_path / f"barrier-{round_}"
        barrier.mkdir()
        procs = [script(SAVE, db_url, str(pid), f"ws{i}", str(barrier), str(round_)) for i in (1, 2)]
        outcomes = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
        errors = [p.stderr for p in procs if p.returncode]
        held = outcomes == ["ConflictError", "saved"] and not errors
        record("two workstations save one record (loser: ConflictError)", held)
        assert held, (outcomes, errors)


def test_200_concurrent_audited_calls(db, db_url, record):
    pid = _patient(db)
    with db.uow() as uow:
        before = uow.session.scalar(select(func.count()).select_from(AuditEntry))
    procs = [script(AUDITED, db_url, str(pid), "50") for _ in range(4)]
    done = [p.communicate(timeout=300) for p in procs]
    succeeded = sum(int(out.strip() or 0) for out, _ in done)
    for _ in range(succeeded):
        record("concurrent audited call (4 processes x 50)", True)
    for _ in range(200 - succeeded):
        record("concurrent audited call (4 processes x 50)", False)
    assert succeeded == 200, [err[-500:] for _, err in done]
    with db.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry)) == before + 200
    check = cli("check-db", "--db", db_url)
    assert check.returncode == 0, check.stderr


def test_two_first_imports_at_once(db, db_url, record):
    files = [SAMPLES / "synthea" / "Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json",
             SAMPLES / "synthea" / "Reyna_Ziemann_08f8bfce-34cf-4b5a-a398-8e49650c6e3c.json"]
    procs = [start("import-phr", str(f), "--create-patient", "--db", db_url) for f in files]
    results = [(p.communicate(timeout=300)[1], p.returncode) for p in procs]
    held = all(code == 0 for _, code in results)
    record("two first-time imports at once", held)
    assert held, [err[-400:] for err, _ in results]
    with db.uow() as uow:
        assert len(uow.session.execute(select(User.id).where(User.username == "system")).all()) == 1


@pytest.mark.skipif(bool(PG_URL), reason="restore of a SQLite file (PostgreSQL: pg_restore)")
def test_restore_under_a_live_connection(db, db_url, tmp_path, record):
    pid = _patient(db)
    backup = tmp_path / "backup.db"
    assert cli("backup", "--db", db_url, "--out", str(backup)).returncode == 0
    db.dispose()
    path = Path(db_url.removeprefix("sqlite:///"))
    go = tmp_path / "go"
    holder = script(HOLDER, db_url, str(pid), str(go))
    try:
        assert holder.stdout.readline().strip() == "open"
        before = path.read_bytes()
        refused = cli("restore", "--db", db_url, str(backup))
        held = refused.returncode == 1 and "in use" in refused.stderr and path.read_bytes() == before
    finally:
        go.touch()
    out, err = holder.communicate(timeout=120)
    assert "saved" in out, err
    # the other workstation's save went to the database that stayed, not to a file restore replaced
    check = Database.open(db_url)
    try:
        with check.uow(user_for("front_desk")) as uow:
            from desktop.services import patients

            held = held and patients.get_patient(uow, pid).data.phone_mobile == "(217) 555-0177"
    finally:
        check.dispose()
    record("restore while another process has the database open", held)
    assert held, refused.stderr
    assert not list(tmp_path.glob("*before-restore*"))
