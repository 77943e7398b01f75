"""Problem list: ICD-10-CM (and optional SNOMED) coded problems with onset/resolved dates and status.

"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import date

from sqlalchemy import case, func, select

from desktop.models import Problem

from . import icd10
from .chart_rows import (
    Provenance,
    apply_changes,
    check_dates,
    check_lengths,
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

STATUSES = ("active", "inactive", "resolved")
_SNOMED = re.compile(r"^[0-9]{6,18}$")


# ================================================================ problems

@dataclass(frozen=True, slots=True)
class ProblemInput:
    description: str = ""
    icd10_code: str = ""
    snomed_code: str = ""
    onset_date: date | None = None
    resolved_date: date | None = None
    status: str = "active"
    note: str = ""


FIELD_LABELS = {
    "description": "Problem", "icd10_code": "ICD-10-CM", "snomed_code": "SNOMED CT", "onset_date": "Onset",
    "resolved_date": "Resolved", "status": "Status", "note": "Note",
}
INPUT_FIELDS = tuple(f.name for f in fields(ProblemInput))


@dataclass(frozen=True, slots=True)
class ProblemRow:
    id: int
    version: int
    patient_id: int
    description: str
    icd10_code: str
    snomed_code: str
    onset_date: date | None
    resolved_date: date | None
    status: str
    note: str
    source: str  # "" for clinic entries, the PHR source system otherwise
    entered_in_error: bool
    error_reason: str

    def as_input(self) -> ProblemInput:
        return ProblemInput(**{n: getattr(self, n) for n in INPUT_FIELDS})


def problem_row(p: Problem) -> ProblemRow:
    """The row as the views see it (the chart summary reads problems with its own query)."""
    return ProblemRow(
        id=p.id, version=p.version, patient_id=p.patient_id, description=p.description,
        icd10_code=p.icd10_code or "", snomed_code=p.snomed_code or "", onset_date=p.onset_date,
        resolved_date=p.resolved_date, status=p.status, note=p.note or "", source=p.source_system or "",
        entered_in_error=p.entered_in_error, error_reason=p.error_reason or "",
    )


def _values(inp: ProblemInput) -> dict:
    d = asdict(inp)
    d["icd10_code"] = d["icd10_code"] or None
    d["snomed_code"] = d["snomed_code"] or None
    return d


_STATUS_ORDER = case({"active": 0, "inactive": 1, "resolved": 2}, value=Problem.status, else_=3)


def list_problems(uow: UnitOfWork, patient_id: int, include_errors: bool = False) -> list[ProblemRow]:
    """Active first, then inactive, then resolved; newest onset first within each."""
    uow.require(Permission.VIEW_CHART)
    stmt = select(Problem).where(Problem.patient_id == patient_id)
    if not include_errors:
        stmt = stmt.where(Problem.entered_in_error.is_(False))
    stmt = stmt.order_by(Problem.entered_in_error, _STATUS_ORDER, Problem.onset_date.desc().nulls_last(),
                         func.lower(Problem.description), Problem.id)
    return [problem_row(p) for p in uow.session.execute(stmt).scalars()]


def get_problem(uow: UnitOfWork, problem_id: int) -> ProblemRow:
    uow.require(Permission.VIEW_CHART)
    return problem_row(load_row(uow, Problem, problem_id, "problem"))


def clean(inp: ProblemInput) -> ProblemInput:
    inp = strip_strings(inp)
    code = icd10.normalise_code(inp.icd10_code) if inp.icd10_code else ""
    description = inp.description
    if code and not description:
        found = icd10.lookup(code)
        description = found.description if found else ""
    return replace(inp, icd10_code=code, status=(inp.status or "active").lower(), description=description)


def validate(inp: ProblemInput, today: date | None = None) -> dict[str, str]:
    today = today or date.today()
    errors: dict[str, str] = {}
    if not inp.description:
        errors["description"] = "Describe the problem or pick an ICD-10 code"
    if inp.icd10_code and not icd10.is_code(inp.icd10_code):
        errors["icd10_code"] = f"{inp.icd10_code} is not an ICD-10-CM code"
    if inp.snomed_code and not _SNOMED.match(inp.snomed_code):
        errors["snomed_code"] = "A SNOMED CT code is 6 to 18 digits"
    if inp.status not in STATUSES:
        errors["status"] = "Choose active, inactive or resolved"
    check_dates(errors, today, "onset_date", inp.onset_date, "resolved_date", inp.resolved_date,
                "Onset", "Resolved date")
    if inp.resolved_date is not None and inp.status == "active" and "resolved_date" not in errors:
        errors["status"] = "A problem with a resolved date cannot be active"
    check_lengths(errors, Problem, {"description": inp.description, "note": inp.note})
    return errors


def _duplicate_code(uow: UnitOfWork, patient_id: int, code: str, exclude_id: int | None) -> Problem | None:
    if not code:
        return None
    stmt = select(Problem).where(
        Problem.patient_id == patient_id, Problem.icd10_code == code, Problem.entered_in_error.is_(False),
        Problem.status == "active",
    )
    if exclude_id is not None:
        stmt = stmt.where(Problem.id != exclude_id)
    return uow.session.execute(stmt.limit(1)).scalar_one_or_none()


def add_problem(uow: UnitOfWork, patient_id: int, inp: ProblemInput, *,
                provenance: Provenance | None = None) -> ProblemRow:
    """Add to the list; `provenance` when the entry comes from outside (a PHR file)."""
    uow.require(Permission.EDIT_CHART)
    require_patient(uow, patient_id)
    inp = clean(inp)
    errors = validate(inp)
    if not errors and inp.status == "active" and _duplicate_code(uow, patient_id, inp.icd10_code, None):
        errors["icd10_code"] = f"{inp.icd10_code} is already an active problem; edit that entry instead"
    if errors:
        raise ValidationError(errors)
    refuse_before_birth(uow, patient_id, onset_date=(inp.onset_date, "Onset"))
    p = Problem(patient_id=patient_id, created_by_id=uow.user.id, updated_by_id=uow.user.id, **_values(inp))
    if provenance is not None:
        provenance.stamp(p)
    uow.session.add(p)
    uow.session.flush()
    uow.audit("create", "problem", p.id, patient_id, f"{inp.icd10_code or 'uncoded'} {inp.description}"
              + (f"; {provenance.describe()}" if provenance else ""))
    return problem_row(p)


def update_problem(uow: UnitOfWork, problem_id: int, inp: ProblemInput, expected_version: int, *,
                   provenance: Provenance | None = None) -> ProblemRow:
    uow.require(Permission.EDIT_CHART)
    inp = clean(inp)
    errors = validate(inp)
    if errors:
        raise ValidationError(errors)
    p = load_row(uow, Problem, problem_id, "problem")
    refuse_before_birth(uow, p.patient_id, onset_date=(inp.onset_date, "Onset"))
    if p.entered_in_error:
        raise ServiceError("this problem was marked entered in error and can no longer be edited")
    check_version(uow, p, expected_version, "problem", asdict(inp), INPUT_FIELDS)
    if inp.status == "active" and _duplicate_code(uow, p.patient_id, inp.icd10_code, p.id):
        raise ValidationError({"icd10_code": f"{inp.icd10_code} is already an active problem"})
    if provenance is not None:
        provenance.stamp(p)
    changed = apply_changes(uow, p, _values(inp), INPUT_FIELDS, FIELD_LABELS, "problem", asdict(inp))
    uow.audit("update", "problem", p.id, p.patient_id, f"{p.icd10_code or 'uncoded'} {p.description}; changed: {changed}"
              + (f"; {provenance.describe()}" if provenance else ""))
    return problem_row(p)


def mark_problem_in_error(uow: UnitOfWork, problem_id: int, reason: str, expected_version: int) -> ProblemRow:
    uow.require(Permission.EDIT_CHART)
    p = load_row(uow, Problem, problem_id, "problem")
    mark_in_error(uow, p, reason, expected_version, "problem", f"{p.icd10_code or 'uncoded'} {p.description}")
    return problem_row(p)
