"""Small trend charts for the printed summary, drawn with reportlab graphics (vector, prints sharp)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, String
from reportlab.lib.colors import Color, black

from desktop.domain.dates import show_date

from .data import TrendPoint
from .fonts import BOLD, REGULAR
from .page import GREY, LIGHT

DARK = Color(0.1, 0.1, 0.1)
MID = Color(0.45, 0.45, 0.45)


def _nice_range(lo: float, hi: float, ticks: int = 4) -> tuple[float, float, float]:
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / ticks
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def trend_chart(title: str, unit: str, points: Sequence[TrendPoint], width: float, height: float = 120,
                *, labels: tuple[str, str] | None = None, ref_lines: Sequence[float] = (),
                min_span: float = 0.0) -> Drawing:
    """Line chart of `points` (oldest first); `value2` (e.g. diastolic) drawn as a second, dashed line.

    The x axis is time (spacing follows the dates); `ref_lines` are dotted goal lines (e.g. 130 and 80 mmHg);
    `min_span` keeps small fluctuations from filling the whole height.
    """
    d = Drawing(width, height)
    d.add(String(0, height - 10, title, fontName=BOLD, fontSize=9, fillColor=black))
    if not points:
        d.add(String(0, height / 2, "no readings", fontName=REGULAR, fontSize=8.5, fillColor=GREY))
        return d
    left, right, bottom, top = 30.0, width - 6, 18.0, height - 26
    values = [p.value for p in points] + [p.value2 for p in points if p.value2 is not None]
    values += list(ref_lines)
    vmin, vmax = min(values), max(values)
    if vmax - vmin < min_span:
        mid = (vmax + vmin) / 2
        vmin, vmax = mid - min_span / 2, mid + min_span / 2
    lo, hi, step = _nice_range(vmin, vmax)
    t0 = points[0].when.timestamp()
    t1 = points[-1].when.timestamp()
    span = max(t1 - t0, 1.0)

    def x(p: TrendPoint) -> float:
        return left + (p.when.timestamp() - t0) / span * (right - left) if len(points) > 1 else (left + right) / 2

    def y(v: float) -> float:
        return bottom + (v - lo) / (hi - lo) * (top - bottom)

    tick = lo
    while tick <= hi + 1e-9:
        d.add(Line(left, y(tick), right, y(tick), strokeColor=LIGHT, strokeWidth=0.4))
        d.add(String(left - 3, y(tick) - 3, f"{tick:g}", fontName=REGULAR, fontSize=6.5, fillColor=MID,
                     textAnchor="end"))
        tick += step
    d.add(Line(left, bottom, right, bottom, strokeColor=MID, strokeWidth=0.6))
    d.add(String(left, 4, show_date(points[0].when), fontName=REGULAR, fontSize=6.5, fillColor=MID))
    d.add(String(right, 4, show_date(points[-1].when), fontName=REGULAR, fontSize=6.5, fillColor=MID,
                 textAnchor="end"))
    for ref in ref_lines:
        d.add(Line(left, y(ref), right, y(ref), strokeColor=MID, strokeWidth=0.6, strokeDashArray=[1, 2]))
    legend = unit + (f"   solid: {labels[0]}   dashed: {labels[1]}" if labels else "")
    if ref_lines:
        legend += "   dotted: goal"
    d.add(String(0, height - 20, legend, fontName=REGULAR, fontSize=6.5, fillColor=MID))

    def series(vals: list[tuple[float, float]], dashed: bool) -> None:
        if len(vals) > 1:
            flat = [c for pt in vals for c in pt]
            d.add(PolyLine(flat, strokeColor=DARK, strokeWidth=1.0, strokeDashArray=[3, 2] if dashed else None))
        for px, py in vals:
            d.add(Circle(px, py, 1.6, fillColor=DARK, strokeColor=None))

    series([(x(p), y(p.value)) for p in points], dashed=False)
    second = [(x(p), y(p.value2)) for p in points if p.value2 is not None]
    if second:
        series(second, dashed=True)
    return d
