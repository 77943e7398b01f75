"""`phr_import`: read + validate + normalise + diff of the largest PHR sample (Synthea Fletcher Hyatt, 3.9 MB)
against fhir.resources R4B validating the same Bundle alone (reference), both measured in the same run.
Target ratio <= 1.5. Plain JSON parsing (orjson) is reported beside them.

The diff runs against a chart that already holds every other item of the file, so matching does real work.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from . import CaseCannotRun, CaseResult, median_p95
from .context import BenchContext

SAMPLE = "synthea/Fletcher_Hyatt_fe0562b5-f517-4951-8366-32fdab088930.json"
MAX_REPEAT = 9  # each reference run validates 3.9 MB (~0.5 s); 9 samples give a stable median


def samples_dir() -> Path:
    override = os.environ.get("EMR_PHR_SAMPLES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "data"  # package data: travels with the app (see its README)


def _half_chart(parsed):
    """A chart snapshot holding every second item of the file (as an earlier import would have left it)."""
    from desktop.phr import (
        ChartImmunization,
        ChartMedication,
        ChartObservation,
        ChartPatient,
        ChartProblem,
        ChartSnapshot,
    )

    fp = parsed.patient()
    patient = ChartPatient(id=1, mrn="B1", given_name=fp.given[0], family_name=fp.family, birth_date=fp.birth_date,
                           sex=fp.sex)
    problems = tuple(ChartProblem(id=n, version=1, text=p.text, icd10=p.icd10, snomed=p.snomed, onset=p.onset,
                                  resolved=p.resolved, status=p.status) for n, p in enumerate(parsed.problems[::2]))
    meds = tuple(ChartMedication(id=n, version=1, drug_name=m.text, ingredients="+".join(m.ingredients),
                                 product_rxcui=m.product_rxcui, status=m.status)
                 for n, m in enumerate(parsed.medications[::2]))
    imms = tuple(ChartImmunization(id=n, version=1, vaccine=i.vaccine, cvx=i.cvx, date_given=i.date_given)
                 for n, i in enumerate(parsed.immunizations[::2]))
    obs = tuple(ChartObservation(id=n, version=1, set_id=o.group[:40], loinc=o.loinc, taken_at=o.taken_at, value=o.value,
                                 unit=o.unit) for n, o in enumerate(parsed.observations[::2]))
    return ChartSnapshot(patient=patient, problems=problems, medications=meds, immunizations=imms, observations=obs)


def run(ctx: BenchContext) -> CaseResult:
    path = samples_dir() / SAMPLE
    if not path.exists():
        raise CaseCannotRun(f"sample not found: {path} (the package data desktop/bench/data is missing: reinstall)")
    import orjson
    from fhir.resources.R4B.bundle import Bundle

    from desktop.phr import build_plan, read_file

    raw = path.read_bytes()
    # warm up both sides once (model classes are built on first use)
    parsed = read_file(path)
    chart = _half_chart(parsed)
    Bundle.model_validate_json(raw)

    repeat = max(1, min(ctx.repeat, MAX_REPEAT))
    ours: list[float] = []
    reference: list[float] = []
    parse: list[float] = []
    plan = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        parsed = read_file(path)
        plan = build_plan(parsed, chart)
        ours.append((time.perf_counter() - t0) * 1000)

        t0 = time.perf_counter()
        Bundle.model_validate_json(path.read_bytes())
        reference.append((time.perf_counter() - t0) * 1000)

        t0 = time.perf_counter()
        orjson.loads(path.read_bytes())
        parse.append((time.perf_counter() - t0) * 1000)
    ms, p95 = median_p95(ours)
    ref, ref_p95 = median_p95(reference)
    json_ms, _ = median_p95(parse)
    assert plan is not None
    return CaseResult(ms=ms, p95_ms=p95, reference_ms=ref, extra={
        "reference": "fhir.resources R4B Bundle.model_validate_json (whole file)",
        "reference_p95_ms": round(ref_p95, 3),
        "json_parse_ms": round(json_ms, 3),
        "file": SAMPLE, "file_mb": round(len(raw) / 1e6, 2), "samples": repeat,
        "items": dict(parsed.counts), "plan": {k: v for k, v in sorted(plan.totals().items())},
        "target_ratio": 1.5,
        "notes": "ours = read file + sha256 + orjson + R4B validation of each imported entry + normalise + "
                 "diff against a chart holding half the items; resource types the chart does not keep are "
                 "counted, not validated",
    })
