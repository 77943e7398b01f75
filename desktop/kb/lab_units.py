"""Laboratory unit conversions for trending: one table, per analyte, both directions.

A spelling like mg/dL means a different factor for glucose and for creatinine, so lab conversions are keyed
by analyte (the vitals converter keys by quantity). Factors follow from molar masses (glucose 180.156 g/mol,
creatinine 113.12 g/mol, cholesterol 386.65 g/mol, triglyceride as triolein 885.7 g/mol), the same numbers as
the SI conversion tables of clinical chemistry; HbA1c uses the IFCC-NGSP master equation
NGSP % = 0.09148 x IFCC mmol/mol + 2.152 (ngsp.org/ifcc.asp). Equivalent spellings (mEq/L = mmol/L for a
monovalent ion, 10*9/L = 10*3/uL) convert with factor 1. Spellings are normalised, and glucose converted, by
the project's unit converter (desktop.kb.units); this module adds the analyte-specific tables. No Qt, no database.
"""

from __future__ import annotations

import math

from desktop.kb import units

# analyte -> canonical unit, {normalised spelling: (factor, offset)}; canonical = value * factor + offset
_MONOVALENT = {"mmol/l": (1.0, 0.0), "meq/l": (1.0, 0.0)}
CONVERSIONS: dict[str, tuple[str, dict[str, tuple[float, float]]]] = {
    "glucose": ("mg/dL", dict(units.CONVERSIONS["glucose"])),  # the vitals converter's own glucose table
    "creatinine": ("mg/dL", {"mg/dl": (1.0, 0.0), "umol/l": (1 / 88.42, 0.0), "µmol/l": (1 / 88.42, 0.0)}),
    "cholesterol": ("mg/dL", {"mg/dl": (1.0, 0.0), "mmol/l": (38.67, 0.0)}),
    "triglyceride": ("mg/dL", {"mg/dl": (1.0, 0.0), "mmol/l": (88.57, 0.0)}),
    "hba1c": ("%", {"%": (1.0, 0.0), "mmol/mol": (0.09148, 2.152)}),
    "sodium": ("mmol/L", _MONOVALENT),
    "potassium": ("mmol/L", _MONOVALENT),
    "hemoglobin": ("g/dL", {"g/dl": (1.0, 0.0), "g/l": (0.1, 0.0), "mmol/l": (1.611, 0.0)}),
    "wbc": ("10*3/uL", {"10*3/ul": (1.0, 0.0), "10*9/l": (1.0, 0.0), "10^9/l": (1.0, 0.0), "k/ul": (1.0, 0.0)}),
    "platelets": ("10*3/uL", {"10*3/ul": (1.0, 0.0), "10*9/l": (1.0, 0.0), "10^9/l": (1.0, 0.0), "k/ul": (1.0, 0.0)}),
    "egfr": ("mL/min/{1.73_m2}", {"ml/min/{1.73_m2}": (1.0, 0.0), "ml/min/1.73m2": (1.0, 0.0),
                                  "ml/min": (1.0, 0.0)}),
    "inr": ("{INR}", {"{inr}": (1.0, 0.0), "": (1.0, 0.0), "1": (1.0, 0.0), "inr": (1.0, 0.0), "{ratio}": (1.0, 0.0)}),
}


class UnknownLabUnit(ValueError):
    """The unit is not one this analyte can be converted from."""


def normalise(unit: str | None) -> str:
    return units.normalise_unit(unit).replace("μ", "µ")


def canonical_unit(analyte: str) -> str | None:
    entry = CONVERSIONS.get(analyte)
    return entry[0] if entry else None


def knows(analyte: str, unit: str | None) -> bool:
    entry = CONVERSIONS.get(analyte)
    return entry is not None and normalise(unit) in entry[1]


def _factor(analyte: str, unit: str | None) -> tuple[float, float]:
    entry = CONVERSIONS.get(analyte)
    if entry is None or normalise(unit) not in entry[1]:
        raise UnknownLabUnit(f"{unit!r} cannot be converted for {analyte or 'this test'}")
    return entry[1][normalise(unit)]


def to_canonical(analyte: str, value: float, unit: str | None) -> float:
    if value is None or isinstance(value, bool) or not math.isfinite(float(value)):
        raise ValueError(f"not a finite number: {value!r}")
    factor, offset = _factor(analyte, unit)
    return float(value) * factor + offset


def convert(analyte: str, value: float, from_unit: str | None, to_unit: str | None) -> float:
    """`value` in `from_unit` -> `to_unit`, both spellings of the same analyte. Raises UnknownLabUnit."""
    if normalise(from_unit) == normalise(to_unit):
        return float(value)
    canonical = to_canonical(analyte, value, from_unit)
    factor, offset = _factor(analyte, to_unit)
    return (canonical - offset) / factor
