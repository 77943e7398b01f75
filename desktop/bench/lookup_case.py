"""Type-ahead lookups, one keystroke at a time, after warm-up: `icd10_search` (the problem dialog's code search;
target <= 20 ms a keystroke) and `formulary_search` (the prescription editor's drug type-ahead; target <= 2 ms).
They have no same-run reference worth the name: reference_ms is null and the extra `target_ms` is the bar."""

from __future__ import annotations

import time

from . import CaseResult, median_p95
from .context import BenchContext

ICD_QUERIES = ("diabetes type 2", "E11.9", "hypertension", "a", "fract rad", "type", "chronic kidney", "M54",
               "htn", "gerd", "afib", "copd", "reflux")
DRUG_QUERIES = ("l", "lis", "metop succ 50", "amlo 10", "ZESTR", "o", "cipro 500", "warf 5", "azithro",
                "amox clav")


def _keystrokes(queries: tuple[str, ...]) -> list[str]:
    return [q[:i] for q in queries for i in range(1, len(q) + 1) if q[:i].strip()]


def _race(search, strokes: list[str], repeat: int) -> CaseResult:
    app = []
    for _ in range(max(1, repeat // 3)):
        for typed in strokes:
            t0 = time.perf_counter()
            search(typed)
            app.append((time.perf_counter() - t0) * 1000)
    ms, p95 = median_p95(app)
    return CaseResult(ms, p95, None, {"keystrokes": len(app), "max_ms": round(max(app), 3)})


def run_icd10(ctx: BenchContext) -> CaseResult:
    from desktop.services import icd10

    icd10.warm_up()
    result = _race(lambda typed: icd10.search(typed, 50), _keystrokes(ICD_QUERIES), ctx.repeat)
    result.extra["target_ms"] = 20
    return result


def run_formulary(ctx: BenchContext) -> CaseResult:
    from desktop.kb.formulary import load_formulary

    t0 = time.perf_counter()
    formulary = load_formulary()
    load_ms = (time.perf_counter() - t0) * 1000
    result = _race(formulary.search, _keystrokes(DRUG_QUERIES), ctx.repeat)
    result.extra.update(target_ms=2, load_ms=round(load_ms, 1), products=len(formulary.products))
    return result
