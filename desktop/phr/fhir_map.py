"""FHIR R4 resources (validated fhir.resources.R4B models) to the plain records of records.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .allergens import allergen_key, is_no_known_allergy
from .codes import clean_icd10, first, short_system
from .dates import as_date, as_datetime, check_past
from .drugs import identify, ingredient_key
from .errors import SkipEntry
from .records import Code, PhrAllergy, PhrImmunization, PhrMedication, PhrObservation, PhrPatient, PhrProblem
from .units import to_canonical
from .vitals import ALIASES, BP_PANELS, DIASTOLIC, SYSTOLIC, kind_of

# our own export writes these so that a round trip keeps what FHIR has no field for
EXT_INGREDIENTS = "http://clinic-emr.local/fhir/StructureDefinition/medication-ingredients"
EXT_UNCODED = "http://clinic-emr.local/fhir/StructureDefinition/medication-uncoded"  # free text, no ingredients
EXT_INGREDIENT_RXCUI = "http://clinic-emr.local/fhir/StructureDefinition/ingredient-rxcui"
EXT_SUBSTANCE_KEY = "http://clinic-emr.local/fhir/StructureDefinition/allergy-substance-key"
EXT_VITAL_GROUP = "http://clinic-emr.local/fhir/StructureDefinition/vital-set"
NO_REACTION = "reaction not recorded"  # our export's placeholder when only a severity is known


@dataclass
class MapContext:
    """What a normaliser needs from the file around the resource."""

    source_system: str
    resource_key: str  # "Condition/abc" or the entry's fullUrl
    patient_ref: Callable[[Any], str]  # a Reference model -> the file's patient key
    author: Callable[[Any], str]  # a Reference model -> display name of a practitioner/organization
    medication: Callable[[Any], Any]  # a Reference model -> validated Medication model or None
    ignore: Callable[[str], None]  # count something we do not import


# ------------------------------------------------------------------ small helpers

def codes_of(cc: Any) -> tuple[Code, ...]:
    if cc is None:
        return ()
    out = []
    for c in cc.coding or ():
        code = (c.code or "").strip()
        if code or c.display:
            out.append(Code(short_system(c.system), code, (c.display or "").strip()))
    return tuple(out)


def text_of(cc: Any) -> str:
    if cc is None:
        return ""
    if cc.text and cc.text.strip():
        return cc.text.strip()
    for c in cc.coding or ():
        if c.display and c.display.strip():
            return c.display.strip()
    for c in cc.coding or ():
        if c.code:
            return f"{short_system(c.system).upper()} {c.code}"
    return ""


def status_code(cc: Any) -> str:
    if cc is None:
        return ""
    for c in cc.coding or ():
        if c.code:
            return c.code.strip().lower()
    return (cc.text or "").strip().lower()


def notes_text(notes: Any) -> str:
    return "\n".join(n.text.strip() for n in notes or () if getattr(n, "text", None))


def extension_value(resource: Any, url: str) -> str | None:
    for ext in getattr(resource, "extension", None) or ():
        if ext.url == url:
            return ext.valueString or ext.valueCode
    return None


def _first_author(ctx: MapContext, *refs: Any) -> str:
    for ref in refs:
        if ref is not None:
            name = ctx.author(ref)
            if name:
                return name
    return ""


def _resource_date(*values: Any) -> datetime | None:
    for v in values:
        d = as_datetime(v)
        if d is not None:
            return d
    return None


def _verification_gate(m: Any, kind: str) -> str:
    v = status_code(getattr(m, "verificationStatus", None))
    if v == "entered-in-error":
        raise SkipEntry(f"{kind} marked entered-in-error in the source")
    return v


# ------------------------------------------------------------------ Patient

_SEX = {"male": "male", "female": "female", "other": "other", "unknown": "unknown"}


def patient(m: Any, key: str, source_system: str) -> PhrPatient:
    names = list(m.name or ())
    names.sort(key=lambda n: {"official": 0, "usual": 1}.get(n.use or "", 2))
    given: tuple[str, ...] = ()
    family = ""
    others: list[str] = []
    for i, n in enumerate(names):
        g = tuple(x.strip() for x in (n.given or ()) if x and x.strip())
        f = (n.family or "").strip()
        if not g and not f and n.text:
            parts = n.text.split()
            g, f = tuple(parts[:-1]), parts[-1] if parts else ""
        if i == 0:
            given, family = g, f
        else:
            others.append(" ".join((*g, f)).strip())
    idents = tuple((short_system(i.system) or "", i.value.strip()) for i in m.identifier or () if i.value)
    deceased = bool(m.deceasedBoolean) or m.deceasedDateTime is not None
    addr = ""
    if m.address:
        a = m.address[0]
        addr = a.text or ", ".join(x for x in (*(a.line or ()), a.city, a.state, a.postalCode) if x)
    phone = next((t.value for t in m.telecom or () if t.system == "phone" and t.value), "")
    birth = as_date(m.birthDate)
    return PhrPatient(
        ref=key, given=given, family=family, other_names=tuple(o for o in others if o), birth_date=birth,
        sex=_SEX.get((m.gender or "").lower(), ""), identifiers=idents, deceased=deceased, address=addr,
        phone=phone or "", source_system=source_system, source_resource_id=key,
    )


# ------------------------------------------------------------------ Condition

_PROBLEM_STATUS = {"active": "active", "recurrence": "active", "relapse": "active", "inactive": "inactive",
                   "remission": "inactive", "resolved": "resolved"}


def condition(m: Any, ctx: MapContext) -> PhrProblem:
    v = _verification_gate(m, "condition")
    if v == "refuted":
        raise SkipEntry("condition refuted in the source")
    codes = codes_of(m.code)
    text = text_of(m.code)
    if not text:
        raise SkipEntry("condition without a code or text")
    onset = as_date(m.onsetDateTime) or as_date(m.onsetPeriod.start if m.onsetPeriod else None)
    resolved = as_date(m.abatementDateTime) or as_date(m.abatementPeriod.end if m.abatementPeriod else None)
    check_past(onset, "onset date")
    check_past(resolved, "resolution date")
    clinical = status_code(m.clinicalStatus)
    status = _PROBLEM_STATUS.get(clinical) or ("resolved" if resolved or m.abatementString else "active")
    if status == "active":
        resolved = None
    return PhrProblem(
        text=text, snomed=first(codes, "snomed"), icd10=clean_icd10(first(codes, "icd10cm")), codes=codes,
        onset=onset, resolved=resolved, status=status, note=notes_text(m.note),
        patient_ref=ctx.patient_ref(m.subject), source_system=ctx.source_system,
        source_resource_id=ctx.resource_key, source_date=_resource_date(m.recordedDate, m.onsetDateTime),
        author=_first_author(ctx, m.recorder, m.asserter),
    )


# ------------------------------------------------------------------ MedicationRequest / MedicationStatement

_REQUEST_STATUS = {"active": "active", "on-hold": "on-hold", "completed": "completed", "stopped": "stopped",
                   "cancelled": "stopped", "unknown": "active"}
_STATEMENT_STATUS = {"active": "active", "intended": "active", "on-hold": "on-hold", "completed": "completed",
                     "stopped": "stopped", "unknown": "active"}


def _sig(dosages: Any) -> tuple[str, str]:
    """(sig text, route) from the first Dosage."""
    if not dosages:
        return "", ""
    d = dosages[0]
    route = text_of(d.route)
    if d.text and d.text.strip():
        return d.text.strip(), route
    parts: list[str] = []
    for dr in d.doseAndRate or ():
        q = dr.doseQuantity
        if q is not None and q.value is not None:
            parts.append(f"{_num(q.value)} {q.unit or q.code or ''}".strip())
            break
    rep = d.timing.repeat if d.timing is not None else None
    if rep is not None and rep.frequency and rep.period and rep.periodUnit:
        unit = {"h": "hour", "d": "day", "wk": "week", "mo": "month", "min": "minute"}.get(rep.periodUnit, rep.periodUnit)
        per = f"{_num(rep.period)} {unit}s" if rep.period != 1 else unit
        parts.append(f"{rep.frequency} time{'s' if rep.frequency != 1 else ''} per {per}")
    if d.asNeededBoolean:
        parts.append("as needed")
    return " ".join(parts), route


def _num(v: Any) -> str:
    if isinstance(v, Decimal):
        v = float(v)
    return f"{v:g}" if isinstance(v, float) else str(v)


def _medication_concept(m: Any, ctx: MapContext) -> tuple[tuple[Code, ...], str, Any]:
    if m.medicationCodeableConcept is not None:
        return codes_of(m.medicationCodeableConcept), text_of(m.medicationCodeableConcept), None
    ref = m.medicationReference
    med = ctx.medication(ref) if ref is not None else None
    if med is not None:
        codes = codes_of(med.code)
        text = text_of(med.code) or (ref.display or "")
        for ing in med.ingredient or ():  # a compound without a product code: its ingredients' codes
            if ing.itemCodeableConcept is not None and not codes:
                codes += codes_of(ing.itemCodeableConcept)
        return codes, text, med
    return (), (ref.display or "").strip() if ref is not None else "", None


def _medication(m: Any, ctx: MapContext, *, status: str, start: Any, stop: Any, dosages: Any, when: Any,
                author: str) -> PhrMedication:
    codes, text, med = _medication_concept(m, ctx)
    if not text and not codes:
        raise SkipEntry("medication without a code or name")
    ident = identify(codes, text)
    own = extension_value(m, EXT_INGREDIENTS)  # our own export: keep the chart's ingredients exactly
    uncoded = any(e.url == EXT_UNCODED and e.valueBoolean for e in m.extension or ())
    ingredients = () if uncoded else tuple(sorted(own.split("+"))) if own else ident.ingredients
    ingredient_rxcui = extension_value(m, EXT_INGREDIENT_RXCUI) or ident.ingredient_rxcui
    sig, route = _sig(dosages)
    start_d, stop_d = as_date(start), as_date(stop)
    check_past(start_d, "start date", allow_future_days=366)
    return PhrMedication(
        text=text or ", ".join(ingredients), ingredients=tuple(i for i in ingredients if i),
        ingredient_rxcui=ingredient_rxcui, product_rxcui=ident.product_rxcui, codes=codes, sig=sig, route=route,
        start=start_d, stop=stop_d, status=status, note=notes_text(m.note), patient_ref=ctx.patient_ref(m.subject),
        source_system=ctx.source_system, source_resource_id=ctx.resource_key, source_date=_resource_date(when, start),
        author=author,
    )


def medication_request(m: Any, ctx: MapContext) -> PhrMedication:
    raw = (m.status or "").lower()
    if raw == "entered-in-error":
        raise SkipEntry("medication order marked entered-in-error in the source")
    if raw == "draft":
        raise SkipEntry("draft medication order (never issued)")
    if m.doNotPerform:
        raise SkipEntry("an order NOT to give this medication")
    status = _REQUEST_STATUS.get(raw, "active")
    validity = m.dispenseRequest.validityPeriod if m.dispenseRequest is not None else None
    stop = validity.end if validity is not None and status != "active" else None
    return _medication(m, ctx, status=status, start=m.authoredOn, stop=stop, dosages=m.dosageInstruction,
                       when=m.authoredOn, author=_first_author(ctx, m.requester, m.recorder))


def medication_statement(m: Any, ctx: MapContext) -> PhrMedication:
    raw = (m.status or "").lower()
    if raw == "entered-in-error":
        raise SkipEntry("medication statement marked entered-in-error in the source")
    if raw == "not-taken":
        raise SkipEntry("medication recorded as not taken")
    status = _STATEMENT_STATUS.get(raw, "active")
    start = m.effectiveDateTime or (m.effectivePeriod.start if m.effectivePeriod else None)
    stop = m.effectivePeriod.end if m.effectivePeriod else None
    return _medication(m, ctx, status=status, start=start, stop=stop, dosages=m.dosage,
                       when=m.dateAsserted or start, author=_first_author(ctx, m.informationSource))


# ------------------------------------------------------------------ AllergyIntolerance

_ALLERGY_STATUS = {"active": "active", "inactive": "inactive", "resolved": "resolved"}
_CODE_SYSTEM_ORDER = ("rxnorm", "snomed", "unii", "ndfrt")


def allergy(m: Any, ctx: MapContext) -> PhrAllergy:
    verification = _verification_gate(m, "allergy")
    codes = codes_of(m.code)
    substance = text_of(m.code)
    if not substance:
        raise SkipEntry("allergy without a substance")
    nka = is_no_known_allergy(substance, codes)
    code_system = code = None
    for system in _CODE_SYSTEM_ORDER:
        found = first(codes, system)
        if found:
            code_system, code = system, found
            break
    reactions: list[str] = []
    severity = ""
    for r in m.reaction or ():
        for man in r.manifestation or ():
            t = text_of(man)
            if t and t != NO_REACTION and t not in reactions:
                reactions.append(t)
        if not reactions and r.description and r.description.strip() != NO_REACTION:
            reactions.append(r.description.strip())
        if r.severity and not severity:
            severity = r.severity
    categories = list(m.category or ())
    onset = as_date(m.onsetDateTime) or as_date(m.onsetPeriod.start if m.onsetPeriod else None)
    check_past(onset, "onset date")
    key = extension_value(m, EXT_SUBSTANCE_KEY) or ("" if nka else allergen_key(substance, codes))
    return PhrAllergy(
        substance="No known allergies" if nka and not substance else substance,
        allergen_key=key, code_system=code_system, code=code, codes=codes,
        category=categories[0] if categories else "medication", kind=m.type or "allergy",
        reaction="; ".join(reactions), severity=severity, criticality=m.criticality or "",
        status=_ALLERGY_STATUS.get(status_code(m.clinicalStatus), "active"), verification=verification,
        onset=onset, no_known_allergies=nka, note=notes_text(m.note), patient_ref=ctx.patient_ref(m.patient),
        source_system=ctx.source_system, source_resource_id=ctx.resource_key,
        source_date=_resource_date(m.recordedDate, m.onsetDateTime),
        author=_first_author(ctx, m.recorder, m.asserter),
    )


# ------------------------------------------------------------------ Immunization

def immunization(m: Any, ctx: MapContext, vaccine_name: Callable[[str], str | None]) -> PhrImmunization:
    status = (m.status or "").lower()
    if status == "entered-in-error":
        raise SkipEntry("immunization marked entered-in-error in the source")
    if status == "not-done":
        raise SkipEntry("immunization recorded as not given")
    codes = codes_of(m.vaccineCode)
    cvx = first(codes, "cvx")
    if cvx and cvx.isdigit():
        cvx = cvx.zfill(2)  # CVX codes are written "03", some sources drop the zero
    text = (m.vaccineCode.text or "").strip() if m.vaccineCode else ""
    if not text:
        text = (vaccine_name(cvx) if cvx else None) or text_of(m.vaccineCode)
    given = as_date(m.occurrenceDateTime) or as_date(m.occurrenceString)
    if given is None:
        raise SkipEntry("immunization without a date")
    check_past(given, "date given")
    dose = ""
    for pa in m.protocolApplied or ():
        dose = str(pa.doseNumberPositiveInt or pa.doseNumberString or "")
        if dose:
            break
    manufacturer = ""
    if m.manufacturer is not None:
        manufacturer = (m.manufacturer.display or "").strip() or ctx.author(m.manufacturer)
    performer = [p.actor for p in m.performer or () if p.actor is not None]
    return PhrImmunization(
        vaccine=text or "vaccine", date_given=given, cvx=cvx, codes=codes, lot_number=(m.lotNumber or "").strip(),
        manufacturer=manufacturer, site=text_of(m.site), route=text_of(m.route), dose_number=dose,
        primary_source=m.primarySource, note=notes_text(m.note), patient_ref=ctx.patient_ref(m.patient),
        source_system=ctx.source_system, source_resource_id=ctx.resource_key,
        source_date=_resource_date(m.recorded, m.occurrenceDateTime), author=_first_author(ctx, *performer),
    )


# ------------------------------------------------------------------ Observation

def _quantity(q: Any) -> tuple[float | None, str]:
    if q is None or q.value is None:
        return None, ""
    return float(q.value), (q.code or q.unit or "")


def _category(m: Any) -> str:
    for cat in m.category or ():
        code = status_code(cat)
        if code:
            return code
    return "other"


def observation(m: Any, ctx: MapContext) -> list[PhrObservation]:
    status = (m.status or "").lower()
    if status in ("entered-in-error", "cancelled"):
        raise SkipEntry(f"observation {status} in the source")
    codes = codes_of(m.code)
    loincs = [c.code for c in codes if c.system == "loinc"]
    panel = next((c for c in loincs if c in BP_PANELS), None)
    known = next((c for c in loincs if kind_of(c) is not None), None)
    components = [(first(codes_of(c.code), "loinc"), c) for c in m.component or ()]
    has_bp_parts = any(code in (SYSTOLIC, DIASTOLIC) for code, _ in components)
    if known is None and not (panel or has_bp_parts):
        ctx.ignore(f"Observation ({_category(m)})")
        return []
    taken = (as_datetime(m.effectiveDateTime) or as_datetime(m.effectiveInstant)
             or as_datetime(m.effectivePeriod.start if m.effectivePeriod else None) or as_datetime(m.issued))
    if taken is None:
        raise SkipEntry("observation without a time of measurement")
    check_past(taken, "measurement date")
    group = extension_value(m, EXT_VITAL_GROUP) or ctx.resource_key
    common = dict(
        taken_at=taken, group=group, patient_ref=ctx.patient_ref(m.subject), source_system=ctx.source_system,
        source_resource_id=ctx.resource_key, source_date=_resource_date(m.issued, taken),
        author=_first_author(ctx, *(m.performer or ())),
    )
    out: list[PhrObservation] = []
    if panel or (has_bp_parts and known is None):
        for code, comp in components:
            kind = kind_of(code)
            if kind is None:
                continue
            value, unit = _quantity(comp.valueQuantity)
            if value is None:
                continue
            canonical = to_canonical(kind, value, unit)
            out.append(PhrObservation(loinc=kind.loinc, name=kind.name, value=canonical, unit=kind.unit,
                                      original_value=value, original_unit=unit, **common))
        if not out:
            raise SkipEntry("blood pressure without values")
        return out
    kind = kind_of(known)
    assert kind is not None
    if m.dataAbsentReason is not None:
        raise SkipEntry(f"no value ({text_of(m.dataAbsentReason)})")
    value, unit = _quantity(m.valueQuantity)
    if value is None and m.valueInteger is not None:
        value, unit = float(m.valueInteger), kind.unit
    if value is None:
        raise SkipEntry(f"{kind.name.lower()} without a numeric value")
    canonical = to_canonical(kind, value, unit)
    loinc = ALIASES.get(known, known)
    return [PhrObservation(loinc=loinc, name=kind.name, value=canonical, unit=kind.unit, original_value=value,
                           original_unit=unit, **common)]


__all__ = [
    "EXT_INGREDIENTS", "EXT_INGREDIENT_RXCUI", "EXT_UNCODED", "EXT_SUBSTANCE_KEY", "EXT_VITAL_GROUP", "MapContext", "allergy",
    "codes_of", "condition", "immunization", "ingredient_key", "medication_request", "medication_statement",
    "observation", "patient", "text_of",
]
