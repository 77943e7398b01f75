"""The apple_import bench case's pieces on a small export: the generated file reads as an Apple Health export with
the readings it says, and each process is measured (wall, peak memory, CPU) or named when it fails."""

from __future__ import annotations

import os
import sys

import pytest

from desktop.bench import CaseCannotRun
from desktop.bench.apple_case import _child, generate
from desktop.phr import read_file
from desktop.phr.matching import collapse_observations


def test_the_generated_export_reads_with_its_blood_pressure_duplicates_collapsed(tmp_path):
    path = tmp_path / "export.xml"
    written = generate(path, n_records=400)
    assert written >= 400
    parsed = read_file(path)
    assert parsed.info.file_format == "apple-health"
    assert parsed.patient().birth_date.isoformat() == "1961-04-12"
    loincs = {o.loinc for o in parsed.observations}
    assert {"8867-4", "8480-6", "8462-4", "29463-7"} <= loincs  # heart rate, BP pair, weight
    assert not [s for s in parsed.skipped if not s.reason.startswith("not imported")]
    bp = [o for o in parsed.observations if o.loinc == "8480-6"]
    collapsed = [c for c in collapse_observations(parsed.observations) if c.item.loinc == "8480-6"]
    assert bp and len(bp) == 2 * len(collapsed) and {c.count for c in collapsed} == {2}  # inside + repeated


def test_a_child_process_is_measured_and_a_failing_one_is_named():
    ms, mb, cpu_ms, out = _child([sys.executable, "-c", "print(sum(range(3_000_000)))"], dict(os.environ))
    assert out.strip() == str(sum(range(3_000_000)))
    assert ms > 0 and mb > 1 and 0 < cpu_ms < ms * 4
    with pytest.raises(CaseCannotRun, match="failed"):
        _child([sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))
