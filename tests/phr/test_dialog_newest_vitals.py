"""A PHR file's readings come one set per reading: an abnormal one at the newest instant, beside a normal one
listed first, still stops the merge in the review dialog, and the alert names the reading."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from desktop.models import VitalSign
from desktop.widgets.phr_review_models import COL_STATUS
from tests.conftest import when_modal

from .conftest import readings_bundle

pytestmark = pytest.mark.gui


def _bundle(path, when: str, readings=(("w", "29463-7", 70, "kg"), ("hr", "8867-4", 240, "/min"))) -> None:
    path.write_bytes(readings_bundle(when, readings))


def _merge_then_cancel_the_alert(qtbot, app_ctx, patient, path):
    """A nurse opens the file's review, merges, and cancels the alert dialog: (the review dialog, the alert
    messages shown)."""
    from desktop.views.phr_import_dialog import PhrImportDialog
    from desktop.widgets.alert_dialog import AlertDialog

    dialog = PhrImportDialog(app_ctx("nurse"), patient.id, path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=20000)
    seen: list[str] = []

    def cancel(modal) -> None:
        seen.extend(a.message for a in modal.alerts)
        modal.cancel_button.click()

    when_modal(AlertDialog, cancel)
    dialog.apply()
    qtbot.waitUntil(lambda: bool(seen), timeout=20000)
    return dialog, seen


def test_a_heart_rate_of_240_beside_a_weight_is_named_before_the_merge(qtbot, app_ctx, db, add_patient, tmp_path,
                                                                        messages):
    patient = add_patient(given="Ruth", family="Oxley", birth_date=date(1950, 3, 4), sex="female")
    path = tmp_path / "ruth.json"
    _bundle(path, (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    dialog, seen = _merge_then_cancel_the_alert(qtbot, app_ctx, patient, path)
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
    patient = add_patient(given="Ruth", family="Oxley", birth_date=date(1950, 3, 4), sex="female")
    path = tmp_path / "ruth.json"
    now = datetime.now(UTC)
    older = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _bundle(path, (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            (("hr", "8867-4", 72, "/min"), ("hr2", "8867-4", 30, "/min"), ("old", "8867-4", 200, "/min", older)))
    dialog, seen = _merge_then_cancel_the_alert(qtbot, app_ctx, patient, path)
    assert len(seen) == 1 and "Heart rate 30" in seen[0], seen
    qtbot.waitUntil(dialog.apply_button.isEnabled, timeout=5000)
    readings = dialog.tabs_by_category["observations"].model
    marked = [readings.item_at(r).file_item.value for r in range(readings.rowCount())
              if "alert" in readings.data(readings.index(r, COL_STATUS))]
    assert marked == [30]
