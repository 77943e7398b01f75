"""A chart (ChartSnapshot) as a FHIR R4 collection Bundle: Patient, Condition, MedicationStatement,
AllergyIntolerance, Immunization, Observation (vital signs and laboratory results), DiagnosticReport (lab panels).
Importing the Bundle again reproduces the chart's lists."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from desktop.kb.vitals import BP_PANEL

from .dates import to_utc
from .export_histories import add_histories
from .export_labs import add_results
from .fhir_map import (
    EXT_INGREDIENT_RXCUI,
    EXT_INGREDIENTS,
    EXT_SUBSTANCE_KEY,
    EXT_UNCODED,
    EXT_VITAL_GROUP,
    NO_REACTION,
)
from .snapshot import ChartSnapshot
from .vitals import DIASTOLIC, SYSTOLIC, kind_of

SOURCE = "urn:clinic-emr"
MRN_SYSTEM = "urn:clinic-emr:mrn"
NO_KNOWN_ALLERGY = "716186003"  # SNOMED: no known allergy
_URI = {
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm", "snomed": "http://snomed.info/sct",
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm", "cvx": "http://hl7.org/fhir/sid/cvx", "loinc": "http://loinc.org",
    "unii": "http://fdasis.nlm.nih.gov", "ndfrt": "urn:oid:2.16.840.1.113883.3.26.1.5",
}
_NS = uuid.UUID("6f1c1d0e-8a51-4f0e-9d4c-6a3c3b1f2e10")


def _uuid(practice: str, kind: str, ident: object) -> str:
    return str(uuid.uuid5(_NS, f"{practice}/{kind}/{ident}"))


def _date(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _instant(dt: datetime) -> str:
    return to_utc(dt).isoformat().replace("+00:00", "Z")


def _drop_empty(d: dict) -> dict:
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


def _cc(codings: list[tuple[str | None, str | None, str]], text: str) -> dict:
    coding = [_drop_empty({"system": _URI.get(s or "", s), "code": c, "display": disp or None})
              for s, c, disp in codings if s and c]
    return _drop_empty({"coding": coding, "text": text or None})


def bundle_from_snapshot(snapshot: ChartSnapshot, *, practice: str = "clinic", now: datetime | None = None) -> dict:
    if snapshot.patient is None:
        raise ValueError("a snapshot without a patient cannot be exported")
    p = snapshot.patient
    now = now or datetime.now(UTC)
    patient_url = f"urn:uuid:{_uuid(practice, 'patient', p.id)}"
    subject = {"reference": patient_url, "display": p.display_name}
    entries: list[dict] = []

    def add(kind: str, ident: object, resource: dict) -> str:
        rid = _uuid(practice, kind, ident)
        resource = {"resourceType": resource.pop("resourceType"), "id": rid, **resource}
        entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": _drop_empty(resource)})
        return f"urn:uuid:{rid}"

    given = [g for g in (p.given_name, p.middle_name) if g]
    patient = _drop_empty({
        "resourceType": "Patient", "id": patient_url.removeprefix("urn:uuid:"),
        "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                        "system": MRN_SYSTEM, "value": p.mrn}],
        "name": [_drop_empty({"use": "official", "family": p.family_name, "given": given})],
        "gender": p.sex if p.sex in ("male", "female", "other", "unknown") else None,
        "birthDate": _date(p.birth_date),
    })
    entries.append({"fullUrl": patient_url, "resource": patient})

    for r in snapshot.problems:
        if r.entered_in_error:
            continue
        add("problem", r.id, {
            "resourceType": "Condition",
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": r.status if r.status in ("active", "inactive", "resolved") else "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                               "code": "confirmed"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                      "code": "problem-list-item"}]}],
            "code": _cc([("snomed", r.snomed, ""), ("icd10cm", r.icd10, "")], r.text),
            "subject": subject, "onsetDateTime": _date(r.onset),
            "abatementDateTime": _date(r.resolved) if r.status != "active" else None,
            "note": [{"text": r.note}] if r.note else None,
        })

    for r in snapshot.medications:
        if r.entered_in_error:
            continue
        coding = [("rxnorm", r.product_rxcui, r.drug_name)] if r.product_rxcui else \
            [("rxnorm", r.ingredient_rxcui, r.drug_name)]
        ext = []
        if r.ingredients:
            ext.append({"url": EXT_INGREDIENTS, "valueString": r.ingredients})
        else:
            ext.append({"url": EXT_UNCODED, "valueBoolean": True})
        if r.ingredient_rxcui:
            ext.append({"url": EXT_INGREDIENT_RXCUI, "valueCode": r.ingredient_rxcui})
        status = r.status if r.status in ("active", "completed", "stopped", "on-hold") else "active"
        dosage = _drop_empty({"text": r.sig or None, "route": {"text": r.route} if r.route else None})
        add("medication", r.id, {
            "resourceType": "MedicationStatement", "extension": ext, "status": status,
            "medicationCodeableConcept": _cc(coding, r.drug_name), "subject": subject,
            "effectivePeriod": _drop_empty({"start": _date(r.start), "end": _date(r.stop)}),
            "dosage": [dosage] if dosage else None, "note": [{"text": r.note}] if r.note else None,
        })

    for r in snapshot.allergies:
        if r.entered_in_error:
            continue
        if r.no_known_allergies:
            code = _cc([("snomed", NO_KNOWN_ALLERGY, "No known allergy")], r.substance or "No known allergies")
        else:
            code = _cc([(r.code_system, r.code, "")], r.substance)
        reaction = None
        if r.reaction or r.severity:
            reaction = [_drop_empty({"manifestation": [{"text": r.reaction or NO_REACTION}],
                                     "severity": r.severity if r.severity in ("mild", "moderate", "severe") else None})]
        add("allergy", r.id, {
            "resourceType": "AllergyIntolerance",
            "extension": [{"url": EXT_SUBSTANCE_KEY, "valueString": r.substance_key}] if r.substance_key else None,
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                           "code": r.status if r.status in ("active", "inactive", "resolved") else "active"}]},
            "verificationStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"}]},
            "type": r.kind if r.kind in ("allergy", "intolerance") else None,
            "category": [r.category] if r.category in ("food", "medication", "environment", "biologic") else None,
            "criticality": r.criticality if r.criticality in ("low", "high", "unable-to-assess") else None,
            "code": code, "patient": subject, "onsetDateTime": _date(r.onset), "reaction": reaction,
            "note": [{"text": r.note}] if r.note else None,
        })

    for r in snapshot.immunizations:
        if r.entered_in_error:
            continue
        add("immunization", r.id, {
            "resourceType": "Immunization", "status": "completed",
            "vaccineCode": _cc([("cvx", r.cvx, "")], r.vaccine), "patient": subject,
            "occurrenceDateTime": _date(r.date_given), "lotNumber": r.lot_number or None,
            "manufacturer": {"display": r.manufacturer} if r.manufacturer else None,
            "site": {"text": r.site} if r.site else None, "route": {"text": r.route} if r.route else None,
            "protocolApplied": [{"doseNumberString": r.dose_number}] if r.dose_number else None,
            "note": [{"text": r.note}] if r.note else None,
        })

    vital_cat = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                              "code": "vital-signs"}]}]
    live = [o for o in snapshot.observations if not o.entered_in_error]
    sets: dict[str, list] = {}
    for o in live:
        sets.setdefault(o.set_id, []).append(o)
    for o in live:
        members = sets[o.set_id]
        pair = [m for m in members if m.loinc in (SYSTOLIC, DIASTOLIC) and m.taken_at == o.taken_at]
        if o.loinc in (SYSTOLIC, DIASTOLIC) and len(pair) == 2 and {m.loinc for m in pair} == {SYSTOLIC, DIASTOLIC}:
            if o.loinc == DIASTOLIC:
                continue  # written with its systolic partner
            add("vital", "-".join(str(m.id) for m in pair), {
                "resourceType": "Observation", "extension": [{"url": EXT_VITAL_GROUP, "valueString": o.set_id}],
                "status": "final", "category": vital_cat,
                "code": _cc([("loinc", BP_PANEL, "Blood pressure panel")], "Blood pressure"),
                "subject": subject, "effectiveDateTime": _instant(o.taken_at),
                "component": [{"code": _cc([("loinc", m.loinc, "")], kind_of(m.loinc).name if kind_of(m.loinc) else m.loinc),
                               "valueQuantity": _quantity(m.value, m.unit)} for m in sorted(pair, key=lambda m: m.loinc != SYSTOLIC)],
            })
            continue
        kind = kind_of(o.loinc)
        add("vital", o.id, {
            "resourceType": "Observation", "extension": [{"url": EXT_VITAL_GROUP, "valueString": o.set_id}],
            "status": "final", "category": vital_cat,
            "code": _cc([("loinc", o.loinc, "")], kind.name if kind else o.loinc), "subject": subject,
            "effectiveDateTime": _instant(o.taken_at), "valueQuantity": _quantity(o.value, o.unit),
        })

    add_results(list(snapshot.results), subject, add)
    add_histories(snapshot, add, subject)

    return {
        "resourceType": "Bundle", "id": _uuid(practice, "bundle", f"{p.id}/{now.isoformat()}"),
        "meta": {"source": SOURCE, "lastUpdated": _instant(now)},
        "identifier": {"system": f"{SOURCE}:export", "value": _uuid(practice, "export", f"{p.id}/{now.isoformat()}")},
        "type": "collection", "timestamp": _instant(now), "entry": entries,
    }


def _quantity(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
