"""The bench command: a case that cannot run fails the command with its reason; optional cases skip in a full run."""

from __future__ import annotations

import argparse
import json

import pytest

import desktop.bench as bench
from desktop.bench import CaseCannotRun, CaseResult
from desktop.cli import bench_cmd


def ok_case(ctx):
    return CaseResult(1.0, 2.0, 0.5)


def missing_sample_case(ctx):
    raise CaseCannotRun("sample not found: x.json")


@pytest.fixture
def cases(monkeypatch):
    here = __name__
    monkeypatch.setattr(bench, "CASES", {"ok": f"{here}:ok_case", "needs_build": f"{here}:missing_sample_case"})
    monkeypatch.setattr(bench, "OPTIONAL", {"needs_build"})


def _args(tmp_path, *case):
    return argparse.Namespace(case=list(case) or None, json=True, repeat=1, cache_dir=str(tmp_path))


def test_an_optional_case_is_skipped_with_its_reason_in_a_full_run(cases, tmp_path, capsys):
    assert bench_cmd.run(_args(tmp_path)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"]["ratio"] == 2.0
    assert out["needs_build"]["skipped"] == "sample not found: x.json"


def test_a_named_case_that_cannot_run_exits_non_zero_with_the_reason(cases, tmp_path, capsys):
    assert bench_cmd.run(_args(tmp_path, "needs_build")) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["needs_build"]["error"] == "sample not found: x.json"
    assert "cannot run: sample not found" in captured.err


def test_the_phr_case_fails_loudly_without_its_sample(monkeypatch, tmp_path):
    from desktop.bench import phr_case
    from desktop.bench.context import BenchContext

    monkeypatch.setenv("EMR_PHR_SAMPLES", str(tmp_path))
    with pytest.raises(CaseCannotRun, match="sample not found"):
        phr_case.run(BenchContext(cache_dir=tmp_path, repeat=1))


def test_the_bench_sample_ships_with_the_package():
    from desktop.bench import phr_case

    assert (phr_case.samples_dir() / phr_case.SAMPLE).is_file()
