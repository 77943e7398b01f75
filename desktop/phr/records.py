"""What a PHR file holds, normalised: plain frozen dataclasses with codes, dates and provenance.

Every clinical record carries where it came from (source system, the resource id inside the file, the
source's own date, the author where known) and which patient of the file it belongs to (`patient_ref`).
Codes are short system names: "rxnorm", "snomed", "icd10cm", "cvx", "loinc", "ndc", "unii", or the
original system URI when it is none of those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from .history_records import (
    HISTORY_CATEGORIES,
    PhrEncounter,
    PhrFamilyHistory,
    PhrProcedure,
    PhrSocialHistory,
)

CATEGORIES = ("problems", "medications", "allergies", "immunizations", "observations", "results") + HISTORY_CATEGORIES
CLINICAL_CATEGORIES = ("problems", "medications", "allergies", "immunizations") + HISTORY_CATEGORIES


@dataclass(frozen=True, slots=True)
class Code:
    system: str
    code: str
    display: str = ""


@dataclass(frozen=True, slots=True)
class PhrPatient:
    ref: str  # the patient's key inside the file ("Patient/123", "urn:uuid:...", "recordTarget")
    given: tuple[str, ...] = ()
    family: str = ""
    other_names: tuple[str, ...] = ()  # "given family" of every further name (maiden, nickname)
    birth_date: date | None = None
    sex: str = ""  # female | male | other | unknown | "" (not stated)
    identifiers: tuple[tuple[str, str], ...] = ()  # (system, value)
    deceased: bool = False
    address: str = ""
    phone: str = ""
    source_system: str = ""
    source_resource_id: str = ""

    @property
    def display_name(self) -> str:
        given = " ".join(self.given)
        if self.family and given:
            return f"{self.family}, {given}"
        return self.family or given or "(no name)"

    @property
    def has_demographics(self) -> bool:
        return bool(self.family or self.given or self.birth_date or self.identifiers)


@dataclass(frozen=True, slots=True)
class PhrProblem:
    text: str
    snomed: str | None = None
    icd10: str | None = None
    codes: tuple[Code, ...] = ()
    onset: date | None = None
    resolved: date | None = None
    status: str = "active"  # active | resolved | inactive
    note: str = ""
    patient_ref: str = ""
    source_system: str = ""
    source_resource_id: str = ""
    source_date: datetime | None = None
    author: str = ""


@dataclass(frozen=True, slots=True)
class PhrMedication:
    text: str  # what the source calls it: "lisinopril 10 MG Oral Tablet"
    ingredients: tuple[str, ...] = ()  # lower-case generic names without salt: ("lisinopril",)
    ingredient_rxcui: str | None = None
    product_rxcui: str | None = None
    codes: tuple[Code, ...] = ()
    sig: str = ""
    route: str = ""
    start: date | None = None
    stop: date | None = None
    status: str = "active"  # active | stopped | completed | on-hold
    note: str = ""
    patient_ref: str = ""
    source_system: str = ""
    source_resource_id: str = ""
    source_date: datetime | None = None
    author: str = ""

    @property
    def ingredient_key(self) -> str:
        return "+".join(sorted(self.ingredients))


@dataclass(frozen=True, slots=True)
class PhrAllergy:
    substance: str
    allergen_key: str  # the same allergen gives the same key however it is coded: "penicillin"
    code_system: str | None = None  # rxnorm | snomed | unii | ndfrt | ...
    code: str | None = None
    codes: tuple[Code, ...] = ()
    category: str = "medication"  # medication | food | environment | biologic
    kind: str = "allergy"  # allergy | intolerance
    reaction: str = ""
    severity: str = ""  # mild | moderate | severe
    criticality: str = ""  # low | high | unable-to-assess
    status: str = "active"  # active | inactive | resolved
    verification: str = ""  # confirmed | unconfirmed | refuted | ""
    onset: date | None = None
    no_known_allergies: bool = False
    note: str = ""
    patient_ref: str = ""
    source_system: str = ""
    source_resource_id: str = ""
    source_date: datetime | None = None
    author: str = ""


@dataclass(frozen=True, slots=True)
class PhrImmunization:
    vaccine: str
    date_given: date
    cvx: str | None = None
    codes: tuple[Code, ...] = ()
    lot_number: str = ""
    manufacturer: str = ""
    site: str = ""
    route: str = ""
    dose_number: str = ""
    primary_source: bool | None = None  # True: given by the source's own staff
    note: str = ""
    patient_ref: str = ""
    source_system: str = ""
    source_resource_id: str = ""
    source_date: datetime | None = None
    author: str = ""


@dataclass(frozen=True, slots=True)
class PhrObservation:
    """One measured value in the chart's canonical UCUM unit. A blood pressure is two of these sharing `group`."""

    loinc: str
    name: str
    value: float
    unit: str  # canonical UCUM: mm[Hg], /min, Cel, %, kg, cm, kg/m2, ...
    taken_at: datetime  # timezone-aware
    group: str = ""  # readings taken together (a BP pair, one intake form)
    original_value: float | None = None
    original_unit: str = ""
    origin: str = "phr-import"  # phr-import | device | patient
    device: str = ""
    patient_ref: str = ""
    source_system: str = ""
    source_resource_id: str = ""
    source_date: datetime | None = None
    author: str = ""


@dataclass(frozen=True, slots=True)
class PhrLabResult:
    """One laboratory result as the source reported it (value, unit, range, flag kept as received)."""

    name: str  # the source's name for the test
    collected_at: datetime  # timezone-aware specimen time
    loinc: str = ""
    codes: tuple[Code, ...] = ()
    value: float | None = None  # numeric results
    comparator: str = ""  # "<" of "<0.5"
    value_text: str = ""  # a text result, or the display of a coded one
    value_code: str = ""
    unit: str = ""
    ref_low: float | None = None
    ref_high: float | None = None
    ref_text: str = ""
    flag: str = ""  # H L HH LL A N as received
    status: str = "final"  # preliminary | final | corrected | amended | cancelled
    panel_key: str = ""  # the report / organizer it came in ("" = on its own)
    panel_code: str = ""
    panel_name: str = ""
    performing_lab: str = ""
    ordering_clinician: str = ""
    patient_ref: str = ""
    source_system: str = ""
    source_resource_id: str = ""
    source_date: datetime | None = None
    author: str = ""

    @property
    def value_display(self) -> str:
        if self.value is None:
            return self.value_text
        return f"{self.comparator}{self.value:g}"


PhrItem = (PhrProblem | PhrMedication | PhrAllergy | PhrImmunization | PhrObservation | PhrLabResult | PhrProcedure
           | PhrSocialHistory | PhrFamilyHistory | PhrEncounter)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry that was not used, and why."""

    item: str  # "Observation/abc (entry 12)", "Claim x249"
    reason: str


@dataclass(frozen=True, slots=True)
class FileInfo:
    """What the import record keeps about the file."""

    name: str
    sha256: str
    size_bytes: int
    file_format: str
    source_system: str


@dataclass(frozen=True, slots=True)
class ParsedFile:
    info: FileInfo
    patients: tuple[PhrPatient, ...] = ()
    problems: tuple[PhrProblem, ...] = ()
    medications: tuple[PhrMedication, ...] = ()
    allergies: tuple[PhrAllergy, ...] = ()
    immunizations: tuple[PhrImmunization, ...] = ()
    observations: tuple[PhrObservation, ...] = ()
    results: tuple[PhrLabResult, ...] = ()
    procedures: tuple[PhrProcedure, ...] = ()
    social_history: tuple[PhrSocialHistory, ...] = ()
    family_history: tuple[PhrFamilyHistory, ...] = ()
    encounters: tuple[PhrEncounter, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    ignored: tuple[tuple[str, int], ...] = ()  # (what, count): types we do not import
    patient_refs: tuple[str, ...] = ()  # every patient the records point at (with or without demographics)
    notes: tuple[str, ...] = field(default=())  # remarks for the reviewer ("steps summed per day")

    def items(self, category: str) -> tuple:
        return getattr(self, category)

    @property
    def counts(self) -> dict[str, int]:
        return {c: len(self.items(c)) for c in CATEGORIES}

    @property
    def several_patients(self) -> bool:
        return len(self.patient_refs) > 1

    def patient(self, ref: str | None = None) -> PhrPatient | None:
        if ref is None:
            return self.patients[0] if len(self.patients) == 1 else None
        return next((p for p in self.patients if p.ref == ref), None)

    def for_patient(self, ref: str) -> ParsedFile:
        """Only the records of one patient of the file (records without a subject are kept)."""
        if ref not in self.patient_refs:
            raise KeyError(ref)

        def keep(items: Iterable) -> tuple:
            return tuple(i for i in items if i.patient_ref in (ref, ""))

        return replace(
            self,
            patients=tuple(p for p in self.patients if p.ref == ref),
            problems=keep(self.problems), medications=keep(self.medications), allergies=keep(self.allergies),
            immunizations=keep(self.immunizations), observations=keep(self.observations),
            results=keep(self.results), **{c: keep(getattr(self, c)) for c in HISTORY_CATEGORIES},
            patient_refs=(ref,),
        )
