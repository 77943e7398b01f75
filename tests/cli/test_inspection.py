"""Inspection never writes to a file that is not ours, and bad inputs end in one clean line (issue 13, 5 and 13)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from desktop.__main__ import main
from tests.conftest import PG_URL


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_clean_line(err: str) -> None:
    assert err.count("\n") == 1 and "unexpected" not in err and "Traceback" not in err, err


@pytest.fixture
def foreign(tmp_path) -> Path:
    path = tmp_path / "photos.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE album (id INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("INSERT INTO album (title) VALUES ('holidays')")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("command", ["check-db", "encrypt", "backup"])
def test_a_zero_byte_file_is_left_as_it_is(tmp_path, capsys, command):
    empty = tmp_path / "empty.db"
    empty.touch()
    argv = [command, "--db", f"sqlite:///{empty}"] + (["--out", str(tmp_path / "b.db")] if command == "backup" else [])
    assert main(argv) != 0
    out, err = capsys.readouterr()
    _one_clean_line(err)
    assert "encrypted (" not in out
    assert empty.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


@pytest.mark.parametrize("command", ["check-db", "encrypt", "export-fhir"])
def test_a_foreign_sqlite_file_is_not_touched(foreign, tmp_path, capsys, command):
    before = _digest(foreign)
    argv = [command, "--db", f"sqlite:///{foreign}"]
    if command == "export-fhir":
        argv += ["--patient", "M1", "--out", str(tmp_path / "x.json")]
    assert main(argv) != 0
    out, err = capsys.readouterr()
    _one_clean_line(err)
    assert "not an EMR database" in err or "not a SQLite database" in err
    assert "encrypted (" not in out
    assert _digest(foreign) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos.db"]


@pytest.mark.skipif(bool(PG_URL), reason="a SQLite file is damaged on purpose")
def test_check_db_on_a_damaged_file_says_what_to_do(db, db_url, capsys):
    path = Path(db_url.removeprefix("sqlite:///"))
    db.dispose()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):  # every page after the schema's: b-tree headers trashed
        data[offset:offset + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    assert main(["check-db", "--db", db_url]) == 1
    err = capsys.readouterr().err
    _one_clean_line(err)
    assert "damaged" in err and "restore" in err


def test_backup_to_a_place_that_takes_no_files(db, db_url, capsys):
    if PG_URL:
        pytest.skip("PostgreSQL backups are pg_dump's")
    assert main(["backup", "--out", "/proc/emr.db", "--db", db_url]) == 1
    err = capsys.readouterr().err
    _one_clean_line(err)
    assert "cannot write a backup to /proc/emr.db" in err


@pytest.mark.parametrize("kind", ["rx", "note"])
def test_an_id_beyond_any_integer_is_simply_not_found(db, db_url, tmp_path, capsys, kind):
    assert main(["print", kind, "99999999999999999999999", "--out", str(tmp_path / "x.pdf"), "--db", db_url]) == 1
    err = capsys.readouterr().err
    _one_clean_line(err)
    assert "no prescription with id" in err or "no encounter with id" in err
