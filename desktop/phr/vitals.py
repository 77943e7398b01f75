"""Vital signs and device readings the chart keeps, as the PHR readers see them: LOINC, display name, canonical
UCUM unit, plausibility bounds. All of it comes from the one vitals catalog (desktop.kb.vitals,
resources/kb/vital_signs.json); this module only shapes it for the readers.

The bounds are physical plausibility (a value outside is a typing slip or a broken device, and the entry is
skipped with the reason), not clinical alert ranges: those live in desktop/alerts.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.kb.vitals import DIASTOLIC, SYSTOLIC, load_catalog

__all__ = ["ALIASES", "BP_PANELS", "DIASTOLIC", "SYSTOLIC", "VITALS", "VitalKind", "kind_of"]


@dataclass(frozen=True, slots=True)
class VitalKind:
    loinc: str
    name: str
    quantity: str  # pressure | rate | temperature | percent | mass | length | bmi | score | steps | glucose
    unit: str  # canonical UCUM unit stored in the chart
    low: float
    high: float


def _kinds() -> dict[str, VitalKind]:
    catalog = load_catalog()
    out = {}
    for code, v in catalog.vitals.items():
        bounds = catalog.plausible(code)  # through ranges_as (pulse oximetry shares SpO2's)
        out[code] = VitalKind(code, v.name, v.quantity, v.unit, bounds.low, bounds.high)
    return out


VITALS: dict[str, VitalKind] = _kinds()
# codes that mean the same measurement as one the chart keeps
ALIASES: dict[str, str] = dict(load_catalog().aliases)
# blood pressure panels whose components are the systolic/diastolic values
BP_PANELS: frozenset[str] = load_catalog().bp_panels


def kind_of(loinc: str | None) -> VitalKind | None:
    if not loinc:
        return None
    return VITALS.get(ALIASES.get(loinc, loinc))
