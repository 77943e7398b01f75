"""Trend chart of one laboratory test: clinic results as a solid line with filled dots, imported results as
rings without a line, the reference range shaded. Values converted to one unit; hovering a point shows the
value as the laboratory reported it."""

from __future__ import annotations

from datetime import timedelta

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
from PySide6.QtGui import QBrush, QColor, QCursor, QFont, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from desktop.domain.dates import QT_DATE, show_datetime
from desktop.services.results import LabTrend, TrendPoint

from .trend_chart import _ms, _nice

CLINIC_COLOUR = QColor("#1f4e96")
IMPORTED_COLOUR = QColor("#7a4fa3")
BAND = QColor(46, 160, 67, 45)


class LabTrendChart(QChartView):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(200)
        self._chart = QChart()
        self._chart.setMargins(QMargins(6, 6, 6, 6))
        self._chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self._chart.legend().setMarkerShape(QLegend.MarkerShape.MarkerShapeFromSeries)
        self._chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        font = QFont()
        font.setPointSize(11)
        font.setBold(True)
        self._chart.setTitleFont(font)
        self.setChart(self._chart)
        self.trend: LabTrend | None = None
        self.point_counts: dict[str, int] = {}
        self.band: tuple[float | None, float | None] | None = None
        self._originals: dict[tuple[int, int], TrendPoint] = {}

    def clear(self, message: str = "") -> None:
        self._chart.removeAllSeries()
        for axis in self._chart.axes():
            self._chart.removeAxis(axis)
        self._chart.setTitle(message)
        self.point_counts = {}
        self.band = None
        self._originals = {}

    def set_trend(self, trend: LabTrend) -> None:
        self.trend = trend
        self.clear()
        points = [*trend.clinic, *trend.imported]
        title = f"{trend.label} ({trend.unit})" if trend.unit else trend.label
        if not points:
            self._chart.setTitle(self.tr("{title}: no numeric results").format(title=title))
            return
        self._chart.setTitle(title)
        start = min(p.collected_at for p in points)
        end = max(p.collected_at for p in points)
        if end - start < timedelta(days=2):
            start, end = start - timedelta(days=1), end + timedelta(days=1)
        span = end - start
        x_axis, y_axis = QDateTimeAxis(), QValueAxis()
        x_axis.setFormat("yyyy-MM" if span > timedelta(days=180) else QT_DATE)  # ISO, as every date of the app
        x_axis.setTickCount(6)
        x_axis.setRange(start - span * 0.03, end + span * 0.03)
        values = [p.value for p in points]
        low, high = trend.range if trend.range else (None, None)
        values += [v for v in (low, high) if v is not None]
        pad = (max(values) - min(values)) * 0.06 or abs(max(values)) * 0.06 or 1.0
        lo, hi, ticks = _nice(max(0.0, min(values) - pad) if min(values) >= 0 else min(values) - pad,
                              max(values) + pad)
        y_axis.setRange(lo, hi)
        y_axis.setTickCount(min(ticks, 11))
        y_axis.setLabelFormat("%.4g")
        y_axis.setTitleText(trend.unit)
        self._chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        self._chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        if trend.range:
            x0, x1 = _ms(start - span * 0.03), _ms(end + span * 0.03)
            b_low = low if low is not None else lo
            b_high = high if high is not None else hi
            upper, lower = QLineSeries(), QLineSeries()
            upper.append([QPointF(x0, b_high), QPointF(x1, b_high)])
            lower.append([QPointF(x0, b_low), QPointF(x1, b_low)])
            band = QAreaSeries(upper, lower)
            upper.setParent(band)
            lower.setParent(band)
            band.setName(self.tr("Range (laboratory)") if trend.range_note.startswith("laboratory")
                         else self.tr("Range (default adult)"))
            band.setBrush(QBrush(BAND))
            band.setPen(QPen(QColor(46, 160, 67, 110), 1, Qt.PenStyle.DashLine))
            self._attach(band, x_axis, y_axis)
            for marker in self._chart.legend().markers(band):
                # an area's "from series" marker makes Qt elide its label ("Range (lab..."): a plain swatch reads whole
                marker.setShape(QLegend.MarkerShape.MarkerShapeRectangle)
            self.band = (b_low, b_high)
        if trend.clinic:
            line = QLineSeries()
            line.setName(self.tr("Clinic"))
            line.setPen(QPen(CLINIC_COLOUR, 2))
            line.setPointsVisible(True)
            line.setMarkerSize(7 if len(trend.clinic) < 60 else 5)
            line.replace([QPointF(_ms(p.collected_at), p.value) for p in trend.clinic])
            self._attach(line, x_axis, y_axis)
            self._hover(line, trend.clinic)
            self.point_counts["clinic"] = len(trend.clinic)
        if trend.imported:
            dots = QScatterSeries()
            dots.setName(self.tr("Imported"))
            dots.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeCircle)
            dots.setMarkerSize(9)
            tint = QColor(IMPORTED_COLOUR)
            tint.setAlpha(30)
            dots.setBrush(QBrush(tint))
            dots.setPen(QPen(IMPORTED_COLOUR, 1.6))
            dots.replace([QPointF(_ms(p.collected_at), p.value) for p in trend.imported])
            self._attach(dots, x_axis, y_axis)
            self._hover(dots, trend.imported)
            self.point_counts["imported"] = len(trend.imported)

    def original_at(self, x_ms: float, value: float) -> TrendPoint | None:
        return self._originals.get((round(x_ms / 60000), round(value * 1000)))

    def _hover(self, series, points) -> None:
        for p in points:
            self._originals[(round(_ms(p.collected_at) / 60000), round(p.value * 1000))] = p
        series.hovered.connect(self._show_point)

    def _show_point(self, point: QPointF, state: bool) -> None:
        if not state:
            QToolTip.hideText()
            return
        p = self.original_at(point.x(), point.y())
        if p is None:
            return
        converted = f"{p.value:.4g} {self.trend.unit}" if self.trend else ""
        text = f"{show_datetime(p.collected_at)}\n{p.original}"
        if converted and converted.replace(" ", "") != p.original.replace(" ", ""):
            text += "\n" + self.tr("shown as {value}").format(value=converted)
        text += "\n" + (self.tr("clinic") if p.origin == "clinic" else self.tr("imported"))
        QToolTip.showText(QCursor.pos(), text, self)

    def _attach(self, series, x_axis, y_axis) -> None:
        self._chart.addSeries(series)
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)
