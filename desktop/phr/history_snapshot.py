"""The chart's history lists as the diff sees them (built by the service layer, like snapshot.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class ChartProcedure:
    id: int
    version: int
    text: str
    code_system: str | None = None
    code: str | None = None
    performed: date | None = None
    performed_end: date | None = None
    body_site: str = ""
    performer: str = ""
    status: str = "completed"
    note: str = ""
    source_system: str | None = None
    source_resource_id: str | None = None
    phr_import_id: int | None = None
    entered_in_error: bool = False
    error_reason: str = ""


@dataclass(frozen=True, slots=True)
class ChartSocialHistory:
    id: int
    version: int
    kind: str
    loinc: str | None = None
    value_text: str = ""
    value_code: str | None = None
    quantity: float | None = None
    observed: date | None = None
    unit: str = ""
    pack_years: float | None = None
    audit_c: int | None = None
    drinks_per_week: float | None = None
    end: date | None = None
    note: str = ""
    source_system: str | None = None
    source_resource_id: str | None = None
    phr_import_id: int | None = None
    entered_in_error: bool = False
    error_reason: str = ""


@dataclass(frozen=True, slots=True)
class ChartFamilyHistory:
    id: int
    version: int
    relative: str
    condition: str
    snomed: str | None = None
    icd10: str | None = None
    onset_age: int | None = None
    deceased: bool = False
    death_age: int | None = None
    note: str = ""
    source_system: str | None = None
    source_resource_id: str | None = None
    phr_import_id: int | None = None
    entered_in_error: bool = False
    error_reason: str = ""


@dataclass(frozen=True, slots=True)
class ChartEncounter:
    id: int
    version: int
    start: datetime | None
    kind: str = ""
    type_code: str | None = None
    facility: str = ""
    reason: str = ""
    end: datetime | None = None
    type_system: str | None = None
    performer: str = ""
    status: str = "finished"
    source_system: str | None = None
    source_resource_id: str | None = None
    phr_import_id: int | None = None
    entered_in_error: bool = False
    error_reason: str = ""


ChartHistoryItem = ChartProcedure | ChartSocialHistory | ChartFamilyHistory | ChartEncounter
