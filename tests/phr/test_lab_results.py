"""Laboratory results from the shared samples: FHIR lab Observations with their DiagnosticReport panels, the
C-CDA Results section; diff (duplicates, corrected results), apply, re-import, undo, the CLI's `results`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import orjson
import pytest

from desktop.__main__ import main
from desktop.phr import Decision, ItemStatus, read_file
from desktop.services import phr_import
from desktop.services import results as results_svc

from .conftest import CCD1, CCD2, CLEMENTE, FLETCHER, IPS_EU, JORGE, LAWRENCE, MIGUEL, REYNA, user_for

LAB_COUNTS = {IPS_EU: 44, CLEMENTE: 30, FLETCHER: 281, JORGE: 37, MIGUEL: 124, REYNA: 72, LAWRENCE: 0}


def _raw_lab_observations(path) -> list[dict]:
    bundle = orjson.loads(path.read_bytes())
    out = []
    for e in bundle.get("entry", []):
        r = e.get("resource", {})
        if r.get("resourceType") != "Observation":
            continue
        cats = {c.get("code") for cat in r.get("category", []) for c in cat.get("coding", [])}
        if "laboratory" in cats:
            out.append((e.get("fullUrl"), r))
    return out


@pytest.mark.parametrize("sample", sorted(LAB_COUNTS))
def test_every_lab_observation_arrives_with_code_value_and_unit(samples, sample):
    parsed = read_file(samples / sample)
    raw = _raw_lab_observations(samples / sample)
    assert len(raw) == LAB_COUNTS[sample] == len(parsed.results)
    assert not [s for s in parsed.skipped if "laboratory" in s.item and "DiagnosticReport" not in s.item]
    by_source = {r.source_resource_id: r for r in parsed.results}
    for url, obs in raw:
        got = by_source.get(url) or by_source[f"Observation/{obs['id']}"]
        coding = obs["code"]["coding"][0]
        assert got.loinc == coding["code"]
        q = obs["valueQuantity"]
        assert got.value == pytest.approx(q["value"]) and got.unit == q.get("code", q.get("unit"))
        assert got.status == "final"


def test_synthea_panels_come_from_the_diagnostic_reports(samples):
    parsed = read_file(samples / MIGUEL)
    panels = {r.panel_name for r in parsed.results}
    assert {"Basic Metabolic Panel", "Lipid Panel",
            "Complete blood count (hemogram) panel - Blood by Automated count"} <= panels
    bmp = [r for r in parsed.results if r.panel_name == "Basic Metabolic Panel"]
    assert {r.panel_code for r in bmp} == {"51990-0"}
    assert len({r.panel_key for r in bmp}) == 10  # ten BMPs of eight results each


def test_ccda_results_with_ranges_flags_and_null_flavors(samples):
    parsed = read_file(samples / CCD1)
    by = {r.loinc: r for r in parsed.results}
    assert set(by) == {"718-7", "6690-2", "777-3", "4544-3", "789-8", "3094-0"}
    hb = by["718-7"]
    assert (hb.value, hb.unit, hb.ref_low, hb.ref_high, hb.flag, hb.status) == (13.2, "g/dL", 12.0, 15.5, "N", "final")
    assert hb.panel_name == "CBC W Auto Differential panel in Blood" and hb.panel_code == "57021-8"
    plt = by["777-3"]
    assert (plt.value, plt.unit, plt.ref_low, plt.ref_high, plt.flag) == (123, "10*9/L", 150, 350, "L")  # LX
    hct = by["4544-3"]
    # the laboratory's own flag (LX) wins over the range it sent (35.3 is inside 34.9-44.5)
    assert (hct.value, hct.ref_low, hct.ref_high, hct.flag) == (35.3, 34.9, 44.5, "L")
    bun = by["3094-0"]  # <value xsi:type="PQ" nullFlavor="NI"/> in an active organizer
    assert bun.value is None and bun.status == "preliminary" and bun.value_text == "pending (no information)"
    assert bun.panel_name == "Blood chemistry"
    (wbc,) = read_file(samples / CCD2).results
    assert (wbc.loinc, wbc.value, wbc.status, wbc.value_text) == ("804-5", None, "preliminary",
                                                                  "pending (not applicable)")


def _plan(db, patient_id, parsed, role="physician"):
    with db.uow(user_for(role)) as uow:
        return phr_import.plan_import(uow, patient_id, parsed)


def _apply(db, patient_id, plan, decisions=None, role="physician"):
    with db.uow(user_for(role)) as uow:
        return phr_import.apply_import(uow, patient_id, plan, plan.default_decisions("new") if decisions is None
                                       else decisions, plan.info)


def test_apply_reimport_and_undo(db, samples, chart_for):
    patient = chart_for(CCD1)
    parsed = read_file(samples / CCD1)
    plan = _plan(db, patient.id, parsed, "nurse")
    assert plan.counts()["results"] == {"new": 6, "duplicate": 0, "changed": 0, "conflict": 0}
    result = _apply(db, patient.id, plan, {k: d for k, d in plan.default_decisions("new").items()
                                           if plan.by_key()[k].category == "results"}, role="nurse")
    assert result.written["results"] == {"added": 6}
    with db.uow(user_for("physician")) as uow:
        view = results_svc.results_view(uow, patient.id)
    (panel_cbc,) = [p for p in view.panels if p.title.startswith("CBC")]
    rows = {r.loinc: r for r in panel_cbc.results}
    assert rows["777-3"].flag == "L" and rows["777-3"].range_display == "150–350"
    assert rows["4544-3"].flag == "L" and rows["4544-3"].flag_source == "lab"
    assert panel_cbc.origin == "phr-import" and all(r.source_system for r in panel_cbc.results)
    again = _plan(db, patient.id, parsed)
    assert again.counts()["results"] == {"new": 0, "duplicate": 6, "changed": 0, "conflict": 0}
    with db.uow(user_for("physician")) as uow:
        phr_import.undo_import(uow, result.import_id, "wrong file")
    with db.uow(user_for("physician")) as uow:
        assert results_svc.results_view(uow, patient.id).total == 0
    assert _plan(db, patient.id, parsed).counts()["results"]["new"] == 6


def test_a_corrected_result_replaces_the_chart_value_and_undo_restores_it(db, samples, chart_for):
    patient = chart_for(CCD1)
    parsed = read_file(samples / CCD1)
    first = _plan(db, patient.id, parsed)
    _apply(db, patient.id, first)
    hb = next(r for r in parsed.results if r.loinc == "718-7")
    corrected = replace(parsed, results=(replace(hb, value=12.1, status="corrected"),))
    plan = _plan(db, patient.id, corrected)
    (item,) = plan.in_category("results")
    assert item.status is ItemStatus.CHANGED and item.default is Decision.TAKE_FILE
    assert item.differences == ("value: file 12.1 g/dL / chart 13.2 g/dL", "status: file corrected / chart final")
    applied = _apply(db, patient.id, plan, {item.key: Decision.TAKE_FILE})
    with db.uow(user_for("physician")) as uow:
        rows = [r for p in results_svc.results_view(uow, patient.id).panels for r in p.results if r.loinc == "718-7"]
    assert [(r.value, r.status) for r in rows] == [(12.1, "corrected")]
    with db.uow(user_for("physician")) as uow:
        phr_import.undo_import(uow, applied.import_id, "the lab recalled the correction")
    with db.uow(user_for("physician")) as uow:
        rows = [r for p in results_svc.results_view(uow, patient.id).panels for r in p.results if r.loinc == "718-7"]
    assert [(r.value, r.status) for r in rows] == [(13.2, "final")]


def test_another_value_at_the_same_time_is_changed_for_the_reviewer(db, samples, chart_for):
    patient = chart_for(CCD1)
    parsed = read_file(samples / CCD1)
    _apply(db, patient.id, _plan(db, patient.id, parsed))
    hb = next(r for r in parsed.results if r.loinc == "718-7")
    other = replace(parsed, results=(replace(hb, value=9.9, source_resource_id="elsewhere"),
                                     replace(hb, collected_at=hb.collected_at + timedelta(days=1),
                                             source_resource_id="next-day")))
    counts = {i.status for i in _plan(db, patient.id, other).in_category("results")}
    assert counts == {ItemStatus.CHANGED, ItemStatus.NEW}


def test_critical_value_in_an_import_is_reported(db, samples, chart_for):
    patient = chart_for(CCD1)
    parsed = read_file(samples / CCD1)
    hb = next(r for r in parsed.results if r.loinc == "718-7")
    parsed = replace(parsed, results=(replace(hb, value=6.5, flag="LL"),))
    result = _apply(db, patient.id, _plan(db, patient.id, parsed))
    (alert,) = [a for a in result.alerts.alerts if a.kind == "critical-lab"]
    assert "Critical hemoglobin 6.5 g/dL" in alert.message


def test_cli_reports_results_and_labs_leave_skipped(db, db_url, samples, chart_for, capsys):
    patient = chart_for(REYNA)
    assert main(["import-phr", str(samples / REYNA), "--patient", patient.mrn, "--db", db_url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["categories"]["results"] == {"new": 72, "duplicate": 0, "changed": 0, "conflict": 0}
    assert not [s for s in out["skipped"] if "laboratory" in s["item"].lower()]
    assert main(["import-phr", str(samples / REYNA), "--patient", patient.mrn, "--db", db_url, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["categories"]["results"] == {"new": 0, "duplicate": 72, "changed": 0, "conflict": 0}
    assert again["applied"] is False


def test_export_then_import_adds_nothing(db, samples, chart_for, tmp_path):
    from desktop.phr import read_bytes
    from desktop.services import fhir_export
    from desktop.services.results import PanelInput, ResultInput

    patient = chart_for(CCD1)
    parsed = read_file(samples / CCD1)
    _apply(db, patient.id, _plan(db, patient.id, parsed))
    with db.uow(user_for("nurse")) as uow:
        results_svc.record_results(uow, patient.id, PanelInput(
            collected_at=parsed.results[0].collected_at + timedelta(days=30), panel_name="Lipid Panel",
            panel_code="57698-3", results=(
                ResultInput(name="LDL", loinc="18262-6", value=131, unit="mg/dL"),
                ResultInput(name="eGFR", loinc="33914-3", value=58, comparator=">", unit="mL/min/{1.73_m2}"))))
    with db.uow(user_for("physician")) as uow:
        bundle = fhir_export.export_patient(uow, patient.id)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("DiagnosticReport") == 3 and kinds.count("Observation") >= 8
    plt = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
               and e["resource"]["code"].get("coding", [{}])[0].get("code") == "777-3")
    assert plt["referenceRange"][0]["low"]["value"] == 150 and plt["interpretation"][0]["coding"][0]["code"] == "L"
    egfr = next(e["resource"] for e in bundle["entry"] if e["resource"].get("code", {}).get("coding", [{}])[0]
                .get("code") == "33914-3")
    assert egfr["valueQuantity"]["comparator"] == ">"
    lipid = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DiagnosticReport"
                 and e["resource"]["code"]["text"] == "Lipid Panel")
    assert len(lipid["result"]) == 2
    again = read_bytes(json.dumps(bundle).encode(), "export.json")
    assert len(again.results) == 8
    assert {r.panel_name for r in again.results if r.loinc == "18262-6"} == {"Lipid Panel"}
    plan = _plan(db, patient.id, again)
    assert plan.counts()["results"] == {"new": 0, "duplicate": 8, "changed": 0, "conflict": 0}
