"""Diff the file's histories against the chart's: NEW, DUPLICATE, CHANGED or CONFLICT (see diff.py).

Matched on provenance first, then on codes with the date (procedures, social history, encounters) or the
relative (family history), then on folded text. Records the file repeats are collapsed into one item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from desktop.kb.text import fold

from .diff import CHANGED_CHOICES, _differ, _Index, _Keys, _matched, _new
from .history_records import PhrEncounter, PhrFamilyHistory, PhrProcedure, PhrSocialHistory
from .history_snapshot import ChartEncounter, ChartFamilyHistory, ChartProcedure, ChartSocialHistory
from .matching import Collapsed, _collapse
from .review import PlanItem


def _minute(when: datetime | None) -> str:
    return when.astimezone().strftime("%Y-%m-%dT%H:%M") if when is not None else "-"


def procedure_keys(p: PhrProcedure | ChartProcedure) -> list[str]:
    day = p.performed.isoformat() if p.performed else "-"
    keys = [f"code:{p.code_system}:{p.code}@{day}"] if p.code else []
    keys.append(f"text:{fold(p.text)}@{day}")
    return keys


def social_keys(s: PhrSocialHistory | ChartSocialHistory) -> list[str]:
    day = s.observed.isoformat() if s.observed else "-"
    return [f"{s.kind}:{s.loinc or ''}@{day}"]  # one statement of a kind per day (the answer may be reworded)


def family_keys(f: PhrFamilyHistory | ChartFamilyHistory) -> list[str]:
    keys = [f"{f.relative}:snomed:{f.snomed}"] if f.snomed else []
    if f.icd10:
        keys.append(f"{f.relative}:icd10:{f.icd10}")
    keys.append(f"{f.relative}:text:{fold(f.condition)}")
    return keys


def encounter_keys(e: PhrEncounter | ChartEncounter) -> list[str]:
    return [f"{_minute(e.start)}:{e.type_code or fold(e.kind)}"]


def _how(key: str) -> str:
    return "code and date" if key.startswith("code:") else "text and date" if key.startswith("text:") else "date"


def _first_seen(items: list) -> object:
    """Of the records a file repeats, a completed one (a C-CDA may give the same procedure twice, aborted and done)."""
    return next((i for i in items if getattr(i, "status", "completed") == "completed"), items[0])


def _diff(category: str, items: Iterable, rows: Iterable, keys: _Keys, keys_of: Callable[[object], list[str]],
          details: Callable[[object, object, list[str]], None]) -> list[PlanItem]:
    index = _Index(rows, keys_of)
    out = []
    for c in _collapse(items, lambda it: keys_of(it)[0], _first_seen):
        c: Collapsed
        ks = keys_of(c.item)
        key = keys.make(category, c.item, ks[0])
        row, how = index.find(c.item, ks)
        if row is None:
            out.append(_new(category, c, key))
            continue
        diffs: list[str] = []
        details(c.item, row, diffs)
        how = how if how == "source id" else _how(next((k for k in ks if k in index.by_key), ks[0]))
        out.append(_matched(category, c, key, row, how, diffs, CHANGED_CHOICES))
    return out


def diff_procedures(items: Iterable[PhrProcedure], rows: Iterable[ChartProcedure], keys: _Keys) -> list[PlanItem]:
    def details(p: PhrProcedure, row: ChartProcedure, diffs: list[str]) -> None:
        _differ("status", p.status, row.status, diffs)
        _differ("date", p.performed, row.performed, diffs)
        _differ("body site", p.body_site, row.body_site, diffs)

    return _diff("procedures", items, rows, keys, procedure_keys, details)  # type: ignore[arg-type]


def diff_social_history(items: Iterable[PhrSocialHistory], rows: Iterable[ChartSocialHistory],
                        keys: _Keys) -> list[PlanItem]:
    def details(s: PhrSocialHistory, row: ChartSocialHistory, diffs: list[str]) -> None:
        if s.value_code and row.value_code:
            _differ("answer", s.value_code, row.value_code, diffs)
        elif s.value_text and row.value_text and fold(s.value_text) != fold(row.value_text):
            diffs.append(f"answer: file {s.value_text} / chart {row.value_text}")
        _differ("amount", s.quantity, row.quantity, diffs)

    return _diff("social_history", items, rows, keys, social_keys, details)  # type: ignore[arg-type]


def diff_family_history(items: Iterable[PhrFamilyHistory], rows: Iterable[ChartFamilyHistory],
                        keys: _Keys) -> list[PlanItem]:
    def details(f: PhrFamilyHistory, row: ChartFamilyHistory, diffs: list[str]) -> None:
        _differ("age at onset", f.onset_age, row.onset_age, diffs)
        if f.deceased and not row.deceased:
            diffs.append("deceased: file yes / chart no")
        _differ("age at death", f.death_age, row.death_age, diffs)

    return _diff("family_history", items, rows, keys, family_keys, details)  # type: ignore[arg-type]


def diff_encounters(items: Iterable[PhrEncounter], rows: Iterable[ChartEncounter], keys: _Keys) -> list[PlanItem]:
    def details(e: PhrEncounter, row: ChartEncounter, diffs: list[str]) -> None:
        _differ("facility", e.facility, row.facility, diffs)
        _differ("reason", e.reason, row.reason, diffs)

    return _diff("encounters", items, rows, keys, encounter_keys, details)  # type: ignore[arg-type]


def diff_histories(parsed: object, snapshot: object, keys: _Keys) -> list[PlanItem]:
    """Every history category of a ParsedFile against a ChartSnapshot."""
    return (diff_procedures(parsed.procedures, snapshot.procedures, keys)  # type: ignore[attr-defined]
            + diff_social_history(parsed.social_history, snapshot.social_history, keys)  # type: ignore[attr-defined]
            + diff_family_history(parsed.family_history, snapshot.family_history, keys)  # type: ignore[attr-defined]
            + diff_encounters(parsed.encounters, snapshot.encounters, keys))  # type: ignore[attr-defined]
