"""How a stored vital is shown: US customary (°F, lb, in) or metric (°C, kg, cm).

The chart stores every value in its canonical UCUM unit (kb/vitals.py); this module only picks the unit a
person reads and formats the number. The arithmetic is the one converter, kb/units.py. No Qt, no database:
which system applies (practice setting, the user's own choice) is decided in services/display_units.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import units as kb_units
from . import vitals as kb_vitals

US, METRIC = "us", "metric"
SYSTEMS = (US, METRIC)
SYSTEM_LABELS = {US: "US (°F, lb, in)", METRIC: "Metric (°C, kg, cm)"}

# quantity -> the UCUM unit each system reads; quantities not listed read the same everywhere (mmHg, /min, %)
_UNITS: dict[str, dict[str, str]] = {
    US: {"temperature": "[degF]", "mass": "[lb_av]", "length": "[in_i]"},
    METRIC: {"temperature": "Cel", "mass": "kg", "length": "cm"},
}
LABELS = {"mm[Hg]": "mmHg", "/min": "/min", "Cel": "°C", "[degF]": "°F", "%": "%", "kg": "kg", "[lb_av]": "lb",
          "cm": "cm", "[in_i]": "in", "kg/m2": "kg/m²", "{score}": "/10", "{steps}": "steps", "mg/dL": "mg/dL"}
# decimals per quantity; a whole pound or inch reads without ".0" (181 lb, 64 in), as does a height in cm
_DECIMALS = {"pressure": 0, "rate": 0, "temperature": 1, "percent": 0, "mass": 1, "length": 1, "bmi": 1,
             "score": 0, "steps": 0, "glucose": 0}
_TRIM = {"[lb_av]", "[in_i]", "cm"}


def check_system(system: str) -> str:
    if system not in SYSTEMS:
        raise ValueError(f"unknown unit system {system!r} (one of {', '.join(SYSTEMS)})")
    return system


def unit_label(unit: str) -> str:
    """UCUM code -> what a person reads: 'Cel' -> '°C', '[lb_av]' -> 'lb'."""
    return LABELS.get(unit, unit)


def _vital(loinc: str) -> kb_vitals.VitalSign | None:
    return kb_vitals.vital(loinc)


def display_unit(loinc: str, system: str) -> str:
    """The UCUM unit a vital is read in under `system` (its canonical unit when the systems agree)."""
    v = _vital(loinc)
    if v is None:
        return ""
    return _UNITS[check_system(system)].get(v.quantity, v.unit)


def to_display(loinc: str, value: float, system: str) -> float:
    """A canonical (stored) value in the unit `system` reads."""
    v = _vital(loinc)
    if v is None:
        return value
    unit = display_unit(loinc, system)
    return value if unit == v.unit else kb_units.from_canonical(value, unit, v.quantity)


def from_display(loinc: str, value: float, system: str) -> float:
    """A value read in `system`'s unit back to the canonical one (axis bands, typed limits)."""
    v = _vital(loinc)
    if v is None:
        return value
    unit = display_unit(loinc, system)
    return value if unit == v.unit else kb_units.to_canonical(value, unit, v.quantity)


def number(loinc: str, value: float, system: str) -> str:
    """The number alone, in `system`'s unit: weight 82.1 kg -> '181' (us) / '82.1' (metric)."""
    v = _vital(loinc)
    unit = display_unit(loinc, system) if v else ""
    decimals = _DECIMALS.get(v.quantity, 1) if v else 1
    text = f"{to_display(loinc, value, system):.{decimals}f}"
    if unit in _TRIM and text.endswith(".0"):
        text = text[:-2]
    return text


def text(loinc: str, value: float, system: str) -> str:
    """Number and unit: '100.4 °F', '82.1 kg', 'Pain 3/10' style for scores ('3/10')."""
    unit = unit_label(display_unit(loinc, system))
    joined = f"{number(loinc, value, system)} {unit}".strip()
    return joined.replace(" /10", "/10").replace(" %", "%")


def both(loinc: str, value: float, system: str) -> str:
    """For paper a pharmacist reads: the value in `system`'s unit, the other system's in brackets when they
    differ: '82.1 kg (181 lb)', '181 lb (82.1 kg)'; '120 mmHg' alone."""
    first = text(loinc, value, system)
    other = METRIC if system == US else US
    if display_unit(loinc, other) == display_unit(loinc, system):
        return first
    return f"{first} ({text(loinc, value, other)})"


def quantity_unit(quantity: str, canonical_unit: str, system: str) -> str:
    """The unit a chart axis of this quantity reads (a trend group knows its quantity, not one LOINC)."""
    return _UNITS[check_system(system)].get(quantity, canonical_unit)


def convert_values(values: Mapping[str, float], system: str) -> dict[str, float]:
    """LOINC -> canonical value, each in `system`'s unit (for texts assembled elsewhere)."""
    return {code: to_display(code, v, system) for code, v in values.items()}
