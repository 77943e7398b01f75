"""The chart as the diff sees it: plain dataclasses built by the service layer from the database.

Each row carries its database id and version (so a later write can detect a concurrent edit) and its
provenance (so a re-imported or newer overlapping file is matched to the rows an earlier import created).
Rows marked entered-in-error are included with the flag set: an item someone already struck out must not
come back silently as NEW.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .history_snapshot import (
    ChartEncounter,
    ChartFamilyHistory,
    ChartHistoryItem,
    ChartProcedure,
    ChartSocialHistory,
)


@dataclass(frozen=True, slots=True)
class ChartPatient:
    id: int
    mrn: str
    given_name: str
    family_name: str
    birth_date: date | None
    sex: str
    middle_name: str = ""
    identifiers: tuple[tuple[str, str], ...] = ()  # (system, value): the MRN, an insurance member id

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}" + (f" {self.middle_name}" if self.middle_name else "")


@dataclass(frozen=True, slots=True)
class ChartProblem:
    id: int
    version: int
    text: str
    icd10: str | None = None
    snomed: str | None = None
    onset: date | None = None
    resolved: date | None = None
    status: str = "active"
    note: str = ""
    source_system: str | None = None
    source_resource_id: str | None = None
    phr_import_id: int | None = None
    entered_in_error: bool = False
    error_reason: str = ""


@dataclass(frozen=True, slots=True)
class ChartMedication:
    id: int
    version: int
    drug_name: str
    ingredients: str = ""  # "a+b"
    ingredient_rxcui: str | None = None
    product_rxcui: str | None = None
    sig: str = ""
    route: str = ""
    start: date | None = None
    stop: date | None = None
    status: str = "active"
    source: str = "clinic"
    note: str = ""
    source_system: str | None = None
    source_resource_id: str | None = None
    phr_import_id: int | None = None
    entered_in_error: bool = False
    error_reason: str = ""


@dataclass(frozen=True, slots=True)
class ChartAllergy:
    id: int
    version: int
    substance: str
    substance_key: str = ""
    code_system: str | None = None
    code: str | None = None
    category: str = "medication"
    kind: str = "allergy"
    reaction: str = ""
    severity: str = ""
    criticality: str = ""
    status: str = "active"
    onset: date | None = None
    no_known_allergies: bool = False
    note: str = ""
    source_system: str | None = None
    source_resource_id: str | None = None
    phr_import_id: int | None = None
    entered_in_error: bool = False
    error_reason: str = ""


@dataclass(frozen=True, slots=True)
class ChartImmunization:
    id: int
    version: int
    vaccine: str
    date_given: date
    cvx: str | None = None
    lot_number: str = ""
    manufacturer: str = ""
    site: str = ""
    route: str = ""
    dose_number: str = ""
    note: str = ""
    source_system: str | None = None
    source_resource_id: str | None = None
    phr_import_id: int | None = None
    entered_in_error: bool = False
    error_reason: str = ""


@dataclass(frozen=True, slots=True)
class ChartObservation:
    id: int
    version: int
    set_id: str
    loinc: str
    taken_at: datetime  # aware
    value: float
    unit: str
    origin: str = "clinic"
    source_system: str | None = None
    source_resource_id: str | None = None
    phr_import_id: int | None = None
    entered_in_error: bool = False
    error_reason: str = ""


@dataclass(frozen=True, slots=True)
class ChartLabResult:
    id: int
    version: int
    loinc: str
    name: str
    collected_at: datetime  # aware
    value: float | None
    value_text: str
    unit: str
    status: str
    origin: str = "clinic"
    source_system: str | None = None
    source_resource_id: str | None = None
    phr_import_id: int | None = None
    entered_in_error: bool = False
    error_reason: str = ""
    # what the export writes back out (as received)
    comparator: str = ""
    value_code: str = ""
    ref_low: float | None = None
    ref_high: float | None = None
    ref_text: str = ""
    flag: str = ""
    flag_source: str = ""
    panel_id: str = ""
    panel_code: str = ""
    panel_name: str = ""
    performing_lab: str = ""


ChartItem = (ChartProblem | ChartMedication | ChartAllergy | ChartImmunization | ChartObservation | ChartLabResult
             | ChartHistoryItem)


@dataclass(frozen=True, slots=True)
class ChartSnapshot:
    patient: ChartPatient | None = None
    problems: tuple[ChartProblem, ...] = ()
    medications: tuple[ChartMedication, ...] = ()
    allergies: tuple[ChartAllergy, ...] = ()
    immunizations: tuple[ChartImmunization, ...] = ()
    observations: tuple[ChartObservation, ...] = ()
    results: tuple[ChartLabResult, ...] = ()
    procedures: tuple[ChartProcedure, ...] = ()
    social_history: tuple[ChartSocialHistory, ...] = ()
    family_history: tuple[ChartFamilyHistory, ...] = ()
    encounters: tuple[ChartEncounter, ...] = ()

    def items(self, category: str) -> tuple:
        return getattr(self, category)
