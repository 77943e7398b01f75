"""Social history: smoking status (LOINC 72166-2, SNOMED CT answers), other tobacco, alcohol (AUDIT-C or
drinks per week), substance use, occupation, sexual orientation and gender identity. Each statement is dated;
the latest of a kind is the current one, the earlier ones stay as history.

Nurses and physicians record it (EDIT_CHART); the PHR merge writes through `create_entry`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date

from sqlalchemy import select

from desktop.kb import histories as kb
from desktop.models import SocialHistory

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

ENTITY = "social_history"
KINDS = ("smoking", "tobacco", "alcohol", "substance", "occupation", "sexual_orientation", "gender_identity", "other")
KIND_LABELS = {"smoking": "Smoking status", "tobacco": "Tobacco / nicotine (other)", "alcohol": "Alcohol",
               "substance": "Substance use", "occupation": "Occupation", "sexual_orientation": "Sexual orientation",
               "gender_identity": "Gender identity", "other": "Other"}


@dataclass(frozen=True, slots=True)
class SocialInput:
    kind: str = "smoking"
    value_text: str = ""  # the answer in words ("Former smoker", "Teacher", "2 drinks most evenings")
    value_code: str = ""  # SNOMED CT answer (smoking status)
    loinc: str = ""
    pack_years: float | None = None
    audit_c: int | None = None
    drinks_per_week: float | None = None
    quantity: float | None = None
    unit: str = ""
    observed_date: date | None = None
    end_date: date | None = None
    note: str = ""


INPUT_FIELDS = tuple(f.name for f in fields(SocialInput))
FIELD_LABELS = {"kind": "Kind", "value_text": "Answer", "value_code": "Code", "loinc": "LOINC",
                "pack_years": "Pack-years", "audit_c": "AUDIT-C", "drinks_per_week": "Drinks/week",
                "quantity": "Amount", "unit": "Unit", "observed_date": "Date", "end_date": "Until", "note": "Note"}


@dataclass(frozen=True, slots=True)
class SocialRow:
    id: int
    version: int
    patient_id: int
    kind: str
    value_text: str
    value_code: str
    loinc: str
    pack_years: float | None
    audit_c: int | None
    drinks_per_week: float | None
    quantity: float | None
    unit: str
    observed_date: date | None
    end_date: date | None
    note: str
    source: str
    entered_in_error: bool
    error_reason: str

    def as_input(self) -> SocialInput:
        return SocialInput(**{n: getattr(self, n) for n in INPUT_FIELDS})

    @property
    def smoking_group(self) -> str:
        """current | former | never | unknown for a smoking-status row ("" otherwise or when uncoded)."""
        if self.kind != "smoking":
            return ""
        answer = kb.social().answer(self.value_code)
        return answer.group if answer else ""

    @property
    def summary(self) -> str:
        """One line for lists, the Summary tab, the PDF and note templates."""
        parts = [self.value_text] if self.value_text else []
        if self.pack_years is not None:
            parts.append(f"{self.pack_years:g} pack-years")
        if self.audit_c is not None:
            parts.append(f"AUDIT-C {self.audit_c}")
        if self.drinks_per_week is not None:
            parts.append(f"{self.drinks_per_week:g} drinks/week")
        if self.quantity is not None:
            parts.append(f"{self.quantity:g} {self.unit}".strip())
        return ", ".join(parts)


def smoking_answers() -> tuple[kb.SmokingAnswer, ...]:
    """The standard smoking-status answers the entry form offers (LOINC 72166-2, SNOMED CT codes)."""
    return kb.social().standard_answers()


def smoking_answer(code: str) -> kb.SmokingAnswer | None:
    return kb.social().answer(code)


def _row(r: SocialHistory) -> SocialRow:
    return SocialRow(
        id=r.id, version=r.version, patient_id=r.patient_id, kind=r.kind, value_text=r.value_text or "",
        value_code=r.value_code or "", loinc=r.loinc or "", pack_years=r.pack_years, audit_c=r.audit_c,
        drinks_per_week=r.drinks_per_week, quantity=r.quantity, unit=r.unit or "", observed_date=r.observed_date,
        end_date=r.end_date, note=r.note or "", source=r.source_system or "", entered_in_error=r.entered_in_error,
        error_reason=r.error_reason or "")


def clean(inp: SocialInput) -> SocialInput:
    inp = strip_strings(inp)
    kind = inp.kind.lower()
    text, loinc = inp.value_text, inp.loinc
    if kind == "smoking":
        loinc = loinc or kb.social().smoking_loinc
        answer = kb.social().answer(inp.value_code)
        if answer and not text:
            text = answer.name
    return replace(inp, kind=kind, value_text=text, loinc=loinc)


def validate(inp: SocialInput, today: date | None = None) -> dict[str, str]:
    today = today or date.today()
    errors: dict[str, str] = {}
    if inp.kind not in KINDS:
        errors["kind"] = "Choose what this is about (smoking, alcohol, occupation...)"
    if inp.kind == "smoking" and inp.value_code and kb.social().answer(inp.value_code) is None:
        errors["value_code"] = f"{inp.value_code} is not a smoking-status answer (LOINC 72166-2)"
    has_value = inp.value_text or inp.value_code or any(
        v is not None for v in (inp.pack_years, inp.audit_c, inp.drinks_per_week, inp.quantity))
    if not has_value:
        errors["value_text"] = "Give the answer"
    if len(inp.value_text) > 300:
        errors["value_text"] = "Too long (300 characters at most)"
    if inp.pack_years is not None and not 0 <= inp.pack_years <= 300:
        errors["pack_years"] = "Pack-years are between 0 and 300"
    if inp.pack_years is not None and inp.kind not in ("smoking", "tobacco"):
        errors["pack_years"] = "Pack-years belong to smoking"
    if inp.audit_c is not None and not 0 <= inp.audit_c <= 12:
        errors["audit_c"] = "An AUDIT-C score is 0 to 12"
    if inp.drinks_per_week is not None and not 0 <= inp.drinks_per_week <= 500:
        errors["drinks_per_week"] = "Drinks per week are between 0 and 500"
    if (inp.audit_c is not None or inp.drinks_per_week is not None) and inp.kind != "alcohol":
        errors["kind"] = "AUDIT-C and drinks per week belong to alcohol"
    check_dates(errors, today, "observed_date", inp.observed_date, "end_date", inp.end_date, "Date", "Until")
    if len(inp.note) > 4000:
        errors["note"] = "Too long (4000 characters at most)"
    if len(inp.unit) > 30:
        errors["unit"] = "Too long (30 characters at most)"
    return errors


def _values(inp: SocialInput) -> dict:
    d = asdict(inp)
    d["value_code"] = d["value_code"] or None
    d["value_system"] = "snomed" if inp.value_code else None
    d["loinc"] = d["loinc"] or None
    return d


def list_social_history(uow: UnitOfWork, patient_id: int, include_errors: bool = False) -> list[SocialRow]:
    """By kind, newest first within a kind (the first of each kind is the current statement)."""
    uow.require(Permission.VIEW_CHART)
    return _list(uow, patient_id, include_errors)


def _list(uow: UnitOfWork, patient_id: int, include_errors: bool = False) -> list[SocialRow]:
    m = SocialHistory
    stmt = select(m).where(m.patient_id == patient_id)
    if not include_errors:
        stmt = stmt.where(m.entered_in_error.is_(False))
    rows = [_row(r) for r in uow.session.execute(stmt.order_by(m.id)).scalars()]
    order = {k: n for n, k in enumerate(KINDS)}
    rows.sort(key=lambda r: (r.entered_in_error, order.get(r.kind, 99),
                             -(r.observed_date or date.min).toordinal(), -r.id))
    return rows


def current(rows: list[SocialRow]) -> dict[str, SocialRow]:
    """The latest live statement of each kind (one that ended in the past is history, not current)."""
    out: dict[str, SocialRow] = {}
    today = date.today()
    for r in rows:
        if not r.entered_in_error and r.kind not in out and not (r.end_date and r.end_date < today):
            out[r.kind] = r
    return out


def smoking_status(uow: UnitOfWork, patient_id: int) -> SocialRow | None:
    return current(list_social_history(uow, patient_id)).get("smoking")


def get_entry(uow: UnitOfWork, entry_id: int) -> SocialRow:
    uow.require(Permission.VIEW_CHART)
    return _row(load_row(uow, SocialHistory, entry_id, "social history entry"))


def create_entry(uow: UnitOfWork, patient_id: int, inp: SocialInput, provenance: dict | None = None) -> SocialHistory:
    """Validate and add the row (flushed, not audited): the one place a social-history row is made."""
    uow.require(Permission.EDIT_CHART)
    require_patient(uow, patient_id)
    inp = clean(inp)
    errors = validate(inp)
    if errors:
        raise ValidationError(errors)
    refuse_before_birth(uow, patient_id, observed_date=(inp.observed_date, "The date"))
    row = SocialHistory(patient_id=patient_id, created_by_id=uow.user.id, updated_by_id=uow.user.id,
                        **_values(inp), **(provenance or {}))
    uow.session.add(row)
    uow.session.flush()
    return row


def add_entry(uow: UnitOfWork, patient_id: int, inp: SocialInput) -> SocialRow:
    row = create_entry(uow, patient_id, inp)
    out = _row(row)
    uow.audit("create", ENTITY, row.id, patient_id, f"{KIND_LABELS.get(row.kind, row.kind)}: {out.summary}")
    return out


def update_entry(uow: UnitOfWork, entry_id: int, inp: SocialInput, expected_version: int) -> SocialRow:
    uow.require(Permission.EDIT_CHART)
    inp = clean(inp)
    errors = validate(inp)
    if errors:
        raise ValidationError(errors)
    r = load_row(uow, SocialHistory, entry_id, "social history entry")
    if r.entered_in_error:
        raise ServiceError("this entry was marked entered in error and can no longer be edited")
    refuse_before_birth(uow, r.patient_id, observed_date=(inp.observed_date, "The date"))
    check_version(uow, r, expected_version, ENTITY, asdict(inp), INPUT_FIELDS)
    changed = apply_changes(uow, r, _values(inp), INPUT_FIELDS, FIELD_LABELS, ENTITY, asdict(inp))
    uow.audit("update", ENTITY, r.id, r.patient_id, f"{KIND_LABELS.get(r.kind, r.kind)}; changed: {changed}")
    return _row(r)


def mark_entry_in_error(uow: UnitOfWork, entry_id: int, reason: str, expected_version: int) -> SocialRow:
    uow.require(Permission.EDIT_CHART)
    r = load_row(uow, SocialHistory, entry_id, "social history entry")
    mark_in_error(uow, r, reason, expected_version, ENTITY, f"{KIND_LABELS.get(r.kind, r.kind)}: {r.value_text}")
    return _row(r)
