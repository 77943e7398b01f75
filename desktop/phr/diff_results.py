"""Diff a file's laboratory results against the chart's: NEW, DUPLICATE, CHANGED (corrected) or CONFLICT.

The same result is the same test (LOINC, else the folded name) collected in the same minute, or the same
source resource id. Same value and status: a duplicate. Another value, or the source now says "corrected" /
"amended": CHANGED, for the reviewer (take the corrected result, keep the chart's, or keep both). A match
the chart marked entered-in-error: CONFLICT.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from desktop.kb.text import fold

from .matching import minute_of
from .records import PhrLabResult
from .review import Decision, ItemStatus, PlanItem
from .snapshot import ChartLabResult

D = Decision
CORRECTED = ("corrected", "amended")


def test_key(r: PhrLabResult | ChartLabResult) -> str:
    return r.loinc or "name:" + fold(r.name)


def _same_value(f: PhrLabResult, c: ChartLabResult) -> bool:
    if f.value is None or c.value is None:
        return f.value is None and c.value is None and fold(f.value_text) == fold(c.value_text)
    return abs(f.value - c.value) <= 1e-9 + abs(c.value) * 1e-6


def _shown(value: float | None, text: str, unit: str) -> str:
    return (f"{value:g} {unit}" if value is not None else text or "no value").strip()


def diff_results(items: Iterable[PhrLabResult], rows: Iterable[ChartLabResult], keys) -> list[PlanItem]:
    by_time: dict[tuple[str, int], list[ChartLabResult]] = {}
    by_source: dict[tuple[str, str], ChartLabResult] = {}
    for r in rows:
        by_time.setdefault((test_key(r), minute_of(r.collected_at)), []).append(r)
        if r.source_system and r.source_resource_id:
            by_source.setdefault((r.source_system, r.source_resource_id), r)
    out: list[PlanItem] = []
    seen: dict[tuple, int] = {}
    for f in items:
        tk = test_key(f)
        minute = minute_of(f.collected_at)
        ident = (tk, minute, f.value, f.value_text, f.status)
        if ident in seen:  # the same result twice in one file (a bundle and its document section)
            n = seen[ident]
            out[n] = replace(out[n], copies_in_file=out[n].copies_in_file + 1)
            continue
        key = keys.make("results", f, f"{tk}@{minute}")
        base = dict(key=key, category="results", file_item=f)
        candidates = list(by_time.get((tk, minute), ()))
        src = by_source.get((f.source_system, f.source_resource_id)) if f.source_resource_id else None
        if src is not None and src not in candidates:
            candidates.insert(0, src)
        live = [c for c in candidates if not c.entered_in_error]
        seen[ident] = len(out)
        same = next((c for c in live if _same_value(f, c) and (f.status not in CORRECTED or c.status == f.status)),
                    None)
        if same is not None:
            out.append(PlanItem(status=ItemStatus.DUPLICATE, chart_item=same, choices=(D.SKIP,), default=D.SKIP,
                                matched_by="source id" if same is src else "test, time and value", **base))
            continue
        if live:
            c = live[0]
            diffs = []
            if not _same_value(f, c):
                diffs.append(f"value: file {_shown(f.value, f.value_text, f.unit)} / chart "
                             f"{_shown(c.value, c.value_text, c.unit)}")
            if f.status != c.status:
                diffs.append(f"status: file {f.status} / chart {c.status}")
            out.append(PlanItem(status=ItemStatus.CHANGED, chart_item=c, differences=tuple(diffs),
                                choices=(D.TAKE_FILE, D.KEEP_CHART, D.KEEP_BOTH),
                                default=D.TAKE_FILE if f.status in CORRECTED else None,
                                matched_by="source id" if c is src else "test and time", **base))
            continue
        struck = next((c for c in candidates if _same_value(f, c)), None)
        if struck is not None:
            reason = "marked entered-in-error in the chart" + (f": {struck.error_reason}" if struck.error_reason else "")
            out.append(PlanItem(status=ItemStatus.CONFLICT, chart_item=struck, differences=(reason,),
                                choices=(D.SKIP, D.ADD), default=None, matched_by="test, time and value", **base))
            continue
        out.append(PlanItem(status=ItemStatus.NEW, choices=(D.ADD, D.SKIP), default=D.ADD, **base))
    return out
