"""Diff the file against the chart, per category: NEW, DUPLICATE, CHANGED or CONFLICT.

Matched on provenance first (the same source system and resource id: an earlier import of this file or an
older version of it), then on codes (RxNorm ingredient, SNOMED/ICD-10, CVX, LOINC), then on normalised
text and dates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from desktop.kb.text import fold

from .bulk import maker
from .drugs import ingredient_key
from .matching import (
    Collapsed,
    allergy_keys,
    collapse_allergies,
    collapse_immunizations,
    collapse_medications,
    collapse_problems,
    immunization_key,
    medication_keys,
    observation_groups,
    observation_key,
    problem_keys,
    same_reading,
    same_value,
)
from .records import PhrAllergy, PhrImmunization, PhrMedication, PhrObservation, PhrProblem
from .review import Decision, ItemStatus, PlanItem
from .snapshot import ChartAllergy, ChartImmunization, ChartMedication, ChartObservation, ChartProblem

D = Decision
NEW_CHOICES = (D.ADD, D.SKIP)
DUPLICATE_CHOICES = (D.SKIP,)
CHANGED_CHOICES = (D.KEEP_CHART, D.TAKE_FILE, D.KEEP_BOTH)
ONE_ROW_CHOICES = (D.KEEP_CHART, D.TAKE_FILE)  # allergies: one row per substance


class _Index:
    """Chart rows by every key they are known by, live rows before rows marked entered-in-error."""

    def __init__(self, rows: Iterable, keys_of):
        self.by_key: dict[str, list] = {}
        self.by_source: dict[tuple[str, str], object] = {}
        for row in sorted(rows, key=lambda r: (r.entered_in_error, getattr(r, "status", "active") != "active")):
            for k in keys_of(row):
                self.by_key.setdefault(k, []).append(row)
            if row.source_system and row.source_resource_id:
                self.by_source.setdefault((row.source_system, row.source_resource_id), row)

    def find(self, item, keys: Sequence[str]) -> tuple[object | None, str]:
        row = self.by_source.get((item.source_system, item.source_resource_id)) if item.source_resource_id else None
        if row is not None:
            return row, "source id"
        for k in keys:
            rows = self.by_key.get(k)
            if rows:
                return rows[0], _how(k)
        return None, ""


def _how(key: str) -> str:
    return {"snomed": "SNOMED code", "icd10": "ICD-10 code", "rxing": "RxNorm ingredient", "rxprod": "RxNorm product",
            "ing": "ingredient", "text": "text", "allergen": "allergen", "nka": "no known allergies",
            "cvx": "CVX code"}.get(key.split(":", 1)[0], key.split(":", 1)[0])


def _base(category: str, c: Collapsed, key: str) -> dict:
    return dict(key=key, category=category, file_item=c.item, copies_in_file=c.count)


def _new(category: str, c: Collapsed, key: str) -> PlanItem:
    # a medication the file lists as stopped or completed is history: not ticked (it would otherwise join the
    # active list); ticked by the reviewer it is merged with its status (stopped), never as active
    inactive = category == "medications" and getattr(c.item, "status", "active") in ("stopped", "completed")
    return PlanItem(status=ItemStatus.NEW, choices=NEW_CHOICES, default=D.SKIP if inactive else D.ADD,
                    **_base(category, c, key))


def _matched(category: str, c: Collapsed, key: str, row, how: str, diffs: list[str],
             choices: tuple[Decision, ...] = CHANGED_CHOICES) -> PlanItem:
    if row.entered_in_error:
        reason = f"marked entered-in-error in the chart{': ' + row.error_reason if row.error_reason else ''}"
        return PlanItem(status=ItemStatus.CONFLICT, chart_item=row, differences=(reason, *diffs),
                        choices=(D.SKIP, D.ADD), default=None, matched_by=how, **_base(category, c, key))
    if diffs:
        return PlanItem(status=ItemStatus.CHANGED, chart_item=row, differences=tuple(diffs), choices=choices,
                        default=None, matched_by=how, **_base(category, c, key))
    return PlanItem(status=ItemStatus.DUPLICATE, chart_item=row, choices=DUPLICATE_CHOICES, default=D.SKIP,
                    matched_by=how, **_base(category, c, key))


def _differ(label: str, file_value, chart_value, out: list[str]) -> None:
    if file_value not in (None, "") and chart_value not in (None, "") and file_value != chart_value:
        out.append(f"{label}: file {file_value} / chart {chart_value}")


class _Keys:
    """Item keys that stay the same for the same file against the same chart."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, category: str, item, extra: str = "") -> str:
        base = f"{category}|{item.source_resource_id or ''}|{extra}"
        key, n = base, 1
        while key in self.used:
            n += 1
            key = f"{base}#{n}"
        self.used.add(key)
        return key


# ------------------------------------------------------------------ per category

def diff_problems(items: Iterable[PhrProblem], rows: Iterable[ChartProblem], keys: _Keys) -> list[PlanItem]:
    index = _Index(rows, problem_keys)
    out = []
    for c in collapse_problems(items):
        p: PhrProblem = c.item  # type: ignore[assignment]
        key = keys.make("problems", p, problem_keys(p)[0])
        row, how = index.find(p, problem_keys(p))
        if row is None:
            out.append(_new("problems", c, key))
            continue
        diffs: list[str] = []
        _differ("status", p.status, row.status, diffs)
        _differ("onset", p.onset, row.onset, diffs)
        _differ("resolved", p.resolved, row.resolved, diffs)
        out.append(_matched("problems", c, key, row, how, diffs))
    return out


def diff_medications(items: Iterable[PhrMedication], rows: Iterable[ChartMedication], keys: _Keys) -> list[PlanItem]:
    index = _Index(rows, medication_keys)
    out = []
    for c in collapse_medications(items):
        m: PhrMedication = c.item  # type: ignore[assignment]
        mk = medication_keys(m)
        key = keys.make("medications", m, mk[0])
        row, how = index.find(m, mk)
        if row is None:
            out.append(_new("medications", c, key))
            continue
        diffs: list[str] = []
        _differ("status", m.status, row.status, diffs)
        _differ("RxNorm product", m.product_rxcui, row.product_rxcui, diffs)
        _differ("stopped", m.stop, row.stop, diffs)
        if m.ingredients and row.ingredients and ingredient_key(m.ingredients) != ingredient_key(row.ingredients):
            diffs.append(f"ingredients: file {'+'.join(m.ingredients)} / chart {row.ingredients}")
        out.append(_matched("medications", c, key, row, how, diffs))
    return out


def diff_allergies(items: Iterable[PhrAllergy], rows: Sequence[ChartAllergy], keys: _Keys,
                   chart_key: Callable[[PhrAllergy], str | None] | None = None) -> tuple[list[PlanItem], list[str]]:
    """chart_key: the key the chart's allergy service would store this substance under (a class id), if known."""
    rows = list(rows)
    index = _Index(rows, allergy_keys)
    live = [r for r in rows if not r.entered_in_error and r.status == "active"]
    chart_nka = next((r for r in live if r.no_known_allergies), None)
    chart_allergies = [r for r in live if not r.no_known_allergies]
    out: list[PlanItem] = []
    notes: list[str] = []
    for c in collapse_allergies(items):
        a: PhrAllergy = c.item  # type: ignore[assignment]
        ak = allergy_keys(a)
        extra = chart_key(a) if chart_key is not None and not a.no_known_allergies else None
        if extra and "allergen:" + extra not in ak:
            ak.append("allergen:" + extra)
        key = keys.make("allergies", a, ak[0] if ak else fold(a.substance))
        row, how = index.find(a, ak)
        if a.verification == "refuted":
            if row is not None and not row.entered_in_error and row.status == "active":
                out.append(PlanItem(status=ItemStatus.CONFLICT, chart_item=row, matched_by=how,
                                    differences=(f"the file says the allergy to {a.substance} was refuted",),
                                    choices=ONE_ROW_CHOICES, default=None, **_base("allergies", c, key)))
            else:
                notes.append(f"The file records the allergy to {a.substance} as refuted; nothing to add.")
            continue
        if a.no_known_allergies:
            if chart_allergies and row is None:
                names = ", ".join(r.substance for r in chart_allergies[:5])
                out.append(PlanItem(status=ItemStatus.CONFLICT, chart_item=chart_allergies[0], matched_by="",
                                    differences=(f"the file says no known allergies; the chart lists {names}",),
                                    choices=(D.KEEP_CHART,), default=None, **_base("allergies", c, key)))
                continue
        elif chart_nka is not None and (row is None or row is chart_nka):
            out.append(PlanItem(status=ItemStatus.CONFLICT, chart_item=chart_nka, matched_by="",
                                differences=(f"the chart says no known allergies; the file lists {a.substance}",),
                                choices=(D.KEEP_CHART, D.TAKE_FILE), default=None, **_base("allergies", c, key)))
            continue
        if row is None:
            out.append(_new("allergies", c, key))
            continue
        diffs: list[str] = []
        if not a.no_known_allergies:
            _differ("status", a.status, row.status, diffs)
            _differ("severity", a.severity, row.severity, diffs)
            _differ("criticality", a.criticality, row.criticality, diffs)
            _differ("type", a.kind, row.kind, diffs)
        out.append(_matched("allergies", c, key, row, how, diffs, choices=ONE_ROW_CHOICES))
    return out, notes


def diff_immunizations(items: Iterable[PhrImmunization], rows: Iterable[ChartImmunization], keys: _Keys) -> list[PlanItem]:
    def keys_of(r: ChartImmunization | PhrImmunization) -> list[str]:
        ks = [immunization_key(r.cvx, r.vaccine, r.date_given)]
        if r.cvx:
            ks.append(immunization_key(None, r.vaccine, r.date_given))  # the same name, coded on one side only
        return ks

    index = _Index(rows, keys_of)
    out = []
    for c in collapse_immunizations(items):
        i: PhrImmunization = c.item  # type: ignore[assignment]
        ik = keys_of(i)
        key = keys.make("immunizations", i, ik[0])
        row, how = index.find(i, ik)
        if row is None:
            out.append(_new("immunizations", c, key))
            continue
        diffs: list[str] = []
        _differ("lot", i.lot_number, row.lot_number, diffs)
        if row.date_given != i.date_given:
            diffs.append(f"date given: file {i.date_given} / chart {row.date_given}")
        out.append(_matched("immunizations", c, key, row, "CVX code and date" if how == "CVX code" else how, diffs))
    return out


DEVICE_ORIGINS = ("device", "patient")


def series_key(o: PhrObservation) -> str:
    """Device and patient-entered readings are summarised per kind for the reviewer."""
    return f"series|{o.loinc}" if o.origin in DEVICE_ORIGINS else ""


def diff_observations(items: Iterable[PhrObservation], rows: Iterable[ChartObservation], keys: _Keys) -> list[PlanItem]:
    by_time: dict[tuple[str, int], list[ChartObservation]] = {}
    by_source: dict[tuple[str, str, str], ChartObservation] = {}
    for r in rows:
        by_time.setdefault(observation_key(r), []).append(r)
        if r.source_system and r.source_resource_id:
            by_source[(r.source_system, r.source_resource_id, r.loinc)] = r
    out = []
    append = out.append
    new = ItemStatus.NEW
    used = keys.used
    series_of: dict[tuple[str, str], str] = {}  # (LOINC, origin) -> series_key: one string for a kind's readings
    for (loinc, minute, _value), group in observation_groups(items).items():  # collapse_observations, unrolled
        if group.__class__ is list:
            o, copies = same_reading(group), len(group)  # type: ignore[arg-type]
        else:
            o, copies = group, 1  # type: ignore[assignment]
        key = f"observations|{o.source_resource_id or ''}|{loinc}@{minute}"  # keys.make, inline (one per reading)
        if key in used:
            key = keys.make("observations", o, f"{loinc}@{minute}")
        else:
            used.add(key)
        series = series_of.get((loinc, o.origin))
        if series is None:
            series = series_of[(loinc, o.origin)] = series_key(o)
        candidates = by_time.get((loinc, minute)) if by_time else None
        if not candidates and not by_source:  # the common case (a chart without these readings): kept lean
            append(_plan_item(key, "observations", new, o, None, (), NEW_CHOICES, D.ADD, "", copies, series))
            continue
        base = dict(key=key, category="observations", file_item=o, copies_in_file=copies, series=series)
        candidates = candidates or []
        live = [r for r in candidates if not r.entered_in_error]
        same = next((r for r in live if same_value(o.value, r.value)), None)
        if same is not None:
            append(PlanItem(status=ItemStatus.DUPLICATE, chart_item=same, choices=DUPLICATE_CHOICES,
                            default=D.SKIP, matched_by="time and value", **base))
            continue
        struck = next((r for r in candidates if r.entered_in_error and same_value(o.value, r.value)), None)
        if struck is None:
            struck = by_source.get((o.source_system, o.source_resource_id, o.loinc))
            struck = struck if struck is not None and struck.entered_in_error else None
        if struck is not None:
            reason = f"marked entered-in-error in the chart{': ' + struck.error_reason if struck.error_reason else ''}"
            append(PlanItem(status=ItemStatus.CONFLICT, chart_item=struck, differences=(reason,),
                            choices=(D.SKIP, D.ADD), default=None, matched_by="time and value", **base))
            continue
        if live:
            other = live[0]
            append(PlanItem(
                status=ItemStatus.CONFLICT, chart_item=other, matched_by="time",
                differences=(f"value at the same time: file {o.value:g} {o.unit} / chart {other.value:g} {other.unit}",),
                choices=(D.KEEP_CHART, D.KEEP_BOTH), default=None, **base))
            continue
        append(_plan_item(key, "observations", new, o, None, (), NEW_CHOICES, D.ADD, "", copies, series))
    return out


_plan_item = maker(PlanItem)  # positional, in PlanItem's field order: one per reading of a device export
