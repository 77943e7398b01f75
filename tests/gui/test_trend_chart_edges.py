"""The vitals trend: the highest and lowest readings sit inside the plot. The y axis ended exactly at the extreme
value when it was a round number (a BP of 140, SpO2 100, a fever of 105.8 °F on an axis to 106), and the newest,
most alarming point was drawn half outside the chart."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCharts import QValueAxis

from desktop.services.vitals import TREND_BY_KEY, Trend, TrendPoint, TrendSeries
from desktop.widgets.trend_chart import TrendChart

pytestmark = pytest.mark.gui


def _y_range(qtbot, key: str, loinc: str, values: list[float], normal=None) -> tuple[float, float]:
    start = datetime(2026, 1, 1, 9, 0)
    points = tuple(TrendPoint(start + timedelta(days=30 * i), v) for i, v in enumerate(values))
    trend = Trend(TREND_BY_KEY[key], (TrendSeries(loinc, "clinic", points, (), normal),), None, None,
                  date(2026, 1, 1), date(2026, 12, 1))
    chart = TrendChart()
    qtbot.addWidget(chart)
    chart.set_trend(trend)
    [axis] = [a for a in chart._chart.axes() if isinstance(a, QValueAxis)]
    return axis.min(), axis.max()


@pytest.mark.parametrize(("key", "loinc", "values"), [
    ("bp", "8480-6", [121.0, 132.0, 140.0]),
    ("spo2", "59408-5", [96.0, 98.0, 100.0]),
    ("hr", "8867-4", [60.0, 60.0, 60.0]),
])
def test_the_extreme_readings_are_inside_the_axis(qtbot, key, loinc, values):
    low, high = _y_range(qtbot, key, loinc, values)
    span = high - low
    assert high - max(values) >= 0.03 * span and min(values) - low >= 0.03 * span
    assert low >= 0  # no negative heart rates or pressures on the axis
