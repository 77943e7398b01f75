"""Immunizations: vaccines from resources/kb/vaccines.json (CVX), given here or historical (with its source).

The same vaccine on the same date is refused as a duplicate (a record brought twice, or a double click).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date

from sqlalchemy import select

from desktop.kb.errors import KnowledgeBaseError
from desktop.models import Immunization

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

SITES = ("left deltoid", "right deltoid", "left thigh", "right thigh", "left arm", "right arm",
         "left gluteal", "right gluteal", "mouth", "nose", "other")
ROUTES = ("intramuscular", "subcutaneous", "oral", "intranasal", "intradermal")


@dataclass(frozen=True, slots=True)
class ImmunizationInput:
    cvx_code: str = ""
    date_given: date | None = None
    lot_number: str = ""
    manufacturer: str = ""
    site: str = ""
    route: str = ""
    dose_number: str = ""
    given_here: bool = True
    historical_source: str = ""  # for historical doses: where the record came from (e.g. "state registry")
    note: str = ""
    vaccine: str = ""  # a historical dose's vaccine as its record names it, when it has no CVX code in the list


FIELD_LABELS = {
    "cvx_code": "Vaccine", "date_given": "Date given", "lot_number": "Lot", "manufacturer": "Manufacturer",
    "site": "Site", "route": "Route", "dose_number": "Dose", "given_here": "Given here",
    "historical_source": "Source of record", "note": "Note", "vaccine": "Vaccine",
}
INPUT_FIELDS = tuple(f.name for f in fields(ImmunizationInput))


@dataclass(frozen=True, slots=True)
class ImmunizationRow:
    id: int
    version: int
    patient_id: int
    vaccine: str
    cvx_code: str
    date_given: date
    lot_number: str
    manufacturer: str
    site: str
    route: str
    dose_number: str
    given_here: bool
    historical_source: str
    note: str
    source: str  # PHR source system for imported rows
    entered_in_error: bool
    error_reason: str

    @property
    def origin(self) -> str:
        return "given here" if self.given_here else f"historical{': ' + self.historical_source if self.historical_source else ''}"

    def as_input(self) -> ImmunizationInput:
        return ImmunizationInput(**{n: getattr(self, n) for n in INPUT_FIELDS if n != "vaccine"},
                                 vaccine="" if self.cvx_code else self.vaccine)


def immunization_row(i: Immunization) -> ImmunizationRow:
    return ImmunizationRow(
        id=i.id, version=i.version, patient_id=i.patient_id, vaccine=i.vaccine, cvx_code=i.cvx_code or "",
        date_given=i.date_given, lot_number=i.lot_number or "", manufacturer=i.manufacturer or "", site=i.site or "",
        route=i.route or "", dose_number=i.dose_number or "", given_here=i.given_here,
        historical_source=i.historical_source or "", note=i.note or "", source=i.source_system or "",
        entered_in_error=i.entered_in_error, error_reason=i.error_reason or "",
    )


def list_immunizations(uow: UnitOfWork, patient_id: int, include_errors: bool = False) -> list[ImmunizationRow]:
    """Newest first."""
    uow.require(Permission.VIEW_CHART)
    stmt = select(Immunization).where(Immunization.patient_id == patient_id)
    if not include_errors:
        stmt = stmt.where(Immunization.entered_in_error.is_(False))
    stmt = stmt.order_by(Immunization.entered_in_error, Immunization.date_given.desc(), Immunization.vaccine,
                         Immunization.id)
    return [immunization_row(i) for i in uow.session.execute(stmt).scalars()]


def get_immunization(uow: UnitOfWork, immunization_id: int) -> ImmunizationRow:
    uow.require(Permission.VIEW_CHART)
    return immunization_row(load_row(uow, Immunization, immunization_id, "immunization"))


def clean(inp: ImmunizationInput) -> ImmunizationInput:
    inp = strip_strings(inp)
    return replace(inp, site=inp.site.lower(), route=inp.route.lower(),
                   historical_source="" if inp.given_here else inp.historical_source)


def validate(inp: ImmunizationInput, today: date | None = None) -> tuple[dict[str, str], str]:
    """(errors, vaccine name)."""
    today = today or date.today()
    errors: dict[str, str] = {}
    name = ""
    if not inp.cvx_code and inp.vaccine and not inp.given_here:
        name = inp.vaccine  # an outside record without a code: kept by name, uncoded (never a guessed code)
    elif not inp.cvx_code:
        errors["cvx_code"] = "Pick the vaccine"
    else:
        try:
            from desktop.kb.vaccines import by_cvx

            vaccine = by_cvx(inp.cvx_code)
        except KnowledgeBaseError as exc:
            vaccine = None
            errors["cvx_code"] = f"The vaccine list could not be loaded: {exc}"
        if vaccine is not None:
            name = vaccine.name
        elif "cvx_code" not in errors:
            errors["cvx_code"] = f"CVX {inp.cvx_code} is not in the vaccine list"
    if inp.date_given is None:
        errors["date_given"] = "Date given is required"
    else:
        check_dates(errors, today, "date_given", inp.date_given, start_label="Date given")
    if inp.given_here and not inp.lot_number:
        errors["lot_number"] = "The lot number is required for a dose given here"
    if not inp.given_here and not inp.historical_source:
        errors["historical_source"] = "Say where the record of this dose comes from"
    if inp.site and inp.site not in SITES:
        errors["site"] = "Choose a site from the list"
    if inp.route and inp.route not in ROUTES:
        errors["route"] = "Choose a route from the list"
    check_lengths(errors, Immunization, {n: getattr(inp, n) for n in (
        "vaccine", "lot_number", "manufacturer", "dose_number", "historical_source", "note")})
    return errors, name


def _duplicate(uow: UnitOfWork, patient_id: int, cvx: str, name: str, day: date,
               exclude_id: int | None) -> Immunization | None:
    same = Immunization.cvx_code == cvx if cvx else Immunization.vaccine == name
    stmt = select(Immunization).where(
        Immunization.patient_id == patient_id, same, Immunization.date_given == day,
        Immunization.entered_in_error.is_(False),
    )
    if exclude_id is not None:
        stmt = stmt.where(Immunization.id != exclude_id)
    return uow.session.execute(stmt.limit(1)).scalar_one_or_none()


def _duplicate_message(row: Immunization) -> str:
    return f"{row.vaccine} on {row.date_given:%Y-%m-%d} is already recorded; this would be a duplicate"


def _columns(inp: ImmunizationInput, name: str) -> dict:
    """The row's columns for this form (the vaccine's name from the list, or a historical record's own)."""
    return dict(vaccine=name, cvx_code=inp.cvx_code or None, date_given=inp.date_given, lot_number=inp.lot_number,
                manufacturer=inp.manufacturer, site=inp.site, route=inp.route, dose_number=inp.dose_number,
                given_here=inp.given_here, historical_source=inp.historical_source, note=inp.note)


def _normalise_cvx(inp: ImmunizationInput) -> ImmunizationInput:
    """Store the catalogue's spelling of the code ('3' -> '03'), so duplicates compare equal."""
    try:
        from desktop.kb.vaccines import by_cvx

        vaccine = by_cvx(inp.cvx_code) if inp.cvx_code else None
    except KnowledgeBaseError:
        return inp
    return replace(inp, cvx_code=vaccine.cvx) if vaccine else inp


def add_immunization(uow: UnitOfWork, patient_id: int, inp: ImmunizationInput, *,
                     provenance: Provenance | None = None) -> ImmunizationRow:
    """Record a dose; the same vaccine on the same date is refused. `provenance`: from a PHR file."""
    uow.require(Permission.EDIT_CHART)
    require_patient(uow, patient_id)
    inp = _normalise_cvx(clean(inp))
    errors, name = validate(inp)
    if errors:
        raise ValidationError(errors)
    assert inp.date_given is not None
    refuse_before_birth(uow, patient_id, date_given=(inp.date_given, "Date given"))
    dup = _duplicate(uow, patient_id, inp.cvx_code, name, inp.date_given, None)
    if dup is not None:
        raise ValidationError({"date_given": _duplicate_message(dup)})
    i = Immunization(patient_id=patient_id, created_by_id=uow.user.id, updated_by_id=uow.user.id,
                     **_columns(inp, name))
    if provenance is not None:
        provenance.stamp(i)
    uow.session.add(i)
    uow.session.flush()
    where = "given here" if inp.given_here else f"historical, source {inp.historical_source}"
    uow.audit("create", "immunization", i.id, patient_id,
              f"{name} (CVX {inp.cvx_code or 'none'}) {inp.date_given:%Y-%m-%d}; {where}; lot {inp.lot_number or '-'}"
              + (f"; {provenance.describe()}" if provenance else ""))
    return immunization_row(i)


def update_immunization(uow: UnitOfWork, immunization_id: int, inp: ImmunizationInput,
                        expected_version: int, *, provenance: Provenance | None = None) -> ImmunizationRow:
    uow.require(Permission.EDIT_CHART)
    inp = _normalise_cvx(clean(inp))
    i = load_row(uow, Immunization, immunization_id, "immunization")
    if i.entered_in_error:
        raise ServiceError("this immunization was marked entered in error and can no longer be edited")
    check_version(uow, i, expected_version, "immunization", asdict(inp), INPUT_FIELDS)
    errors, name = validate(inp)
    if errors:
        raise ValidationError(errors)
    assert inp.date_given is not None
    refuse_before_birth(uow, i.patient_id, date_given=(inp.date_given, "Date given"))
    dup = _duplicate(uow, i.patient_id, inp.cvx_code, name, inp.date_given, i.id)
    if dup is not None:
        raise ValidationError({"date_given": _duplicate_message(dup)})
    if provenance is not None:
        provenance.stamp(i)
    changed = apply_changes(uow, i, _columns(inp, name), (n for n in INPUT_FIELDS if n != "vaccine"), FIELD_LABELS,
                            "immunization", asdict(inp))
    uow.audit("update", "immunization", i.id, i.patient_id, f"{i.vaccine} {i.date_given:%Y-%m-%d}; changed: {changed}")
    return immunization_row(i)


def mark_immunization_in_error(uow: UnitOfWork, immunization_id: int, reason: str,
                               expected_version: int) -> ImmunizationRow:
    uow.require(Permission.EDIT_CHART)
    i = load_row(uow, Immunization, immunization_id, "immunization")
    mark_in_error(uow, i, reason, expected_version, "immunization", f"{i.vaccine} {i.date_given:%Y-%m-%d}")
    return immunization_row(i)
