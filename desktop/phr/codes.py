"""Code systems: FHIR URIs and HL7 OIDs to the short names the chart uses."""

from __future__ import annotations

from .records import Code

SYSTEMS: dict[str, str] = {
    # FHIR canonical URIs
    "http://www.nlm.nih.gov/research/umls/rxnorm": "rxnorm",
    "http://snomed.info/sct": "snomed",
    "http://hl7.org/fhir/sid/icd-10-cm": "icd10cm",
    "http://hl7.org/fhir/sid/icd-10": "icd10",
    "http://hl7.org/fhir/sid/icd-9-cm": "icd9cm",
    "http://hl7.org/fhir/sid/cvx": "cvx",
    "http://loinc.org": "loinc",
    "http://hl7.org/fhir/sid/ndc": "ndc",
    "http://fdasis.nlm.nih.gov": "unii",
    "http://unitsofmeasure.org": "ucum",
    "http://www.whocc.no/atc": "atc",
    # HL7 OIDs (C-CDA, and FHIR files that use urn:oid:)
    "2.16.840.1.113883.6.88": "rxnorm",
    "2.16.840.1.113883.6.96": "snomed",
    "2.16.840.1.113883.6.90": "icd10cm",
    "2.16.840.1.113883.6.3": "icd10",
    "2.16.840.1.113883.6.103": "icd9cm",
    "2.16.840.1.113883.12.292": "cvx",
    "2.16.840.1.113883.6.1": "loinc",
    "2.16.840.1.113883.6.69": "ndc",
    "2.16.840.1.113883.4.9": "unii",
    "2.16.840.1.113883.3.26.1.5": "ndfrt",
    "2.16.840.1.113883.6.8": "ucum",
}


def short_system(system: str | None) -> str:
    if not system:
        return ""
    s = system.strip()
    if s.startswith("urn:oid:"):
        s = s[len("urn:oid:"):]
    return SYSTEMS.get(s, SYSTEMS.get(s.rstrip("/"), s))


def first(codes: tuple[Code, ...] | list[Code], system: str) -> str | None:
    for c in codes:
        if c.system == system and c.code:
            return c.code
    return None


def all_of(codes: tuple[Code, ...] | list[Code], system: str) -> list[Code]:
    return [c for c in codes if c.system == system and c.code]


def clean_icd10(code: str | None) -> str | None:
    """'E11.9' stays; 'e119' -> 'E11.9' (ICD-10-CM codes have a dot after the third character)."""
    if not code:
        return None
    c = code.strip().upper()
    if "." not in c and len(c) > 3:
        c = c[:3] + "." + c[3:]
    return c[:10]
