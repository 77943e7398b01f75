"""Outside encounters: visits elsewhere as the patient's files list them. Read-only in the chart (only the
PHR merge creates them, through `create_encounter`); a wrong one is marked entered-in-error like any row."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select

from desktop.models import OutsideEncounter

from .chart_rows import load_row, mark_in_error, require_patient, strip_strings
from .errors import ValidationError
from .permissions import Permission
from .uow import UnitOfWork

ENTITY = "outside_encounter"


@dataclass(frozen=True, slots=True)
class OutsideEncounterInput:
    start: datetime | None = None
    end: datetime | None = None
    kind: str = ""
    type_code: str = ""
    type_system: str = ""
    facility: str = ""
    performer: str = ""
    reason: str = ""
    status: str = "finished"


INPUT_FIELDS = tuple(f.name for f in fields(OutsideEncounterInput))
_LIMITS = {"kind": 200, "type_code": 40, "type_system": 20, "facility": 300, "performer": 300, "reason": 500,
           "status": 20}


@dataclass(frozen=True, slots=True)
class OutsideEncounterRow:
    id: int
    version: int
    patient_id: int
    start: datetime | None
    end: datetime | None
    kind: str
    type_code: str
    type_system: str
    facility: str
    performer: str
    reason: str
    status: str
    source: str
    source_date: datetime | None
    entered_in_error: bool
    error_reason: str


def _row(r: OutsideEncounter) -> OutsideEncounterRow:
    return OutsideEncounterRow(
        id=r.id, version=r.version, patient_id=r.patient_id, start=r.start, end=r.end, kind=r.kind or "",
        type_code=r.type_code or "", type_system=r.type_system or "", facility=r.facility or "",
        performer=r.performer or "", reason=r.reason or "", status=r.status or "", source=r.source_system or "",
        source_date=r.source_date, entered_in_error=r.entered_in_error, error_reason=r.error_reason or "")


def list_outside_encounters(uow: UnitOfWork, patient_id: int, include_errors: bool = False) -> list[OutsideEncounterRow]:
    """Newest first."""
    uow.require(Permission.VIEW_CHART)
    m = OutsideEncounter
    stmt = select(m).where(m.patient_id == patient_id)
    if not include_errors:
        stmt = stmt.where(m.entered_in_error.is_(False))
    stmt = stmt.order_by(m.entered_in_error, m.start.desc().nulls_last(), m.id)
    return [_row(r) for r in uow.session.execute(stmt).scalars()]


def create_encounter(uow: UnitOfWork, patient_id: int, inp: OutsideEncounterInput,
                     provenance: dict | None = None) -> OutsideEncounter:
    """The PHR merge's one way to add an outside encounter (flushed, not audited: the merge audits)."""
    uow.require(Permission.IMPORT_PHR_CLINICAL)
    require_patient(uow, patient_id)
    inp = strip_strings(inp)
    errors = {n: f"Too long ({n_max} characters at most)" for n, n_max in _LIMITS.items() if len(getattr(inp, n)) > n_max}
    if not (inp.kind or inp.reason or inp.facility or inp.start):
        errors["kind"] = "An encounter needs a date, a type, a facility or a reason"
    if errors:
        raise ValidationError(errors)
    values = {n: getattr(inp, n) for n in INPUT_FIELDS}
    values["type_code"] = values["type_code"] or None
    values["type_system"] = values["type_system"] or None
    row = OutsideEncounter(patient_id=patient_id, created_by_id=uow.user.id, updated_by_id=uow.user.id, **values,
                           **(provenance or {}))
    uow.session.add(row)
    uow.session.flush()
    return row


def mark_outside_encounter_in_error(uow: UnitOfWork, encounter_id: int, reason: str,
                                    expected_version: int) -> OutsideEncounterRow:
    uow.require(Permission.RECORD_HISTORY)
    r = load_row(uow, OutsideEncounter, encounter_id, "outside encounter")
    mark_in_error(uow, r, reason, expected_version, ENTITY, f"{r.kind or 'encounter'} at {r.facility or 'unknown'}")
    return _row(r)
