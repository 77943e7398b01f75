"""A PHR file's readings come one set per reading: an abnormal one at the newest instant, beside a normal one
listed first, still stops the merge in the review dialog, and the alert names the reading."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from desktop.models import VitalSign
from desktop.widgets.phr_review_models import COL_STATUS
from tests.conftest import when_modal

pytestmark = pytest.mark.gui


def _reading(oid: str, loinc: str, value: float, unit: str, when: str) -> dict:
    return {"resource": {"resourceType": "Observation", "id": oid, "status": "final",
                         "subject": {"reference": "Patient/p1"},
                         "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
                         "effectiveDateTime": when,
                         "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org",
                                           "code": unit}}}


def _bundle(path, when: str, readings=(("w", "29463-7", 70, "kg"), ("hr", "8867-4", 240, "/min"))) -> None:
    """Each reading taken `when`, unless it names its own time."""
    obs = [_reading(*r) if len(r) == 5 else _reading(*r, when) for r in readings]
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Oxley", "given": ["Ruth"]}],
                      "gender": "female", "birthDate": "1950-03-04"}}, *obs]}))


def test_a_heart_rate_of_240_beside_a_weight_is_named_before_the_merge(qtbot, app_ctx, db, add_patient, tmp_path,
                                                                        messages):
    from desktop.views.phr_import_dialog import PhrImportDialog
    from desktop.widgets.alert_dialog import AlertDialog

    patient = add_patient(given="Ruth", family="Oxley", birth_date=date(1950, 3, 4), sex="female")
    path = tmp_path / "ruth.json"
    _bundle(path, (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    dialog = PhrImportDialog(app_ctx("nurse"), patient.id, path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=20000)
    seen = []

    def cancel(modal) -> None:
        seen.extend(a.message for a in modal.alerts)
        modal.cancel_button.click()

    when_modal(AlertDialog, cancel)
    dialog.apply()
    qtbot.waitUntil(lambda: bool(seen), timeout=20000)
    assert any("Heart rate 240" in m for m in seen), seen
    qtbot.waitUntil(dialog.apply_button.isEnabled, timeout=5000)
    with db.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(VitalSign)).scalar_one() == 0
    readings = dialog.tabs_by_category["observations"].model
    marked = [readings.item_at(r).file_item.loinc for r in range(readings.rowCount())
              if "alert" in readings.data(readings.index(r, COL_STATUS))]
    assert marked == ["8867-4"]  # the heart rate, not the weight listed before it


def test_only_the_abnormal_one_of_two_heart_rates_is_marked(qtbot, app_ctx, db, add_patient, tmp_path, messages):
    """A watch's 72 and a cuff's 30 at the newest instant, and a rate of 200 two days before: the alert names 30,
    and only its row is marked (leaving the marked rows out must not drop the normal reading)."""
    from desktop.views.phr_import_dialog import PhrImportDialog
    from desktop.widgets.alert_dialog import AlertDialog

    patient = add_patient(given="Ruth", family="Oxley", birth_date=date(1950, 3, 4), sex="female")
    path = tmp_path / "ruth.json"
    now = datetime.now(UTC)
    older = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _bundle(path, (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            (("hr", "8867-4", 72, "/min"), ("hr2", "8867-4", 30, "/min"), ("old", "8867-4", 200, "/min", older)))
    dialog = PhrImportDialog(app_ctx("nurse"), patient.id, path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=20000)
    seen = []

    def cancel(modal) -> None:
        seen.extend(a.message for a in modal.alerts)
        modal.cancel_button.click()

    when_modal(AlertDialog, cancel)
    dialog.apply()
    qtbot.waitUntil(lambda: bool(seen), timeout=20000)
    assert len(seen) == 1 and "Heart rate 30" in seen[0], seen
    qtbot.waitUntil(dialog.apply_button.isEnabled, timeout=5000)
    readings = dialog.tabs_by_category["observations"].model
    marked = [readings.item_at(r).file_item.value for r in range(readings.rowCount())
              if "alert" in readings.data(readings.index(r, COL_STATUS))]
    assert marked == [30]
