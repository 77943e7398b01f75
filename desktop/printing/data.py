"""What the printed documents show: plain frozen dataclasses, filled by desktop.services.documents.

Nothing here knows the database; tests and the bench build these directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

CONTROLLED_SCHEDULES = ("II", "III", "IV", "V")


@dataclass(frozen=True, slots=True)
class PracticeInfo:
    name: str
    address_lines: tuple[str, ...] = ()
    phone: str = ""
    fax: str = ""


@dataclass(frozen=True, slots=True)
class PrescriberInfo:
    full_name: str
    credentials: str = ""
    npi: str = ""
    dea_number: str | None = None
    state_licence: str = ""
    specialty: str = ""

    @property
    def name_with_credentials(self) -> str:
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name


@dataclass(frozen=True, slots=True)
class PatientInfo:
    full_name: str
    birth_date: date | None
    sex: str = ""
    mrn: str = ""
    address_lines: tuple[str, ...] = ()
    phone: str = ""
    # summary only
    preferred_language: str = ""
    emergency_contact: str = ""
    insurance: str = ""
    email: str = ""
    gender_identity: str = ""
    # prescriptions only: a child's latest weight in both units, for the pharmacist's dose check
    weight_line: str = ""  # "Weight 18.2 kg (40.1 lb) on 2026-11-02"


@dataclass(frozen=True, slots=True)
class RxItem:
    rx_number: str
    drug_name: str
    strength: str = ""
    dose_form: str = ""
    route: str = ""
    sig_text: str = ""
    quantity: float = 0
    quantity_unit: str = ""
    days_supply: int | None = None
    refills: int = 0
    substitution_allowed: bool = True
    pharmacist_note: str = ""
    dea_schedule: str = ""  # "", "II", "III", "IV", "V"
    written_date: date | None = None

    @property
    def controlled(self) -> bool:
        return self.dea_schedule in CONTROLLED_SCHEDULES

    @property
    def drug_line(self) -> str:
        """'amoxicillin 500 mg oral capsule' without repeating what the name already says."""
        parts = [self.drug_name]
        low = self.drug_name.lower()
        for extra in (self.strength, self.dose_form):
            if extra and extra.lower() not in low:
                parts.append(extra)
        return " ".join(p.strip() for p in parts if p and p.strip())


@dataclass(frozen=True, slots=True)
class ProblemLine:
    description: str
    code: str = ""  # ICD-10-CM
    onset: date | None = None
    status: str = "active"


@dataclass(frozen=True, slots=True)
class MedicationLine:
    name: str
    sig: str = ""
    start: date | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class AllergyLine:
    substance: str
    reaction: str = ""
    severity: str = ""
    kind: str = "allergy"


@dataclass(frozen=True, slots=True)
class ImmunizationLine:
    vaccine: str
    date_given: date | None
    cvx: str = ""
    dose: str = ""


@dataclass(frozen=True, slots=True)
class VitalsRow:
    """One intake (a set of readings taken together); None where not measured."""

    taken_at: datetime
    systolic: float | None = None
    diastolic: float | None = None
    heart_rate: float | None = None
    resp_rate: float | None = None
    temperature_c: float | None = None
    spo2: float | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    bmi: float | None = None
    origin: str = "clinic"


@dataclass(frozen=True, slots=True)
class EncounterLine:
    when: datetime
    kind: str
    reason: str
    provider: str = ""
    assessment: str = ""
    status: str = "signed"


@dataclass(frozen=True, slots=True)
class LabLine:
    when: datetime
    test: str
    value: str
    unit: str
    flag: str  # H L HH LL A N or ""
    range: str  # "70–110 (default)", "no range"
    source: str  # "clinic" or the importing system


@dataclass(frozen=True, slots=True)
class TrendPoint:
    when: datetime
    value: float
    value2: float | None = None  # diastolic for blood pressure


@dataclass(frozen=True, slots=True)
class SummaryData:
    practice: PracticeInfo
    patient: PatientInfo
    generated_at: datetime
    problems: tuple[ProblemLine, ...] = ()
    medications: tuple[MedicationLine, ...] = ()
    # "recorded" (see allergies), "nkda" (explicit no known drug allergies) or "not recorded"
    allergy_status: str = "not recorded"
    allergies: tuple[AllergyLine, ...] = ()
    immunizations: tuple[ImmunizationLine, ...] = ()
    vitals: tuple[VitalsRow, ...] = ()  # newest first, already limited to the recent ones
    bp_trend: tuple[TrendPoint, ...] = ()  # oldest first
    weight_trend: tuple[TrendPoint, ...] = ()  # oldest first
    encounters: tuple[EncounterLine, ...] = ()  # newest first, already limited
    total_encounters: int = 0
    page_size: str = "letter"
    printed_by: str = ""
    labs: tuple[LabLine, ...] = ()  # the most recent panels' results, newest first
    # histories (issue 18): lines already worded by the service; None = not part of this document
    social_history: tuple[str, ...] | None = None  # "Smoking status: Former smoker, 12 pack-years (2023-02-01)"
    procedures: tuple[tuple[str, str, str], ...] = ()  # (procedure, last date, "×3" or "")
    family_history: tuple[str, ...] = ()  # "Mother: Breast cancer (onset 48)"
    unit_system: str = "metric"  # the reader's units for vitals (us: °F, lb, in); the values above are canonical


@dataclass(frozen=True, slots=True)
class AddendumLine:
    author: str
    created_at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class NoteData:
    practice: PracticeInfo
    patient: PatientInfo
    encounter_date: datetime
    kind: str
    reason: str
    provider: str
    subjective: str = ""
    objective: str = ""
    assessment: str = ""
    plan: str = ""
    diagnoses: tuple[str, ...] = ()
    status: str = "signed"  # signed | draft
    signed_by: str = ""
    signed_at: datetime | None = None
    addenda: tuple[AddendumLine, ...] = field(default=())
    page_size: str = "letter"
    printed_by: str = ""
    printed_at: datetime | None = None
