"""Problem list: ICD-10-CM (and optional SNOMED) coded problems with onset/resolved dates and status.

Also home of the few helpers every chart-list service shares (load a row of this patient, optimistic-lock
check with both versions, mark entered-in-error with a reason): medications, allergies and immunizations
import them from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import case, func, select
from sqlalchemy.orm.exc import StaleDataError

from desktop.models import Patient, Problem, User

from . import icd10
from .errors import ConflictError, NotFound, ServiceError, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

STATUSES = ("active", "inactive", "resolved")
_SNOMED = re.compile(r"^[0-9]{6,18}$")
T = TypeVar("T")


# ================================================================ shared by the chart-list services

def require_patient(uow: UnitOfWork, patient_id: int) -> None:
    if uow.session.get(Patient, patient_id) is None:
        raise NotFound(f"no patient with id {patient_id}")


def load_row(uow: UnitOfWork, model: type[T], row_id: int, label: str) -> T:
    row = uow.session.get(model, row_id)
    if row is None:
        raise NotFound(f"no {label} with id {row_id}")
    return row


def user_name(uow: UnitOfWork, user_id: int | None) -> str:
    if user_id is None:
        return ""
    u = uow.session.get(User, user_id)
    return u.display_name if u else ""


def check_version(uow: UnitOfWork, row: Any, expected_version: int, entity: str, mine: dict,
                  names: Iterable[str]) -> None:
    """Someone saved this row since the form was loaded: refuse, carrying both versions for the dialog."""
    if row.version != expected_version:
        raise ConflictError(
            entity=entity, entity_id=row.id, mine=dict(mine), theirs={n: getattr(row, n) for n in names},
            their_version=row.version, changed_by=user_name(uow, row.updated_by_id),
        )


def flush(uow: UnitOfWork, entity: str, row_id: int, mine: dict | None = None) -> None:
    """Flush now so a write racing between our read and this UPDATE surfaces as a conflict, not a crash."""
    try:
        uow.session.flush()
    except StaleDataError as exc:
        raise ConflictError(entity=entity, entity_id=row_id, mine=dict(mine or {})) from exc


def mark_in_error(uow: UnitOfWork, row: Any, reason: str, expected_version: int, entity: str,
                  what: str) -> None:
    """Clinical rows are never deleted: flag entered-in-error with who, when and why (audited)."""
    uow.require(Permission.EDIT_CHART)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this entry is in error"})
    if len(reason) > 1000:
        raise ValidationError({"reason": "Too long (1000 characters at most)"})
    if row.entered_in_error:
        raise ServiceError(f"this {entity} is already marked entered in error")
    check_version(uow, row, expected_version, entity, {}, ())
    row.entered_in_error = True
    row.error_reason = reason
    row.error_at = datetime.now(UTC)
    row.error_by_id = uow.user.id
    row.updated_by_id = uow.user.id
    flush(uow, entity, row.id)
    uow.audit("error", entity, row.id, row.patient_id, f"{what}; reason: {reason}")


def strip_strings(value: T) -> T:
    """A copy of a frozen input dataclass with every string stripped."""
    changes = {f.name: getattr(value, f.name).strip() for f in fields(value)  # type: ignore[arg-type]
               if isinstance(getattr(value, f.name), str)}
    return replace(value, **changes)  # type: ignore[type-var]


def check_dates(errors: dict[str, str], today: date, start_name: str, start: date | None,
                end_name: str | None = None, end: date | None = None, start_label: str = "Date",
                end_label: str = "End date") -> None:
    if start is not None and start > today:
        errors[start_name] = f"{start_label} cannot be in the future"
    if start is not None and start.year < 1880:
        errors[start_name] = f"{start_label} is too far in the past"
    if end_name and end is not None:
        if end > today:
            errors[end_name] = f"{end_label} cannot be in the future"
        elif start is not None and end < start:
            errors[end_name] = f"{end_label} is before {start_label.lower()}"


def changed_fields(before: dict, after: dict, labels: dict[str, str]) -> str:
    names = [labels.get(k, k) for k in after if before.get(k) != after[k]]
    return ", ".join(names) or "nothing"


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


def _row(p: Problem) -> ProblemRow:
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
    return [_row(p) for p in uow.session.execute(stmt).scalars()]


def get_problem(uow: UnitOfWork, problem_id: int) -> ProblemRow:
    uow.require(Permission.VIEW_CHART)
    return _row(load_row(uow, Problem, problem_id, "problem"))


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
    elif len(inp.description) > 300:
        errors["description"] = "Too long (300 characters at most)"
    if inp.icd10_code and icd10.lookup(inp.icd10_code) is None:
        errors["icd10_code"] = f"{inp.icd10_code} is not an ICD-10-CM code"
    if inp.snomed_code and not _SNOMED.match(inp.snomed_code):
        errors["snomed_code"] = "A SNOMED CT code is 6 to 18 digits"
    if inp.status not in STATUSES:
        errors["status"] = "Choose active, inactive or resolved"
    check_dates(errors, today, "onset_date", inp.onset_date, "resolved_date", inp.resolved_date,
                "Onset", "Resolved date")
    if inp.resolved_date is not None and inp.status == "active" and "resolved_date" not in errors:
        errors["status"] = "A problem with a resolved date cannot be active"
    if len(inp.note) > 4000:
        errors["note"] = "Too long (4000 characters at most)"
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


def add_problem(uow: UnitOfWork, patient_id: int, inp: ProblemInput) -> ProblemRow:
    uow.require(Permission.EDIT_CHART)
    require_patient(uow, patient_id)
    inp = clean(inp)
    errors = validate(inp)
    if not errors and inp.status == "active" and _duplicate_code(uow, patient_id, inp.icd10_code, None):
        errors["icd10_code"] = f"{inp.icd10_code} is already an active problem; edit that entry instead"
    if errors:
        raise ValidationError(errors)
    p = Problem(patient_id=patient_id, created_by_id=uow.user.id, updated_by_id=uow.user.id, **_values(inp))
    uow.session.add(p)
    uow.session.flush()
    uow.audit("create", "problem", p.id, patient_id, f"{inp.icd10_code or 'uncoded'} {inp.description}")
    return _row(p)


def update_problem(uow: UnitOfWork, problem_id: int, inp: ProblemInput, expected_version: int) -> ProblemRow:
    uow.require(Permission.EDIT_CHART)
    inp = clean(inp)
    errors = validate(inp)
    if errors:
        raise ValidationError(errors)
    p = load_row(uow, Problem, problem_id, "problem")
    if p.entered_in_error:
        raise ServiceError("this problem was marked entered in error and can no longer be edited")
    check_version(uow, p, expected_version, "problem", asdict(inp), INPUT_FIELDS)
    if inp.status == "active" and _duplicate_code(uow, p.patient_id, inp.icd10_code, p.id):
        raise ValidationError({"icd10_code": f"{inp.icd10_code} is already an active problem"})
    before = {n: getattr(p, n) for n in INPUT_FIELDS}
    for name, value in _values(inp).items():
        setattr(p, name, value)
    p.updated_by_id = uow.user.id
    flush(uow, "problem", p.id, asdict(inp))
    after = {n: getattr(p, n) for n in INPUT_FIELDS}
    uow.audit("update", "problem", p.id, p.patient_id,
              f"{p.icd10_code or 'uncoded'} {p.description}; changed: {changed_fields(before, after, FIELD_LABELS)}")
    return _row(p)


def mark_problem_in_error(uow: UnitOfWork, problem_id: int, reason: str, expected_version: int) -> ProblemRow:
    uow.require(Permission.EDIT_CHART)
    p = load_row(uow, Problem, problem_id, "problem")
    mark_in_error(uow, p, reason, expected_version, "problem", f"{p.icd10_code or 'uncoded'} {p.description}")
    return _row(p)
