"""Trend chart of one vital (or BP's systolic/diastolic pair) with QtCharts.

Clinic readings: solid line with filled dots. Patient/device/PHR readings: hollow markers, no line (they are
taken under other conditions and should not read as one continuous series with the clinic's). The soft
normal range for the patient's age is a shaded band.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCharts import (
    QAreaSeries,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLegend,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

from desktop.domain.dates import QT_DATE
from desktop.services import display_units
from desktop.services.vitals import Trend, TrendPoint

SERIES_COLOURS = ("#1f4e96", "#0f8a7e")  # systolic / first vital, diastolic
BAND_COLOUR = QColor(46, 160, 67, 45)


def _ms(when: datetime) -> float:
    return when.timestamp() * 1000.0  # naive local times: timestamp() reads them as local


def _nice(lo: float, hi: float) -> tuple[float, float, int]:
    """Axis limits on round numbers and a tick count that keeps labels readable."""
    import math

    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    return lo, hi, int(round((hi - lo) / step)) + 1


def _in_units(trend: Trend, system: str) -> Trend:
    """The same trend with every value (points and normal band) in `system`'s unit."""
    from dataclasses import replace

    def conv(loinc: str, v: float) -> float:
        return display_units.to_display(loinc, v, system)

    series = tuple(replace(
        s,
        clinic=tuple(TrendPoint(p.taken_at, conv(s.loinc, p.value)) for p in s.clinic),
        readings=tuple(TrendPoint(p.taken_at, conv(s.loinc, p.value)) for p in s.readings),
        normal=(conv(s.loinc, s.normal[0]), conv(s.loinc, s.normal[1])) if s.normal else None,
    ) for s in trend.series)
    return replace(trend, series=series)


class TrendChart(QChartView):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(220)
        self._chart = QChart()
        self._chart.setMargins(QMargins(6, 6, 6, 6))
        self._chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        # legend entries take the series' own marker: filled dot + line for clinic, ring for home/device
        self._chart.legend().setMarkerShape(QLegend.MarkerShape.MarkerShapeFromSeries)
        legend_font = self._chart.legend().font()  # small enough that "Normal range" and the series names fit
        legend_font.setPointSizeF(max(7.0, legend_font.pointSizeF() - 1))
        self._chart.legend().setFont(legend_font)
        self._chart.legend().setShowToolTips(True)  # an entry cut short still shows in full on hover
        self._chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.setChart(self._chart)
        self.trend: Trend | None = None
        self.system = display_units.METRIC
        self.point_counts: dict[str, int] = {}  # series name -> points drawn (tests, accessibility)

    def clear(self, message: str = "") -> None:
        self._chart.removeAllSeries()
        for axis in self._chart.axes():
            self._chart.removeAxis(axis)
        self._chart.setTitle(message)
        self.point_counts = {}

    def set_trend(self, trend: Trend, system: str = display_units.METRIC) -> None:
        """Draw a trend in the reader's units (`system`: us | metric); the trend's values are canonical."""
        self.trend = trend
        self.system = system
        self.clear()
        group = trend.group
        unit = display_units.unit_label(display_units.display_unit(group.loincs[0], system) or group.unit)
        trend = _in_units(trend, system)
        title_font = QFont()
        title_font.setPointSize(11)
        title_font.setBold(True)
        self._chart.setTitleFont(title_font)
        self._chart.setTitle(f"{self.tr(group.title)} ({unit})")
        points = [p for s in trend.series for p in (*s.clinic, *s.readings)]
        if not points:
            self._chart.setTitle(self.tr("{title}: no readings in this date range").format(title=self.tr(group.title)))
            return
        x_axis = QDateTimeAxis()
        y_axis = QValueAxis()
        start = min(p.taken_at for p in points)
        end = max(p.taken_at for p in points)
        if trend.start is not None:
            start = min(start, datetime.combine(trend.start, datetime.min.time()))
        if trend.end is not None:
            end = max(end, datetime.combine(trend.end, datetime.max.time().replace(microsecond=0)))
        if end - start < timedelta(days=2):
            start, end = start - timedelta(days=1), end + timedelta(days=1)
        span = end - start
        # ISO like every date of the app; ticks a few hours apart (a week or less) need their hour
        x_axis.setFormat(QT_DATE if span > timedelta(days=7) else "MM-dd HH:mm")
        x_axis.setTickCount(6)
        x_axis.setRange(start - span * 0.02, end + span * 0.02)
        values = [p.value for p in points]
        for s in trend.series:
            if s.normal:
                values.extend(s.normal)
        low, high = min(values), max(values)
        # room above and below the extreme points: one on the axis's end (SpO2 100, BP 140, the fever just
        # recorded) was drawn half outside the plot, the newest and highest reading cut in two
        pad = (high - low) * 0.05 or abs(high) * 0.05 or 1.0
        lo, hi, ticks = _nice(max(low - pad, 0.0) if low >= 0 else low - pad, high + pad)
        y_axis.setRange(lo, hi)
        y_axis.setTickCount(min(ticks, 11))
        y_axis.setLabelFormat("%.4g")
        y_axis.setTitleText(unit)
        self._chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        self._chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)

        x0, x1 = _ms(start - span * 0.02), _ms(end + span * 0.02)
        band_shown = False
        for s in trend.series:
            if not s.normal:
                continue
            upper, lower = QLineSeries(), QLineSeries()
            upper.append([QPointF(x0, s.normal[1]), QPointF(x1, s.normal[1])])
            lower.append([QPointF(x0, s.normal[0]), QPointF(x1, s.normal[0])])
            band = QAreaSeries(upper, lower)
            # QAreaSeries does not own its boundary lines: parent them to it, or Python frees them under it
            upper.setParent(band)
            lower.setParent(band)
            band.setName(self.tr("Normal range"))  # for the patient's age
            band.setBrush(QBrush(BAND_COLOUR))
            band.setPen(QPen(QColor(46, 160, 67, 110), 1, Qt.PenStyle.DashLine))
            self._attach(band, x_axis, y_axis)
            for marker in self._chart.legend().markers(band):
                # an area's "from series" marker makes Qt elide its label ("Normal ra..."): a plain swatch reads whole
                marker.setShape(QLegend.MarkerShape.MarkerShapeRectangle)
            if band_shown:  # one legend entry for the band(s)
                for marker in self._chart.legend().markers(band):
                    marker.setVisible(False)
            band_shown = True

        many = len(trend.series) > 1
        for i, s in enumerate(trend.series):
            colour = QColor(SERIES_COLOURS[i % len(SERIES_COLOURS)])
            name = self.tr(s.label) if many else self.tr(group.title)
            if s.clinic:
                line = QLineSeries()
                line.setName(self.tr("{name}, clinic").format(name=name))
                line.setPen(QPen(colour, 2))
                line.setPointsVisible(True)
                line.setMarkerSize(7 if len(s.clinic) < 40 else 5)
                line.replace([QPointF(_ms(p.taken_at), p.value) for p in s.clinic])
                self._attach(line, x_axis, y_axis)
                self.point_counts[line.name()] = len(s.clinic)
            if s.readings:
                dots = QScatterSeries()
                label = self.tr("{name}, home/device (daily mean)") if s.averaged else self.tr("{name}, home/device")
                dots.setName(label.format(name=name))
                dots.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeCircle)
                dots.setMarkerSize(8)
                tint = QColor(colour)
                tint.setAlpha(35)
                dots.setBrush(QBrush(tint))  # near-hollow ring: not measured here
                dots.setPen(QPen(colour, 1.5))
                dots.replace([QPointF(_ms(p.taken_at), p.value) for p in s.readings])
                self._attach(dots, x_axis, y_axis)
                self.point_counts[dots.name()] = len(s.readings)

    def _attach(self, series, x_axis, y_axis) -> None:
        self._chart.addSeries(series)
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)
