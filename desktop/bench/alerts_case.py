"""`alerts_20`: the full alert check of a chart with 20 active medications (all 190 pairs, 3 allergies, a vital
set), beside a plain dict lookup of the same 190 ingredient pairs in a pre-expanded pair table (the least work
any interaction checker could do). Target: median <= 5 ms."""

from __future__ import annotations

import itertools
import time

from desktop.kb.vitals import DIASTOLIC, HEART_RATE, SPO2, SYSTOLIC, TEMPERATURE

from . import CaseResult, median_p95
from .context import BenchContext

# a realistic complex primary-care list (several interacting pairs among them)
ACTIVE = [
    ("warfarin", ("warfarin",)), ("lisinopril", ("lisinopril",)), ("spironolactone", ("spironolactone",)),
    ("metformin", ("metformin",)), ("atorvastatin", ("atorvastatin",)), ("amlodipine", ("amlodipine",)),
    ("sertraline", ("sertraline",)), ("omeprazole", ("omeprazole",)), ("clopidogrel", ("clopidogrel",)),
    ("levothyroxine", ("levothyroxine",)), ("furosemide", ("furosemide",)), ("digoxin", ("digoxin",)),
    ("amiodarone", ("amiodarone",)), ("oxycodone", ("oxycodone",)), ("alprazolam", ("alprazolam",)),
    ("gabapentin", ("gabapentin",)), ("tamsulosin", ("tamsulosin",)), ("albuterol", ("albuterol",)),
    ("lisinopril / hydrochlorothiazide", ("lisinopril", "hydrochlorothiazide")),
    ("calcium carbonate", ("calcium carbonate",)),
]
PROPOSED = ("ibuprofen", ("ibuprofen",))


def _context(with_proposed: bool):
    from desktop.alerts import AlertContext, AllergyRef, DrugRef

    meds = tuple(DrugRef(n, i, med_id=k) for k, (n, i) in enumerate(ACTIVE, 1))
    return AlertContext(
        active_meds=meds,
        proposed=(DrugRef(*PROPOSED),) if with_proposed else (),
        allergies=(AllergyRef("Penicillin"), AllergyRef("sulfa"), AllergyRef("codeine", kind="intolerance")),
        vitals={SYSTOLIC: 182, DIASTOLIC: 96, HEART_RATE: 88, SPO2: 95, TEMPERATURE: 37.2},
        age_years=71.0, sex="female",
    )


def _pair_table(kb) -> dict[frozenset, str]:
    table: dict[frozenset, str] = {}
    for rule in kb.interactions:
        for a in rule.a_ings:
            for b in rule.b_ings:
                if a != b:
                    table.setdefault(frozenset((a, b)), rule.severity)
    return table


def run(ctx: BenchContext) -> CaseResult:
    from desktop.alerts import clear_cache, evaluate, load_kb, norm

    clear_cache()
    t0 = time.perf_counter()
    kb = load_kb()
    load_ms = (time.perf_counter() - t0) * 1000

    full = _context(with_proposed=False)
    order = _context(with_proposed=True)
    kb.profile_cache.clear()
    t0 = time.perf_counter()
    first = evaluate(full, kb)
    first_ms = (time.perf_counter() - t0) * 1000

    samples = max(20, ctx.repeat * 4)
    app_ms: list[float] = []
    order_ms: list[float] = []
    for _ in range(samples):
        t0 = time.perf_counter()
        evaluate(full, kb)
        app_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        evaluate(order, kb)
        order_ms.append((time.perf_counter() - t0) * 1000)

    table = _pair_table(kb)
    ings = [tuple(norm(i) for i in ing) for _n, ing in ACTIVE]
    ref_ms: list[float] = []
    for _ in range(samples):
        t0 = time.perf_counter()
        found = 0
        for x, y in itertools.combinations(ings, 2):
            for a in x:
                for b in y:
                    if frozenset((a, b)) in table:
                        found += 1
        ref_ms.append((time.perf_counter() - t0) * 1000)

    med, p95 = median_p95(app_ms)
    ref, _ = median_p95(ref_ms)
    order_med, order_p95 = median_p95(order_ms)
    return CaseResult(ms=med, p95_ms=p95, reference_ms=ref, extra={
        "reference": "plain dict lookup of the same 190 ingredient pairs in a pre-expanded interaction pair table "
                     "(no classes, duplicates, allergies, vitals, messages or ordering)",
        "what": "evaluate(): 20 active medications, all 190 pairs, 3 allergies, 5 vitals; knowledge base loaded",
        "target_ms": 5.0,
        "meets_target": med <= 5.0,
        "alerts": len(first),
        "first_check_ms": round(first_ms, 3),
        "order_check_ms": round(order_med, 3),
        "order_check_p95_ms": round(order_p95, 3),
        "kb_load_ms": round(load_ms, 3),
        "samples": samples,
    })
