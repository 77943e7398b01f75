"""The one unit converter: a reading's unit to the chart's canonical UCUM unit, and back for display.

Factors are the UCUM definitions (Unified Code for Units of Measure, Regenstrief Institute, ucum.org):
[lb_av] = 0.45359237 kg, [oz_av] = 28.349523125 g, [in_i] = 2.54 cm, [ft_i] = 30.48 cm, [degF] = 5/9 K with
offset, kPa = 7.500617 mm[Hg], mmol/L glucose x 18.0156 = mg/dL (molar mass of glucose 180.156 g/mol).
No Qt, no database.
"""

from __future__ import annotations

import math
import re

QUANTITIES = ("pressure", "rate", "temperature", "percent", "mass", "length", "bmi", "score", "steps", "glucose")

_SPACES = re.compile(r"\s+")
# Apple Health writes glucose in mmol as "mmol<180.1558800000541>/L" (the molar mass in brackets)
_APPLE_MOLAR = re.compile(r"<[\d.]+>")
_F = (5 / 9, -32 * 5 / 9)
_LB, _OZ, _ST = 0.45359237, 0.028349523125, 6.35029318

# quantity -> {normalised unit spelling: (factor, offset)}; canonical = value * factor + offset
CONVERSIONS: dict[str, dict[str, tuple[float, float]]] = {
    "pressure": {"mm[hg]": (1, 0), "mmhg": (1, 0), "kpa": (7.500617, 0)},
    "rate": {u: (1, 0) for u in (
        "/min", "1/min", "min-1", "{beats}/min", "{beat}/min", "beats/min", "beat/min", "bpm", "count/min",
        "{counts}/min", "{breaths}/min", "breaths/min", "{breath}/min", "{h.b.}/min",
    )},
    "temperature": {"cel": (1, 0), "c": (1, 0), "°c": (1, 0), "degc": (1, 0),
                    "[degf]": _F, "degf": _F, "f": _F, "°f": _F},
    "percent": {"%": (1, 0), "percent": (1, 0), "%{oxygen}": (1, 0), "1": (1, 0), "": (1, 0)},
    "mass": {"kg": (1, 0), "g": (0.001, 0), "[lb_av]": (_LB, 0), "lb": (_LB, 0), "lbs": (_LB, 0),
             "[oz_av]": (_OZ, 0), "oz": (_OZ, 0), "st": (_ST, 0)},
    "length": {"cm": (1, 0), "m": (100, 0), "mm": (0.1, 0), "[in_i]": (2.54, 0), "in": (2.54, 0),
               "inch": (2.54, 0), "[ft_i]": (30.48, 0), "ft": (30.48, 0)},
    "bmi": {"kg/m2": (1, 0), "kg/m^2": (1, 0), "kg/m²": (1, 0), "count": (1, 0), "1": (1, 0), "": (1, 0)},
    "score": {"{score}": (1, 0), "1": (1, 0), "": (1, 0), "{0-10}": (1, 0), "score": (1, 0)},
    "steps": {"{steps}": (1, 0), "count": (1, 0), "steps": (1, 0), "{steps}/d": (1, 0), "/d": (1, 0), "": (1, 0)},
    "glucose": {"mg/dl": (1, 0), "mmol/l": (18.0156, 0)},
}


class UnknownUnit(ValueError):
    """A unit the converter does not know for this quantity."""


def _index() -> dict[str, tuple[float, float]]:
    """Every spelling across quantities; a spelling means one thing whatever the quantity (checked here)."""
    out: dict[str, tuple[float, float]] = {}
    for table in CONVERSIONS.values():
        for spelling, factor in table.items():
            if out.setdefault(spelling, factor) != factor:
                raise AssertionError(f"unit spelling {spelling!r} converts two ways")
    return out


_ANY = _index()
_NORMALISED: dict[str, str] = {}


def normalise_unit(unit: str | None) -> str:
    """'mm[Hg]' -> 'mm[hg]', ' kg ' -> 'kg', Apple's 'mmol<180.15>/L' -> 'mmol/l'."""
    raw = unit or ""
    found = _NORMALISED.get(raw)
    if found is None:
        found = _SPACES.sub("", _APPLE_MOLAR.sub("", raw)).lower()
        if len(_NORMALISED) < 10_000:
            _NORMALISED[raw] = found
    return found


def knows(unit: str | None, quantity: str | None = None) -> bool:
    key = normalise_unit(unit)
    return key in (CONVERSIONS[quantity] if quantity else _ANY)


def _factor(unit: str | None, quantity: str | None) -> tuple[float, float]:
    key = normalise_unit(unit)
    table = CONVERSIONS[quantity] if quantity else _ANY
    if key not in table:
        raise UnknownUnit(f"unknown unit {unit!r}" + (f" for {quantity}" if quantity else ""))
    return table[key]


def to_canonical(value: float, unit: str | None, quantity: str | None = None, *,
                 fraction_percent: bool = False) -> float:
    """`value` in `unit` -> the canonical unit of its quantity (unrounded). Raises UnknownUnit, ValueError.

    Percentages written as a fraction (0.97 with unit "1", or Apple Health's SpO2 with "%" when
    fraction_percent) become 97.
    """
    if value is None or isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    factor, offset = _factor(unit, quantity)
    v = float(value)
    if quantity == "percent" and (fraction_percent or normalise_unit(unit) in ("", "1")) and 0 < v <= 1.0:
        v *= 100
    return v * factor + offset


def from_canonical(value: float, unit: str | None, quantity: str | None = None) -> float:
    """A canonical value shown in `unit` (the form's °F, lb, in)."""
    factor, offset = _factor(unit, quantity)
    return (value - offset) / factor
