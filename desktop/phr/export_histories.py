"""The chart's histories in the exported FHIR Bundle: Procedure, social-history Observation,
FamilyMemberHistory and Encounter. What FHIR has no field for (the chart's social-history kind, pack-years,
AUDIT-C, drinks per week) travels in extensions that fhir_histories reads back, so a round trip adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from .dates import to_utc
from .history_records import RELATIVES

EXT_SOCIAL_KIND = "http://clinic-emr.local/fhir/StructureDefinition/social-history-kind"
EXT_PACK_YEARS = "http://clinic-emr.local/fhir/StructureDefinition/pack-years"
EXT_AUDIT_C = "http://clinic-emr.local/fhir/StructureDefinition/audit-c-score"
EXT_DRINKS_PER_WEEK = "http://clinic-emr.local/fhir/StructureDefinition/drinks-per-week"
URI = {"snomed": "http://snomed.info/sct", "cpt": "http://www.ama-assn.org/go/cpt", "loinc": "http://loinc.org",
       "hcpcs": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm"}
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
SOCIAL_CATEGORY = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                "code": "social-history"}]}]
_PROC_STATUS = {"completed": "completed", "in-progress": "in-progress", "not-done": "not-done", "stopped": "stopped",
                "unknown": "unknown"}


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _t(value: datetime | None) -> str | None:
    return to_utc(value).isoformat().replace("+00:00", "Z") if value else None


def _cc(system: str | None, code: str | None, text: str) -> dict:
    out: dict[str, Any] = {}
    if system and code:
        out["coding"] = [{"system": URI.get(system, system), "code": code}]
    if text:
        out["text"] = text
    return out


def _note(text: str) -> list | None:
    return [{"text": text}] if text else None


def add_histories(snapshot: Any, add: Callable[[str, object, dict], None], subject: dict) -> None:
    """Add the history resources of `snapshot` through bundle_from_snapshot's `add(kind, id, resource)`."""
    for r in snapshot.procedures:
        if r.entered_in_error:
            continue
        performed: dict[str, Any] = {"performedDateTime": _d(r.performed)}
        if r.performed_end:
            performed = {"performedPeriod": {"start": _d(r.performed), "end": _d(r.performed_end)}}
        add("procedure", r.id, {
            "resourceType": "Procedure", "status": _PROC_STATUS.get(r.status, "unknown"),
            "code": _cc(r.code_system, r.code, r.text), "subject": subject, **performed,
            "bodySite": [{"text": r.body_site}] if r.body_site else None,
            "performer": [{"actor": {"display": r.performer}}] if r.performer else None, "note": _note(r.note),
        })
    for r in snapshot.social_history:
        if r.entered_in_error:
            continue
        ext = [{"url": EXT_SOCIAL_KIND, "valueCode": r.kind}]
        if r.pack_years is not None:
            ext.append({"url": EXT_PACK_YEARS, "valueDecimal": r.pack_years})
        if r.audit_c is not None:
            ext.append({"url": EXT_AUDIT_C, "valueInteger": r.audit_c})
        if r.drinks_per_week is not None:
            ext.append({"url": EXT_DRINKS_PER_WEEK, "valueDecimal": r.drinks_per_week})
        value: dict[str, Any] = {}
        if r.value_code:
            value = {"valueCodeableConcept": _cc("snomed", r.value_code, r.value_text)}
        elif r.quantity is not None:
            value = {"valueQuantity": {k: v for k, v in (("value", r.quantity), ("unit", r.unit or None)) if v is not None}}
        elif r.value_text:
            value = {"valueString": r.value_text}
        effective = {"effectiveDateTime": _d(r.observed)}
        if r.end:
            effective = {"effectivePeriod": {"start": _d(r.observed), "end": _d(r.end)}}
        add("social", r.id, {
            "resourceType": "Observation", "extension": ext, "status": "final", "category": SOCIAL_CATEGORY,
            # a number's meaning ("Alcoholic drinks per day") is the chart's answer text: it names the code
            "code": _cc("loinc", r.loinc, r.value_text if r.quantity is not None and r.value_text
                        else r.kind.replace("_", " ")), "subject": subject, **effective, **value,
            "note": _note(r.note),
        })
    for r in snapshot.family_history:
        if r.entered_in_error:
            continue
        death: dict[str, Any] = {}
        if r.death_age is not None:
            death = {"deceasedAge": {"value": r.death_age, "unit": "a", "system": "http://unitsofmeasure.org",
                                     "code": "a"}}
        elif r.deceased:
            death = {"deceasedBoolean": True}
        code = _cc("snomed", r.snomed, r.condition) if r.snomed else _cc("icd10cm", r.icd10, r.condition)
        onset = ({"onsetAge": {"value": r.onset_age, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"}}
                 if r.onset_age is not None else {})
        add("family", r.id, {
            "resourceType": "FamilyMemberHistory", "status": "completed", "patient": subject,
            "relationship": {"coding": [{"system": ROLE_CODE, "code": RELATIVES.get(r.relative, "FAMMEMB")}],
                             "text": r.relative},
            **death, "condition": [{"code": code, **onset, "note": _note(r.note)}],
        })
    for r in snapshot.encounters:
        if r.entered_in_error:
            continue
        add("outside-encounter", r.id, {
            "resourceType": "Encounter", "status": r.status if r.status in ("finished", "in-progress") else "finished",
            # the class is not kept by the chart: said as unknown rather than guessed
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "code": "UNK"},
            "type": [_cc(r.type_system, r.type_code, r.kind)] if (r.kind or r.type_code) else None,
            "subject": subject, "period": {k: v for k, v in (("start", _t(r.start)), ("end", _t(r.end))) if v},
            "participant": [{"individual": {"display": r.performer}}] if r.performer else None,
            "reasonCode": [{"text": r.reason}] if r.reason else None,
            "serviceProvider": {"display": r.facility} if r.facility else None,
        })
