"""`python -m desktop alerts ...` as a user runs it: output, JSON shape and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "desktop", "alerts", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_json_lists_alert_objects():
    out = run("--drug", "warfarin", "--drug", "ibuprofen", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert isinstance(data, list) and len(data) == 1
    alert = data[0]
    assert {"kind", "severity", "message", "drugs"} <= set(alert)
    assert (alert["kind"], alert["severity"]) == ("interaction", "major")
    assert alert["drugs"] == ["warfarin", "ibuprofen"]


def test_plain_output_one_line_per_alert_severity_first():
    out = run("--drug", "Warfarin", "--drug", "Ibuprofen", "--drug", "lisinopril", "--drug", "losartan")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 4  # warfarin+ibuprofen, lisinopril+losartan, two ACEi/ARB+NSAID
    assert all(line.split()[0] in ("CONTRAINDICATED", "MAJOR", "MODERATE", "MINOR") for line in lines)
    assert any("Warfarin + Ibuprofen" in line for line in lines)


def test_no_alerts():
    out = run("--drug", "amlodipine", "--drug", "metformin")
    assert (out.returncode, out.stdout.strip()) == (0, "No alerts.")
    out = run("--drug", "amlodipine", "--drug", "metformin", "--json")
    assert json.loads(out.stdout) == []


def test_brand_names_and_rxcui_resolve():
    out = run("--drug", "Coumadin", "--drug", "Advil", "--json")
    assert out.returncode == 0, out.stderr
    (alert,) = json.loads(out.stdout)
    assert "Coumadin" in alert["message"] and "Advil" in alert["message"]
    out = run("--drug", "11289", "--drug", "naproxen", "--json")
    assert json.loads(out.stdout)[0]["severity"] == "major"


def test_names_are_case_insensitive():
    a = json.loads(run("--drug", "SIMVASTATIN", "--drug", "Clarithromycin", "--json").stdout)
    assert a[0]["severity"] == "contraindicated"


def test_allergy_class_and_cross_reactivity():
    out = run("--drug", "amoxicillin", "--drug", "cephalexin", "--allergy", "penicillin", "--json")
    data = json.loads(out.stdout)
    assert [(d["kind"], d["severity"]) for d in data] == [("allergy", "major"), ("allergy", "moderate")]
    out = run("--drug", "furosemide", "--allergy", "sulfa")
    assert out.stdout.strip() == "No alerts."


def test_age_changes_vital_thresholds():
    child = json.loads(run("--vital", "8867-4=130", "--age", "8", "--json").stdout)
    adult = json.loads(run("--vital", "8867-4=130", "--age", "40", "--json").stdout)
    assert [d["kind"] for d in child] == ["vital"] and adult == []


def test_unknown_drug_exits_2_with_one_line():
    out = run("--drug", "warfarin", "--drug", "notadrugazol")
    assert out.returncode == 2
    assert out.stdout == ""
    err = out.stderr.strip().splitlines()
    assert len(err) == 1 and "notadrugazol" in err[0] and "Traceback" not in out.stderr


def test_no_drug_is_a_usage_error():
    assert run().returncode == 2


def test_unusable_knowledge_base_exits_3(tmp_path):
    from desktop.alerts.kb import FILES, default_dir

    for fname in FILES.values():
        (tmp_path / fname).write_bytes((default_dir() / fname).read_bytes())
    (tmp_path / FILES["interactions"]).write_text("{ not json", encoding="utf-8")
    out = run("--drug", "warfarin", "--drug", "aspirin", "--kb-dir", str(tmp_path))
    assert out.returncode == 3
    assert "interaction checking unavailable" in out.stderr and "interactions.json" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_unknown_allergy_substance_is_warned_not_ignored():
    out = run("--drug", "warfarin", "--allergy", "penicilin")
    assert out.returncode == 0
    assert "penicilin" in out.stderr and "warning" in out.stderr


@pytest.mark.parametrize("bad", ["8480-6", "=120", "8480-6=high"])
def test_bad_vital_is_a_usage_error(bad):
    out = run("--vital", bad)
    assert out.returncode == 2 and "LOINC=VALUE" in out.stderr
