"""The command line contract of issue 8: options, JSON keys and exit codes."""

from __future__ import annotations

import json

import orjson

from desktop.__main__ import main
from desktop.models import Patient, PhrImport
from desktop.phr import read_file

from .conftest import APPLE_HYDAWO, CCD2, MIGUEL, REYNA, dump

KEYS = {"patient", "categories", "skipped", "applied", "import_id"}
CATS = {"problems", "medications", "allergies", "immunizations", "observations", "results", "procedures",
        "social_history", "family_history", "encounters"}  # issue 18 added the history categories


def cli(*args: str) -> int:
    return main(list(args))


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_json_report_and_apply(db, db_url, samples, chart_for, capsys):
    patient = chart_for(REYNA)
    assert cli("import-phr", str(samples / REYNA), "--patient", patient.mrn, "--db", db_url, "--json") == 0
    out = _json(capsys)
    assert set(out) == KEYS and set(out["categories"]) == CATS
    assert all(set(c) == {"new", "duplicate", "changed", "conflict"} for c in out["categories"].values())
    assert out["applied"] is True and isinstance(out["import_id"], int)
    assert out["patient"]["mrn"] == patient.mrn and out["patient"]["identity"] == "match"
    assert out["categories"]["problems"] == {"new": 9, "duplicate": 0, "changed": 0, "conflict": 0}
    assert all(set(s) == {"item", "reason"} for s in out["skipped"])
    # again: only duplicates, nothing applied, exit 0
    assert cli("import-phr", str(samples / REYNA), "--patient", patient.mrn, "--db", db_url, "--json") == 0
    again = _json(capsys)
    assert again["applied"] is False and again["import_id"] is None
    assert again["categories"]["problems"] == {"new": 0, "duplicate": 9, "changed": 0, "conflict": 0}
    with db.uow() as uow:
        assert uow.session.query(PhrImport).count() == 1


def test_dry_run_and_accept_none_change_nothing(db, db_url, samples, chart_for, capsys):
    patient = chart_for(MIGUEL)
    before = dump(db)
    assert cli("import-phr", str(samples / MIGUEL), "--patient", patient.mrn, "--db", db_url, "--dry-run",
               "--json") == 0
    out = _json(capsys)
    assert out["applied"] is False and out["categories"]["medications"]["new"] == 13
    assert cli("import-phr", str(samples / MIGUEL), "--patient", patient.mrn, "--db", db_url, "--accept", "none",
               "--json") == 0
    assert _json(capsys)["applied"] is False
    assert dump(db) == before


def test_create_patient(db, db_url, samples, capsys):
    assert cli("import-phr", str(samples / MIGUEL), "--create-patient", "--db", db_url, "--json") == 0
    out = _json(capsys)
    assert out["applied"] is True and out["patient"]["created"] is True
    with db.uow() as uow:
        (p,) = uow.session.query(Patient).all()
        assert (p.given_name, p.middle_name, p.family_name, p.sex) == ("Miguel", "Ángel", "Garica", "male")
    # the same person again: refused as a possible duplicate, nothing written
    before = dump(db)
    assert cli("import-phr", str(samples / MIGUEL), "--create-patient", "--db", db_url) == 2
    assert "possible duplicate" in capsys.readouterr().err
    assert dump(db) == before


def test_create_patient_needs_a_named_patient(db, db_url, samples, capsys):
    before = dump(db)
    assert cli("import-phr", str(samples / APPLE_HYDAWO), "--create-patient", "--db", db_url) == 2
    assert "does not name its patient" in capsys.readouterr().err
    assert dump(db) == before


def test_identity_mismatch_exits_3_with_the_report(db, db_url, samples, chart_for, capsys):
    other = chart_for(CCD2)
    before = dump(db)
    assert cli("import-phr", str(samples / REYNA), "--patient", other.mrn, "--db", db_url, "--json") == 3
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["applied"] is False and out["patient"]["identity"] == "mismatch"
    assert captured.err.count("\n") == 1 and "does not match" in captured.err
    assert dump(db) == before


def test_several_patients_in_one_file(db, db_url, samples, chart_for, tmp_path, capsys):
    a = orjson.loads((samples / REYNA).read_bytes())
    b = orjson.loads((samples / MIGUEL).read_bytes())
    merged = tmp_path / "two.json"
    merged.write_bytes(orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": a["entry"] + b["entry"]}))
    assert read_file(merged).several_patients
    patient = chart_for(MIGUEL)
    assert cli("import-phr", str(merged), "--patient", patient.mrn, "--db", db_url, "--json") == 0
    out = _json(capsys)
    assert out["categories"]["medications"]["new"] == 13  # Miguel's only, Reyna's left out
    assert cli("import-phr", str(merged), "--create-patient", "--db", db_url) == 2
    assert "several patients" in capsys.readouterr().err


def test_export_fhir(db, db_url, samples, chart_for, tmp_path, capsys):
    patient = chart_for(REYNA)
    assert cli("import-phr", str(samples / REYNA), "--patient", patient.mrn, "--db", db_url) == 0
    capsys.readouterr()
    out = tmp_path / "chart.json"
    assert cli("export-fhir", "--patient", patient.mrn, "--out", str(out), "--db", db_url) == 0
    bundle = orjson.loads(out.read_bytes())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert cli("import-phr", str(out), "--patient", patient.mrn, "--db", db_url, "--json") == 0
    capsys.readouterr()
    assert cli("export-fhir", "--patient", "nobody", "--out", str(out), "--db", db_url) == 2
