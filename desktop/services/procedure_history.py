"""Procedure and surgical history: what was done, when, where; SNOMED CT or CPT/HCPCS code when known.

Physicians record it (RECORD_HISTORY); every clinical user reads it. The PHR merge writes through
`create_procedure` (no audit row of its own: the merge audits with the import number).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import date

from sqlalchemy import func, select

from desktop.kb import histories as kb
from desktop.models import ProcedureHistory

from .chart_rows import (
    apply_changes,
    check_dates,
    check_version,
    load_row,
    mark_in_error,
    refuse_before_birth,
    require_patient,
    strip_strings,
)
from .errors import ServiceError, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

ENTITY = "procedure"
STATUSES = ("completed", "in-progress", "not-done", "stopped", "unknown")
CODE_SYSTEMS = ("snomed", "cpt", "hcpcs")
_CODE = {"snomed": re.compile(r"^[0-9]{6,18}$"), "cpt": re.compile(r"^[0-9]{4}[0-9A-Z]$"),
         "hcpcs": re.compile(r"^[A-Z][0-9]{4}$")}


@dataclass(frozen=True, slots=True)
class ProcedureInput:
    description: str = ""
    code_system: str = ""  # snomed | cpt | hcpcs | "" (free text)
    code: str = ""
    performed_date: date | None = None
    performed_end: date | None = None
    body_site: str = ""
    performer: str = ""
    status: str = "completed"
    note: str = ""


INPUT_FIELDS = tuple(f.name for f in fields(ProcedureInput))
FIELD_LABELS = {"description": "Procedure", "code_system": "Code system", "code": "Code",
                "performed_date": "Date", "performed_end": "End date", "body_site": "Body site",
                "performer": "Performer/facility", "status": "Status", "note": "Note"}


@dataclass(frozen=True, slots=True)
class ProcedureRow:
    id: int
    version: int
    patient_id: int
    description: str
    code_system: str
    code: str
    performed_date: date | None
    performed_end: date | None
    body_site: str
    performer: str
    status: str
    note: str
    source: str  # "" for clinic entries, the PHR source system otherwise
    entered_in_error: bool
    error_reason: str

    def as_input(self) -> ProcedureInput:
        return ProcedureInput(**{n: getattr(self, n) for n in INPUT_FIELDS})


def procedure_catalog() -> kb.ProcedureCatalog:
    """The common procedures the entry form offers (the views reach the knowledge package through here)."""
    return kb.procedures()


def _row(p: ProcedureHistory) -> ProcedureRow:
    return ProcedureRow(
        id=p.id, version=p.version, patient_id=p.patient_id, description=p.description,
        code_system=p.code_system or "", code=p.code or "", performed_date=p.performed_date,
        performed_end=p.performed_end, body_site=p.body_site or "", performer=p.performer or "", status=p.status,
        note=p.note or "", source=p.source_system or "", entered_in_error=p.entered_in_error,
        error_reason=p.error_reason or "")


def clean(inp: ProcedureInput) -> ProcedureInput:
    inp = strip_strings(inp)
    system = inp.code_system.lower()
    code = inp.code.upper() if system in ("cpt", "hcpcs") else inp.code
    description = inp.description
    if code and not description:
        found = kb.procedures().by_code(code)
        description = found.name if found else ""
    return replace(inp, code_system=system if code else "", code=code, description=description,
                   status=(inp.status or "completed").lower())


def validate(inp: ProcedureInput, today: date | None = None) -> dict[str, str]:
    today = today or date.today()
    errors: dict[str, str] = {}
    if not inp.description:
        errors["description"] = "Name the procedure"
    elif len(inp.description) > 300:
        errors["description"] = "Too long (300 characters at most)"
    if inp.code:
        if inp.code_system not in CODE_SYSTEMS:
            errors["code_system"] = "Say which code system the code is from (SNOMED CT, CPT or HCPCS)"
        elif not _CODE[inp.code_system].match(inp.code):
            errors["code"] = {"snomed": "A SNOMED CT code is 6 to 18 digits",
                              "cpt": "A CPT code is 5 characters (4 digits and a digit or letter)",
                              "hcpcs": "An HCPCS Level II code is a letter and 4 digits"}[inp.code_system]
    if inp.status not in STATUSES:
        errors["status"] = "Choose completed, in progress, not done, stopped or unknown"
    check_dates(errors, today, "performed_date", inp.performed_date, "performed_end", inp.performed_end,
                "Date", "End date")
    for name, limit in (("body_site", 200), ("performer", 300), ("note", 4000)):
        if len(getattr(inp, name)) > limit:
            errors[name] = f"Too long ({limit} characters at most)"
    return errors


def _values(inp: ProcedureInput) -> dict:
    d = asdict(inp)
    d["code_system"] = d["code_system"] or None
    d["code"] = d["code"] or None
    return d


def list_procedures(uow: UnitOfWork, patient_id: int, include_errors: bool = False) -> list[ProcedureRow]:
    """Newest first (undated last)."""
    uow.require(Permission.VIEW_CHART)
    return _list(uow, patient_id, include_errors)


def _list(uow: UnitOfWork, patient_id: int, include_errors: bool = False) -> list[ProcedureRow]:
    m = ProcedureHistory
    stmt = select(m).where(m.patient_id == patient_id)
    if not include_errors:
        stmt = stmt.where(m.entered_in_error.is_(False))
    stmt = stmt.order_by(m.entered_in_error, m.performed_date.desc().nulls_last(), func.lower(m.description), m.id)
    return [_row(p) for p in uow.session.execute(stmt).scalars()]


def get_procedure(uow: UnitOfWork, procedure_id: int) -> ProcedureRow:
    uow.require(Permission.VIEW_CHART)
    return _row(load_row(uow, ProcedureHistory, procedure_id, ENTITY))


def create_procedure(uow: UnitOfWork, patient_id: int, inp: ProcedureInput,
                     provenance: dict | None = None) -> ProcedureHistory:
    """Validate and add the row (flushed, not audited): the one place a procedure row is made."""
    uow.require(Permission.RECORD_HISTORY)
    require_patient(uow, patient_id)
    inp = clean(inp)
    errors = validate(inp)
    if errors:
        raise ValidationError(errors)
    refuse_before_birth(uow, patient_id, performed_date=(inp.performed_date, "The date"))
    row = ProcedureHistory(patient_id=patient_id, created_by_id=uow.user.id, updated_by_id=uow.user.id,
                           **_values(inp), **(provenance or {}))
    uow.session.add(row)
    uow.session.flush()
    return row


def add_procedure(uow: UnitOfWork, patient_id: int, inp: ProcedureInput) -> ProcedureRow:
    row = create_procedure(uow, patient_id, inp)
    uow.audit("create", ENTITY, row.id, patient_id, f"{row.code or 'uncoded'} {row.description}")
    return _row(row)


def update_procedure(uow: UnitOfWork, procedure_id: int, inp: ProcedureInput, expected_version: int) -> ProcedureRow:
    uow.require(Permission.RECORD_HISTORY)
    inp = clean(inp)
    errors = validate(inp)
    if errors:
        raise ValidationError(errors)
    p = load_row(uow, ProcedureHistory, procedure_id, ENTITY)
    if p.entered_in_error:
        raise ServiceError("this procedure was marked entered in error and can no longer be edited")
    refuse_before_birth(uow, p.patient_id, performed_date=(inp.performed_date, "The date"))
    check_version(uow, p, expected_version, ENTITY, asdict(inp), INPUT_FIELDS)
    changed = apply_changes(uow, p, _values(inp), INPUT_FIELDS, FIELD_LABELS, ENTITY, asdict(inp))
    uow.audit("update", ENTITY, p.id, p.patient_id, f"{p.code or 'uncoded'} {p.description}; changed: {changed}")
    return _row(p)


def mark_procedure_in_error(uow: UnitOfWork, procedure_id: int, reason: str, expected_version: int) -> ProcedureRow:
    uow.require(Permission.RECORD_HISTORY)
    p = load_row(uow, ProcedureHistory, procedure_id, ENTITY)
    mark_in_error(uow, p, reason, expected_version, ENTITY, f"{p.code or 'uncoded'} {p.description}")
    return _row(p)
