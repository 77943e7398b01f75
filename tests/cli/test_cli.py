"""The command line as support staff use it: clear one-line errors, exit codes, files left untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("EMR_DB_URL", None)
    return subprocess.run([sys.executable, "-m", "desktop", *args], cwd=ROOT, capture_output=True, text=True,
                          env=full_env, timeout=timeout)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    result = run("demo", "--db", f"sqlite:///{path}", "--patients", "40", "--no-charts")
    assert result.returncode == 0, result.stderr
    assert "demo users" in result.stdout
    return f"sqlite:///{path}"


def test_demo_then_check_db(demo_db):
    result = run("check-db", "--db", demo_db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:") and "not encrypted" in result.stdout


def test_demo_twice_adds_nothing(demo_db):
    result = run("demo", "--db", demo_db, "--patients", "10")
    assert result.returncode == 0 and "nothing added" in result.stdout


def test_check_db_names_a_tampered_audit_row(tmp_path):
    import sqlite3

    path = tmp_path / "t.db"
    assert run("demo", "--db", f"sqlite:///{path}", "--patients", "5", "--no-charts").returncode == 0
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE audit_log SET username = 'mallory' WHERE id = 2")
    result = run("check-db", "--db", f"sqlite:///{path}")
    assert result.returncode == 1
    assert "audit row 2" in result.stderr and "Traceback" not in result.stderr


def test_backup_and_restore_round_trip(demo_db, tmp_path):
    out = tmp_path / "b.db"
    result = run("backup", "--db", demo_db, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.exists() and out.read_bytes()[:16] == b"SQLite format 3\x00"
    again = run("backup", "--db", demo_db, "--out", str(out))
    assert again.returncode != 0 and "already exists" in again.stderr
    target = tmp_path / "restored.db"
    target.write_bytes(Path(demo_db[len("sqlite:///"):]).read_bytes())
    result = run("restore", "--db", f"sqlite:///{target}", str(out))
    assert result.returncode == 0, result.stderr
    assert run("check-db", "--db", f"sqlite:///{target}").returncode == 0


def test_restore_refuses_a_corrupt_file_and_keeps_the_database(demo_db, tmp_path):
    bad = tmp_path / "bad.db"
    good = Path(demo_db[len("sqlite:///"):]).read_bytes()
    bad.write_bytes(good[:4096] + b"\x00garbage" * 500)
    target = tmp_path / "keep.db"
    target.write_bytes(good)
    result = run("restore", "--db", f"sqlite:///{target}", str(bad))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and result.stderr.startswith("error:")
    assert target.read_bytes() == good


@pytest.mark.parametrize("args,expect", [
    (["demo", "--patients", "many"], "invalid int value"),
    (["demo", "--patients", "-3", "--db", "sqlite:////tmp/x-never.db"], "between"),
    (["bench", "--case", "nonsense"], "unknown case"),
    (["check-db", "--db", "mysql://x/y"], "unsupported database URL"),
    (["no-such-command"], "invalid choice"),
])
def test_bad_arguments_give_one_line_and_exit_2_or_1(args, expect):
    result = run(*args)
    assert result.returncode in (1, 2)
    assert expect in result.stderr and "Traceback" not in result.stderr


def test_a_file_that_is_not_a_database_is_left_untouched(tmp_path):
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"this is my shopping list, not a database\n" * 50)
    before = junk.read_bytes()
    result = run("check-db", "--db", f"sqlite:///{junk}")
    assert result.returncode == 1 and "not a SQLite database" in result.stderr
    assert junk.read_bytes() == before


def test_unreachable_postgres_is_one_line():
    result = run("check-db", "--db", "postgresql+psycopg://nobody:secret@127.0.0.1:1/none", timeout=60)
    assert result.returncode == 1
    assert "cannot reach the database server" in result.stderr and "secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_database_file(tmp_path):
    result = run("check-db", "--db", f"sqlite:///{tmp_path / 'absent.db'}")
    assert result.returncode == 1 and "no database at" in result.stderr
    assert not (tmp_path / "absent.db").exists()
