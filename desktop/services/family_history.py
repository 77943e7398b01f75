"""Family history: a relative's condition (ICD-10-CM or SNOMED CT when known, text always), age at onset,
deceased and age at death. Physicians record it (RECORD_HISTORY); the PHR merge writes through `create_entry`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace

from sqlalchemy import func, select

from desktop.models import FamilyHistory
from desktop.phr.history_records import RELATIVES

from . import icd10
from .chart_rows import (
    apply_changes,
    check_version,
    load_row,
    mark_in_error,
    require_patient,
    strip_strings,
)
from .errors import ServiceError, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

ENTITY = "family_history"
FIRST_DEGREE = ("mother", "father", "sister", "brother", "sibling", "daughter", "son", "child")
_SNOMED = re.compile(r"^[0-9]{6,18}$")


@dataclass(frozen=True, slots=True)
class FamilyInput:
    relative: str = ""
    condition: str = ""
    icd10_code: str = ""
    snomed_code: str = ""
    onset_age: int | None = None
    deceased: bool = False
    death_age: int | None = None
    note: str = ""


INPUT_FIELDS = tuple(f.name for f in fields(FamilyInput))
FIELD_LABELS = {"relative": "Relative", "condition": "Condition", "icd10_code": "ICD-10-CM", "snomed_code": "SNOMED CT",
                "onset_age": "Age at onset", "deceased": "Deceased", "death_age": "Age at death", "note": "Note"}


@dataclass(frozen=True, slots=True)
class FamilyRow:
    id: int
    version: int
    patient_id: int
    relative: str
    condition: str
    icd10_code: str
    snomed_code: str
    onset_age: int | None
    deceased: bool
    death_age: int | None
    note: str
    source: str
    entered_in_error: bool
    error_reason: str

    def as_input(self) -> FamilyInput:
        return FamilyInput(**{n: getattr(self, n) for n in INPUT_FIELDS})

    @property
    def summary(self) -> str:
        onset = f" (onset {self.onset_age})" if self.onset_age is not None else ""
        dead = ""
        if self.deceased:
            dead = f"; deceased at {self.death_age}" if self.death_age is not None else "; deceased"
        return f"{self.relative.capitalize()}: {self.condition or 'no condition named'}{onset}{dead}"


def _row(r: FamilyHistory) -> FamilyRow:
    return FamilyRow(
        id=r.id, version=r.version, patient_id=r.patient_id, relative=r.relative, condition=r.condition or "",
        icd10_code=r.icd10_code or "", snomed_code=r.snomed_code or "", onset_age=r.onset_age,
        deceased=bool(r.deceased), death_age=r.death_age, note=r.note or "", source=r.source_system or "",
        entered_in_error=r.entered_in_error, error_reason=r.error_reason or "")


def clean(inp: FamilyInput) -> FamilyInput:
    inp = strip_strings(inp)
    code = icd10.normalise_code(inp.icd10_code) if inp.icd10_code else ""
    condition = inp.condition
    if code and not condition:
        found = icd10.lookup(code)
        condition = found.description if found else ""
    return replace(inp, relative=inp.relative.lower(), icd10_code=code, condition=condition,
                   deceased=inp.deceased or inp.death_age is not None)


def validate(inp: FamilyInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if inp.relative not in RELATIVES:
        errors["relative"] = "Choose the relative (mother, father, sister...)"
    if not inp.condition:
        errors["condition"] = "Name the condition or pick an ICD-10 code"
    elif len(inp.condition) > 300:
        errors["condition"] = "Too long (300 characters at most)"
    if inp.icd10_code and icd10.lookup(inp.icd10_code) is None:
        errors["icd10_code"] = f"{inp.icd10_code} is not an ICD-10-CM code"
    if inp.snomed_code and not _SNOMED.match(inp.snomed_code):
        errors["snomed_code"] = "A SNOMED CT code is 6 to 18 digits"
    for name in ("onset_age", "death_age"):
        v = getattr(inp, name)
        if v is not None and not 0 <= v <= 125:
            errors[name] = "An age is 0 to 125 years"
    if inp.onset_age is not None and inp.death_age is not None and inp.onset_age > inp.death_age:
        errors["onset_age"] = "Onset is after death"
    if len(inp.note) > 4000:
        errors["note"] = "Too long (4000 characters at most)"
    return errors


def _values(inp: FamilyInput) -> dict:
    d = asdict(inp)
    d["icd10_code"] = d["icd10_code"] or None
    d["snomed_code"] = d["snomed_code"] or None
    d["relative_code"] = RELATIVES.get(inp.relative)
    return d


def list_family_history(uow: UnitOfWork, patient_id: int, include_errors: bool = False) -> list[FamilyRow]:
    """First-degree relatives first, then by relative and condition."""
    uow.require(Permission.VIEW_CHART)
    return _list(uow, patient_id, include_errors)


def _list(uow: UnitOfWork, patient_id: int, include_errors: bool = False) -> list[FamilyRow]:
    m = FamilyHistory
    stmt = select(m).where(m.patient_id == patient_id)
    if not include_errors:
        stmt = stmt.where(m.entered_in_error.is_(False))
    rows = [_row(r) for r in uow.session.execute(stmt.order_by(m.relative, func.lower(m.condition), m.id)).scalars()]
    rows.sort(key=lambda r: (r.entered_in_error, r.relative not in FIRST_DEGREE))
    return rows


def get_entry(uow: UnitOfWork, entry_id: int) -> FamilyRow:
    uow.require(Permission.VIEW_CHART)
    return _row(load_row(uow, FamilyHistory, entry_id, "family history entry"))


def create_entry(uow: UnitOfWork, patient_id: int, inp: FamilyInput, provenance: dict | None = None) -> FamilyHistory:
    """Validate and add the row (flushed, not audited): the one place a family-history row is made."""
    uow.require(Permission.RECORD_HISTORY)
    require_patient(uow, patient_id)
    inp = clean(inp)
    errors = validate(inp)
    if errors:
        raise ValidationError(errors)
    row = FamilyHistory(patient_id=patient_id, created_by_id=uow.user.id, updated_by_id=uow.user.id,
                        **_values(inp), **(provenance or {}))
    uow.session.add(row)
    uow.session.flush()
    return row


def add_entry(uow: UnitOfWork, patient_id: int, inp: FamilyInput) -> FamilyRow:
    row = create_entry(uow, patient_id, inp)
    out = _row(row)
    uow.audit("create", ENTITY, row.id, patient_id, out.summary)
    return out


def update_entry(uow: UnitOfWork, entry_id: int, inp: FamilyInput, expected_version: int) -> FamilyRow:
    uow.require(Permission.RECORD_HISTORY)
    inp = clean(inp)
    errors = validate(inp)
    if errors:
        raise ValidationError(errors)
    r = load_row(uow, FamilyHistory, entry_id, "family history entry")
    if r.entered_in_error:
        raise ServiceError("this entry was marked entered in error and can no longer be edited")
    check_version(uow, r, expected_version, ENTITY, asdict(inp), INPUT_FIELDS)
    changed = apply_changes(uow, r, _values(inp), INPUT_FIELDS, FIELD_LABELS, ENTITY, asdict(inp))
    uow.audit("update", ENTITY, r.id, r.patient_id, f"{r.relative}: {r.condition}; changed: {changed}")
    return _row(r)


def mark_entry_in_error(uow: UnitOfWork, entry_id: int, reason: str, expected_version: int) -> FamilyRow:
    uow.require(Permission.RECORD_HISTORY)
    r = load_row(uow, FamilyHistory, entry_id, "family history entry")
    mark_in_error(uow, r, reason, expected_version, ENTITY, f"{r.relative}: {r.condition}")
    return _row(r)
