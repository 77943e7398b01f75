"""The alerts_20 bench case runs and reports the contract keys with its reference."""

from __future__ import annotations

from desktop.bench import CASES
from desktop.bench.alerts_case import run
from desktop.bench.context import BenchContext


def test_alerts_20_case(tmp_path):
    assert CASES["alerts_20"] == "desktop.bench.alerts_case:run"
    result = run(BenchContext(cache_dir=tmp_path, repeat=2)).as_json()
    assert {"ms", "p95_ms", "reference_ms", "ratio", "reference"} <= set(result)
    assert result["alerts"] >= 5  # the busy list really interacts
    assert result["reference_ms"] > 0 and result["ms"] > 0  # timings are judged by the bench, not by tests
