"""Laboratory results: the one writer of lab_result rows (chart entry, PHR merge, demo) and the chart's reads.

A result keeps what the laboratory sent (name, value, unit, range, flag); the chart adds a flag from the
knowledge base's default adult range only when none arrived, and says so. Numeric results of the same
analyte in different units are converted for trends with desktop.kb.lab_units, the original kept.
Critical values are checked on arrival (desktop.alerts.labs); the result is returned to the caller, which
raises the interrupting alert. Times are stored in UTC.
"""

from __future__ import annotations

import math
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import func, insert, select, update

from desktop.alerts.labs import LabCheck, LabValue, check_critical
from desktop.kb import lab_units
from desktop.kb.errors import KnowledgeBaseError
from desktop.kb.labs import Interpretation, LabTest, catalog, interpret
from desktop.models import LabResult, Patient

from .chart_rows import refuse_before_birth
from .errors import NotFound, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

CLINIC, IMPORTED = "clinic", "phr-import"
STATUSES = ("preliminary", "final", "corrected", "amended", "cancelled")
COMPARATORS = ("<", "<=", ">=", ">")
FLAG_WORDS = {"H": "high", "L": "low", "HH": "critically high", "LL": "critically low", "A": "abnormal",
              "N": "normal"}


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def local(dt: datetime) -> datetime:
    return _utc(dt).astimezone().replace(tzinfo=None)


UNIT_LABELS = {"mL/min/{1.73_m2}": "mL/min/1.73 m²", "10*3/uL": "10³/µL", "10*6/uL": "10⁶/µL", "10*9/L": "10⁹/L",
               "10*12/L": "10¹²/L", "{INR}": "", "umol/L": "µmol/L", "m[IU]/L": "mIU/L"}


def unit_label(unit: str) -> str:
    """A UCUM unit as people read it (the stored unit is unchanged)."""
    return UNIT_LABELS.get(unit, unit)


def format_number(value: float | None, decimals: int | None = None) -> str:
    if value is None:
        return ""
    if decimals is None:
        return f"{value:g}"
    text = f"{value:.{decimals}f}"
    return text


# ------------------------------------------------------------------ input


@dataclass(frozen=True, slots=True)
class ResultInput:
    """One reported value. `value` for numbers, `value_text` for a text or coded result."""

    name: str = ""
    loinc: str = ""
    value: float | None = None
    unit: str = ""
    comparator: str = ""
    value_text: str = ""
    value_code: str = ""
    ref_low: float | None = None
    ref_high: float | None = None
    ref_text: str = ""
    flag: str = ""  # as received (H, L, HH, LL, A, N)
    status: str = "final"
    note: str = ""
    # provenance (PHR import)
    source_system: str = ""
    source_resource_id: str = ""
    source_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class PanelInput:
    collected_at: datetime | None = None  # None: now
    panel_code: str = ""
    panel_name: str = ""
    performing_lab: str = ""
    ordering_clinician: str = ""
    panel_id: str = ""  # "" -> a new id; imports pass a stable one (the report's source id)
    encounter_id: int | None = None
    results: tuple[ResultInput, ...] = ()


@dataclass(frozen=True, slots=True)
class SavedResults:
    panel_id: str
    ids: tuple[int, ...]
    critical: LabCheck  # critical values among what was written (the caller raises the alert)


class AmbiguousNumber(ValueError):
    """A comma that may group thousands or mark decimals: the message says how to type it."""


_THOUSANDS = re.compile(r"[<>]?=?[1-9]\d{0,2}(,\d{3})+(\.\d+)?")


def parse_value(text: str) -> tuple[float | None, str]:
    """'5.2', '5,2', '<0.5', '>= 90', '1,500.5' -> (number, comparator); '' -> (None, ''); else ValueError.
    '1,500' is refused (AmbiguousNumber): read as a decimal comma it was 1.5, so an NT-proBNP of 1,500 pg/mL
    typed from a US lab report was saved as a normal 1.5; '1,500.5' can only be thousands."""
    t = (text or "").strip().replace(" ", "")
    if _THOUSANDS.fullmatch(t):
        if "." not in t:
            plain, decimal = t.replace(",", ""), t.replace(",", ".").rstrip("0").rstrip(".")
            raise AmbiguousNumber(f"Is {t} {plain} or {decimal}? Type it that way" if t.count(",") == 1
                                  else f"Type {plain}, without the commas")
        t = t.replace(",", "")
    t = t.replace(",", ".")
    if not t:
        return None, ""
    comparator = ""
    for c in ("<=", ">=", "<", ">"):
        if t.startswith(c):
            comparator, t = c, t[len(c):]
            break
    v = float(t)
    if not math.isfinite(v):
        raise ValueError(text)
    return v, comparator


def check_entry(test: LabTest | None, value: float | None, unit: str) -> str:
    """The plausibility guard of manual entry: '' when acceptable, else the sentence for beside the field."""
    if test is None or value is None:
        return ""
    if test.plausible_high <= test.plausible_low:
        return ""  # a presence test (urinalysis strip): no numeric guard
    if test.same_unit(unit) or not unit:
        lo, hi = test.plausible_low, test.plausible_high
        shown_unit = test.unit
    elif test.analyte and lab_units.knows(test.analyte, unit) and lab_units.knows(test.analyte, test.unit):
        lo = lab_units.convert(test.analyte, test.plausible_low, test.unit, unit)
        hi = lab_units.convert(test.analyte, test.plausible_high, test.unit, unit)
        shown_unit = unit
    else:
        return f"{unit} is not a unit for {test.short} (use {test.unit})"
    if not (lo <= value <= hi):
        msg = f"{value:g} {shown_unit} is not plausible for {test.short} (allowed {lo:.4g}–{hi:.4g} {shown_unit})"
        # the common slips: a value typed in the other unit, or a decimal point lost
        hint = ""
        if test.analyte:
            for other in entry_units(test):
                if lab_units.normalise(other) == lab_units.normalise(unit):
                    continue
                try:
                    as_other = lab_units.convert(test.analyte, value, other, test.unit)
                except lab_units.UnknownLabUnit:
                    continue
                if test.plausible_low <= as_other <= test.plausible_high:
                    hint = f"; was it in {other}?"
                    break
        if not hint and value > hi and lo <= value / 10 <= hi:
            hint = "; check the decimal point"
        return msg + hint
    return ""


ENTRY_UNITS = ("mmol/L", "mEq/L", "umol/L", "mmol/mol", "g/L", "mg/dL", "%")


def entry_units(test: LabTest) -> list[str]:
    """The units the entry form offers for a test: its own first, then those it converts from."""
    units = [test.unit, *test.aliases]
    for spelling in ENTRY_UNITS:
        if test.analyte and lab_units.knows(test.analyte, spelling) and spelling not in units:
            units.append(spelling)
    return units


def _validate(panel: PanelInput, now: datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not panel.results:
        errors["results"] = "Enter at least one result"
    if panel.collected_at is not None and _utc(panel.collected_at) > now + timedelta(minutes=5):
        errors["collected_at"] = "The collection time cannot be in the future"
    for n, r in enumerate(panel.results):
        where = f"result {n + 1}" if len(panel.results) > 1 else "value"
        if not (r.name or r.loinc):
            errors[f"{where} test"] = "Choose the test"
        if r.value is None and not r.value_text.strip() and r.status != "cancelled":
            errors[where] = "Enter the value"
        if r.value is not None and not math.isfinite(r.value):
            errors[where] = "Not a number"
        if r.comparator and r.comparator not in COMPARATORS:
            errors[where] = f"Unknown comparator {r.comparator}"
        if r.status not in STATUSES:
            errors[f"{where} status"] = f"Unknown status {r.status}"
        if r.ref_low is not None and r.ref_high is not None and r.ref_low > r.ref_high:
            errors[f"{where} range"] = "The range's low end is above its high end"
    return errors


# ------------------------------------------------------------------ writing


def _test_for(r: ResultInput) -> LabTest | None:
    return catalog().find(r.loinc, r.name)


def _row_values(patient_id: int, panel: PanelInput, panel_id: str, collected: datetime, r: ResultInput,
                origin: str, user_id: int | None, import_id: int | None) -> dict:
    test = _test_for(r)
    interp: Interpretation = interpret(test, r.value, r.unit, ref_low=r.ref_low, ref_high=r.ref_high,
                                       received_flag=r.flag)
    name = (r.name or (test.name if test else "")).strip()[:300]
    return dict(
        patient_id=patient_id, panel_id=panel_id, panel_code=panel.panel_code[:20], panel_name=panel.panel_name[:300],
        loinc=(r.loinc or (test.loinc if test else ""))[:20], name=name,
        value_type="quantity" if r.value is not None else ("coded" if r.value_code else "text"),
        value_num=r.value, comparator=r.comparator, value_text=r.value_text[:4000], value_code=r.value_code[:60],
        unit=(r.unit or "")[:40], ref_low=r.ref_low, ref_high=r.ref_high, ref_text=r.ref_text[:200],
        flag=interp.flag, flag_source=interp.flag_source, collected_at=collected, status=r.status,
        performing_lab=panel.performing_lab[:300], ordering_clinician=panel.ordering_clinician[:200],
        origin=origin, encounter_id=panel.encounter_id, note=r.note,
        source_system=r.source_system[:300] or None, source_resource_id=r.source_resource_id[:300] or None,
        source_date=_utc(r.source_date) if r.source_date else None, phr_import_id=import_id,
        created_by_id=user_id, updated_by_id=user_id, version=1,
    )


def record_results(uow: UnitOfWork, patient_id: int, panel: PanelInput, *, origin: str = CLINIC,
                   import_id: int | None = None, audit: bool = True) -> SavedResults:
    """Store one panel of results (nurse or physician). Raises ValidationError and stores nothing on any slip.

    Returns the critical values found among them: the caller raises the interrupting alert.
    """
    uow.require(Permission.EDIT_CHART)
    now = datetime.now(UTC)
    errors = _validate(panel, now)
    if origin == CLINIC:
        for n, r in enumerate(panel.results):
            slip = check_entry(_test_for(r), r.value, r.unit)
            if slip:
                errors[f"result {n + 1}" if len(panel.results) > 1 else "value"] = slip
    if errors:
        raise ValidationError(errors)
    if uow.session.get(Patient, patient_id) is None:
        raise NotFound(f"no patient with id {patient_id}")
    if origin == CLINIC:
        refuse_before_birth(uow, patient_id, collected_at=(panel.collected_at, "The collection time"))
    collected = _utc(panel.collected_at) if panel.collected_at else now
    panel_id = panel.panel_id[:64] or uuid.uuid4().hex
    rows = [_row_values(patient_id, panel, panel_id, collected, r, origin, uow.user.id, import_id)
            for r in panel.results]
    objs = [LabResult(**v) for v in rows]
    uow.session.add_all(objs)
    uow.session.flush()
    ids = tuple(o.id for o in objs)
    if audit:
        uow.audit("create", "lab_result", panel_id, patient_id,
                  f"{'imported ' if origin != CLINIC else ''}results {collected:%Y-%m-%d}: "
                  + ", ".join(_short_text(v) for v in rows))
    values = [LabValue(o.loinc, o.name, o.value_num, o.unit, collected, o.id) for o in objs
              if o.value_num is not None and o.status != "cancelled"]
    return SavedResults(panel_id, ids, check_critical(values))


def bulk_add_results(uow: UnitOfWork, patient_id: int, panels: list[PanelInput], *, origin: str = CLINIC) -> int:
    """Many panels at once (the demo builder): one INSERT, one audit row. Plausibility is the caller's data."""
    uow.require(Permission.EDIT_CHART)
    now = datetime.now(UTC)
    rows: list[dict] = []
    for panel in panels:
        errors = _validate(panel, now)
        if errors:
            raise ValidationError(errors)
        collected = _utc(panel.collected_at) if panel.collected_at else now
        panel_id = panel.panel_id or uuid.uuid4().hex
        rows += [_row_values(patient_id, panel, panel_id, collected, r, origin, uow.user.id, None)
                 for r in panel.results]
    if rows:
        for r in rows:
            r.setdefault("entered_in_error", False)
            r["created_at"] = r["updated_at"] = now
        uow.session.execute(insert(LabResult), rows)
        uow.audit("create", "lab_result", None, patient_id, f"{len(rows)} results in {len(panels)} panels")
    return len(rows)


def _short_text(v: dict) -> str:
    value = v["value_text"] if v["value_num"] is None else f"{v['comparator']}{v['value_num']:g}"
    return f"{v['name'][:40]} {value} {v['unit']}".strip() + (f" ({v['flag']})" if v["flag"] not in ("", "N") else "")


def mark_result_in_error(uow: UnitOfWork, patient_id: int, result_id: int, reason: str) -> None:
    uow.require(Permission.EDIT_CHART)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this result was entered in error"})
    row = uow.session.get(LabResult, result_id)
    if row is None or row.patient_id != patient_id:
        raise NotFound(f"no result #{result_id} in this chart")
    if row.entered_in_error:
        raise NotFound("this result is already marked entered in error")
    row.entered_in_error = True
    row.error_reason = reason[:2000]
    row.error_at = datetime.now(UTC)
    row.error_by_id = uow.user.id
    row.updated_by_id = uow.user.id
    uow.session.flush()
    uow.audit("entered-in-error", "lab_result", result_id, patient_id, f"{row.name}: {reason}")


def mark_panel_in_error(uow: UnitOfWork, patient_id: int, panel_id: str, reason: str) -> int:
    uow.require(Permission.EDIT_CHART)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why these results were entered in error"})
    now = datetime.now(UTC)
    result = uow.session.execute(
        update(LabResult)
        .where(LabResult.patient_id == patient_id, LabResult.panel_id == panel_id,
               LabResult.entered_in_error.is_(False))
        .values(entered_in_error=True, error_reason=reason[:2000], error_at=now, error_by_id=uow.user.id,
                updated_by_id=uow.user.id, updated_at=now, version=LabResult.version + 1)
        .execution_options(synchronize_session=False))
    if not result.rowcount:
        raise NotFound("these results were not found or are already marked entered in error")
    uow.audit("entered-in-error", "lab_result", panel_id, patient_id, reason)
    return result.rowcount


# ------------------------------------------------------------------ reading


class ResultRow(NamedTuple):
    """One result as the chart shows it (a named tuple: thousands are built per chart open)."""

    id: int
    panel_id: str
    loinc: str
    name: str
    short: str
    group: str  # flowsheet group key (cbc, chem, lipids, hba1c, thyroid, urinalysis, other)
    value: float | None
    comparator: str
    value_text: str
    unit: str
    ref_low: float | None
    ref_high: float | None
    ref_text: str
    range_source: str  # lab | default | ""
    flag: str
    flag_source: str
    collected_at: datetime  # local
    status: str
    origin: str
    performing_lab: str
    source_system: str
    decimals: int | None = None
    ref_below: bool = False  # a default "less than" level (lipids): shown "< 200", and 200 is flagged

    @property
    def value_display(self) -> str:
        if self.value is None:
            return self.value_text or ("cancelled" if self.status == "cancelled" else "")
        return f"{self.comparator}{format_number(self.value, self.decimals)}"

    @property
    def range_display(self) -> str:
        if self.ref_text:
            return self.ref_text
        if self.ref_low is None and self.ref_high is None:
            return "no range"
        if self.ref_low is None:
            text = f"{'<' if self.ref_below else '≤'} {self.ref_high:g}"
        elif self.ref_high is None:
            text = f"≥ {self.ref_low:g}"
        else:
            text = f"{self.ref_low:g}–{self.ref_high:g}"
        return text + (" (default)" if self.range_source == "default" else "")

    @property
    def abnormal(self) -> bool:
        return self.flag not in ("", "N")

    @property
    def text(self) -> str:
        flag = f" ({self.flag})" if self.abnormal else ""
        return f"{self.short} {self.value_display} {self.unit}".rstrip() + flag


@dataclass(frozen=True, slots=True)
class PanelView:
    panel_id: str
    title: str
    collected_at: datetime  # local
    origin: str
    performing_lab: str
    source_system: str
    results: tuple[ResultRow, ...]

    @property
    def abnormal_count(self) -> int:
        return sum(1 for r in self.results if r.abnormal)


_COLS = (LabResult.id, LabResult.panel_id, LabResult.panel_code, LabResult.panel_name, LabResult.loinc,
         LabResult.name, LabResult.value_num, LabResult.comparator, LabResult.value_text, LabResult.unit,
         LabResult.ref_low, LabResult.ref_high, LabResult.ref_text, LabResult.flag, LabResult.flag_source,
         LabResult.collected_at, LabResult.status, LabResult.origin, LabResult.performing_lab,
         LabResult.source_system)


class _RowMaker:
    """Builds ResultRows fast: catalog lookups and local times cached per code and per instant."""

    def __init__(self) -> None:
        self.cat = catalog()
        self.tests: dict[tuple[str, str], LabTest | None] = {}
        self.times: dict[datetime, datetime] = {}

    def local(self, dt: datetime) -> datetime:
        t = self.times.get(dt)
        if t is None:
            t = self.times[dt] = local(dt)
        return t

    def __call__(self, r) -> ResultRow:
        key = (r.loinc, r.name)
        test = self.tests.get(key, _MISSING)
        if test is _MISSING:
            test = self.tests[key] = self.cat.find(r.loinc, r.name)
        range_source = ""
        low, high, below = r.ref_low, r.ref_high, False
        if low is not None or high is not None or r.ref_text:
            range_source = "lab"
        elif r.flag_source == "default range" and test is not None and test.range is not None:
            low, high, below, range_source = test.range.low, test.range.high, test.range.below, "default"
        return ResultRow(
            r.id, r.panel_id, r.loinc, r.name, test.short if test else r.name, test.panel if test else "other",
            r.value_num, r.comparator or "", r.value_text or "", r.unit or "", low, high, r.ref_text or "",
            range_source, r.flag or "", r.flag_source or "", self.local(r.collected_at), r.status, r.origin,
            r.performing_lab or "", r.source_system or "",
            test.decimals if test is not None and test.unit == r.unit else None, below)


_MISSING = object()


def _to_row(r) -> ResultRow:
    return _RowMaker()(r)


def _rows(uow: UnitOfWork, patient_id: int, *extra) -> list:
    conn = uow.read_connection()
    return conn.execute(
        select(*_COLS).where(LabResult.patient_id == patient_id, LabResult.entered_in_error.is_(False), *extra)
        .order_by(LabResult.collected_at.desc(), LabResult.panel_id, LabResult.id)).all()


@dataclass(frozen=True, slots=True)
class ResultsView:
    """Everything the Results tab shows, newest panels first, a page at a time."""

    panels: tuple[PanelView, ...]  # newest first
    total: int  # results shown
    total_panels: int = 0  # panels in the chart (within the filter), shown or not
    has_more: bool = False  # older panels not read yet

    @property
    def shown_panels(self) -> int:
        return len(self.panels)


GROUP_TITLES = {"cbc": "CBC", "chem": "BMP/CMP", "lipids": "Lipids", "hba1c": "HbA1c", "thyroid": "Thyroid",
                "urinalysis": "Urinalysis", "other": "Other"}
GROUP_ORDER = tuple(GROUP_TITLES)
PAGE_PANELS = 40


def panel_title(panel_name: str, results: list[ResultRow]) -> str:
    if panel_name:
        return panel_name
    groups = {r.group for r in results}
    if len(results) == 1:
        return results[0].name
    return " / ".join(GROUP_TITLES.get(g, g) for g in GROUP_ORDER if g in groups)


def _group_codes(group: str) -> tuple[list[str], list[str]]:
    """(codes, names of code-less tests) of a flowsheet group, for filtering in SQL."""
    tests = [t for t in catalog().tests if t.panel == group]
    return [t.loinc for t in tests if t.loinc], [t.name for t in tests if not t.loinc]


def results_view(uow: UnitOfWork, patient_id: int, *, start: date | None = None, end: date | None = None,
                 group: str | None = None, panels: int | None = PAGE_PANELS) -> ResultsView:
    """The newest `panels` panels (None: all) with their results. Two indexed reads whatever the chart's size."""
    uow.require(Permission.VIEW_CHART)
    extra = []
    if start is not None:
        extra.append(LabResult.collected_at >= _day_start(start))
    if end is not None:
        extra.append(LabResult.collected_at < _day_start(end + timedelta(days=1)))
    if group:
        codes, names = _group_codes(group)
        if group == "other":  # everything the catalog does not place in a named group
            placed = [t.loinc for t in catalog().tests if t.panel != "other" and t.loinc]
            extra.append(LabResult.loinc.not_in(placed))
        else:
            extra.append(LabResult.loinc.in_(codes) | LabResult.name.in_(names))
    base = [LabResult.patient_id == patient_id, LabResult.entered_in_error.is_(False), *extra]
    conn = uow.read_connection()
    stmt = (select(LabResult.panel_id, func.max(LabResult.collected_at).label("at")).where(*base)
            .group_by(LabResult.panel_id).order_by(func.max(LabResult.collected_at).desc(), LabResult.panel_id))
    keys = conn.execute(stmt if panels is None else stmt.limit(panels + 1)).all()
    total_panels = len(keys)
    if panels is not None and total_panels > panels:
        total_panels = conn.execute(select(func.count(func.distinct(LabResult.panel_id))).where(*base)).scalar() or 0
    chosen = keys if panels is None else keys[:panels]
    if not chosen:
        return ResultsView((), 0, 0, False)
    where = [*base]
    if panels is not None and total_panels > panels:
        where.append(LabResult.collected_at >= chosen[-1].at)  # index range, then the exact panel set
        wanted = {k.panel_id for k in chosen}
    else:
        wanted = None
    raw = conn.execute(select(*_COLS).where(*where)
                       .order_by(LabResult.collected_at.desc(), LabResult.panel_id, LabResult.id)).all()
    make = _RowMaker()
    by_panel: dict[str, list[ResultRow]] = {}
    heads: dict[str, object] = {}
    for r in raw:
        if wanted is not None and r.panel_id not in wanted:
            continue
        rows = by_panel.get(r.panel_id)
        if rows is None:
            rows = by_panel[r.panel_id] = []
            heads[r.panel_id] = r
        rows.append(make(r))
    out = []
    total = 0
    for pid, rows in by_panel.items():
        h = heads[pid]
        total += len(rows)
        out.append(PanelView(pid, panel_title(h.panel_name, rows), rows[0].collected_at, h.origin,
                             h.performing_lab or "", h.source_system or "", tuple(rows)))
    out.sort(key=lambda p: p.collected_at, reverse=True)
    return ResultsView(tuple(out), total, total_panels, total_panels > len(out))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time()).astimezone(UTC)


# ------------------------------------------------------------------ flowsheet


@dataclass(frozen=True, slots=True)
class FlowRow:
    key: str  # loinc or name
    group: str
    label: str
    unit: str


@dataclass(frozen=True, slots=True)
class Flowsheet:
    """Tests as rows (grouped by panel group), collection dates as columns (newest first)."""

    rows: tuple[FlowRow, ...]  # group header rows have key ""
    columns: tuple[datetime, ...]
    cells: dict[tuple[str, int], ResultRow]  # (row key, column index) -> result


def flowsheet_of(view: ResultsView) -> Flowsheet:
    """Built from the same read as the panels (no second query)."""
    columns: list[datetime] = []
    col_of: dict[datetime, int] = {}
    tests: dict[str, FlowRow] = {}
    cells: dict[tuple[str, int], ResultRow] = {}
    for p in view.panels:  # newest first
        for r in p.results:
            when = r.collected_at.replace(second=0, microsecond=0)
            if when not in col_of:
                col_of[when] = len(columns)
                columns.append(when)
            key = r.loinc or r.name
            if key not in tests:
                tests[key] = FlowRow(key, r.group, r.short, r.unit)
            cells.setdefault((key, col_of[when]), r)
    order = {g: i for i, g in enumerate(GROUP_ORDER)}
    rows: list[FlowRow] = []
    by_group: dict[str, list[FlowRow]] = defaultdict(list)
    for t in tests.values():
        by_group[t.group].append(t)
    for g in sorted(by_group, key=lambda g: order.get(g, 99)):
        rows.append(FlowRow("", g, GROUP_TITLES.get(g, g), ""))
        rows += by_group[g]
    return Flowsheet(tuple(rows), tuple(columns), cells)


# ------------------------------------------------------------------ trends


@dataclass(frozen=True, slots=True)
class TrendPoint:
    collected_at: datetime  # local
    value: float  # in the trend's unit
    original: str  # "6.1 mmol/L" as received, shown on hover
    flag: str
    origin: str


@dataclass(frozen=True, slots=True)
class LabTrend:
    key: str
    label: str
    unit: str
    clinic: tuple[TrendPoint, ...]
    imported: tuple[TrendPoint, ...]
    range: tuple[float | None, float | None] | None
    range_note: str  # "laboratory range" / "default adult range (source)" / ""
    not_plotted: tuple[str, ...] = ()  # results in a unit that cannot be converted


def trend(uow: UnitOfWork, patient_id: int, key: str) -> LabTrend:
    """One test's numeric results over time, converted to one unit; clinic and imported kept apart."""
    uow.require(Permission.VIEW_CHART)
    cat = catalog()
    test = cat.find(key, key)
    codes = {key}
    if test is not None and test.analyte:  # the same analyte under another code (glucose blood / serum ...)
        codes |= {t.loinc for t in cat.tests if t.analyte == test.analyte and t.loinc}
    where = LabResult.loinc.in_(codes) if test is not None and test.loinc else \
        ((LabResult.loinc == key) | (LabResult.name == key))
    raw = [r for r in _rows(uow, patient_id, where) if r.value_num is not None and r.status != "cancelled"]
    raw.reverse()  # oldest first
    unit = test.unit if test else (raw[-1].unit if raw else "")
    if test is not None and test.analyte and lab_units.canonical_unit(test.analyte):
        unit = test.unit
    clinic, imported, missed = [], [], []
    lab_range: tuple[float | None, float | None] | None = None
    for r in raw:
        if lab_units.normalise(r.unit) == lab_units.normalise(unit) or (test and test.same_unit(r.unit)):
            v = r.value_num
        else:
            try:
                v = lab_units.convert(test.analyte if test else "", r.value_num, r.unit, unit)
            except lab_units.UnknownLabUnit:
                missed.append(f"{local(r.collected_at):%Y-%m-%d} {r.value_num:g} {r.unit}")
                continue
        point = TrendPoint(local(r.collected_at), v, f"{r.comparator}{r.value_num:g} {r.unit}".strip(), r.flag or "",
                           r.origin)
        (clinic if r.origin == CLINIC else imported).append(point)
        if (r.ref_low is not None or r.ref_high is not None) and test and test.same_unit(r.unit):
            lab_range = (r.ref_low, r.ref_high)
    note = ""
    rng = None
    if lab_range is not None:
        rng, note = lab_range, "laboratory range (latest)"
    elif test is not None and test.range is not None:
        rng, note = (test.range.low, test.range.high), "default adult range"
    label = test.short if test else key
    return LabTrend(key, label, unit, tuple(clinic), tuple(imported), rng, note, tuple(missed))


# ------------------------------------------------------------------ summary, notes, alerts


def latest_key_results(uow: UnitOfWork, patient_id: int) -> list[ResultRow]:
    """The latest result of each key test (HbA1c, LDL, eGFR, potassium, INR, ...), newest first."""
    uow.require(Permission.VIEW_CHART)
    cat = catalog()
    keys = [t.loinc for t in cat.tests if t.key_result and t.loinc]
    seen: set[str] = set()
    out = []
    for r in _rows(uow, patient_id, LabResult.loinc.in_(keys), LabResult.status != "cancelled"):
        test = cat.find(r.loinc)
        ident = test.analyte or r.loinc if test else r.loinc
        if ident in seen:
            continue
        seen.add(ident)
        out.append(_to_row(r))
    return out


def recent_for_print(uow: UnitOfWork, patient_id: int, panels: int = 6, max_rows: int = 40) -> list[ResultRow]:
    """The results of the latest `panels` panels, newest first, for the printed summary (whoever may print
    the summary may read them: front desk prints summaries)."""
    uow.require(Permission.PRINT)
    conn = uow.read_connection()
    latest = [pid for (pid,) in conn.execute(
        select(LabResult.panel_id).where(LabResult.patient_id == patient_id, LabResult.entered_in_error.is_(False))
        .group_by(LabResult.panel_id).order_by(func.max(LabResult.collected_at).desc()).limit(panels))]
    if not latest:
        return []
    make = _RowMaker()
    return [make(r) for r in _rows(uow, patient_id, LabResult.panel_id.in_(latest))][:max_rows]


def recent_results_text(uow: UnitOfWork, patient_id: int, days: int = 90) -> str:
    """Lines for a note's Objective: the panels of the last `days` days, abnormal values flagged."""
    view = results_view(uow, patient_id, start=date.today() - timedelta(days=days))
    lines = []
    for p in view.panels:
        values = ", ".join(r.text for r in p.results)
        lines.append(f"Labs {p.collected_at:%Y-%m-%d} ({p.title}): {values}")
    return "\n".join(lines)


def latest_values(uow: UnitOfWork, patient_id: int) -> dict[str, LabValue]:
    """analyte -> the latest numeric result (for the drug-lab checks at order time)."""
    uow.require(Permission.VIEW_CHART)
    cat = catalog()
    codes = {t.loinc: t.analyte for t in cat.tests if t.analyte and t.loinc}
    out: dict[str, LabValue] = {}
    for r in _rows(uow, patient_id, LabResult.loinc.in_(codes), LabResult.value_num.is_not(None),
                   LabResult.status != "cancelled"):
        analyte = codes[r.loinc]
        if analyte not in out:
            out[analyte] = LabValue(r.loinc, r.name, r.value_num, r.unit, local(r.collected_at), r.id)
    return out


@dataclass(frozen=True, slots=True)
class EntryContext:
    """What the manual-entry form needs: the catalog (or why it could not load)."""

    tests: tuple[LabTest, ...] = ()
    error: str = ""
    labs: tuple[str, ...] = field(default=())  # performing labs used before in this chart


def entry_context(uow: UnitOfWork, patient_id: int) -> EntryContext:
    uow.require(Permission.VIEW_CHART)
    labs = tuple(x for (x,) in uow.read_connection().execute(
        select(LabResult.performing_lab).where(LabResult.patient_id == patient_id, LabResult.performing_lab != "")
        .distinct().limit(20)))
    try:
        return EntryContext(catalog().tests, "", labs)
    except KnowledgeBaseError as exc:
        return EntryContext((), str(exc), labs)
