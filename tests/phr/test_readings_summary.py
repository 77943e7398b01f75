"""Issue 14.19: the device-readings summary showed From/To in the computer's time zone beside daily values in
the file's (a reading at 2026-03-07 20:00 -0500 showed as 03-08 01:00 beside "03-07 118"), UCUM annotations
leaked ("({steps})", "{score}") and the Reading column was cut while Daily values had room."""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from desktop.phr import ImportPlan
from desktop.phr.review import DailyValue, ReadingSeries

pytestmark = pytest.mark.gui


@pytest.fixture
def utc_computer():
    """A computer set to UTC reading a file written in New York (-05:00)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def _series(unit: str) -> ReadingSeries:
    ny = timezone(timedelta(hours=-5))
    return ReadingSeries(key="s1", loinc="55423-8", name="Steps", unit=unit, devices=("Apple Watch",), count=2,
                         new_count=2, first=datetime(2026, 3, 6, 8, 0, tzinfo=ny),
                         last=datetime(2026, 3, 7, 20, 0, tzinfo=ny),
                         daily=(DailyValue(date(2026, 3, 6), 1, 5000, 5000, 5000),
                                DailyValue(date(2026, 3, 7), 1, 118, 118, 118)),
                         item_keys=("a", "b"), new_item_keys=("a", "b"))


def test_from_and_to_use_the_files_clock_and_units_lose_their_braces(qtbot, utc_computer):
    from desktop.widgets.phr_review_models import DecisionBook, ReadingSeriesModel, unit_text

    plan = ImportPlan(info=None, patient_ref="", file_patient=None, identity=None, items=())  # type: ignore[arg-type]
    book = DecisionBook(plan)
    model = ReadingSeriesModel(book, [_series("{steps}")])
    shown = [model.index(0, c).data() for c in range(model.columnCount())]
    assert shown[1] == "Steps (steps)"
    assert shown[5] == "2026-03-07 20:00" and "03-07 118" in shown[7]  # the same day on both
    assert unit_text("{score}") == "score" and unit_text("mm[Hg]") == "mm[Hg]" and unit_text("1") == ""


def test_an_apple_export_names_the_app_and_its_devices(db, add_patient):
    """Issue 14.20: Apple exports showed "from unknown source" and a blank Source in the import history."""
    from desktop.phr import read_file
    from desktop.services import phr_import as svc
    from tests.conftest import ROOT, user_for
    from tests.phr.conftest import apply_reviewed

    path = ROOT / "tests/data/app-exports/apple-health-export/apple_health_export/export.xml"
    parsed = read_file(path)
    assert parsed.info.source_system.startswith("Apple Health (")
    assert "Anna's Apple Watch" in parsed.info.source_system and "Withings" in parsed.info.source_system
    patient = add_patient(given="Anna", family="Example", birth_date=date(1985, 1, 1))
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, parsed)
        apply_reviewed(uow, patient.id, plan, identity_override_reason="Confirmed with the patient")
    with db.uow(user_for("physician")) as uow:
        history = svc.import_history(uow, patient.id)
    assert history and history[0].source_system.startswith("Apple Health (")
