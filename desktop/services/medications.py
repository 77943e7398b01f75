"""Medication list (what the patient takes): coded from the formulary (RxNorm) or free text shown "uncoded".

Adding a medication, or changing which drug an entry is, runs the alert checks first (desktop.services.alerts):
the caller passes the user's Decision; an interrupting alert without an override, or a knowledge base that
could not be loaded without an explicit acknowledgement, returns NeedsDecision and writes nothing
(desktop.services.alert_decisions: the one protocol of every path that raises alerts).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from desktop.kb.errors import KnowledgeBaseError
from desktop.models import Medication

from .alert_decisions import Decision, NeedsDecision, gate, record
from .chart_rows import (
    Provenance,
    apply_changes,
    check_dates,
    check_lengths,
    check_version,
    flush,
    load_row,
    mark_in_error,
    refuse_before_birth,
    require_patient,
    strip_strings,
)
from .errors import ServiceError, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

STATUSES = ("active", "on-hold", "stopped", "completed")
SOURCES = ("clinic", "patient-reported", "phr-import")
STOP_STATUSES = ("stopped", "completed")


@dataclass(frozen=True, slots=True)
class MedicationInput:
    formulary_id: str = ""  # empty: free text, stored uncoded
    drug_name: str = ""  # free text name (ignored for a formulary product: its display name is used)
    strength: str = ""
    dose_form: str = ""
    route: str = ""
    sig: str = ""
    start_date: date | None = None
    stop_date: date | None = None
    status: str = "active"
    source: str = "clinic"
    note: str = ""
    # codes the source gave for an entry not from the formulary (a PHR file): kept, never guessed from text
    ingredients: str = ""  # lower-case generic names joined by "+"
    ingredient_rxcui: str = ""
    product_rxcui: str = ""


FIELD_LABELS = {
    "formulary_id": "Drug", "drug_name": "Drug", "strength": "Strength", "dose_form": "Form", "route": "Route",
    "sig": "Directions (sig)", "start_date": "Start", "stop_date": "Stop", "status": "Status",
    "source": "Source", "note": "Note", "ingredients": "Ingredients", "ingredient_rxcui": "RxNorm ingredient",
    "product_rxcui": "RxNorm product",
}
INPUT_FIELDS = tuple(f.name for f in fields(MedicationInput))


@dataclass(frozen=True, slots=True)
class MedicationRow:
    id: int
    version: int
    patient_id: int
    drug_name: str
    coded: bool
    formulary_id: str
    ingredient_rxcui: str
    product_rxcui: str
    ingredients: str  # "lisinopril+hydrochlorothiazide"
    strength: str
    dose_form: str
    route: str
    sig: str
    start_date: date | None
    stop_date: date | None
    status: str
    source: str
    source_system: str
    note: str
    entered_in_error: bool
    error_reason: str

    @property
    def coding(self) -> str:
        return f"RxNorm {self.product_rxcui or self.ingredient_rxcui}" if self.coded else "uncoded"

    def as_input(self) -> MedicationInput:
        return MedicationInput(**{n: getattr(self, n) for n in INPUT_FIELDS})


def medication_row(m: Medication) -> MedicationRow:
    """The row as the views see it (the chart summary reads medications with its own query)."""
    return MedicationRow(
        id=m.id, version=m.version, patient_id=m.patient_id, drug_name=m.drug_name,
        coded=bool(m.ingredient_rxcui), formulary_id=m.formulary_id or "", ingredient_rxcui=m.ingredient_rxcui or "",
        product_rxcui=m.product_rxcui or "", ingredients=m.ingredients or "", strength=m.strength or "",
        dose_form=m.dose_form or "", route=m.route or "", sig=m.sig or "", start_date=m.start_date,
        stop_date=m.stop_date, status=m.status, source=m.source, source_system=m.source_system or "",
        note=m.note or "", entered_in_error=m.entered_in_error, error_reason=m.error_reason or "",
    )


def _formulary():
    from desktop.kb.formulary import load_formulary

    return load_formulary()


_STATUS_ORDER = case({"active": 0, "on-hold": 1, "stopped": 2, "completed": 3}, value=Medication.status, else_=4)


def list_medications(uow: UnitOfWork, patient_id: int, include_errors: bool = False,
                     include_stopped: bool = True) -> list[MedicationRow]:
    """Active first, then on hold, then stopped/completed (most recently stopped first)."""
    uow.require(Permission.VIEW_CHART)
    stmt = select(Medication).where(Medication.patient_id == patient_id)
    if not include_errors:
        stmt = stmt.where(Medication.entered_in_error.is_(False))
    if not include_stopped:
        stmt = stmt.where(Medication.status.in_(("active", "on-hold")))
    stmt = stmt.order_by(Medication.entered_in_error, _STATUS_ORDER, Medication.stop_date.desc().nulls_first(),
                         func.lower(Medication.drug_name), Medication.id)
    return [medication_row(m) for m in uow.session.execute(stmt).scalars()]


def get_medication(uow: UnitOfWork, medication_id: int) -> MedicationRow:
    uow.require(Permission.VIEW_CHART)
    return medication_row(load_row(uow, Medication, medication_id, "medication"))


# ---------------------------------------------------------------- validation

@dataclass(frozen=True, slots=True)
class _Coding:
    drug_name: str
    formulary_id: str | None
    ingredient_rxcui: str | None
    product_rxcui: str | None
    ingredients: str
    strength: str
    dose_form: str
    route: str
    classes: tuple[str, ...]
    ingredient_names: tuple[str, ...]


def clean(inp: MedicationInput) -> MedicationInput:
    inp = strip_strings(inp)
    return replace(inp, status=inp.status.lower() or "active", source=inp.source.lower() or "clinic")


def _coding(inp: MedicationInput, errors: dict[str, str]) -> _Coding | None:
    if inp.formulary_id:
        try:
            product = _formulary().by_id(inp.formulary_id)
        except KnowledgeBaseError as exc:
            errors["formulary_id"] = f"The formulary could not be loaded ({exc}); enter the drug as free text"
            return None
        if product is None:
            errors["formulary_id"] = f"{inp.formulary_id} is not in the formulary"
            return None
        return _Coding(
            drug_name=product.display, formulary_id=product.id, ingredient_rxcui=product.ingredient_rxcui,
            product_rxcui=product.product_rxcui, ingredients="+".join(product.ingredient_names),
            strength=product.strength, dose_form=product.dose_form, route=product.route,
            classes=product.classes, ingredient_names=product.ingredient_names,
        )
    if not inp.drug_name:
        errors["drug_name"] = "Pick a drug from the formulary or type its name"
        return None
    # free text stays uncoded unless its source coded it: guessing an RxNorm code from typed text would put a
    # wrong code in the chart
    for name in ("ingredient_rxcui", "product_rxcui"):
        if getattr(inp, name) and not getattr(inp, name).isdigit():
            errors[name] = "An RxNorm code (RXCUI) is digits only"
    names = tuple(i for i in inp.ingredients.lower().split("+") if i.strip())
    return _Coding(
        drug_name=inp.drug_name, formulary_id=None, ingredient_rxcui=inp.ingredient_rxcui or None,
        product_rxcui=inp.product_rxcui or None, ingredients="+".join(names), strength=inp.strength,
        dose_form=inp.dose_form, route=inp.route, classes=(), ingredient_names=names,
    )


def validate(inp: MedicationInput, today: date | None = None) -> tuple[dict[str, str], _Coding | None]:
    today = today or date.today()
    errors: dict[str, str] = {}
    coding = _coding(inp, errors)
    check_lengths(errors, Medication, {n: getattr(inp, n) for n in (
        "drug_name", "strength", "dose_form", "route", "sig", "note", "ingredients", "ingredient_rxcui",
        "product_rxcui")})
    if inp.status not in STATUSES:
        errors["status"] = "Choose active, on hold, stopped or completed"
    if inp.source not in SOURCES:
        errors["source"] = "Choose clinic, patient-reported or PHR import"
    check_dates(errors, today, "start_date", inp.start_date, "stop_date", inp.stop_date, "Start date", "Stop date")
    if inp.stop_date is not None and inp.status in ("active", "on-hold") and "stop_date" not in errors:
        errors["status"] = "A medication with a stop date is stopped or completed"
    return errors, coding


def _columns(inp: MedicationInput, coding: _Coding) -> dict[str, Any]:
    """The row's columns for this form: the drug as coded (the formulary's product, or the free text)."""
    return dict(drug_name=coding.drug_name, formulary_id=coding.formulary_id, ingredient_rxcui=coding.ingredient_rxcui,
                product_rxcui=coding.product_rxcui, ingredients=coding.ingredients, strength=coding.strength,
                dose_form=coding.dose_form, route=coding.route, sig=inp.sig, start_date=inp.start_date,
                stop_date=inp.stop_date, status=inp.status, source=inp.source, note=inp.note)


def _as_stored(inp: MedicationInput) -> dict[str, Any]:
    """The input as the row would hold it: a formulary pick carries the product's name and codes, not the empty
    free-text fields the form sends. A conflict compares like with like (it listed the drug, its ingredients and
    RxNorm codes as "(empty)" against the saved ones, with "(empty)" chosen)."""
    mine = asdict(inp)
    coding = _coding(inp, {}) if inp.formulary_id else None
    if coding is not None:
        coded = _columns(inp, coding)
        mine.update({k: coded[k] or "" for k in ("drug_name", "ingredients", "ingredient_rxcui", "product_rxcui",
                                                 "strength", "dose_form", "route")})
    return mine


def _same_product_active(uow: UnitOfWork, patient_id: int, formulary_id: str | None,
                         exclude_id: int | None) -> Medication | None:
    if not formulary_id:
        return None
    stmt = select(Medication).where(
        Medication.patient_id == patient_id, Medication.formulary_id == formulary_id,
        Medication.entered_in_error.is_(False), Medication.status.in_(("active", "on-hold")),
    )
    if exclude_id is not None:
        stmt = stmt.where(Medication.id != exclude_id)
    return uow.session.execute(stmt.limit(1)).scalar_one_or_none()


# ---------------------------------------------------------------- alerts

def drug_ref(inp: MedicationInput, med_id: int | None = None) -> Any:
    """The alert engine's view of the drug in a form (DrugRef). Free text is recognised by name where the
    formulary or knowledge base knows it ("Coumadin"); otherwise it carries its name only and the check
    reports nothing for it (the form says so: uncoded drugs cannot be checked)."""
    from desktop.alerts import DrugRef, KnowledgeBaseUnavailable, UnknownDrug, drug_ref_from_text

    errors: dict[str, str] = {}
    coding = _coding(clean(inp), errors)
    if coding is None:
        raise ValidationError(errors)
    if coding.formulary_id or coding.ingredient_names:  # the formulary's, or the source's own coding (a PHR)
        return DrugRef(name=coding.drug_name, ingredients=coding.ingredient_names, classes=coding.classes,
                       rxcui=coding.product_rxcui or coding.ingredient_rxcui, med_id=med_id)
    try:
        try:
            formulary = _formulary()
        except KnowledgeBaseError:
            formulary = None
        return drug_ref_from_text(coding.drug_name, formulary, med_id=med_id)
    except (UnknownDrug, KnowledgeBaseUnavailable):
        return DrugRef(name=coding.drug_name, ingredients=(), med_id=med_id)


def check_medication(uow: UnitOfWork, patient_id: int, inp: MedicationInput, med_id: int | None = None) -> Any:
    """Run the alert checks for adding this drug to the patient's list (an alerts.AlertCheck)."""
    uow.require(Permission.VIEW_CHART)
    from . import alerts

    return alerts.check_for_patient(uow, patient_id, proposed=drug_ref(inp, med_id))


def _gate(uow: UnitOfWork, patient_id: int, inp: MedicationInput, decision: Decision | None,
          med_id: int | None = None) -> tuple[Any, NeedsDecision | None]:
    """The alert check of this drug and what it still needs (alert_decisions.gate)."""
    check = check_medication(uow, patient_id, inp, med_id)
    return check, gate(uow, check, decision, what=f"adding {inp.drug_name or inp.formulary_id}")


# ---------------------------------------------------------------- writes

def add_medication(uow: UnitOfWork, patient_id: int, inp: MedicationInput, decision: Decision | None = None, *,
                   provenance: Provenance | None = None) -> MedicationRow | NeedsDecision:
    """Add to the list. An active entry runs the alert checks first: NeedsDecision (nothing written) until the
    alerts are decided (desktop.services.alert_decisions). `provenance` when it comes from outside (a PHR file)."""
    uow.require(Permission.EDIT_CHART)
    require_patient(uow, patient_id)
    inp = clean(inp)
    errors, coding = validate(inp)
    if not errors and inp.status in ("active", "on-hold") and _same_product_active(
            uow, patient_id, coding.formulary_id if coding else None, None):
        errors["formulary_id"] = "This product is already on the active list; edit that entry instead"
    if errors:
        raise ValidationError(errors)
    refuse_before_birth(uow, patient_id, start_date=(inp.start_date, "Start date"))
    assert coding is not None
    check = None
    if inp.status == "active":
        check, need = _gate(uow, patient_id, inp, decision)
        if need is not None:
            return need
    m = Medication(patient_id=patient_id, created_by_id=uow.user.id, updated_by_id=uow.user.id,
                   **_columns(inp, coding))
    if provenance is not None:
        provenance.stamp(m)
    uow.session.add(m)
    uow.session.flush()
    record(uow, patient_id, check, decision, what=f"adding {m.drug_name}", medication_id=m.id)
    uow.audit("create", "medication", m.id, patient_id,
              f"{m.drug_name} ({'RxNorm ' + (m.product_rxcui or m.ingredient_rxcui) if m.ingredient_rxcui else 'uncoded'})"
              f"; {inp.status}; source {inp.source}" + (f"; {provenance.describe()}" if provenance else ""))
    return medication_row(m)


def update_medication(uow: UnitOfWork, medication_id: int, inp: MedicationInput, expected_version: int,
                      decision: Decision | None = None, *,
                      provenance: Provenance | None = None) -> MedicationRow | NeedsDecision:
    """Change an entry. A different drug, or a stopped one made active again, is checked like an addition."""
    uow.require(Permission.EDIT_CHART)
    inp = clean(inp)
    m = load_row(uow, Medication, medication_id, "medication")
    if m.entered_in_error:
        raise ServiceError("this medication was marked entered in error and can no longer be edited")
    check_version(uow, m, expected_version, "medication", _as_stored(inp), INPUT_FIELDS)
    errors, coding = validate(inp)
    if not errors and inp.status in ("active", "on-hold") and _same_product_active(
            uow, m.patient_id, coding.formulary_id if coding else None, m.id):
        errors["formulary_id"] = "This product is already on the active list"
    if errors:
        raise ValidationError(errors)
    refuse_before_birth(uow, m.patient_id, start_date=(inp.start_date, "Start date"))
    assert coding is not None
    # a different drug, or a stopped one restarted, is a new exposure: check it like an addition
    new_drug = (coding.formulary_id, coding.drug_name) != (m.formulary_id, m.drug_name)
    restarted = inp.status == "active" and m.status != "active"
    check = None
    if (new_drug or restarted) and inp.status == "active":
        check, need = _gate(uow, m.patient_id, inp, decision, m.id)
        if need is not None:
            return need
    if provenance is not None:
        provenance.stamp(m)
    changed = apply_changes(uow, m, _columns(inp, coding), INPUT_FIELDS, FIELD_LABELS, "medication", asdict(inp))
    record(uow, m.patient_id, check, decision, what=f"changing {m.drug_name}", medication_id=m.id)
    uow.audit("update", "medication", m.id, m.patient_id, f"{m.drug_name}; changed: {changed}"
              + (f"; {provenance.describe()}" if provenance else ""))
    return medication_row(m)


def stop_medication(uow: UnitOfWork, medication_id: int, reason: str, expected_version: int,
                    stop_date: date | None = None, status: str = "stopped") -> MedicationRow:
    """Discontinue (or mark completed) with a reason; the reason is kept in the entry's note and the audit log."""
    uow.require(Permission.EDIT_CHART)
    reason = (reason or "").strip()
    stop_date = stop_date or date.today()
    errors: dict[str, str] = {}
    if status not in STOP_STATUSES:
        errors["status"] = "Choose stopped or completed"
    if not reason:
        errors["reason"] = "Say why the medication is stopped"
    elif len(reason) > 500:
        errors["reason"] = "Too long (500 characters at most)"
    m = load_row(uow, Medication, medication_id, "medication")
    check_dates(errors, date.today(), "start_date", m.start_date, "stop_date", stop_date, "Start date", "Stop date")
    errors.pop("start_date", None)
    if errors:
        raise ValidationError(errors)
    if m.entered_in_error:
        raise ServiceError("this medication was marked entered in error")
    if m.status in STOP_STATUSES:
        raise ServiceError(f"{m.drug_name} is already {m.status}")
    check_version(uow, m, expected_version, "medication", {"status": status, "stop_date": stop_date},
                  ("status", "stop_date"))
    m.status = status
    m.stop_date = stop_date
    line = f"{'Stopped' if status == 'stopped' else 'Completed'} {stop_date:%Y-%m-%d}: {reason}"
    m.note = f"{m.note}\n{line}".strip() if m.note else line
    m.updated_by_id = uow.user.id
    flush(uow, "medication", m.id)
    uow.audit("stop", "medication", m.id, m.patient_id, f"{m.drug_name}; {status} {stop_date}; reason: {reason}")
    return medication_row(m)


def mark_medication_in_error(uow: UnitOfWork, medication_id: int, reason: str,
                             expected_version: int) -> MedicationRow:
    uow.require(Permission.EDIT_CHART)
    m = load_row(uow, Medication, medication_id, "medication")
    mark_in_error(uow, m, reason, expected_version, "medication", m.drug_name)
    return medication_row(m)
