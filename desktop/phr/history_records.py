"""History records of a PHR file: procedures, social history, family history, outside encounters.

Plain frozen dataclasses like records.py, with the same provenance fields (patient_ref, source system,
resource id, source date, author). Code systems are the short names of codes.py ("snomed", "loinc", ...),
plus "cpt" and "hcpcs" for procedures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .records import Code

HISTORY_CATEGORIES = ("procedures", "social_history", "family_history", "encounters")
# CPT and HCPCS are not in codes.SYSTEMS (the chart's other lists never see them)
PROCEDURE_SYSTEMS = {
    "http://www.ama-assn.org/go/cpt": "cpt", "2.16.840.1.113883.6.12": "cpt", "urn:oid:2.16.840.1.113883.6.12": "cpt",
    "https://www.cms.gov/medicare/coding/hcpcsreleasecodesets": "hcpcs", "2.16.840.1.113883.6.285": "hcpcs",
    "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets": "hcpcs",
}


@dataclass(frozen=True, slots=True)
class PhrProcedure:
    text: str
    code_system: str | None = None  # snomed | cpt | hcpcs
    code: str | None = None
    codes: tuple[Code, ...] = ()
    performed: date | None = None
    performed_end: date | None = None
    body_site: str = ""
    performer: str = ""
    status: str = "completed"
    note: str = ""
    patient_ref: str = ""
    source_system: str = ""
    source_resource_id: str = ""
    source_date: datetime | None = None
    author: str = ""


@dataclass(frozen=True, slots=True)
class PhrSocialHistory:
    kind: str  # smoking | tobacco | alcohol | substance | occupation | sexual_orientation | gender_identity | other
    loinc: str | None = None
    name: str = ""  # the question ("Tobacco smoking status")
    value_text: str = ""
    value_code: str | None = None  # SNOMED CT answer
    quantity: float | None = None
    unit: str = ""
    pack_years: float | None = None
    audit_c: int | None = None
    drinks_per_week: float | None = None
    observed: date | None = None
    end: date | None = None
    note: str = ""
    patient_ref: str = ""
    source_system: str = ""
    source_resource_id: str = ""
    source_date: datetime | None = None
    author: str = ""


@dataclass(frozen=True, slots=True)
class PhrFamilyHistory:
    relative: str  # mother | father | ... (family_history.RELATIVES) or the file's own word
    condition: str
    relative_code: str | None = None  # HL7 v3 RoleCode
    snomed: str | None = None
    icd10: str | None = None
    onset_age: int | None = None
    deceased: bool = False
    death_age: int | None = None
    note: str = ""
    patient_ref: str = ""
    source_system: str = ""
    source_resource_id: str = ""
    source_date: datetime | None = None
    author: str = ""


@dataclass(frozen=True, slots=True)
class PhrEncounter:
    start: datetime | None
    end: datetime | None = None
    kind: str = ""  # "Encounter for check up", "Ambulatory"
    type_code: str | None = None
    type_system: str | None = None
    facility: str = ""
    performer: str = ""
    reason: str = ""
    status: str = "finished"
    patient_ref: str = ""
    source_system: str = ""
    source_resource_id: str = ""
    source_date: datetime | None = None
    author: str = ""


# relative -> HL7 v3 RoleCode (FamilyMember value set, http://terminology.hl7.org/CodeSystem/v3-RoleCode)
RELATIVES = {
    "mother": "MTH", "father": "FTH", "sister": "SIS", "brother": "BRO", "sibling": "SIB", "daughter": "DAU",
    "son": "SON", "child": "CHILD", "maternal grandmother": "MGRMTH", "maternal grandfather": "MGRFTH",
    "paternal grandmother": "PGRMTH", "paternal grandfather": "PGRFTH", "grandparent": "GRPRN", "aunt": "AUNT",
    "uncle": "UNCLE", "cousin": "COUSN", "half-sister": "HSIS", "half-brother": "HBRO", "relative": "FAMMEMB",
}
CODE_RELATIVE = {v: k for k, v in RELATIVES.items()} | {
    "NMTH": "mother", "NFTH": "father", "NSIS": "sister", "NBRO": "brother", "GRMTH": "grandparent",
    "GRFTH": "grandparent", "MAUNT": "aunt", "PAUNT": "aunt", "MUNCLE": "uncle", "PUNCLE": "uncle",
    "NCHILD": "child", "SIBINLAW": "relative",
}


def relative_of(code: str | None, text: str) -> tuple[str, str | None]:
    """(the chart's relative word, the RoleCode) from a file's relationship code and/or text."""
    word = CODE_RELATIVE.get((code or "").strip().upper())
    if word:
        return word, RELATIVES[word]
    t = " ".join((text or "").lower().replace("natural ", "").replace("biological ", "").split())
    if t in RELATIVES:
        return t, RELATIVES[t]
    return "relative", RELATIVES["relative"]


# social-history questions (LOINC) -> the chart's kind; the same codes the kb's social_history.json names
SOCIAL_KINDS = {"72166-2": "smoking", "11367-0": "tobacco", "74013-4": "alcohol"}


def procedure_system(system: str | None, short: str) -> str:
    """The chart's name for a procedure code system ("" when it is not one the procedure list keeps)."""
    if short in ("snomed",):
        return short
    return PROCEDURE_SYSTEMS.get((system or "").strip(), "")
