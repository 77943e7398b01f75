"""FHIR laboratory results: Observation (category laboratory) and the DiagnosticReport that groups them.

Values as received: valueQuantity (with its comparator), valueString, valueCodeableConcept, valueInteger;
referenceRange low/high/text; interpretation codes (v3 ObservationInterpretation H, L, HH, LL, A, N).
A DiagnosticReport names the panel (code, performer, status) of the results it references.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop.kb.errors import KnowledgeBaseError
from desktop.kb.labs import catalog

from .codes import first
from .dates import as_datetime, check_past
from .errors import SkipEntry
from .fhir_map import MapContext, codes_of, status_code, text_of
from .records import PhrLabResult

LAB_CATEGORY = "laboratory"
REPORT_LAB_CATEGORIES = {"lab", "laboratory", "hm", "che", "ch"}  # v2-0074 diagnostic service sections
_FLAG_MAP = {"H": "H", "L": "L", "HH": "HH", "LL": "LL", "A": "A", "AA": "A", "N": "N", "HU": "HH", "LU": "LL", "HX": "H", "LX": "L",
             ">": "H", "<": "L"}
_STATUS = {"registered": "preliminary", "preliminary": "preliminary", "final": "final", "amended": "amended",
           "corrected": "corrected", "cancelled": "cancelled", "unknown": "final", "partial": "preliminary"}


@dataclass(frozen=True, slots=True)
class PanelInfo:
    key: str  # the report's resource key
    code: str
    name: str
    performer: str
    ordering: str
    status: str


def categories(resource: dict) -> set[str]:
    """The category codes of a raw resource (before validation: decides whether it is a lab result)."""
    out: set[str] = set()
    cats = resource.get("category")
    if isinstance(cats, dict):
        cats = [cats]
    for cat in cats or ():
        if isinstance(cat, dict):
            for c in cat.get("coding") or ():
                if isinstance(c, dict) and isinstance(c.get("code"), str):
                    out.add(c["code"].lower())
    return out


def is_lab_observation(resource: dict) -> bool:
    if LAB_CATEGORY in categories(resource):
        return True
    if categories(resource):
        return False  # vital-signs, survey, social-history ...: not a lab result
    code = resource.get("code")
    for c in (code.get("coding") or ()) if isinstance(code, dict) else ():
        if isinstance(c, dict) and "loinc" in str(c.get("system", "")):
            try:
                test = catalog().by_loinc(c.get("code"))
            except KnowledgeBaseError:
                return False
            if test is not None:
                return True
    return False


def is_lab_report(resource: dict) -> bool:
    return bool(categories(resource) & REPORT_LAB_CATEGORIES)


def panel_info(m: Any, ctx: MapContext) -> PanelInfo:
    codes = codes_of(m.code)
    performer = next((ctx.author(p) for p in m.performer or () if ctx.author(p)), "")
    # the ordering clinician is known only when the report's order reference carries a name
    ordering = next(((b.display or "").strip() for b in m.basedOn or () if (b.display or "").strip()), "")
    return PanelInfo(ctx.resource_key, first(codes, "loinc") or "", text_of(m.code), performer, ordering,
                     _STATUS.get((m.status or "").lower(), "final"))


def _num(v: Any) -> float | None:
    if v is None:
        return None
    return float(v) if isinstance(v, int | float | Decimal) else None


def lab_observation(m: Any, ctx: MapContext, panel: PanelInfo | None) -> PhrLabResult:
    raw_status = (m.status or "").lower()
    if raw_status == "entered-in-error":
        raise SkipEntry("result marked entered-in-error in the source")
    codes = codes_of(m.code)
    name = text_of(m.code)
    loinc = first(codes, "loinc") or ""
    if not name and not loinc:
        raise SkipEntry("result without a test code or name")
    collected = (as_datetime(m.effectiveDateTime) or as_datetime(m.effectiveInstant)
                 or as_datetime(m.effectivePeriod.start if m.effectivePeriod else None) or as_datetime(m.issued))
    if collected is None:
        raise SkipEntry("result without a collection time")
    check_past(collected, "collection date")
    value = None
    comparator = unit = value_text = value_code = ""
    status = _STATUS.get(raw_status, "final")
    if m.valueQuantity is not None and m.valueQuantity.value is not None:
        q = m.valueQuantity
        value, unit, comparator = float(q.value), (q.code or q.unit or ""), (q.comparator or "")
    elif m.valueInteger is not None:
        value = float(m.valueInteger)
    elif m.valueString is not None and m.valueString.strip():
        value_text = m.valueString.strip()
    elif m.valueCodeableConcept is not None:
        value_text = text_of(m.valueCodeableConcept)
        vc = codes_of(m.valueCodeableConcept)
        value_code = vc[0].code if vc else ""
    elif m.valueBoolean is not None:
        value_text = "positive" if m.valueBoolean else "negative"
    elif m.dataAbsentReason is not None or status in ("cancelled", "preliminary"):
        value_text = text_of(m.dataAbsentReason) or ("cancelled" if status == "cancelled" else "pending")
    else:
        raise SkipEntry(f"{name or loinc}: result without a value")
    low = high = None
    ref_text = ""
    for rr in m.referenceRange or ():
        low = _num(rr.low.value) if rr.low is not None else None
        high = _num(rr.high.value) if rr.high is not None else None
        ref_text = (rr.text or "").strip() if low is None and high is None else ""
        break
    flag = ""
    for interp in m.interpretation or ():
        code = status_code(interp).upper()
        if code in _FLAG_MAP:
            flag = _FLAG_MAP[code]
            break
    performer = next((ctx.author(p) for p in m.performer or () if ctx.author(p)), "")
    return PhrLabResult(
        name=name or loinc, collected_at=collected, loinc=loinc, codes=codes, value=value, comparator=comparator,
        value_text=value_text[:4000], value_code=value_code[:60], unit=unit, ref_low=low, ref_high=high,
        ref_text=ref_text[:200], flag=flag, status=status,
        panel_key=panel.key if panel else "", panel_code=panel.code if panel else "",
        panel_name=panel.name if panel else "", performing_lab=(panel.performer if panel else "") or performer,
        ordering_clinician=panel.ordering if panel else "", patient_ref=ctx.patient_ref(m.subject),
        source_system=ctx.source_system, source_resource_id=ctx.resource_key,
        source_date=as_datetime(m.issued) or collected, author=performer,
    )
