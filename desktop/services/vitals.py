"""Vital signs: the nurse's intake set, plausibility limits, soft normal ranges, flowsheet and trends.

One intake set becomes one row per value (LOINC + canonical UCUM unit) sharing a set_id. Limits and ranges
come from the one vitals catalog, desktop.kb.vitals (resources/kb/vital_signs.json, each with its source); unit
conversion is desktop.kb.units and age desktop.kb.age. Alert thresholds are not here (alerts).
Times are stored in UTC; SQLite hands them back naive, so every read goes through `_utc`.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import islice
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update

from desktop.kb import age as kb_age
from desktop.kb import display_units
from desktop.kb import units as kb_units
from desktop.kb import vitals as kb_vitals
from desktop.kb.vitals import (
    BMI,
    DIASTOLIC,
    HEART_RATE,
    HEIGHT,
    PAIN,
    PULSE_OX,
    RESP_RATE,
    SPO2,
    SYSTOLIC,
    TEMPERATURE,
    WEIGHT,
)
from desktop.models import Patient, VitalSign

from .alert_decisions import Decision, NeedsDecision, gate, record
from .audit_state import note_inserted_rows
from .chart_rows import Provenance, clip, column_length
from .errors import NotFound, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

# pulse oximetry (PULSE_OX) is shown on the SpO2 row: PHR files use either code

CLINIC = "clinic"
ORIGINS = ("clinic", "patient", "device", "phr-import")


@dataclass(frozen=True, slots=True)
class VitalField:
    key: str  # form field name
    loinc: str
    label: str
    short: str  # flowsheet row / note abbreviation
    unit: str  # canonical UCUM
    decimals: int
    units: tuple[str, ...] = ()  # units the nurse may type in (first = canonical)


# the paper form's order; BMI is computed
FIELDS: tuple[VitalField, ...] = (
    VitalField("systolic", SYSTOLIC, "BP systolic", "BP sys", "mm[Hg]", 0),
    VitalField("diastolic", DIASTOLIC, "BP diastolic", "BP dia", "mm[Hg]", 0),
    VitalField("heart_rate", HEART_RATE, "Heart rate", "HR", "/min", 0),
    VitalField("resp_rate", RESP_RATE, "Respiratory rate", "RR", "/min", 0),
    VitalField("temperature", TEMPERATURE, "Temperature", "Temp", "Cel", 1, ("Cel", "[degF]")),
    VitalField("spo2", SPO2, "SpO2", "SpO2", "%", 0),
    VitalField("weight", WEIGHT, "Weight", "Wt", "kg", 1, ("kg", "[lb_av]")),
    VitalField("height", HEIGHT, "Height", "Ht", "cm", 1, ("cm", "[in_i]")),
    VitalField("bmi", BMI, "BMI", "BMI", "kg/m2", 1),
    VitalField("pain", PAIN, "Pain (0-10)", "Pain", "{score}", 0),
)
BY_KEY = {f.key: f for f in FIELDS}
BY_LOINC = {f.loinc: f for f in FIELDS}
INPUT_KEYS = tuple(f.key for f in FIELDS if f.key != "bmi")

UNIT_LABELS = {"mm[Hg]": "mmHg", "/min": "/min", "Cel": "°C", "[degF]": "°F", "%": "%", "kg": "kg",
               "[lb_av]": "lb", "cm": "cm", "[in_i]": "in", "kg/m2": "kg/m²", "{score}": "/10"}


def unit_label(unit: str) -> str:
    return UNIT_LABELS.get(unit, unit)


def to_canonical(value: float, unit: str) -> float:
    """A value typed in the form's unit (°F, lb, in or the canonical one) in the canonical unit."""
    return kb_units.to_canonical(value, unit)


def from_canonical(value: float, unit: str) -> float:
    return kb_units.from_canonical(value, unit)


def compute_bmi(weight_kg: float | None, height_cm: float | None) -> float | None:
    if not weight_kg or not height_cm:
        return None
    return round(weight_kg / (height_cm / 100) ** 2, 1)


def same_vital(a: str, b: str) -> bool:
    """Two LOINC codes for the same vital sign (pulse oximetry and SpO2: PHR files use either code)."""
    return (SPO2 if a == PULSE_OX else a) == (SPO2 if b == PULSE_OX else b)


def format_value(loinc: str, value: float) -> str:
    f = BY_LOINC.get(loinc)
    decimals = f.decimals if f else 1
    text = f"{value:.{decimals}f}"
    # fixed decimals line the flowsheet up; a height of 178.0 cm reads better as 178
    return text[:-2] if loinc == HEIGHT and text.endswith(".0") else text


# ---------------------------------------------------------------- limits (the vitals catalog of desktop.kb)

@dataclass(frozen=True, slots=True)
class Band:
    age_from: float
    age_to: float | None
    low: float
    high: float
    source: str


@dataclass(frozen=True, slots=True)
class Limits:
    loinc: str
    hard_low: float
    hard_high: float
    hard_source: str
    bands: tuple[Band, ...]


@cache
def limits() -> dict[str, Limits]:
    """Plausibility bounds and normal bands of every vital the form records (and pulse oximetry)."""
    catalog = kb_vitals.load_catalog()
    out = {}
    for code in (*(f.loinc for f in FIELDS), PULSE_OX):
        v = catalog.ranged(code)
        bands = tuple(Band(b.age_from, b.age_to, b.low, b.high, b.source) for b in v.normal)
        out[code] = Limits(code, v.plausible.low, v.plausible.high, v.plausible.source, bands)
    return out


def flag(loinc: str, value: float | None, age: float | None) -> str | None:
    """'low' / 'high' outside the soft normal range for the age; None when normal or no range applies."""
    return kb_vitals.flag(loinc, value, age)


def normal_band(loinc: str, age: float | None) -> tuple[float, float] | None:
    return kb_vitals.normal_band(loinc, age)


def age_on(birth: date | None, when: date | None = None) -> float | None:
    """Age in years by the calendar, with the fraction of the year (the newborn bands are in months)."""
    return kb_age.age_years(birth, when)


# ---------------------------------------------------------------- the intake form

@dataclass(frozen=True, slots=True)
class VitalsInput:
    """What the nurse typed, as numbers in the units chosen on the form."""

    systolic: float | None = None
    diastolic: float | None = None
    heart_rate: float | None = None
    resp_rate: float | None = None
    temperature: float | None = None
    temperature_unit: str = "Cel"
    spo2: float | None = None
    weight: float | None = None
    weight_unit: str = "kg"
    height: float | None = None
    height_unit: str = "cm"
    pain: float | None = None
    taken_at: datetime | None = None  # None: now
    encounter_id: int | None = None

    def unit_of(self, key: str) -> str:
        return {"temperature": self.temperature_unit, "weight": self.weight_unit,
                "height": self.height_unit}.get(key, BY_KEY[key].unit)


@dataclass(frozen=True, slots=True)
class FormCheck:
    """The form's live view of what was typed: parsed values, refused slips, colour flags, computed BMI."""

    values: VitalsInput
    errors: dict[str, str] = field(default_factory=dict)  # field key -> sentence for beside the field
    flags: dict[str, str] = field(default_factory=dict)  # field key -> low | high
    bmi: float | None = None
    bmi_note: str = ""  # e.g. "with height 172 cm from 2024-05-01"

    @property
    def empty(self) -> bool:
        return all(getattr(self.values, k) is None for k in INPUT_KEYS)


def parse_number(text: str) -> float | None:
    """'98.6', '98,6', ' 120 ' -> float; '' -> None; anything else raises ValueError."""
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _limit_text(lim: Limits, unit: str) -> str:
    lo, hi = from_canonical(lim.hard_low, unit), from_canonical(lim.hard_high, unit)
    return f"{lo:.4g}–{hi:.4g} {unit_label(unit)}"


def check_values(inp: VitalsInput, age: float | None, *, carried_height_cm: float | None = None,
                 carried_height_date: date | None = None) -> FormCheck:
    """Hard plausibility limits (errors) and soft ranges (flags) for a typed set. No database."""
    errors: dict[str, str] = {}
    flags: dict[str, str] = {}
    canonical: dict[str, float] = {}
    lim = limits()
    for key in INPUT_KEYS:
        value = getattr(inp, key)
        if value is None:
            continue
        f = BY_KEY[key]
        unit = inp.unit_of(key)
        if f.units and unit not in f.units:
            errors[key] = f"Unknown unit {unit}"
            continue
        v = to_canonical(value, unit)
        hard = lim[f.loinc]
        if not (hard.hard_low <= v <= hard.hard_high):
            shown = f"{value:g} {unit_label(unit)}"
            message = f"{shown} is not plausible for {f.label.lower()} (allowed {_limit_text(hard, unit)})"
            # the unit box keeps the workstation's last choice: a value that is plausible in the field's other
            # unit was most likely read in that one (98.6 under °C, 37.2 under °F, 172 under in)
            meant = next((u for u in f.units if u != unit
                          and hard.hard_low <= to_canonical(value, u) <= hard.hard_high), None)
            if meant is not None:
                message += f"; did you mean {unit_label(meant)}?"
            errors[key] = message
            continue
        if key == "pain" and value != int(value):
            errors[key] = "Pain is a whole number from 0 to 10"
            continue
        canonical[key] = v
        fl = flag(f.loinc, v, age)
        if fl:
            flags[key] = fl
    if "systolic" in canonical and "diastolic" in canonical and canonical["diastolic"] >= canonical["systolic"]:
        errors["diastolic"] = "Diastolic must be lower than systolic (were they swapped?)"
    if ("systolic" in canonical) != ("diastolic" in canonical) and not {"systolic", "diastolic"} & errors.keys():
        missing = "diastolic" if "systolic" in canonical else "systolic"
        errors[missing] = "Enter both systolic and diastolic pressure"
    bmi, note = None, ""
    weight = canonical.get("weight")
    height = canonical.get("height")
    if weight is not None and height is None and carried_height_cm and (age is None or age >= 18):
        height = carried_height_cm  # adults: the last measured height is still valid for BMI
        note = f"with height {carried_height_cm:g} cm from {carried_height_date:%Y-%m-%d}" if carried_height_date \
            else f"with height {carried_height_cm:g} cm"
    if weight is not None and height is not None:
        bmi = compute_bmi(weight, height)
        hard = lim[BMI]
        if bmi is not None and not (hard.hard_low <= bmi <= hard.hard_high):
            target = "height" if "height" in canonical else "weight"
            errors.setdefault(target, f"BMI would be {bmi:g}: check weight and height")
            bmi = None
        elif bmi is not None:
            fl = flag(BMI, bmi, age)
            if fl:
                flags["bmi"] = fl
    return FormCheck(values=inp, errors=errors, flags=flags, bmi=bmi, bmi_note=note)


def check_form(texts: dict[str, str], units: dict[str, str], age: float | None, *,
               carried_height_cm: float | None = None, carried_height_date: date | None = None) -> FormCheck:
    """The form's texts (field key -> typed text) -> parsed input, errors and flags."""
    values: dict[str, float | None] = {}
    parse_errors: dict[str, str] = {}
    for key in INPUT_KEYS:
        try:
            values[key] = parse_number(texts.get(key, ""))
        except ValueError:
            values[key] = None
            parse_errors[key] = "Not a number"
    inp = VitalsInput(**values, temperature_unit=units.get("temperature", "Cel"),
                      weight_unit=units.get("weight", "kg"), height_unit=units.get("height", "cm"))
    check = check_values(inp, age, carried_height_cm=carried_height_cm, carried_height_date=carried_height_date)
    if parse_errors:
        return FormCheck(values=inp, errors={**check.errors, **parse_errors}, flags=check.flags, bmi=check.bmi,
                         bmi_note=check.bmi_note)
    return check


# ---------------------------------------------------------------- reading and writing

def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def local(dt: datetime) -> datetime:
    """A stored time as naive local wall-clock time, for display."""
    return _utc(dt).astimezone().replace(tzinfo=None)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time()).astimezone(UTC)
    return start, (datetime.combine(day + timedelta(days=1), time())).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class IntakeContext:
    """What the form needs to know about the patient before anything is typed."""

    patient_id: int
    birth_date: date
    age: float | None
    last_height_cm: float | None
    last_height_date: date | None


def intake_context(uow: UnitOfWork, patient_id: int) -> IntakeContext:
    uow.require(Permission.VIEW_CHART)
    s = uow.session
    birth = s.execute(select(Patient.birth_date).where(Patient.id == patient_id)).scalar_one_or_none()
    if birth is None:
        raise NotFound(f"no patient with id {patient_id}")
    h = s.execute(
        select(VitalSign.value, VitalSign.taken_at)
        .where(VitalSign.patient_id == patient_id, VitalSign.loinc == HEIGHT,
               VitalSign.entered_in_error.is_(False))
        .order_by(VitalSign.taken_at.desc()).limit(1)
    ).first()
    return IntakeContext(patient_id, birth, age_on(birth), h.value if h else None,
                         local(h.taken_at).date() if h else None)


@dataclass(frozen=True, slots=True)
class SavedSet:
    set_id: str
    taken_at: datetime
    values: dict[str, float]  # loinc -> canonical value (what alerts check)
    flags: dict[str, str]  # loinc -> low | high
    check: Any = None  # the alerts.AlertCheck of these values (every alert found; the chart's bar lists them)


def _prepare_set(ctx: IntakeContext, inp: VitalsInput, user_id: int | None, set_id: str,
                 now: datetime) -> tuple[list[dict], SavedSet]:
    """One typed set checked (plausibility, pairs, BMI, time) into its rows and flags. Raises ValidationError
    (field -> message) on any slip. The one validation of every clinic set, whoever enters it."""
    taken = _utc(inp.taken_at) if inp.taken_at else now
    age = age_on(ctx.birth_date, local(taken).date()) if inp.taken_at else ctx.age  # the ranges of that day
    check = check_values(inp, age, carried_height_cm=ctx.last_height_cm,
                         carried_height_date=ctx.last_height_date)
    if check.errors:
        raise ValidationError(check.errors)
    if check.empty:
        raise ValidationError({"systolic": "Enter at least one vital sign"})
    if taken > now + timedelta(minutes=5):
        raise ValidationError({"taken_at": "The time taken cannot be in the future"})
    if ctx.birth_date is not None and local(taken).date() < ctx.birth_date:  # 2010 typed for 2020
        raise ValidationError({"taken_at": f"The time taken is before the patient's birth "
                                           f"({ctx.birth_date.isoformat()})"})
    patient_id = ctx.patient_id
    rows, values, flags = [], {}, {}
    for key in INPUT_KEYS:
        typed = getattr(inp, key)
        if typed is None:
            continue
        f = BY_KEY[key]
        unit = inp.unit_of(key)
        value = round(to_canonical(typed, unit), 3 if key == "weight" else 2)
        rows.append(_row(patient_id, set_id, taken, f.loinc, value, f.unit, unit, inp.encounter_id, user_id))
        values[f.loinc] = value
    if check.bmi is not None:
        rows.append(_row(patient_id, set_id, taken, BMI, check.bmi, "kg/m2", None, inp.encounter_id, user_id))
        values[BMI] = check.bmi
    for loinc, value in values.items():
        fl = flag(loinc, value, age)
        if fl:
            flags[loinc] = fl
    return rows, SavedSet(set_id, taken, values, flags)


def _alert_gate(uow: UnitOfWork, patient_id: int, ctx: IntakeContext, saved: Sequence[SavedSet],
                decision: Decision | None, what: str) -> tuple[Any, NeedsDecision | None]:
    """The vital-sign alert rules on the sets about to be saved, through the one decision protocol: a value far
    outside safe limits stops the save (NeedsDecision) until it is re-checked and acknowledged."""
    from . import alerts

    check = alerts.check_vital_sets(uow, patient_id, [(x.values, age_on(ctx.birth_date, local(x.taken_at).date()))
                                                      for x in saved])
    return check, gate(uow, check, decision, what=what)


def record_vitals(uow: UnitOfWork, patient_id: int, inp: VitalsInput,
                  decision: Decision | None = None) -> SavedSet | NeedsDecision:
    """Store one intake set. Raises ValidationError (field -> message) and stores nothing on any slip.
    A value the vital-sign alert rules interrupt on returns NeedsDecision and stores nothing until the user
    re-checked it and acknowledges it (Decision.acknowledged; desktop.services.alert_decisions), which is
    stored as an acknowledgement record. The saved set carries its alert check (the others, for the bar)."""
    uow.require(Permission.EDIT_CHART)
    ctx = intake_context(uow, patient_id)
    rows, saved = _prepare_set(ctx, inp, uow.user.id, uuid.uuid4().hex, datetime.now(UTC))
    what = "saving vital signs"
    check, need = _alert_gate(uow, patient_id, ctx, [saved], decision, what)
    if need is not None:
        return need
    uow.session.add_all(VitalSign(**r) for r in rows)
    uow.session.flush()
    record(uow, patient_id, check, decision, what=what)
    uow.audit("create", "vital_sign", saved.set_id, patient_id, "vitals: " + summary_text(saved.values))
    return replace(saved, check=check)


def record_vitals_sets(uow: UnitOfWork, patient_id: int, sets: Sequence[tuple[str, VitalsInput]],
                       decision: Decision | None = None, *,
                       provenance: Provenance | None = None) -> list[SavedSet] | NeedsDecision:
    """Several clinic intake sets of one patient at once (set id, input), e.g. a chart's history entered by the
    demo builder: each set checked exactly as record_vitals checks it (the same _prepare_set and alert rules),
    then one bulk insert, audited once. Raises ValidationError naming the set, and stores nothing, on any slip;
    NeedsDecision (nothing stored) while a value the alert rules interrupt on is not acknowledged."""
    uow.require(Permission.EDIT_CHART)
    ctx = intake_context(uow, patient_id)
    now = datetime.now(UTC)
    stamp = (provenance or Provenance()).values(VitalSign)
    rows: list[dict] = []
    saved: list[SavedSet] = []
    for n, (set_id, inp) in enumerate(sets):
        try:
            set_rows, one = _prepare_set(ctx, inp, uow.user.id, clip(VitalSign, "set_id", set_id), now)
        except ValidationError as exc:
            raise ValidationError({k: f"set {n + 1}: {v}" for k, v in exc.errors.items()}) from exc
        for r in set_rows:
            r.update(created_at=now, updated_at=now, entered_in_error=False, **stamp)
        rows.extend(set_rows)
        saved.append(one)
    what = f"saving {len(saved)} vital-sign sets"
    check, need = _alert_gate(uow, patient_id, ctx, saved, decision, what) if saved else (None, None)
    if need is not None:
        return need
    for start in range(0, len(rows), READINGS_CHUNK):
        uow.session.execute(insert(VitalSign), rows[start:start + READINGS_CHUNK])
    record(uow, patient_id, check, decision, what=what)
    if saved:
        uow.audit("create", "vital_sign", None, patient_id,
                  f"{len(saved)} vital-sign sets ({len(rows)} values) "
                  f"{min(x.taken_at for x in saved):%Y-%m-%d} to {max(x.taken_at for x in saved):%Y-%m-%d}"
                  + (f"; {provenance.describe()}" if provenance else ""))
    return saved


def _row(patient_id: int, set_id: str, taken: datetime, loinc: str, value: float, unit: str,
         entered_unit: str | None, encounter_id: int | None, user_id: int | None, origin: str = CLINIC) -> dict:
    return {"patient_id": patient_id, "set_id": set_id, "taken_at": taken, "loinc": loinc, "value": value,
            "unit": unit, "entered_unit": entered_unit, "origin": origin, "encounter_id": encounter_id,
            "created_by_id": user_id, "updated_by_id": user_id, "version": 1}


@dataclass(frozen=True, slots=True)
class Reading:
    """One measured value from outside the clinic (a PHR file, a device, a home cuff), canonical UCUM unit."""

    set_id: str  # readings taken together share it (a blood-pressure pair)
    taken_at: datetime  # timezone-aware
    loinc: str
    value: float
    unit: str
    origin: str = "phr-import"  # patient | device | phr-import
    entered_unit: str | None = None  # the unit the source used, when it was converted
    encounter_id: int | None = None
    provenance: Provenance | None = None


READINGS_CHUNK = 5000


def add_readings(uow: UnitOfWork, patient_id: int, readings: Iterable[Reading], decision: Decision | None = None, *,
                 what: str = "") -> int | NeedsDecision:
    """Store readings that were measured elsewhere: validated (a number, a code, a unit, an origin, not in the
    future), then bulk inserted (devices send them by the thousand), audited once. Returns rows written.
    Raises ValidationError and stores nothing when any reading is wrong.

    The vital-sign alert rules apply as to a set typed in the clinic, to the readings that become the chart's
    latest (the set the chart's alert list checks): NeedsDecision, nothing stored, until acknowledged. Older
    readings are history and raise nothing.

    Streamed: `readings` may be a generator; a chunk at a time is checked, made into rows and inserted (a Core
    executemany on the unit of work's session, which notes the insert for the audit like any other), inside a
    savepoint that a wrong reading, or an alert that waits for a decision, rolls back."""
    uow.require(Permission.EDIT_CHART)
    patient = uow.session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"no patient with id {patient_id}")
    s = uow.session
    rows = _ReadingRows(patient_id, uow.user.id, sqlite=s.bind.dialect.name == "sqlite")
    # what the alert gate needs from before these rows: the chart's newest reading, the highest row id
    on_chart = s.execute(select(func.max(VitalSign.taken_at)).where(
        VitalSign.patient_id == patient_id, VitalSign.entered_in_error.is_(False))).scalar()
    floor = s.execute(select(func.coalesce(func.max(VitalSign.id), 0))).scalar_one()
    point = None
    it = iter(readings)
    try:
        while chunk := rows.make(islice(it, READINGS_CHUNK)):
            if point is None:
                point = uow.savepoint()
            _insert_rows(s, chunk)
        if point is None:
            return 0
        label = f"adding {rows.count} readings{' ' + what if what else ''}"
        check, need = _newest_readings_gate(uow, patient, rows, on_chart, floor, decision, label)
    except BaseException:
        if point is not None:
            point.rollback()
        raise
    if need is not None:
        point.rollback()
        return need
    point.commit()
    record(uow, patient_id, check, decision, what=label)
    uow.audit("create", "vital_sign", None, patient_id,
              f"{rows.count} readings{' ' + what if what else ''} ({rows.first:%Y-%m-%d} to {rows.last:%Y-%m-%d})")
    return rows.count


class _ReadingRows:
    """Checks readings and makes their column values; outside text cut to its column (chart_rows.clip's rule,
    with the limits looked up once)."""

    _CUT = ("set_id", "loinc", "unit", "entered_unit", "source_system", "source_resource_id")

    def __init__(self, patient_id: int, user_id: int | None, sqlite: bool = False):
        self.patient_id, self.user_id = patient_id, user_id
        self.stamp, self.false = (_sqlite_stamp, 0) if sqlite else (lambda dt: dt, False)
        self.now = datetime.now(UTC)
        self.latest = self.now + timedelta(days=1)  # a device clock a few hours ahead is not an error
        self.limit = {n: column_length(VitalSign, n) for n in self._CUT}
        self.count = 0
        self.first: datetime | None = None
        self.last: datetime | None = None

    def _cut(self, name: str, value: str | None) -> str | None:
        n = self.limit[name]
        return value[: n - 1] + "…" if n is not None and value and len(value) > n else value

    def make(self, readings: Iterable[Reading]) -> list[tuple]:
        """Rows in COLUMNS order. Raises ValidationError naming the first wrong reading (numbered from the first
        of the call). `stamp` turns each time into what the driver takes (SQLite: the stored text)."""
        cut, stamp, no_provenance, latest, isfinite = self._cut, self.stamp, Provenance(), self.latest, math.isfinite
        now = stamp(self.now)
        # the text columns' limits: a value within them needs no cutting (nearly all)
        big = 1 << 30
        set_max, loinc_max, unit_max, eu_max, ss_max, rid_max = (
            self.limit[n] or big for n in ("set_id", "loinc", "unit", "entered_unit", "source_system",
                                           "source_resource_id"))
        out = []
        first, last = self.first, self.last
        for r in readings:
            t = r.taken_at
            taken = t.astimezone(UTC) if t.tzinfo is not None else t.replace(tzinfo=UTC)
            value = r.value
            if not (isinstance(value, int | float) and isfinite(value)) or not r.loinc or not r.unit \
                    or r.origin not in ORIGINS or taken > latest:
                self.first, self.last = first, last
                self._refuse(r, self.count + len(out) + 1)
            if first is None or taken < first:
                first = taken
            if last is None or taken > last:
                last = taken
            prov = r.provenance or no_provenance
            source_date = prov.source_date
            taken_stamp = stamp(taken)
            row = (r.set_id, taken_stamp, r.loinc, float(value), r.unit, r.origin, r.encounter_id,
                   r.entered_unit or None, self.patient_id, 1, now, now, self.user_id, self.user_id, self.false,
                   None, None, None, prov.source_system or None, prov.resource_id or None,
                   # a device reading's source date is its time (the same object): converted once
                   taken_stamp if source_date is t else stamp(_utc(source_date)) if source_date else None,
                   prov.import_id)
            if len(row[0]) > set_max or len(row[2]) > loinc_max or len(row[4]) > unit_max or (
                    row[7] is not None and len(row[7]) > eu_max) or (row[18] is not None and len(row[18]) > ss_max) \
                    or (row[19] is not None and len(row[19]) > rid_max):
                row = (cut("set_id", row[0]), row[1], cut("loinc", row[2]), *row[3:4], cut("unit", row[4]),
                       *row[5:7], cut("entered_unit", row[7]), *row[8:18], cut("source_system", row[18]),
                       cut("source_resource_id", row[19]), *row[20:])
            out.append(row)
        self.first, self.last = first, last
        self.count += len(out)
        return out

    def _refuse(self, r: Reading, n: int) -> None:
        ok_value = isinstance(r.value, int | float) and math.isfinite(r.value)
        problem = ("not a number" if not ok_value else "no LOINC code" if not r.loinc else
                   "no unit" if not r.unit else f"unknown origin {r.origin!r}" if r.origin not in ORIGINS else
                   "taken in the future")
        raise ValidationError({"readings": f"reading {n} ({r.loinc} {r.value} {r.unit}): {problem}"})

    # every column but the id, in the table's order (the audit digests rows in that order)
    COLUMNS = ("set_id", "taken_at", "loinc", "value", "unit", "origin", "encounter_id", "entered_unit", "patient_id",
               "version", "created_at", "updated_at", "created_by_id", "updated_by_id", "entered_in_error",
               "error_reason", "error_at", "error_by_id", "source_system", "source_resource_id", "source_date",
               "phr_import_id")


if ("id", *_ReadingRows.COLUMNS) != tuple(c.name for c in VitalSign.__table__.c):
    raise RuntimeError("vital_sign's columns changed: update _ReadingRows.COLUMNS and make()")


def _sqlite_stamp(dt: datetime) -> str:
    """An aware UTC time as SQLAlchemy stores it in SQLite (naive, always with microseconds): its first 26
    characters, before the offset (cheaper than a naive copy of the time, once per reading)."""
    return dt.isoformat(" ", "microseconds")[:26]


def _insert_rows(s: Any, rows: list[tuple]) -> None:
    """One executemany. On SQLite straight on the driver with the values already in stored form (SQLAlchemy's
    per-value conversions cost more than the insert for a device's 100,000s of readings), each row with its id
    given (the next ones after the table's highest: this transaction holds the write lock, another writer's
    row would fail the insert, not take an id), and the rows handed to the audit as written; elsewhere through
    SQLAlchemy, whose insert the audit notes and reads back at commit."""
    table = VitalSign.__table__
    if s.bind.dialect.name != "sqlite":
        s.execute(insert(table), [dict(zip(_ReadingRows.COLUMNS, r, strict=True)) for r in rows])
        return
    cursor = s.connection().connection.driver_connection.cursor()
    try:
        first = cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM vital_sign").fetchone()[0]
        rows = [(i, *r) for i, r in enumerate(rows, first)]
        cursor.executemany(_SQLITE_INSERT, rows)
    finally:
        cursor.close()
    note_inserted_rows(s, table, rows)


_SQLITE_INSERT = (f"INSERT INTO vital_sign (id, {', '.join(_ReadingRows.COLUMNS)}) "
                  f"VALUES ({', '.join('?' * (1 + len(_ReadingRows.COLUMNS)))})")


def _newest_readings_gate(uow: UnitOfWork, patient: Patient, rows: _ReadingRows, on_chart: datetime | None,
                          floor: int, decision: Decision | None, what: str) -> tuple[Any, NeedsDecision | None]:
    """The alert gate on the newest readings among the rows just inserted (ids above `floor`), when they are newer
    than every reading the chart had before them (`on_chart`)."""
    taken = rows.last
    if taken is None or (on_chart is not None and _utc(on_chart) >= taken):
        return None, None
    # every reading at that instant, whatever its set: a PHR file gives each reading its own set id, and the
    # chart's alert list (alerts._latest_vitals) checks them together
    found = uow.session.execute(select(VitalSign.loinc, VitalSign.value).where(
        VitalSign.patient_id == patient.id, VitalSign.id > floor, VitalSign.taken_at >= taken).order_by(VitalSign.id))
    from . import alerts

    age = age_on(patient.birth_date, local(taken).date())
    check = alerts.check_vital_sets(uow, patient.id, [(values, age) for values in alerts.reading_sets(found.all())])
    return check, gate(uow, check, decision, what=what)


def mark_set_entered_in_error(uow: UnitOfWork, patient_id: int, set_id: str, reason: str) -> int:
    """Every value of one intake set is marked entered-in-error (never deleted). Returns rows marked."""
    uow.require(Permission.EDIT_CHART)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why these vitals were entered in error"})
    now = datetime.now(UTC)
    result = uow.session.execute(
        update(VitalSign)
        .where(VitalSign.patient_id == patient_id, VitalSign.set_id == set_id,
               VitalSign.entered_in_error.is_(False))
        .values(entered_in_error=True, error_reason=reason[:2000], error_at=now, error_by_id=uow.user.id,
                updated_by_id=uow.user.id, updated_at=now, version=VitalSign.version + 1)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        raise NotFound("these vitals were not found or are already marked entered in error")
    uow.audit("entered-in-error", "vital_sign", set_id, patient_id, reason)
    return result.rowcount


def summary_text(values: dict[str, float], flags: dict[str, str] | None = None,
                 system: str = display_units.METRIC) -> str:
    """'BP 128/82 mmHg, HR 72 /min, ...' in the paper form's order; flags as (H)/(L). `system`: the reader's
    units (us: Temp 100.4 °F, Wt 181 lb, Ht 64 in); values stay canonical."""
    flags = flags or {}

    def mark(*codes: str) -> str:
        marks = {flags.get(c) for c in codes} - {None}
        return " (H)" if "high" in marks else " (L)" if "low" in marks else ""

    parts = []
    if SYSTOLIC in values and DIASTOLIC in values:
        parts.append(f"BP {values[SYSTOLIC]:.0f}/{values[DIASTOLIC]:.0f} mmHg{mark(SYSTOLIC, DIASTOLIC)}")
    for f in FIELDS:
        if f.loinc in (SYSTOLIC, DIASTOLIC) or f.loinc not in values:
            continue
        unit = " /10" if f.loinc == PAIN else f" {unit_label(display_units.display_unit(f.loinc, system))}"
        text = f"{display_units.number(f.loinc, values[f.loinc], system)}{unit}".replace(" /10", "/10")
        parts.append(f"{f.short} {text}{mark(f.loinc)}")
    return ", ".join(parts)


# ---------------------------------------------------------------- latest set (summary tab)

@dataclass(frozen=True, slots=True)
class VitalValue:
    loinc: str
    label: str
    value: float
    unit: str
    text: str  # "128 mmHg"
    flag: str | None


@dataclass(frozen=True, slots=True)
class LatestVitals:
    set_id: str
    taken_at: datetime  # local wall-clock time
    values: dict[str, VitalValue]

    @property
    def text(self) -> str:
        return summary_text({k: v.value for k, v in self.values.items()},
                            {k: v.flag for k, v in self.values.items() if v.flag})


def latest_vitals(uow: UnitOfWork, patient_id: int) -> LatestVitals | None:
    """The latest clinic intake set with abnormal flags, in ONE query (the summary tab's budget is tight)."""
    uow.require(Permission.VIEW_CHART)
    latest_set = (
        select(VitalSign.set_id)
        .where(VitalSign.patient_id == patient_id, VitalSign.origin == CLINIC,
               VitalSign.entered_in_error.is_(False))
        .order_by(VitalSign.taken_at.desc(), VitalSign.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = uow.session.execute(
        select(VitalSign.set_id, VitalSign.taken_at, VitalSign.loinc, VitalSign.value, VitalSign.unit,
               Patient.birth_date)
        .join(Patient, Patient.id == VitalSign.patient_id)
        .where(VitalSign.patient_id == patient_id, VitalSign.set_id == latest_set,
               VitalSign.entered_in_error.is_(False))
    ).all()
    if not rows:
        return None
    age = age_on(rows[0].birth_date, local(rows[0].taken_at).date())
    values = {}
    for r in rows:
        f = BY_LOINC.get(r.loinc)
        label = f.label if f else r.loinc
        values[r.loinc] = VitalValue(r.loinc, label, r.value, r.unit,
                                     f"{format_value(r.loinc, r.value)} {unit_label(r.unit)}",
                                     flag(r.loinc, r.value, age))
    return LatestVitals(rows[0].set_id, local(rows[0].taken_at), values)


def vitals_text_for_day(uow: UnitOfWork, patient_id: int, day: date | None = None,
                        system: str = display_units.METRIC) -> str:
    """Today's clinic vitals as lines for a note's Objective section ('' when none were taken), in `system`'s
    units (the note's writer passes theirs: services/display_units.unit_system)."""
    uow.require(Permission.VIEW_CHART)
    start, end = _day_bounds(day or date.today())
    s = uow.session
    birth = s.execute(select(Patient.birth_date).where(Patient.id == patient_id)).scalar_one_or_none()
    rows = s.execute(
        select(VitalSign.set_id, VitalSign.taken_at, VitalSign.loinc, VitalSign.value)
        .where(VitalSign.patient_id == patient_id, VitalSign.origin == CLINIC,
               VitalSign.entered_in_error.is_(False), VitalSign.taken_at >= start, VitalSign.taken_at < end)
        .order_by(VitalSign.taken_at, VitalSign.id)
    ).all()
    sets: dict[str, dict] = {}
    times: dict[str, datetime] = {}
    for r in rows:
        sets.setdefault(r.set_id, {})[r.loinc] = r.value
        times[r.set_id] = local(r.taken_at)
    age = age_on(birth)
    lines = []
    for set_id, values in sets.items():
        flags = {k: fl for k, v in values.items() if (fl := flag(k, v, age))}
        lines.append(f"Vitals {times[set_id]:%H:%M}: {summary_text(values, flags, system)}")
    return "\n".join(lines)


# ---------------------------------------------------------------- flowsheet (dates as columns, paged)

@dataclass(frozen=True, slots=True)
class FlowsheetColumn:
    set_id: str
    taken_at: datetime  # local
    origin: str
    values: dict[str, float]  # loinc -> canonical value
    flags: dict[str, str]
    entered_by: int | None = None


@dataclass(frozen=True, slots=True)
class FlowsheetPage:
    columns: tuple[FlowsheetColumn, ...]  # newest first
    has_more: bool
    cursor: tuple[datetime, str] | None  # pass as `before` for the next (older) page
    total_sets: int | None = None  # only counted on the first page


FLOWSHEET_ROWS: tuple[str, ...] = tuple(f.loinc for f in FIELDS)


def flowsheet(uow: UnitOfWork, patient_id: int, *, before: tuple[datetime, str] | None = None, limit: int = 50,
              include_readings: bool = False) -> FlowsheetPage:
    """One page of intake sets, newest first. A constant number of queries whatever the chart's size."""
    uow.require(Permission.VIEW_CHART)
    limit = max(1, min(limit, 500))
    s = uow.session
    base = [VitalSign.patient_id == patient_id, VitalSign.entered_in_error.is_(False)]
    if not include_readings:
        base.append(VitalSign.origin == CLINIC)
    cond = list(base)
    if before is not None:
        t, sid = _utc(before[0]), before[1]
        cond.append(or_(VitalSign.taken_at < t, and_(VitalSign.taken_at == t, VitalSign.set_id < sid)))
    keys = s.execute(
        select(VitalSign.taken_at, VitalSign.set_id).where(*cond).distinct()
        .order_by(VitalSign.taken_at.desc(), VitalSign.set_id.desc()).limit(limit + 1)
    ).all()
    has_more = len(keys) > limit
    keys = keys[:limit]
    total = None
    if before is None:
        total = s.execute(select(func.count(func.distinct(VitalSign.set_id))).where(*base)).scalar() or 0
    if not keys:
        return FlowsheetPage((), False, None, total)
    birth = s.execute(select(Patient.birth_date).where(Patient.id == patient_id)).scalar_one()
    ids = [k.set_id for k in keys]
    rows = s.execute(
        select(VitalSign.set_id, VitalSign.loinc, VitalSign.value, VitalSign.origin, VitalSign.created_by_id)
        .where(VitalSign.patient_id == patient_id, VitalSign.set_id.in_(ids),
               VitalSign.entered_in_error.is_(False))
    ).all()
    by_set: dict[str, dict] = defaultdict(dict)
    origin: dict[str, str] = {}
    author: dict[str, int | None] = {}
    for r in rows:
        loinc = SPO2 if r.loinc == PULSE_OX else r.loinc
        by_set[r.set_id][loinc] = r.value
        origin[r.set_id] = r.origin
        author[r.set_id] = r.created_by_id
    columns = []
    for k in keys:
        when = local(k.taken_at)
        age = age_on(birth, when.date())
        values = by_set.get(k.set_id, {})
        flags = {code: fl for code, v in values.items() if (fl := flag(code, v, age))}
        columns.append(FlowsheetColumn(k.set_id, when, origin.get(k.set_id, CLINIC), values, flags,
                                       author.get(k.set_id)))
    last = keys[-1]
    return FlowsheetPage(tuple(columns), has_more, (_utc(last.taken_at), last.set_id), total)


# ---------------------------------------------------------------- trends

@dataclass(frozen=True, slots=True)
class TrendGroup:
    key: str
    title: str
    loincs: tuple[str, ...]
    unit: str


TREND_GROUPS: tuple[TrendGroup, ...] = (
    TrendGroup("bp", "Blood pressure", (SYSTOLIC, DIASTOLIC), "mm[Hg]"),
    TrendGroup("hr", "Heart rate", (HEART_RATE,), "/min"),
    TrendGroup("rr", "Respiratory rate", (RESP_RATE,), "/min"),
    TrendGroup("temp", "Temperature", (TEMPERATURE,), "Cel"),
    TrendGroup("spo2", "SpO2", (SPO2,), "%"),
    TrendGroup("weight", "Weight", (WEIGHT,), "kg"),
    TrendGroup("bmi", "BMI", (BMI,), "kg/m2"),
    TrendGroup("height", "Height", (HEIGHT,), "cm"),
    TrendGroup("pain", "Pain", (PAIN,), "{score}"),
)
TREND_BY_KEY = {g.key: g for g in TREND_GROUPS}


@dataclass(frozen=True, slots=True)
class TrendPoint:
    taken_at: datetime  # local
    value: float


@dataclass(frozen=True, slots=True)
class TrendSeries:
    loinc: str
    label: str
    clinic: tuple[TrendPoint, ...]  # measured here, oldest first
    readings: tuple[TrendPoint, ...]  # patient / device / PHR import, oldest first
    normal: tuple[float, float] | None  # soft normal band for the patient's current age
    averaged: bool = False  # readings were reduced to daily means (too many to draw)


@dataclass(frozen=True, slots=True)
class Trend:
    group: TrendGroup
    series: tuple[TrendSeries, ...]
    start: date | None
    end: date | None
    first: date | None  # the oldest reading of the group, whatever the range (for the range picker)
    last: date | None


def trend(uow: UnitOfWork, patient_id: int, group_key: str, start: date | None = None, end: date | None = None,
          *, max_points: int = 3000) -> Trend:
    """Readings of one vital (or BP's pair) in a date range, clinic and patient/device kept apart."""
    uow.require(Permission.VIEW_CHART)
    group = TREND_BY_KEY[group_key]
    codes = set(group.loincs) | ({PULSE_OX} if SPO2 in group.loincs else set())
    s = uow.session
    base = [VitalSign.patient_id == patient_id, VitalSign.loinc.in_(codes), VitalSign.entered_in_error.is_(False)]
    span = s.execute(select(func.min(VitalSign.taken_at), func.max(VitalSign.taken_at)).where(*base)).first()
    cond = list(base)
    if start is not None:
        cond.append(VitalSign.taken_at >= _day_bounds(start)[0])
    if end is not None:
        cond.append(VitalSign.taken_at < _day_bounds(end)[1])
    rows = s.execute(
        select(VitalSign.loinc, VitalSign.taken_at, VitalSign.value, VitalSign.origin)
        .where(*cond).order_by(VitalSign.taken_at)
    ).all()
    birth = s.execute(select(Patient.birth_date).where(Patient.id == patient_id)).scalar_one_or_none()
    age = age_on(birth)
    clinic: dict[str, list[TrendPoint]] = defaultdict(list)
    other: dict[str, list[TrendPoint]] = defaultdict(list)
    for r in rows:
        loinc = SPO2 if r.loinc == PULSE_OX else r.loinc
        (clinic if r.origin == CLINIC else other)[loinc].append(TrendPoint(local(r.taken_at), r.value))
    series = []
    for loinc in group.loincs:
        readings, averaged = other[loinc], False
        if len(readings) > max_points:  # a wearable's thousands of readings: daily means keep the chart fast
            readings, averaged = _daily_means(readings), True
        series.append(TrendSeries(loinc, BY_LOINC[loinc].label, tuple(clinic[loinc]), tuple(readings),
                                  normal_band(loinc, age), averaged))
    first = local(span[0]).date() if span and span[0] else None
    last = local(span[1]).date() if span and span[1] else None
    return Trend(group, tuple(series), start, end, first, last)


def _daily_means(points: list[TrendPoint]) -> list[TrendPoint]:
    days: dict[date, list[float]] = defaultdict(list)
    for p in points:
        days[p.taken_at.date()].append(p.value)
    return [TrendPoint(datetime.combine(d, time(12)), sum(v) / len(v)) for d, v in sorted(days.items())]
