"""FHIR R4 Procedure, FamilyMemberHistory, Encounter and social-history Observations to history records."""

from __future__ import annotations

from typing import Any

from .codes import first, short_system
from .dates import as_date, as_datetime, check_past
from .errors import SkipEntry
from .export_histories import EXT_AUDIT_C, EXT_DRINKS_PER_WEEK, EXT_PACK_YEARS, EXT_SOCIAL_KIND
from .fhir_map import MapContext, codes_of, extension_value, notes_text, text_of
from .history_records import (
    SOCIAL_KINDS,
    PhrEncounter,
    PhrFamilyHistory,
    PhrProcedure,
    PhrSocialHistory,
    procedure_system,
    relative_of,
)

TYPES = ("Procedure", "FamilyMemberHistory", "Encounter")
SOCIAL_CATEGORY = "social-history"
_PROC_STATUS = {"completed": "completed", "in-progress": "in-progress", "on-hold": "in-progress",
                "not-done": "not-done", "stopped": "stopped", "unknown": "unknown"}


def is_social(resource: dict) -> bool:
    """An Observation the social-history list takes: category social-history, or a question it knows."""
    for cat in resource.get("category") or ():
        for c in (cat.get("coding") or ()) if isinstance(cat, dict) else ():
            if isinstance(c, dict) and c.get("code") == SOCIAL_CATEGORY:
                return True
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    return any(isinstance(c, dict) and c.get("code") in SOCIAL_KINDS for c in codings or ())


def _ref_name(ctx: MapContext, *refs: Any) -> str:
    for ref in refs:
        if ref is not None:
            name = ctx.author(ref)
            if name:
                return name
    return ""


def procedure(m: Any, ctx: MapContext) -> PhrProcedure:
    status = (m.status or "").lower()
    if status == "entered-in-error":
        raise SkipEntry("procedure marked entered-in-error in the source")
    if status == "preparation":
        raise SkipEntry("procedure planned, not done")
    codes = codes_of(m.code)
    text = text_of(m.code)
    if not text:
        raise SkipEntry("procedure without a code or name")
    system, code = None, None
    raw = list(m.code.coding or ()) if m.code is not None else []
    for wanted in ("snomed", "cpt", "hcpcs"):
        hit = next((c for c in raw if c.code and procedure_system(c.system, short_system(c.system)) == wanted), None)
        if hit is not None:
            system, code = wanted, hit.code.strip()
            break
    start = as_date(m.performedDateTime) or as_date(m.performedPeriod.start if m.performedPeriod else None)
    end = as_date(m.performedPeriod.end if m.performedPeriod else None)
    if start is None and m.performedString:
        start = as_date(m.performedString)
    check_past(start, "procedure date")
    performer = _ref_name(ctx, *(p.actor for p in m.performer or ()), m.location)
    sites = ", ".join(filter(None, (text_of(s) for s in m.bodySite or ())))
    return PhrProcedure(
        text=text, code_system=system, code=code, codes=codes, performed=start,
        performed_end=end if end != start else None, body_site=sites[:200], performer=performer[:300],
        status=_PROC_STATUS.get(status, "completed"), note=notes_text(m.note), patient_ref=ctx.patient_ref(m.subject),
        source_system=ctx.source_system, source_resource_id=ctx.resource_key,
        source_date=as_datetime(m.performedDateTime) or as_datetime(m.performedPeriod.start if m.performedPeriod else None),
        author=_ref_name(ctx, m.recorder, m.asserter),
    )


def _age_years(age: Any) -> int | None:
    if age is None or age.value is None:
        return None
    unit = (age.code or age.unit or "a").lower()
    value = float(age.value)
    if unit in ("mo", "month", "months"):
        value /= 12
    elif unit in ("wk", "week", "weeks", "d", "day", "days"):
        value = 0
    return int(value) if 0 <= value <= 125 else None


def family_member_history(m: Any, ctx: MapContext) -> list[PhrFamilyHistory]:
    status = (m.status or "").lower()
    if status == "entered-in-error":
        raise SkipEntry("family history marked entered-in-error in the source")
    if not m.condition:
        raise SkipEntry("family history without a condition")
    rel_code = next((c.code for c in (m.relationship.coding or ()) if c.code), None)
    rel_text = text_of(m.relationship)
    relative, role = relative_of(rel_code, rel_text)
    deceased = bool(m.deceasedBoolean or m.deceasedAge or m.deceasedDate or m.deceasedString or m.deceasedRange)
    death_age = _age_years(m.deceasedAge)
    out = []
    for n, cond in enumerate(m.condition, 1):
        codes = codes_of(cond.code)
        text = text_of(cond.code)
        if not text:
            continue
        note = notes_text(cond.note)
        if relative == "relative" and rel_text:
            note = f"relationship in the file: {rel_text}" + (f"\n{note}" if note else "")
        if cond.contributedToDeath and not death_age:
            deceased = True
        out.append(PhrFamilyHistory(
            relative=relative, relative_code=role, condition=text, snomed=first(codes, "snomed"),
            icd10=first(codes, "icd10cm"), onset_age=_age_years(cond.onsetAge), deceased=deceased,
            death_age=death_age, note=note, patient_ref=ctx.patient_ref(m.patient), source_system=ctx.source_system,
            source_resource_id=ctx.resource_key if len(m.condition) == 1 else f"{ctx.resource_key}#{n}",
            source_date=as_datetime(m.date), author=""))
    if not out:
        raise SkipEntry("family history conditions without a code or name")
    return out


def encounter(m: Any, ctx: MapContext) -> PhrEncounter:
    status = (m.status or "").lower()
    if status in ("entered-in-error", "cancelled", "planned"):
        raise SkipEntry(f"encounter {status} in the source")
    start = as_datetime(m.period.start if m.period else None)
    end = as_datetime(m.period.end if m.period else None)
    check_past(start, "encounter date")
    kind, type_code, type_system = "", None, None
    for t in m.type or ():
        kind = text_of(t)
        tc = next((c for c in codes_of(t) if c.code), None)
        if tc is not None:
            type_code, type_system = tc.code, tc.system[:20]
        if kind:
            break
    if not kind and m.class_fhir is not None:
        kind = m.class_fhir.display or {"AMB": "Ambulatory", "IMP": "Inpatient", "EMER": "Emergency",
                                        "HH": "Home health", "VR": "Virtual"}.get(m.class_fhir.code or "", "")
    reasons = [text_of(r) for r in m.reasonCode or ()]
    reasons += [ctx.author(r) or (r.display or "") for r in m.reasonReference or ()]
    facility = _ref_name(ctx, m.serviceProvider, *(loc.location for loc in m.location or ()))
    performer = _ref_name(ctx, *(p.individual for p in m.participant or ()))
    if not (kind or start or facility):
        raise SkipEntry("encounter without a date, type or facility")
    return PhrEncounter(
        start=start, end=end, kind=kind[:200], type_code=type_code, type_system=type_system, facility=facility[:300],
        performer=performer[:300], reason="; ".join(r for r in reasons if r)[:500], status=status or "finished",
        patient_ref=ctx.patient_ref(m.subject), source_system=ctx.source_system, source_resource_id=ctx.resource_key,
        source_date=start, author=performer)


def social_observation(m: Any, ctx: MapContext) -> PhrSocialHistory:
    status = (m.status or "").lower()
    if status in ("entered-in-error", "cancelled"):
        raise SkipEntry(f"observation {status} in the source")
    codes = codes_of(m.code)
    loinc = first(codes, "loinc")
    own_kind = extension_value(m, EXT_SOCIAL_KIND)  # our own export says which list it came from
    kind = own_kind if own_kind in SOCIAL_KIND_NAMES else SOCIAL_KINDS.get(loinc or "", "other")
    name = text_of(m.code)
    when = as_date(m.effectiveDateTime) or as_date(m.effectivePeriod.start if m.effectivePeriod else None) \
        or as_date(m.issued)
    check_past(when, "observation date")
    value_text, value_code, quantity, unit = "", None, None, ""
    if m.valueCodeableConcept is not None:
        value_text = text_of(m.valueCodeableConcept)
        value_code = first(codes_of(m.valueCodeableConcept), "snomed")
    elif m.valueQuantity is not None and m.valueQuantity.value is not None:
        quantity = float(m.valueQuantity.value)
        unit = (m.valueQuantity.unit or m.valueQuantity.code or "")[:30]
    elif m.valueString:
        value_text = m.valueString.strip()
    elif m.valueBoolean is not None:
        value_text = "yes" if m.valueBoolean else "no"
    extras = _own_numbers(m)
    if not value_text and value_code is None and quantity is None and not extras:
        raise SkipEntry(f"{name or 'social history'} without a value")
    if own_kind:  # our export: the value is the chart's own answer; a number's meaning is the code's text
        if quantity is not None and not value_text and name != own_kind.replace("_", " "):
            value_text = name
    elif kind == "other" and name:
        value_text = f"{name}: {value_text}" if value_text else name
    elif quantity is not None and not value_text:
        value_text = name  # "Alcoholic drinks per day" says what the number counts
    return PhrSocialHistory(**extras,
        kind=kind, loinc=loinc, name=name, value_text=value_text[:300], value_code=value_code, quantity=quantity,
        unit=unit, observed=when, end=as_date(m.effectivePeriod.end if m.effectivePeriod else None),
        note=notes_text(m.note), patient_ref=ctx.patient_ref(m.subject), source_system=ctx.source_system,
        source_resource_id=ctx.resource_key, source_date=as_datetime(m.issued) or as_datetime(m.effectiveDateTime),
        author=_ref_name(ctx, *(m.performer or ())))


def read(rtype: str, m: Any, ctx: MapContext) -> list:
    """The history records of one validated resource (Procedure, FamilyMemberHistory, Encounter, Observation)."""
    if rtype == "Procedure":
        return [procedure(m, ctx)]
    if rtype == "FamilyMemberHistory":
        return family_member_history(m, ctx)
    if rtype == "Encounter":
        return [encounter(m, ctx)]
    return [social_observation(m, ctx)]


SOCIAL_KIND_NAMES = ("smoking", "tobacco", "alcohol", "substance", "occupation", "sexual_orientation",
                     "gender_identity", "other")


def _own_numbers(m: Any) -> dict:
    """Pack-years, AUDIT-C and drinks per week from our own export's extensions."""
    out: dict[str, Any] = {}
    for ext in getattr(m, "extension", None) or ():
        if ext.url == EXT_PACK_YEARS and ext.valueDecimal is not None:
            out["pack_years"] = float(ext.valueDecimal)
        elif ext.url == EXT_AUDIT_C and ext.valueInteger is not None:
            out["audit_c"] = int(ext.valueInteger)
        elif ext.url == EXT_DRINKS_PER_WEEK and ext.valueDecimal is not None:
            out["drinks_per_week"] = float(ext.valueDecimal)
    return out
