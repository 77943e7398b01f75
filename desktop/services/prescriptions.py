"""Prescriptions: draft, validate, check alerts, sign, renew, modify, discontinue, history, print and reprint.

Rules (21 CFR 1306 for controlled substances):
- only a physician with a prescriber profile (NPI) writes and signs; controlled substances need a DEA number;
- schedule II: no refills; schedules III–V: at most 5 refills; others at most 11 (one year);
- quantity > 0 with a unit; the directions (sig) print in plain language;
- signing runs the clinical alerts first (desktop.services.alert_decisions): until each interrupting alert has a
  physician's override reason, or a check that could not run is acknowledged, `sign` returns NeedsDecision and
  signs nothing — never skipped silently;
- signing makes the prescription active and adds it to (or updates it on) the medication list;
- modify/renew write a new prescription; when it is signed the old one becomes "replaced";
- every print is recorded (who, when); the first is the original, later ones are marked "COPY — REPRINT".
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from desktop.domain.sig import SigParts, build_sig, days_supply, expand_sig, parse_sig, split_dose
from desktop.models import Medication, Patient, Prescriber, Prescription
from desktop.printing.data import CONTROLLED_SCHEDULES

from . import alerts as alert_service
from .alert_decisions import Decision, NeedsDecision, gate, record
from .check_digits import luhn_digit
from .documents import AlreadyPrinted as AlreadyPrinted  # printing lives in documents.py; named here too
from .documents import PrintJob as PrintJob
from .documents import prepare_rx_print as prepare_rx_print
from .documents import printed_before as printed_before
from .documents import record_print as record_print
from .errors import ConflictError, NotFound, PermissionDenied, ServiceError, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_REFILLS = 11  # non-controlled: a year of refills at most
MAX_REFILLS_III_V = 5  # 21 CFR 1306.22
SCHEDULES = ("",) + CONTROLLED_SCHEDULES
RX_PREFIX = "RX"


# ---------------------------------------------------------------- data in and out

@dataclass(frozen=True, slots=True)
class RxInput:
    """What the editor sends. With formulary_id, the drug fields and schedule come from the formulary."""

    drug_name: str = ""
    formulary_id: str | None = None
    ingredient_rxcui: str | None = None
    product_rxcui: str | None = None
    ingredients: str = ""  # lower-case generic names joined by "+"
    strength: str = ""
    dose_form: str = ""
    route: str = ""
    dose: str = ""  # amount: "1", "1/2", "1-2"
    dose_unit: str = ""  # "tablet"
    frequency: str = ""  # "bid" or words
    duration_days: int | None = None
    prn: bool = False
    prn_indication: str = ""
    sig_extra: str = ""  # appended to the built sig ("with food")
    sig_text: str = ""  # typed directions; when empty the sig is built from the parts above
    quantity: float = 0
    quantity_unit: str = ""
    days_supply: int | None = None  # None: computed from quantity and sig
    refills: int = 0
    substitution_allowed: bool = True
    pharmacist_note: str = ""
    dea_schedule: str = ""
    encounter_id: int | None = None


@dataclass(frozen=True, slots=True)
class RxView:
    id: int
    rx_number: str
    patient_id: int
    prescriber_id: int | None
    prescriber_name: str
    encounter_id: int | None
    formulary_id: str | None
    drug_name: str
    ingredients: str
    ingredient_rxcui: str | None
    product_rxcui: str | None
    strength: str
    dose_form: str
    route: str
    dose: str
    frequency: str
    duration_days: int | None
    prn: bool
    prn_indication: str
    sig_text: str
    quantity: float
    quantity_unit: str
    days_supply: int | None
    refills: int
    substitution_allowed: bool
    pharmacist_note: str
    dea_schedule: str
    status: str
    written_date: date | None
    signed_at: datetime | None
    discontinued_reason: str
    replaces_id: int | None
    version: int
    entered_in_error: bool = False
    # False for a free-text drug the alert engine cannot recognise (compounded cream, a new drug): the app says
    # "not checked for interactions"; the pharmacy copy never does
    interaction_checked: bool = True

    @property
    def controlled(self) -> bool:
        return self.dea_schedule in CONTROLLED_SCHEDULES

    @property
    def drug_line(self) -> str:
        parts = [self.drug_name]
        for extra in (self.strength, self.dose_form):
            if extra and extra.lower() not in self.drug_name.lower():
                parts.append(extra)
        return " ".join(parts)

    def as_input(self) -> RxInput:
        amount, unit = split_dose(self.dose)
        return RxInput(
            drug_name=self.drug_name, formulary_id=self.formulary_id, ingredient_rxcui=self.ingredient_rxcui,
            product_rxcui=self.product_rxcui, ingredients=self.ingredients, strength=self.strength,
            dose_form=self.dose_form, route=self.route, dose=amount, dose_unit=unit, frequency=self.frequency,
            duration_days=self.duration_days, prn=self.prn, prn_indication=self.prn_indication,
            sig_text=self.sig_text, quantity=self.quantity, quantity_unit=self.quantity_unit,
            days_supply=self.days_supply, refills=self.refills, substitution_allowed=self.substitution_allowed,
            pharmacist_note=self.pharmacist_note, dea_schedule=self.dea_schedule, encounter_id=self.encounter_id,
        )


# ---------------------------------------------------------------- helpers

def _view(rx: Prescription, prescriber_name: str = "") -> RxView:
    return RxView(
        id=rx.id, rx_number=rx.rx_number, patient_id=rx.patient_id, prescriber_id=rx.prescriber_id,
        prescriber_name=prescriber_name, encounter_id=rx.encounter_id, formulary_id=rx.formulary_id,
        drug_name=rx.drug_name, ingredients=rx.ingredients or "", ingredient_rxcui=rx.ingredient_rxcui,
        product_rxcui=rx.product_rxcui, strength=rx.strength or "", dose_form=rx.dose_form or "",
        route=rx.route or "", dose=rx.dose or "", frequency=rx.frequency or "", duration_days=rx.duration_days,
        prn=bool(rx.prn), prn_indication=rx.prn_indication or "", sig_text=rx.sig_text or "",
        quantity=float(rx.quantity or 0), quantity_unit=rx.quantity_unit or "", days_supply=rx.days_supply,
        refills=int(rx.refills or 0), substitution_allowed=bool(rx.substitution_allowed),
        pharmacist_note=rx.pharmacist_note or "", dea_schedule=rx.dea_schedule or "", status=rx.status,
        written_date=rx.written_date, signed_at=rx.signed_at, discontinued_reason=rx.discontinued_reason or "",
        replaces_id=rx.replaces_id, version=rx.version, entered_in_error=bool(rx.entered_in_error),
        interaction_checked=_checkable(rx),
    )


def _prescriber_names(uow: UnitOfWork, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(Prescriber.id, Prescriber.full_name, Prescriber.credentials).where(Prescriber.id.in_(wanted))
    ).all()
    return {r.id: f"{r.full_name}, {r.credentials}" if r.credentials else r.full_name for r in rows}


def _checkable(rx: Prescription) -> bool:
    """A formulary drug is checked; free text only when the alert engine still recognises the name."""
    return bool(rx.formulary_id) or alert_service.drug_is_checkable(_drug_ref(rx))


def _views(uow: UnitOfWork, rows: Sequence[Prescription]) -> list[RxView]:
    names = _prescriber_names(uow, {r.prescriber_id for r in rows})
    return [_view(r, names.get(r.prescriber_id, "")) for r in rows]


def _load(uow: UnitOfWork, rx_id: int) -> Prescription:
    rx = uow.session.get(Prescription, rx_id)
    if rx is None or rx.entered_in_error:
        raise NotFound(f"no prescription with id {rx_id}")
    return rx


def _check_version(rx: Prescription, expected_version: int | None) -> None:
    if expected_version is not None and rx.version != expected_version:
        raise ConflictError(entity="prescription", entity_id=rx.id, their_version=rx.version)


def _current_prescriber(uow: UnitOfWork) -> Prescriber:
    uow.require(Permission.PRESCRIBE)
    p = None
    if uow.user.id is not None:
        p = uow.session.execute(select(Prescriber).where(Prescriber.user_id == uow.user.id)).scalar_one_or_none()
    if p is None:
        raise PermissionDenied(
            "you have no prescriber profile (NPI): ask the administrator to add it before prescribing"
        )
    return p


def rx_number_for(rx_id: int) -> str:
    """'RX' + 8-digit id + Luhn check digit: unique (the id is), short, and a mistyped digit is caught."""
    core = f"{rx_id:08d}"
    return f"{RX_PREFIX}{core}{luhn_digit(core)}"


def rx_number_valid(number: str) -> bool:
    number = number.strip().upper()
    core = number[len(RX_PREFIX):]
    return number.startswith(RX_PREFIX) and core.isdigit() and len(core) >= 2 and \
        luhn_digit(core[:-1]) == core[-1]


def find_prescription_id(uow: UnitOfWork, ref: str) -> int:
    """A prescription id ('17') or number ('RX000000174') as typed on the command line or scanned."""
    ref = ref.strip()
    if ref.isdigit():
        return int(ref)
    rx_id = uow.session.execute(select(Prescription.id).where(Prescription.rx_number == ref.upper())).scalar()
    if rx_id is None:
        raise NotFound(f"no prescription numbered {ref}")
    return rx_id


# ---------------------------------------------------------------- formulary

def _formulary():
    """The shipped formulary, or None when it is not installed (free-text drugs still work)."""
    try:
        from desktop.kb.formulary import load_formulary
    except ImportError as exc:
        log.warning("formulary module unavailable: %s", exc)
        return None
    return load_formulary()


def _apply_formulary(inp: RxInput) -> RxInput:
    """Fill the drug fields from the formulary product: names, codes and the DEA schedule are not typed."""
    if not inp.formulary_id:
        return inp
    formulary = _formulary()
    if formulary is None:
        return inp
    product = formulary.by_id(inp.formulary_id)
    if product is None:
        raise ValidationError({"drug_name": f"{inp.formulary_id} is not in the formulary"})
    ingredients = list(product.ingredients)
    return replace(
        inp,
        drug_name=product.generic,
        ingredients="+".join(i.name.lower() for i in ingredients),
        ingredient_rxcui=(ingredients[0].rxcui if len(ingredients) == 1 else None) or None,
        product_rxcui=product.product_rxcui or None,
        strength=product.strength,
        dose_form=product.dose_form,
        route=inp.route or product.route,
        dea_schedule=product.dea_schedule or "",
        quantity_unit=inp.quantity_unit or product.dispense_unit,
    )


# ---------------------------------------------------------------- sig and validation

def sig_for(inp: RxInput) -> str:
    """The plain-language directions: the typed text expanded, or built from dose/route/frequency."""
    if inp.sig_text.strip():
        return expand_sig(inp.sig_text)
    return build_sig(SigParts(dose=inp.dose, dose_unit=inp.dose_unit, route=inp.route, frequency=inp.frequency,
                              duration_days=inp.duration_days, prn=inp.prn, prn_indication=inp.prn_indication,
                              extra=inp.sig_extra))


def structured(inp: RxInput) -> RxInput:
    """With typed directions, the dose, route, frequency and duration are read from what was typed, so the
    stored fields and the days supply agree with the printed sig."""
    if not inp.sig_text.strip():
        return inp
    parts = parse_sig(inp.sig_text)
    return replace(inp, dose=parts.dose, dose_unit=parts.dose_unit, route=parts.route or inp.route,
                   frequency=parts.frequency, duration_days=parts.duration_days, prn=parts.prn,
                   prn_indication=inp.prn_indication if parts.prn else "")


def computed_days_supply(inp: RxInput) -> int | None:
    inp = structured(inp)
    return days_supply(inp.quantity, inp.quantity_unit, inp.dose, inp.dose_unit, inp.frequency, inp.duration_days)


def max_refills(schedule: str) -> int:
    if schedule == "II":
        return 0
    if schedule in ("III", "IV", "V"):
        return MAX_REFILLS_III_V
    return MAX_REFILLS


def _has_emoji(text: str) -> bool:
    """Emoji and other pictographs beyond the Basic Multilingual Plane: the printing font has no glyph for them
    (the signs it does print, like ½ — ≤ ★ ✓, are allowed)."""
    return any(ord(c) > 0xFFFF for c in text or "")


def validate_rx(inp: RxInput, *, prescriber_dea: str | None, patient_address: bool = True) -> dict[str, str]:
    """Field -> message for everything that would make a pharmacist refuse the prescription."""
    errors: dict[str, str] = {}
    if not inp.drug_name.strip():
        errors["drug_name"] = "choose a drug"
    if inp.dea_schedule not in SCHEDULES:
        errors["dea_schedule"] = f"unknown DEA schedule {inp.dea_schedule!r}"
    if not (inp.quantity > 0):
        errors["quantity"] = "the quantity must be more than 0"
    elif inp.quantity > 100_000:
        errors["quantity"] = "the quantity is implausibly large"
    if not inp.quantity_unit.strip():
        errors["quantity_unit"] = "give the unit of the quantity (tablets, mL, inhaler...)"
    if not (inp.sig_text.strip() or inp.frequency.strip() or inp.dose.strip()):
        errors["sig"] = "give the directions (dose, route, frequency)"
    if inp.prn and not inp.prn_indication.strip() and not inp.sig_text.strip():
        errors["prn_indication"] = "say what the medicine is taken for when needed (e.g. pain)"
    if inp.refills < 0:
        errors["refills"] = "refills cannot be negative"
    elif inp.dea_schedule == "II" and inp.refills > 0:
        errors["refills"] = "schedule II controlled substances cannot be refilled (21 CFR 1306.12)"
    elif inp.refills > max_refills(inp.dea_schedule):
        if inp.dea_schedule in ("III", "IV", "V"):
            errors["refills"] = (f"schedule {inp.dea_schedule} allows at most {MAX_REFILLS_III_V} refills "
                                 "(21 CFR 1306.22)")
        else:
            errors["refills"] = f"at most {MAX_REFILLS} refills"
    if inp.days_supply is not None and not (0 < inp.days_supply <= 400):
        errors["days_supply"] = "days supply must be between 1 and 400"
    if inp.duration_days is not None and inp.duration_days <= 0:
        errors["duration_days"] = "the duration must be at least one day"
    if len(inp.pharmacist_note) > 500:
        errors["pharmacist_note"] = "keep the note to the pharmacist under 500 characters"
    for name, key in (("drug_name", "drug_name"), ("sig_text", "sig"), ("sig_extra", "sig"),
                      ("prn_indication", "prn_indication"), ("pharmacist_note", "pharmacist_note")):
        if key not in errors and _has_emoji(getattr(inp, name)):
            errors[key] = "emoji and pictographs do not print on a prescription (the pharmacy sees an empty box)"
    if inp.dea_schedule in CONTROLLED_SCHEDULES:
        if not (prescriber_dea or "").strip():
            errors["dea_schedule"] = (f"a schedule {inp.dea_schedule} controlled substance needs the prescriber's "
                                      "DEA number: ask the administrator to add it to your profile")
        if not patient_address:
            errors["patient"] = "a controlled-substance prescription needs the patient's address (21 CFR 1306.05)"
    return errors


def _patient_has_address(patient: Patient) -> bool:
    return bool(patient.address_line1.strip() and patient.city.strip())


def fill_row(rx: Prescription, inp: RxInput) -> None:
    """The prescription row from an input: the sig, days supply and structured fields agree (drafts, demo)."""
    sig = sig_for(inp)
    supply = inp.days_supply if inp.days_supply is not None else computed_days_supply(inp)
    inp = structured(inp)
    rx.formulary_id = inp.formulary_id
    rx.drug_name = inp.drug_name.strip()
    rx.ingredient_rxcui = inp.ingredient_rxcui
    rx.product_rxcui = inp.product_rxcui
    rx.ingredients = inp.ingredients or inp.drug_name.strip().lower()
    rx.strength, rx.dose_form, rx.route = inp.strength.strip(), inp.dose_form.strip(), inp.route.strip()
    rx.dose = f"{inp.dose.strip()} {inp.dose_unit.strip()}".strip()
    rx.frequency = inp.frequency.strip()
    rx.duration_days = inp.duration_days
    rx.prn, rx.prn_indication = inp.prn, inp.prn_indication.strip()
    rx.sig_text = sig
    rx.quantity, rx.quantity_unit = float(inp.quantity), inp.quantity_unit.strip()
    rx.days_supply = supply
    rx.refills = inp.refills
    rx.substitution_allowed = inp.substitution_allowed
    rx.pharmacist_note = inp.pharmacist_note.strip()
    rx.dea_schedule = inp.dea_schedule
    rx.encounter_id = inp.encounter_id


def _refuse_unprintable(uow: UnitOfWork, rx: Prescription, patient: Patient, prescriber: Prescriber) -> None:
    """Signed prescriptions cannot change and are printed afterwards: one too long to print on a page (a 2,000-
    character sig was signed, then every print failed) is refused while it is still a draft."""
    from desktop.printing.rx import fits_a_page

    from . import documents
    from .prescribers import get_page_size

    item = documents.rx_item(rx)
    if not fits_a_page(replace(item, rx_number=item.rx_number[:11]), documents.practice_info(uow),
                       documents.prescriber_info(prescriber), documents.patient_info(patient),
                       page_size_name=get_page_size(uow)):
        raise ValidationError({"sig": "the directions and the note to the pharmacist are too long to print on "
                                      "one page: shorten them"})


def _summary(rx: Prescription) -> str:
    sched = f" C-{rx.dea_schedule}" if rx.dea_schedule else ""
    return f"{rx.rx_number} {rx.drug_name} {rx.strength} #{rx.quantity:g} R{rx.refills}{sched}".strip()


def _prepare(uow: UnitOfWork, patient: Patient, inp: RxInput, prescriber: Prescriber) -> RxInput:
    inp = _apply_formulary(inp)
    errors = validate_rx(inp, prescriber_dea=prescriber.dea_number, patient_address=_patient_has_address(patient))
    if errors:
        raise ValidationError(errors)
    return inp


# ---------------------------------------------------------------- drafts

def create_draft(uow: UnitOfWork, patient_id: int, inp: RxInput, *, replaces_id: int | None = None) -> RxView:
    prescriber = _current_prescriber(uow)
    s = uow.session
    patient = s.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"no patient with id {patient_id}")
    inp = _prepare(uow, patient, inp, prescriber)
    rx = Prescription(patient_id=patient_id, prescriber_id=prescriber.id, status="draft",
                      rx_number=f"tmp-{uuid.uuid4().hex[:24]}", replaces_id=replaces_id,
                      created_by_id=uow.user.id, updated_by_id=uow.user.id)
    fill_row(rx, inp)
    _refuse_unprintable(uow, rx, patient, prescriber)
    s.add(rx)
    s.flush()  # the id makes the unique number
    rx.rx_number = rx_number_for(rx.id)
    s.flush()
    uow.audit("create", "prescription", rx.id, patient_id, summary=f"draft {_summary(rx)}")
    return _view(rx, _name(prescriber))


def update_draft(uow: UnitOfWork, rx_id: int, inp: RxInput, *, expected_version: int | None = None) -> RxView:
    prescriber = _current_prescriber(uow)
    rx = _load(uow, rx_id)
    _check_version(rx, expected_version)
    if rx.status != "draft":
        raise ServiceError(f"prescription {rx.rx_number} is {rx.status}; only a draft can be edited "
                           "(use Modify to write a new one)")
    patient = uow.session.get(Patient, rx.patient_id)
    assert patient is not None
    inp = _prepare(uow, patient, inp, prescriber)
    fill_row(rx, inp)
    _refuse_unprintable(uow, rx, patient, prescriber)
    rx.prescriber_id = prescriber.id
    rx.updated_by_id = uow.user.id
    uow.session.flush()
    uow.audit("update", "prescription", rx.id, rx.patient_id, summary=f"draft {_summary(rx)}")
    return _view(rx, _name(prescriber))


def discard_draft(uow: UnitOfWork, rx_id: int, reason: str = "draft discarded") -> None:
    _current_prescriber(uow)
    rx = _load(uow, rx_id)
    if rx.status != "draft":
        raise ServiceError(f"prescription {rx.rx_number} is {rx.status}: discontinue it instead")
    rx.entered_in_error = True
    rx.error_reason = reason
    rx.error_at = datetime.now(UTC)
    rx.error_by_id = uow.user.id
    uow.audit("entered_in_error", "prescription", rx.id, rx.patient_id, summary=f"{_summary(rx)}: {reason}")


def _name(p: Prescriber) -> str:
    return f"{p.full_name}, {p.credentials}" if p.credentials else p.full_name


# ---------------------------------------------------------------- reading

def get_prescription(uow: UnitOfWork, rx_id: int) -> RxView:
    if not (uow.can(Permission.VIEW_CHART) or uow.can(Permission.PRINT)):
        uow.require(Permission.VIEW_CHART)
    rx = _load(uow, rx_id)
    return _views(uow, [rx])[0]


def history(uow: UnitOfWork, patient_id: int, *, include_drafts: bool = True) -> list[RxView]:
    """Every prescription of the patient, newest first (discarded drafts left out)."""
    if not (uow.can(Permission.VIEW_CHART) or uow.can(Permission.PRINT)):
        uow.require(Permission.VIEW_CHART)
    stmt = select(Prescription).where(Prescription.patient_id == patient_id,
                                      Prescription.entered_in_error.is_(False))
    if not include_drafts:
        stmt = stmt.where(Prescription.status != "draft")
    rows = uow.session.execute(stmt.order_by(Prescription.id.desc())).scalars().all()
    uow.audit("read", "prescription", None, patient_id, summary=f"prescription history ({len(rows)})")
    return _views(uow, rows)


def active_prescriptions(uow: UnitOfWork, patient_id: int) -> list[RxView]:
    return [v for v in history(uow, patient_id, include_drafts=False) if v.status == "active"]


# ---------------------------------------------------------------- alerts and signing

def _drug_ref(rx: Prescription, med_id: int | None = None):
    """The drug for the alert engine; `med_id` is the medication-list row this prescription will update (a
    renewal, or the same drug already listed), which must not be compared with itself."""
    from desktop.alerts import DrugRef

    ingredients = tuple(i for i in (rx.ingredients or "").split("+") if i)
    classes: tuple[str, ...] = ()
    if rx.formulary_id:
        formulary = _formulary()
        product = formulary.by_id(rx.formulary_id) if formulary else None
        if product is not None:
            classes = tuple(product.classes)
    return DrugRef(name=rx.drug_name, ingredients=ingredients or (rx.drug_name.lower(),), classes=classes,
                   rxcui=rx.ingredient_rxcui or rx.product_rxcui, med_id=med_id)


def check_before_signing(uow: UnitOfWork, rx_id: int) -> Any:
    """The alerts signing this prescription raises against the patient's chart (an alerts.AlertCheck)."""
    uow.require(Permission.PRESCRIBE)
    rx = _load(uow, rx_id)
    replaced = uow.session.get(Prescription, rx.replaces_id) if rx.replaces_id else None
    row = _medication_row(uow, rx, replaced if replaced is not None and replaced.status == "active" else None)
    return alert_service.check_for_patient(uow, rx.patient_id, _drug_ref(rx, row.id if row else None))


def drug_not_checked(rx: Any, check: Any) -> bool:
    """The prescribed drug itself could not be checked for interactions (free text nobody recognises)."""
    return rx.drug_name in tuple(getattr(check, "unchecked", ()) or ())


def sign(uow: UnitOfWork, rx_id: int, decision: Decision | None = None, *, expected_version: int | None = None,
         today: date | None = None) -> RxView | NeedsDecision:
    """Sign a draft: re-run the alerts; NeedsDecision (nothing signed) until each interrupting alert has a
    physician's override with a reason, or a check that could not run is acknowledged; then make it active."""
    prescriber = _current_prescriber(uow)
    rx = _load(uow, rx_id)
    _check_version(rx, expected_version)
    if rx.status != "draft":
        raise ServiceError(f"prescription {rx.rx_number} is already {rx.status}")
    patient = uow.session.get(Patient, rx.patient_id)
    assert patient is not None
    errors = validate_rx(_view(rx).as_input(), prescriber_dea=prescriber.dea_number,
                         patient_address=_patient_has_address(patient))
    if errors:
        raise ValidationError(errors)
    _refuse_unprintable(uow, rx, patient, prescriber)  # a draft saved before this check existed

    check = check_before_signing(uow, rx_id)
    what = f"signing {rx.rx_number} ({rx.drug_name})"
    need = gate(uow, check, decision, what=what)
    if need is not None:
        return need
    overridden = record(uow, rx.patient_id, check, decision, what=what, prescription_id=rx.id)

    today = today or date.today()
    rx.status = "active"
    rx.written_date = today
    rx.signed_at = datetime.now(UTC)
    rx.prescriber_id = prescriber.id
    rx.updated_by_id = uow.user.id
    replaced = None
    if rx.replaces_id:
        replaced = uow.session.get(Prescription, rx.replaces_id)
        if replaced is not None and replaced.status == "active":
            replaced.status = "replaced"
            replaced.discontinued_reason = f"replaced by {rx.rx_number}"
            replaced.updated_by_id = uow.user.id
            uow.audit("replace", "prescription", replaced.id, rx.patient_id,
                      summary=f"{replaced.rx_number} replaced by {rx.rx_number}")
    _update_medication_list(uow, rx, replaced, today)
    uow.session.flush()
    uow.audit("sign", "prescription", rx.id, rx.patient_id,
              summary=_summary(rx) + (f" ({overridden} alert(s) overridden)" if overridden else "")
              + ("" if getattr(check, "kb_available", True) else " (signed without interaction checking)")
              + (" (free text: not checked for interactions)" if drug_not_checked(rx, check) else ""))
    return _view(rx, _name(prescriber))


def _medication_row(uow: UnitOfWork, rx: Prescription, replaced: Prescription | None) -> Medication | None:
    """The medication-list row this prescription will update: its predecessor's, or the same drug's active row
    (e.g. patient-reported); None when signing adds a new row."""
    s = uow.session
    row = None
    if replaced is not None:
        row = s.execute(select(Medication).where(Medication.prescription_id == replaced.id,
                                                 Medication.entered_in_error.is_(False))).scalars().first()
    if row is None:
        same = select(Medication).where(Medication.patient_id == rx.patient_id, Medication.status == "active",
                                        Medication.entered_in_error.is_(False))
        if rx.formulary_id:
            same = same.where(Medication.formulary_id == rx.formulary_id)
        else:
            same = same.where(func.lower(Medication.drug_name) == rx.drug_name.lower(),
                              Medication.strength == rx.strength)
        row = s.execute(same.order_by(Medication.id)).scalars().first()
    return row


def _update_medication_list(uow: UnitOfWork, rx: Prescription, replaced: Prescription | None, today: date) -> None:
    """The signed prescription is on the medication list: update its predecessor's row, or the same drug's
    row (e.g. patient-reported), else add a row."""
    s = uow.session
    row = _medication_row(uow, rx, replaced)
    action = "update"
    if row is None:
        row = Medication(patient_id=rx.patient_id, created_by_id=uow.user.id, start_date=today, source="clinic")
        s.add(row)
        action = "create"
    row.drug_name = rx.drug_name if not rx.strength else f"{rx.drug_name} {rx.strength}".strip()
    if rx.dose_form and rx.dose_form.lower() not in row.drug_name.lower():
        row.drug_name = f"{row.drug_name} {rx.dose_form}"
    row.formulary_id, row.ingredient_rxcui, row.product_rxcui = rx.formulary_id, rx.ingredient_rxcui, rx.product_rxcui
    row.ingredients = rx.ingredients
    row.strength, row.dose_form, row.route = rx.strength, rx.dose_form, rx.route
    row.sig = rx.sig_text
    row.status = "active"
    row.stop_date = None
    row.source = "clinic"
    row.prescription_id = rx.id
    row.updated_by_id = uow.user.id
    s.flush()
    uow.audit(action, "medication", row.id, rx.patient_id, summary=f"from prescription {rx.rx_number}")


# ---------------------------------------------------------------- renew, modify, discontinue

def renew(uow: UnitOfWork, rx_id: int) -> RxView:
    """A new draft with the same drug and directions; signing it replaces the old one."""
    _current_prescriber(uow)
    old = _load(uow, rx_id)
    if old.status == "draft":
        raise ServiceError(f"prescription {old.rx_number} is still a draft: sign or edit it instead")
    base = _view(old).as_input()
    return create_draft(uow, old.patient_id, replace(base, days_supply=old.days_supply, encounter_id=None),
                        replaces_id=old.id if old.status == "active" else None)


def modify(uow: UnitOfWork, rx_id: int, inp: RxInput) -> RxView:
    """A new draft with changed details; the old prescription stays active until the new one is signed."""
    _current_prescriber(uow)
    old = _load(uow, rx_id)
    if old.status != "active":
        raise ServiceError(f"prescription {old.rx_number} is {old.status}; only an active one can be modified")
    return create_draft(uow, old.patient_id, inp, replaces_id=old.id)


def discontinue(uow: UnitOfWork, rx_id: int, reason: str, *, expected_version: int | None = None,
                today: date | None = None) -> RxView:
    _current_prescriber(uow)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "give the reason for stopping this prescription"})
    rx = _load(uow, rx_id)
    _check_version(rx, expected_version)
    if rx.status != "active":
        raise ServiceError(f"prescription {rx.rx_number} is {rx.status}; only an active one can be discontinued")
    rx.status = "discontinued"
    rx.discontinued_reason = reason
    rx.updated_by_id = uow.user.id
    for med in uow.session.execute(select(Medication).where(Medication.prescription_id == rx.id,
                                                            Medication.status == "active")).scalars():
        med.status = "stopped"
        med.stop_date = today or date.today()
        med.note = (med.note + "\n" if med.note else "") + f"Stopped: {reason}"
        med.updated_by_id = uow.user.id
        uow.audit("stop", "medication", med.id, rx.patient_id, summary=f"prescription {rx.rx_number} discontinued")
    uow.session.flush()
    uow.audit("discontinue", "prescription", rx.id, rx.patient_id, summary=f"{_summary(rx)}: {reason}")
    return _views(uow, [rx])[0]
