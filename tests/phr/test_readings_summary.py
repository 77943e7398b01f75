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
def utc_computer():  # noqa: ANN201
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
