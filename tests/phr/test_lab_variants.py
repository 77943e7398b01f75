"""FHIR laboratory results in every shape the issue names: quantity with comparator, string, coded, range
text, interpretation, corrected/cancelled/entered-in-error statuses, a DiagnosticReport panel referencing
Observation/id, as a Bundle, as NDJSON and as a folder of resources (Apple Health clinical-records style);
and a critical value merged through the review dialog interrupts."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from desktop.phr import read_bytes, read_file

PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Okafor", "given": ["Lena"]}],
           "birthDate": "1970-05-06", "gender": "female"}
LAB = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}]
INTERP = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


def obs(oid: str, code: str, display: str, **value) -> dict:
    """code "": a test the source names without a code (no code is made up here)."""
    concept = {"coding": [{"system": "http://loinc.org", "code": code, "display": display}]} if code else \
        {"text": display}
    return {"resourceType": "Observation", "id": oid, "status": value.pop("status", "final"), "category": LAB,
            "code": concept,
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2025-02-03T08:15:00-05:00", **value}


RESOURCES = [
    PATIENT,
    obs("k", "6298-4", "Potassium", valueQuantity={"value": 6.3, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                                                   "code": "mmol/L"},
        referenceRange=[{"low": {"value": 3.5, "unit": "mmol/L"}, "high": {"value": 5.1, "unit": "mmol/L"}}],
        interpretation=[{"coding": [{"system": INTERP, "code": "HH"}]}]),
    obs("egfr", "33914-3", "eGFR", valueQuantity={"value": 90, "comparator": ">", "unit": "mL/min/{1.73_m2}",
                                                  "code": "mL/min/{1.73_m2}"}),
    obs("ua", "", "Color of Urine", valueString="yellow", referenceRange=[{"text": "yellow"}]),
    obs("hcg", "", "Pregnancy test, urine",
        valueCodeableConcept={"text": "Negative"}),
    obs("na", "2951-2", "Sodium", status="corrected", valueQuantity={"value": 131, "unit": "mmol/L", "code": "mmol/L"}),
    obs("cx", "2339-0", "Glucose", status="cancelled", dataAbsentReason={"text": "specimen haemolysed"}),
    obs("bad", "718-7", "Hemoglobin", status="entered-in-error", valueQuantity={"value": 9, "unit": "g/dL"}),
    {"resourceType": "Observation", "id": "survey", "status": "final",
     "category": [{"coding": [{"code": "survey"}]}], "code": {"text": "PHQ-9"}, "subject": {"reference": "Patient/p1"},
     "effectiveDateTime": "2025-02-03", "valueInteger": 4},
    {"resourceType": "DiagnosticReport", "id": "bmp", "status": "final",
     "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB"}]}],
     "code": {"coding": [{"system": "http://loinc.org", "code": "51990-0", "display": "Basic Metabolic Panel"}]},
     "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2025-02-03T08:15:00-05:00",
     "performer": [{"display": "City Hospital Laboratory"}],
     "result": [{"reference": "Observation/k"}, {"reference": "Observation/egfr"}, {"reference": "Observation/na"}]},
]


def _bundle() -> bytes:
    return json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": r} for r in RESOURCES]}).encode()


def _check(parsed) -> None:
    by = {r.source_resource_id.split("/")[-1]: r for r in parsed.results}
    assert set(by) == {"k", "egfr", "ua", "hcg", "na", "cx"}  # entered-in-error and the survey are not results
    k = by["k"]
    assert (k.value, k.unit, k.ref_low, k.ref_high, k.flag) == (6.3, "mmol/L", 3.5, 5.1, "HH")
    assert (k.panel_name, k.panel_code, k.performing_lab) == ("Basic Metabolic Panel", "51990-0",
                                                             "City Hospital Laboratory")
    assert (by["egfr"].comparator, by["egfr"].value, by["egfr"].value_display) == (">", 90, ">90")
    assert (by["ua"].value, by["ua"].value_text, by["ua"].ref_text) == (None, "yellow", "yellow")
    assert (by["hcg"].name, by["hcg"].loinc, by["hcg"].value_text) == ("Pregnancy test, urine", "", "Negative")
    assert by["na"].status == "corrected" and by["na"].panel_code == "51990-0"
    assert (by["cx"].status, by["cx"].value_text) == ("cancelled", "specimen haemolysed")
    assert any("entered-in-error" in s.reason for s in parsed.skipped)


def test_bundle():
    _check(read_bytes(_bundle(), "labs.json"))


def test_ndjson():
    _check(read_bytes("\n".join(json.dumps(r) for r in RESOURCES).encode(), "labs.ndjson"))


def test_folder_of_resources_like_apple_health_clinical_records(tmp_path):
    folder = tmp_path / "clinical-records"
    folder.mkdir()
    for r in RESOURCES:
        (folder / f"{r['resourceType']}-{r['id']}.json").write_text(json.dumps(r), encoding="utf-8")
    _check(read_file(folder))


@pytest.mark.gui
def test_a_critical_value_merged_in_the_review_dialog_interrupts(qtbot, app_ctx, db, add_patient, tmp_path,
                                                                 messages):
    from desktop.views.phr_import_dialog import PhrImportDialog
    from desktop.widgets.alert_dialog import AlertDialog

    patient = add_patient(given="Lena", family="Okafor", sex="female")
    path = tmp_path / "labs.json"
    path.write_bytes(_bundle())
    dialog = PhrImportDialog(app_ctx("nurse"), patient.id, path)  # a nurse may merge results
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=20000)
    assert dialog.tabs_by_category["results"].model.rowCount() == 6
    with qtbot.waitSignal(dialog.sig_applied, timeout=20000):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(getattr(dialog, "critical_dialog", None), AlertDialog), timeout=5000)
    critical = dialog.critical_dialog
    assert critical.informational and "Critical potassium 6.3 mmol/L" in critical.cards[0].title.text()
    critical.close()


def test_import_phr_prints_critical_values(db, db_url, add_patient, tmp_path, capsys):
    from desktop.__main__ import main

    patient = add_patient(given="Lena", family="Okafor", sex="female")
    path = tmp_path / "labs.json"
    path.write_bytes(_bundle())
    assert main(["import-phr", str(path), "--patient", patient.mrn, "--db", db_url, "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["categories"]["results"]["new"] == 6
    assert "alert (critical critical-lab): Critical potassium 6.3 mmol/L" in out.err
