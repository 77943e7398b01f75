"""Issue 16: the health-app exports patients bring, each through the same reader pipeline and import-phr.

Fixtures in tests/data/app-exports were written for these tests from the documented layouts (see its README);
the Google Fit daily metrics file in tests/data/phr-samples/google-fit is a real published export."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from desktop.kb.vitals import DIASTOLIC, GLUCOSE, HEART_RATE, RESTING_HEART_RATE, STEPS, SYSTOLIC, WEIGHT
from desktop.phr import read_file
from desktop.phr.matching import collapse_observations

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "app-exports"
REAL_FIT = ROOT / "tests" / "data" / "phr-samples" / "google-fit" / "Daily activity metrics.csv"
TAKEOUT = DATA / "google-takeout"
SAMSUNG = DATA / "samsung-health"
MFP = DATA / "myfitnesspal" / "Measurement-Summary-2024-01-01-to-2024-03-05.csv"
APPLE = DATA / "apple-health-export"
FITBIT = DATA / "fitbit-takeout"
WITHINGS = DATA / "withings"


def zipped(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder).as_posix())
    return out


def values(parsed, loinc: str) -> list[float]:
    return sorted(o.value for o in parsed.observations if o.loinc == loinc)


def no_location(parsed) -> None:
    text = repr((parsed.observations, parsed.skipped, parsed.patients))
    for coordinate in ("41.87", "-87.6", "latitude", "longitude"):
        assert coordinate not in text


# ------------------------------------------------------------------ Google Takeout Fit

def test_real_daily_metrics_are_day_summaries_without_location():
    parsed = read_file(REAL_FIT)
    assert parsed.info.file_format == "google-takeout-fit"
    days = {o.taken_at.date() for o in parsed.observations}
    assert len(parsed.observations) > 500 and len(days) > 300
    for o in parsed.observations:  # one summary per day and measure, at the day's start
        assert (o.taken_at.hour, o.taken_at.minute) == (0, 0)
        assert o.name.endswith(("(day average)", "(day total)"))
        assert o.source_resource_id.startswith("day|")
    keys = [(o.loinc, o.taken_at.date()) for o in parsed.observations]
    assert len(keys) == len(set(keys))
    assert parsed.patients == () and parsed.patient_refs == ("google-fit:owner",)
    no_location(parsed)
    assert any("location" in n for n in parsed.notes)


@pytest.mark.parametrize("as_zip", [False, True])
def test_takeout_folder_or_zip_reads_daily_metrics_and_all_data(tmp_path, as_zip):
    source = zipped(TAKEOUT, tmp_path / "takeout-20240305.zip") if as_zip else TAKEOUT
    parsed = read_file(source)
    day_avg = [o for o in parsed.observations if o.name == "Heart rate (day average)"]
    assert sorted(o.value for o in day_avg) == [68.0, 72.5]
    assert "min=54.0|max=131.0" in next(o for o in day_avg if o.value == 72.5).source_resource_id
    assert sorted(o.value for o in parsed.observations if o.name == "Steps (day total)") == [3120, 5210, 8412]
    weighings = [o for o in parsed.observations if o.loinc == WEIGHT and o.name == "Body weight"]
    assert [(o.value, o.device, o.origin) for o in sorted(weighings, key=lambda o: o.taken_at)] == [
        (81.4, "com.withings.wiscale2", "device"), (81.1, "com.google.android.apps.fitness", "patient")]
    assert values(parsed, SYSTOLIC) == [128.0] and values(parsed, DIASTOLIC) == [82.0]
    assert any("implausible heart rate 0" in s.reason for s in parsed.skipped)
    assert any("15-minute rows" in s.item for s in parsed.skipped)  # the per-day file is not read twice
    no_location(parsed)


# ------------------------------------------------------------------ Samsung Health

def test_samsung_export_reads_each_table_with_its_offset():
    parsed = read_file(SAMSUNG)
    minus6 = timezone(-timedelta(hours=6))
    weight = next(o for o in parsed.observations if o.loinc == WEIGHT and o.value == 81.4)
    assert weight.taken_at == datetime(2024, 3, 1, 6, 45, tzinfo=minus6)
    assert sorted(o.value for o in parsed.observations if o.source_resource_id.startswith(
        "com.samsung.shealth.tracker.heart_rate")) == [61.0, 71.0]  # prefixed column names
    assert values(parsed, SYSTOLIC) == [128.0] and values(parsed, DIASTOLIC) == [82.0]
    glucose = next(o for o in parsed.observations if o.loinc == GLUCOSE)
    assert (glucose.original_value, glucose.original_unit, round(glucose.value)) == (6.1, "mmol/L", 110)
    steps = {o.taken_at.date(): o.value for o in parsed.observations if o.loinc == STEPS}
    assert steps == {date(2024, 3, 1): 6115, date(2024, 3, 2): 4800}  # the all-devices row wins
    assert parsed.patient_refs == ("samsung-health:owner",)


# ------------------------------------------------------------------ MyFitnessPal

def test_myfitnesspal_weights_in_pounds_by_default_and_kg_when_stated():
    parsed = read_file(MFP)
    assert parsed.info.file_format == "myfitnesspal"
    assert [round(v, 1) for v in values(parsed, WEIGHT)] == [81.4, 81.6, 82.2]
    assert {o.original_unit for o in parsed.observations} == {"[lb_av]"}
    assert any("pounds" in n for n in parsed.notes)
    kg = read_file(MFP.parent / "Measurement-Summary-kg.csv")
    assert values(kg, WEIGHT) == [81.4, 82.2] and not any("pounds" in n for n in kg.notes)


# ------------------------------------------------------------------ Fitbit (Takeout) and Withings

def test_fitbit_takeout_resting_heart_rate_by_day_and_weight_without_unit_left_out(tmp_path):
    parsed = read_file(zipped(FITBIT, tmp_path / "takeout-fitbit.zip"))
    rhr = sorted((o.taken_at.date(), o.value) for o in parsed.observations)
    assert rhr == [(date(2024, 3, 1), 61.42), (date(2024, 3, 3), 60.95)]  # 0.0 = no estimate, skipped
    assert {o.loinc for o in parsed.observations} == {RESTING_HEART_RATE}
    assert any("pounds or kilograms" in n for n in parsed.notes)
    assert parsed.patient_refs == ("fitbit:owner",)


def test_withings_weight_and_blood_pressure_csv():
    parsed = read_file(WITHINGS)
    assert values(parsed, WEIGHT) == [81.0, 81.4]
    assert values(parsed, SYSTOLIC) == [124.0, 128.0] and values(parsed, HEART_RATE) == [66.0, 70.0]
    pairs = {}
    for o in parsed.observations:
        pairs.setdefault(o.group, set()).add(o.loinc)
    assert {SYSTOLIC, DIASTOLIC, HEART_RATE} in pairs.values()  # a reading's values share one group


# ------------------------------------------------------------------ Apple Health export.zip

def test_apple_export_zip_is_read_from_the_zip(tmp_path):
    archive = zipped(APPLE, tmp_path / "export.zip")
    parsed = read_file(archive)
    assert parsed.info.file_format == "zip-mixed"
    assert values(parsed, WEIGHT) == [81.4] and values(parsed, HEART_RATE) == [71.0]
    assert values(parsed, STEPS) == [6115.0]
    assert [i.cvx for i in parsed.immunizations] == ["187"]
    assert [p.icd10 for p in parsed.problems] == ["I10"]
    assert [(a.allergen_key, a.code) for a in parsed.allergies] == [("penicillin", "7984")]
    assert parsed.medications and parsed.medications[0].product_rxcui == "197361"
    # export_cda.xml repeats export.xml's readings: not read a second time
    assert len([o for o in parsed.observations if o.loinc == WEIGHT]) == 1


# ------------------------------------------------------------------ one reading, two apps

def test_the_same_weighing_from_two_apps_is_one_reading_naming_both(tmp_path):
    folder = tmp_path / "phone"
    folder.mkdir()
    shutil.copy(APPLE / "apple_health_export" / "export.xml", folder / "export.xml")
    weight_json = next((TAKEOUT / "Takeout" / "Fit" / "All Data").glob("derived_com.google.weight*.json"))
    shutil.copy(weight_json, folder / weight_json.name)
    parsed = read_file(folder)
    at = datetime(2024, 3, 1, 12, 45, tzinfo=UTC)
    same = [o for o in parsed.observations if o.loinc == WEIGHT and o.taken_at == at]
    assert len(same) == 2 and {o.source_system for o in same} == {"Apple Health", "Google Fit"}
    merged = [c for c in collapse_observations(parsed.observations) if c.item.loinc == WEIGHT
              and c.item.taken_at == at]
    assert len(merged) == 1 and merged[0].count == 2
    assert set(merged[0].item.source_system.split(" + ")) == {"Apple Health", "Google Fit"}
    assert "Withings" in merged[0].item.device and "com.withings.wiscale2" in merged[0].item.device


# ------------------------------------------------------------------ import-phr, twice

def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "EMR_DB_URL"}
    return subprocess.run([sys.executable, "-m", "desktop", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=300)


def test_import_phr_asks_for_the_confirmation_a_file_naming_nobody_needs(db, db_url, add_patient):
    patient = add_patient(given="Anna", family="Kowalski", birth_date=date(1961, 7, 14), sex="female")
    refused = _cli("import-phr", str(SAMSUNG), "--patient", patient.mrn, "--db", db_url, "--json")
    assert refused.returncode == 3 and "--confirm-identity" in refused.stderr
    assert json.loads(refused.stdout)["applied"] is False


@pytest.mark.parametrize("name", ["takeout-zip", "samsung", "myfitnesspal", "apple-zip", "withings", "fitbit"])
def test_import_phr_imports_each_format_and_reimport_adds_nothing(db, db_url, add_patient, tmp_path, name):
    path = {"takeout-zip": lambda: zipped(TAKEOUT, tmp_path / "takeout.zip"), "samsung": lambda: SAMSUNG,
            "myfitnesspal": lambda: MFP, "apple-zip": lambda: zipped(APPLE, tmp_path / "export.zip"),
            "withings": lambda: WITHINGS, "fitbit": lambda: FITBIT}[name]()
    patient = add_patient(given="Anna", family="Kowalski", birth_date=date(1961, 7, 14), sex="female")
    args = ("import-phr", str(path), "--patient", patient.mrn, "--db", db_url, "--json", "--confirm-identity")
    first = _cli(*args)
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["applied"] is True
    assert out["categories"]["observations"]["new"] > 0
    again = _cli(*args)
    assert again.returncode == 0, again.stderr
    out2 = json.loads(again.stdout)
    assert all(c.get("new", 0) == 0 for c in out2["categories"].values()), out2["categories"]


# ------------------------------------------------------------------ the review dialog

@pytest.mark.gui
def test_dialog_reviews_an_app_export_and_needs_the_chart_confirmed(qtbot, app_ctx, db, add_patient, messages):
    from PySide6.QtCore import QPoint, Qt
    from sqlalchemy import func, select

    from desktop.models import VitalSign
    from desktop.views.phr_import_dialog import FILE_FILTER, PhrImportDialog

    assert "*.csv" in FILE_FILTER.split(";;")[0]
    patient = add_patient(given="Anna", family="Kowalski", birth_date=date(1961, 7, 14), sex="female")
    dialog = PhrImportDialog(app_ctx("nurse"), patient.id, SAMSUNG / "com.samsung.shealth.blood_pressure.20240305101500.csv")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=20000)
    assert "names no patient" in dialog.identity_label.text()
    assert dialog.book.selected_count("observations") == 3 and not dialog.apply_button.isEnabled()
    box = dialog.confirm_identity
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    with qtbot.waitSignal(dialog.sig_applied, timeout=20000):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    with db.uow() as uow:
        rows = uow.session.execute(select(VitalSign.loinc, VitalSign.value, VitalSign.origin)).all()
        assert sorted((r.loinc, r.value) for r in rows) == sorted(
            [(SYSTOLIC, 128.0), (DIASTOLIC, 82.0), (HEART_RATE, 70.0)])
        assert {r.origin for r in rows} == {"device"}
        assert uow.session.execute(select(func.count(func.distinct(VitalSign.set_id)))).scalar_one() == 1
