"""Laboratory results of a chart as FHIR R4 Observations (category laboratory) and one DiagnosticReport per
panel. Written as received: value and comparator, unit, the laboratory's range and flag (a flag the chart
computed from its default range is not the laboratory's, so it is not exported). Importing them again finds
every result as a duplicate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from .dates import to_utc
from .snapshot import ChartLabResult

LAB_CATEGORY = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                             "code": "laboratory", "display": "Laboratory"}]}]
REPORT_CATEGORY = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB",
                                "display": "Laboratory"}]}]
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
_FLAG_DISPLAY = {"H": "High", "L": "Low", "HH": "Critical high", "LL": "Critical low", "A": "Abnormal", "N": "Normal"}
_STATUS = {"preliminary": "preliminary", "final": "final", "corrected": "corrected", "amended": "amended",
           "cancelled": "cancelled"}


def _instant(dt: datetime) -> str:
    return to_utc(dt).isoformat().replace("+00:00", "Z")


def _code(loinc: str, name: str) -> dict:
    coding = [{"system": "http://loinc.org", "code": loinc, "display": name}] if loinc else []
    return {"coding": coding, "text": name} if coding else {"text": name}


def add_results(results: list[ChartLabResult], subject: dict, add: Callable[[str, object, dict], str]) -> None:
    """`add(kind, ident, resource)` appends an entry and returns its fullUrl."""
    panels: dict[str, list[tuple[ChartLabResult, str]]] = {}
    for r in results:
        if r.entered_in_error:
            continue
        quantity = None
        if r.value is not None:
            quantity = {"value": r.value, "unit": r.unit or None, "system": "http://unitsofmeasure.org" if r.unit
                        else None, "code": r.unit or None, "comparator": r.comparator or None}
        rng = None
        if r.ref_low is not None or r.ref_high is not None or r.ref_text:
            rng = [{"low": {"value": r.ref_low, "unit": r.unit or None} if r.ref_low is not None else None,
                    "high": {"value": r.ref_high, "unit": r.unit or None} if r.ref_high is not None else None,
                    "text": r.ref_text or None}]
        interpretation = None
        if r.flag and r.flag_source in ("lab", "lab range"):
            interpretation = [{"coding": [{"system": INTERPRETATION, "code": r.flag,
                                           "display": _FLAG_DISPLAY.get(r.flag, r.flag)}]}]
        value: dict = {"valueQuantity": quantity} if quantity else {}
        if not quantity and r.value_text:
            value = ({"valueCodeableConcept": {"coding": [{"code": r.value_code}], "text": r.value_text}}
                     if r.value_code else {"valueString": r.value_text})
        url = add("lab", r.id, {
            "resourceType": "Observation", "status": _STATUS.get(r.status, "final"), "category": LAB_CATEGORY,
            "code": _code(r.loinc, r.name), "subject": subject, "effectiveDateTime": _instant(r.collected_at),
            **value, "referenceRange": rng, "interpretation": interpretation,
            "performer": [{"display": r.performing_lab}] if r.performing_lab else None,
        })
        panels.setdefault(r.panel_id, []).append((r, url))
    for panel_id, members in panels.items():
        first = members[0][0]
        name = first.panel_name or (first.name if len(members) == 1 else "Laboratory results")
        add("lab-report", panel_id, {
            "resourceType": "DiagnosticReport", "status": "final", "category": REPORT_CATEGORY,
            "code": _code(first.panel_code, name), "subject": subject,
            "effectiveDateTime": _instant(first.collected_at),
            "performer": [{"display": first.performing_lab}] if first.performing_lab else None,
            "result": [{"reference": url} for _r, url in members],
        })
