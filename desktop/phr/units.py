"""A reading from a PHR file in the chart's canonical UCUM unit, or the reason it is skipped.

The conversion is desktop.kb.units (the one converter of the app); the plausibility bounds are the vitals
catalog's (desktop.kb.vitals). This module turns their answers into the reader's SkipEntry reasons.
"""

from __future__ import annotations

from desktop.kb import units

from .errors import SkipEntry
from .vitals import VitalKind


def to_canonical(kind: VitalKind, value: float, unit: str | None, *, fraction_percent: bool = False) -> float:
    """The value in kind.unit. Raises SkipEntry for an unknown unit or an implausible value.

    fraction_percent: Apple Health writes SpO2 as a fraction (0.97) with unit "%".
    """
    try:
        canonical = units.to_canonical(value, unit, kind.quantity, fraction_percent=fraction_percent)
    except units.UnknownUnit:
        raise SkipEntry(f"{kind.name}: unknown unit {unit!r}") from None
    except ValueError:
        raise SkipEntry(f"{kind.name}: no numeric value") from None
    if not (kind.low <= canonical <= kind.high):
        shown = f"{value:g} {unit}".strip()
        raise SkipEntry(f"implausible {kind.name.lower()} {shown} (expected {kind.low:g}-{kind.high:g} {kind.unit})")
    return round(canonical, 4)
