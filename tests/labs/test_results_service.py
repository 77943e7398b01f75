"""The results entity service: who may write, validation, audit, flags, reads, entered-in-error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desktop.services import results as svc
from desktop.services.errors import PermissionDenied, ValidationError
from desktop.services.results import PanelInput, ResultInput

WHEN = datetime(2025, 3, 4, 8, 30, tzinfo=UTC)


def bmp(**over) -> PanelInput:
    values = dict(collected_at=WHEN, panel_code="51990-0", panel_name="Basic Metabolic Panel",
                  performing_lab="City Lab", results=(
                      ResultInput(name="Potassium", loinc="6298-4", value=4.1, unit="mmol/L"),
                      ResultInput(name="Sodium", loinc="2947-0", value=139, unit="mmol/L"),
                      ResultInput(name="Glucose", loinc="2339-0", value=131, unit="mg/dL")))
    values.update(over)
    return PanelInput(**values)


@pytest.mark.parametrize("role", ["nurse", "physician"])
def test_clinical_staff_enter_results(as_role, patient, audit_rows, role):
    with as_role(role) as uow:
        saved = svc.record_results(uow, patient.id, bmp())
    assert len(saved.ids) == 3 and saved.critical.alerts == ()
    action, entity_id, pid, summary = audit_rows("lab_result")[-1]
    assert (action, entity_id, pid) == ("create", saved.panel_id, patient.id)
    assert "Glucose 131 mg/dL (H)" in summary


@pytest.mark.parametrize("role", ["front_desk", "admin"])
def test_front_desk_and_admin_may_not(as_role, patient, role):
    with pytest.raises(PermissionDenied), as_role(role) as uow:
        svc.record_results(uow, patient.id, bmp())
    if role == "front_desk":
        with pytest.raises(PermissionDenied), as_role(role) as uow:
            svc.results_view(uow, patient.id)


def test_default_range_flags_and_is_marked(as_role, patient):
    with as_role("nurse") as uow:
        svc.record_results(uow, patient.id, bmp())
    with as_role("physician") as uow:
        view = svc.results_view(uow, patient.id)
    (panel,) = view.panels
    glucose = next(r for r in panel.results if r.loinc == "2339-0")
    assert (glucose.flag, glucose.flag_source) == ("H", "default range")
    assert glucose.range_display == "70–110 (default)"
    assert panel.title == "Basic Metabolic Panel" and panel.origin == "clinic"


def test_wbc_without_a_lab_range_is_flagged_against_the_default(as_role, patient):
    cbc = bmp(panel_code="58410-2", panel_name="CBC", results=(
        ResultInput(name="WBC", loinc="6690-2", value=13.2, unit="10*3/uL"),
        ResultInput(name="WBC", loinc="6690-2", value=6.0, unit="10*3/uL", ref_low=3.5, ref_high=5.5)))
    with as_role("nurse") as uow:
        svc.record_results(uow, patient.id, cbc)
        high, lab = svc.results_view(uow, patient.id).panels[0].results
    assert (high.flag, high.flag_source, high.range_display) == ("H", "default range", "4.5–11 (default)")
    assert (lab.flag, lab.range_display) == ("H", "3.5–5.5")  # the lab's own range, not the default


def test_a_desirable_level_is_less_than_its_number(as_role, patient):
    """Lipid defaults are "less than" levels (MSD: LDL less than 100 mg/dL): 100 itself is flagged, and the range
    reads "< 100", as the source says; a lab's own upper limit stays inclusive."""
    lipids = bmp(panel_code="57698-3", panel_name="Lipid panel", results=(
        ResultInput(name="LDL", loinc="18262-6", value=100, unit="mg/dL"),
        ResultInput(name="LDL", loinc="18262-6", value=99, unit="mg/dL"),
        ResultInput(name="LDL", loinc="18262-6", value=100, unit="mg/dL", ref_high=100)))
    with as_role("nurse") as uow:
        svc.record_results(uow, patient.id, lipids)
        at, under, lab = svc.results_view(uow, patient.id).panels[0].results
    assert (at.flag, at.range_display) == ("H", "< 100 (default)")
    assert (under.flag, under.range_display) == ("N", "< 100 (default)")
    assert (lab.flag, lab.range_display) == ("N", "≤ 100")


def test_a_range_and_flag_that_arrive_win(as_role, patient):
    panel = bmp(results=(ResultInput(name="Glucose", loinc="2339-0", value=131, unit="mg/dL", ref_low=60,
                                     ref_high=140),
                         ResultInput(name="Hb", loinc="718-7", value=11.0, unit="g/dL", flag="N")))
    with as_role("nurse") as uow:
        svc.record_results(uow, patient.id, panel)
        rows = {r.loinc: r for r in svc.results_view(uow, patient.id).panels[0].results}
    assert (rows["2339-0"].flag, rows["2339-0"].range_display) == ("N", "60–140")
    assert (rows["718-7"].flag, rows["718-7"].flag_source) == ("N", "lab")


def test_no_range_no_flag(as_role, patient):
    with as_role("nurse") as uow:
        svc.record_results(uow, patient.id, bmp(results=(ResultInput(loinc="33762-6", name="NT-proBNP", value=900,
                                                                     unit="pg/mL"),)))
        (row,) = svc.results_view(uow, patient.id).panels[0].results
    assert row.flag == "" and row.range_display == "no range"


def test_typing_slips_are_refused_and_nothing_is_stored(as_role, patient):
    slip = bmp(results=(ResultInput(name="Potassium", loinc="6298-4", value=41, unit="mmol/L"),
                        ResultInput(name="Sodium", loinc="2947-0", value=139, unit="mmol/L")))
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        svc.record_results(uow, patient.id, slip)
    assert "not plausible for K" in err.value.errors["result 1"]
    assert "decimal point" in err.value.errors["result 1"]
    with as_role("nurse") as uow:
        assert svc.results_view(uow, patient.id).total == 0


def test_glucose_typed_in_mmol_with_mg_unit_is_caught():
    from desktop.kb.labs import catalog

    msg = svc.check_entry(catalog().by_loinc("2339-0"), 1.0, "mg/dL")
    assert "not plausible" in msg and "was it in mmol/L?" in msg


def test_future_collection_time_is_refused(as_role, patient):
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        svc.record_results(uow, patient.id, bmp(collected_at=datetime.now(UTC) + timedelta(days=2)))
    assert "collected_at" in err.value.errors


def test_critical_value_is_returned_on_arrival(as_role, patient):
    with as_role("nurse") as uow:
        saved = svc.record_results(uow, patient.id, bmp(results=(
            ResultInput(name="Potassium", loinc="6298-4", value=6.4, unit="mmol/L"),)))
    (alert,) = saved.critical.alerts
    assert "Critical potassium 6.4 mmol/L" in alert.message and alert.value.result_id == saved.ids[0]


def test_entered_in_error_leaves_the_views(as_role, patient, audit_rows):
    with as_role("nurse") as uow:
        saved = svc.record_results(uow, patient.id, bmp())
    with pytest.raises(ValidationError), as_role("nurse") as uow:
        svc.mark_result_in_error(uow, patient.id, saved.ids[0], " ")
    with as_role("nurse") as uow:
        svc.mark_result_in_error(uow, patient.id, saved.ids[0], "wrong patient's tube")
    with as_role("nurse") as uow:
        assert svc.results_view(uow, patient.id).total == 2
        svc.mark_panel_in_error(uow, patient.id, saved.panel_id, "duplicate entry")
    with as_role("nurse") as uow:
        assert svc.results_view(uow, patient.id).total == 0
    assert [a[0] for a in audit_rows("lab_result")][-2:] == ["entered-in-error", "entered-in-error"]


def test_flowsheet_groups_and_trend_converts_units(as_role, patient):
    with as_role("nurse") as uow:
        svc.record_results(uow, patient.id, bmp())
        svc.record_results(uow, patient.id, PanelInput(collected_at=WHEN + timedelta(days=30), results=(
            ResultInput(name="Glucose", loinc="14749-6", value=7.0, unit="mmol/L"),
            ResultInput(name="HbA1c", loinc="4548-4", value=7.2, unit="%"))))
        view = svc.results_view(uow, patient.id)
        sheet = svc.flowsheet_of(view)
        t = svc.trend(uow, patient.id, "2339-0")
    assert [r.label for r in sheet.rows if not r.key] == ["BMP/CMP", "HbA1c"]
    assert len(sheet.columns) == 2 and sheet.columns[0] > sheet.columns[1]
    assert t.unit == "mg/dL"
    assert [round(p.value) for p in t.clinic] == [131, 126]
    assert t.clinic[1].original == "7 mmol/L"
    assert t.range == (70, 110) and t.range_note == "default adult range"


def test_summary_and_note_text(as_role, patient):
    with as_role("nurse") as uow:
        svc.record_results(uow, patient.id, bmp(collected_at=datetime.now(UTC) - timedelta(days=3)))
        latest = svc.latest_key_results(uow, patient.id)
        text = svc.recent_results_text(uow, patient.id)
    assert {r.short for r in latest} == {"K", "Na", "Glucose"}
    assert text.startswith("Labs ") and "Glucose 131 mg/dL (H)" in text
