"""`python -m desktop print rx|summary|note ID --out FILE.pdf [--db URL]`: the contract, its errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from desktop.__main__ import main

from .conftest import flat, pdf_text

ROOT = Path(__file__).resolve().parents[2]


def test_print_rx_then_reprint(db, db_url, signed_rx, tmp_path, capsys):
    if not db_url.startswith("sqlite"):
        pytest.skip("the CLI test writes files next to a SQLite database")
    rx = signed_rx()
    out = tmp_path / "rx.pdf"
    assert main(["print", "rx", str(rx.id), "--out", str(out), "--db", db_url]) == 0
    assert "wrote" in capsys.readouterr().out
    text = flat(pdf_text(out.read_bytes()))
    assert rx.rx_number in text and "REPRINT" not in text
    # by number the second time: a reprint, because the first file counted as a print
    again = tmp_path / "again.pdf"
    assert main(["print", "rx", rx.rx_number, "--out", str(again), "--db", db_url]) == 0
    assert "COPY — REPRINT" in capsys.readouterr().out
    assert "COPY — REPRINT" in flat(pdf_text(again.read_bytes()))


def test_print_summary(db_url, patient, tmp_path, capsys):
    out = tmp_path / "summary.pdf"
    assert main(["print", "summary", patient.mrn, "--out", str(out), "--db", db_url, "--page-size", "A4"]) == 0
    assert "José Núñez" in pdf_text(out.read_bytes())


@pytest.mark.parametrize("argv, words", [
    (["print", "rx", "999", "--out", "X"], "no prescription with id 999"),
    (["print", "rx", "RX999", "--out", "X"], "no prescription numbered RX999"),
    (["print", "summary", "NOPE", "--out", "X"], "no patient with MRN NOPE"),
    (["print", "note", "12345", "--out", "X"], "no encounter with id 12345"),
    (["print", "note", "abc", "--out", "X"], "ENCOUNTER_ID is a number"),
])
def test_unknown_ids_fail_in_one_line(db_url, tmp_path, capsys, argv, words):
    argv = [a if a != "X" else str(tmp_path / "x.pdf") for a in argv] + ["--db", db_url]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()


def test_unreachable_database_in_one_line(tmp_path):
    out = tmp_path / "x.pdf"
    proc = subprocess.run(
        [sys.executable, "-m", "desktop", "print", "summary", "M1", "--out", str(out),
         "--db", f"sqlite:///{tmp_path / 'missing' / 'clinic.db'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "does not exist" in proc.stderr or "no database" in proc.stderr


def test_missing_out_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["print", "rx", "1"])
    assert exc.value.code == 2
