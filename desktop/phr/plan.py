"""build_plan(): identity, within-file collapse, per-category diff and reading summaries in one call."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from operator import attrgetter

from . import diff, history_diff
from .bulk import gc_paused
from .diff_results import diff_results
from .errors import SeveralPatients
from .identity import match_identity
from .records import ParsedFile, PhrAllergy
from .review import DailyValue, ImportPlan, ItemStatus, PlanItem, ReadingSeries
from .snapshot import ChartSnapshot


def choose_patient(parsed: ParsedFile, snapshot: ChartSnapshot) -> str | None:
    """The file's patient that matches the chart, when exactly one does (files with several patients)."""
    from .identity import Verdict

    hits = [p.ref for p in parsed.patients
            if match_identity(p, snapshot.patient).verdict in (Verdict.MATCH, Verdict.PARTIAL)]
    return hits[0] if len(hits) == 1 else None


def build_plan(parsed: ParsedFile, snapshot: ChartSnapshot, patient_ref: str | None = None, *,
               allergy_key: Callable[[PhrAllergy], str | None] | None = None, previous_import: str = "") -> ImportPlan:
    """The merge plan of a file against a chart. Raises SeveralPatients when the file holds several and
    no patient_ref was given. allergy_key: how the chart keys a substance (the allergy service's rule)."""
    with gc_paused():  # a device export: a plan item for each of 100,000s of readings
        return _build_plan(parsed, snapshot, patient_ref, allergy_key, previous_import)


def _build_plan(parsed: ParsedFile, snapshot: ChartSnapshot, patient_ref: str | None,
                allergy_key: Callable[[PhrAllergy], str | None] | None, previous_import: str) -> ImportPlan:
    if patient_ref is None and parsed.several_patients:
        names = [p.display_name for p in parsed.patients] or list(parsed.patient_refs)
        raise SeveralPatients(list(parsed.patient_refs), names)
    if patient_ref is not None:
        parsed = parsed.for_patient(patient_ref)
    ref = patient_ref or (parsed.patient_refs[0] if parsed.patient_refs else "")
    file_patient = parsed.patient(ref) if ref else parsed.patient()
    identity = match_identity(file_patient, snapshot.patient)

    keys = diff._Keys()
    items: list[PlanItem] = []
    items += diff.diff_problems(parsed.problems, snapshot.problems, keys)
    items += diff.diff_medications(parsed.medications, snapshot.medications, keys)
    allergy_items, allergy_notes = diff.diff_allergies(parsed.allergies, snapshot.allergies, keys, allergy_key)
    items += allergy_items
    items += diff.diff_immunizations(parsed.immunizations, snapshot.immunizations, keys)
    items += diff.diff_observations(parsed.observations, snapshot.observations, keys)
    items += diff_results(parsed.results, snapshot.results, keys)
    items += history_diff.diff_histories(parsed, snapshot, keys)
    items, series = summarise_readings(items)
    return ImportPlan(
        info=parsed.info, patient_ref=ref, file_patient=file_patient, identity=identity, items=tuple(items),
        series=tuple(series), skipped=parsed.skipped, notes=tuple(parsed.notes) + tuple(allergy_notes),
        chart_patient_id=snapshot.patient.id if snapshot.patient else None, previous_import=previous_import,
    )


def summarise_readings(items: list[PlanItem]) -> tuple[list[PlanItem], list[ReadingSeries]]:
    """Device and patient-entered readings, grouped per kind (PlanItem.series): count, date range, daily values."""
    groups: dict[str, list[PlanItem]] = defaultdict(list)
    for it in items:
        if it.series:
            groups[it.series].append(it)
    series: list[ReadingSeries] = []
    new = ItemStatus.NEW
    for key, members in sorted(groups.items()):
        # column by column through C iterators: an Apple export puts 100,000s of readings in a series
        readings = list(map(_file_item, members))
        taken = list(map(_taken_at, readings))
        per_day: dict[date, list[float]] = {}
        for day, value in zip(map(datetime.date, taken), map(_value, readings), strict=True):
            values = per_day.get(day)
            if values is None:
                per_day[day] = [value]
            else:
                values.append(value)
        devices = set(map(_device, readings))
        devices.discard("")
        new_keys = tuple(m.key for m in members if m.status is new)
        daily = tuple(DailyValue(day=d, count=len(v), low=min(v), high=max(v), mean=round(statistics.fmean(v), 2))
                      for d, v in sorted(per_day.items()))
        first = readings[0]
        series.append(ReadingSeries(
            key=key, loinc=first.loinc, name=first.name, unit=first.unit, devices=tuple(sorted(devices)),
            count=len(members), new_count=len(new_keys), first=min(taken), last=max(taken), daily=daily,
            item_keys=tuple(map(_key, members)), new_item_keys=new_keys,
        ))
    return items, series


_file_item = attrgetter("file_item")
_taken_at = attrgetter("taken_at")
_value = attrgetter("value")
_device = attrgetter("device")
_key = attrgetter("key")
