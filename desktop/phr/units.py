"""Convert a reading to the chart's canonical UCUM unit (mm[Hg], /min, Cel, %, kg, cm, kg/m2, ...)."""

from __future__ import annotations

import math
import re

from .errors import SkipEntry
from .vitals import VitalKind

_SPACES = re.compile(r"\s+")
# Apple Health writes glucose in mmol as "mmol<180.1558800000541>/L" (the molar mass in brackets)
_APPLE_MOLAR = re.compile(r"<[\d.]+>")

# quantity -> {normalised unit spelling: (factor, offset)} ; canonical = value * factor + offset
_CONVERSIONS: dict[str, dict[str, tuple[float, float]]] = {
    "pressure": {"mm[hg]": (1, 0), "mmhg": (1, 0), "kpa": (7.500617, 0)},
    "rate": {u: (1, 0) for u in (
        "/min", "1/min", "min-1", "{beats}/min", "{beat}/min", "beats/min", "beat/min", "bpm", "count/min",
        "{counts}/min", "{breaths}/min", "breaths/min", "{breath}/min", "{h.b.}/min",
    )},
    "temperature": {"cel": (1, 0), "c": (1, 0), "°c": (1, 0), "degc": (1, 0),
                    "[degf]": (5 / 9, -32 * 5 / 9), "degf": (5 / 9, -32 * 5 / 9), "f": (5 / 9, -32 * 5 / 9),
                    "°f": (5 / 9, -32 * 5 / 9)},
    "percent": {"%": (1, 0), "percent": (1, 0), "%{oxygen}": (1, 0), "1": (1, 0), "": (1, 0)},
    "mass": {"kg": (1, 0), "g": (0.001, 0), "[lb_av]": (0.45359237, 0), "lb": (0.45359237, 0),
             "lbs": (0.45359237, 0), "[oz_av]": (0.028349523125, 0), "oz": (0.028349523125, 0),
             "st": (6.35029318, 0)},
    "length": {"cm": (1, 0), "m": (100, 0), "mm": (0.1, 0), "[in_i]": (2.54, 0), "in": (2.54, 0),
               "inch": (2.54, 0), "[ft_i]": (30.48, 0), "ft": (30.48, 0)},
    "bmi": {"kg/m2": (1, 0), "kg/m^2": (1, 0), "kg/m²": (1, 0), "count": (1, 0), "1": (1, 0), "": (1, 0)},
    "score": {"{score}": (1, 0), "1": (1, 0), "": (1, 0), "{0-10}": (1, 0), "score": (1, 0)},
    "steps": {"{steps}": (1, 0), "count": (1, 0), "steps": (1, 0), "{steps}/d": (1, 0), "/d": (1, 0), "": (1, 0)},
    "glucose": {"mg/dl": (1, 0), "mmol/l": (18.0156, 0)},
}


_NORMALISED: dict[str, str] = {}


def normalise_unit(unit: str | None) -> str:
    raw = unit or ""
    found = _NORMALISED.get(raw)
    if found is None:
        found = _SPACES.sub("", _APPLE_MOLAR.sub("", raw)).lower()
        if len(_NORMALISED) < 10_000:
            _NORMALISED[raw] = found
    return found


def to_canonical(kind: VitalKind, value: float, unit: str | None, *, fraction_percent: bool = False) -> float:
    """The value in kind.unit. Raises SkipEntry for an unknown unit or an implausible value.

    fraction_percent: Apple Health writes SpO2 as a fraction (0.97) with unit "%".
    """
    if value is None or not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise SkipEntry(f"{kind.name}: no numeric value")
    table = _CONVERSIONS[kind.quantity]
    key = normalise_unit(unit)
    if key not in table:
        raise SkipEntry(f"{kind.name}: unknown unit {unit!r}")
    factor, offset = table[key]
    v = float(value)
    if kind.quantity == "percent" and (fraction_percent or key in ("", "1")) and 0 < v <= 1.0:
        v *= 100
    canonical = v * factor + offset
    if not (kind.low <= canonical <= kind.high):
        shown = f"{value:g} {unit}".strip()
        raise SkipEntry(f"implausible {kind.name.lower()} {shown} (expected {kind.low:g}-{kind.high:g} {kind.unit})")
    return round(canonical, 4)
