"""The project's benchmark. Each case is a function returning a CaseResult; `python -m desktop bench` runs them.

JSON shape (a contract): {"CASE": {"ms": median, "p95_ms": ..., "reference_ms": ..., "ratio": ms/reference_ms}}
Cases may add keys (e.g. "samples", "notes") but never remove these four.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

# case name -> "module:function"; the function takes a BenchContext and returns CaseResult
CASES: dict[str, str] = {
    "startup": "desktop.bench.startup:run",
    "search": "desktop.bench.search:run",
    "search_pg": "desktop.bench.search:run_pg",
    "chart_open": "desktop.bench.chart_open:run",
    "labs_open": "desktop.bench.labs_case:run",
    "alerts_20": "desktop.bench.alerts_case:run",
    "memory": "desktop.bench.memory_case:run",
    "icd10_search": "desktop.bench.lookup_case:run_icd10",
    "formulary_search": "desktop.bench.lookup_case:run_formulary",
    "rx_pdf": "desktop.bench.printing_case:run_rx",
    "summary_pdf": "desktop.bench.printing_case:run_summary",
    "phr_import": "desktop.bench.phr_case:run",
    "apple_import": "desktop.bench.apple_case:run",
    "startup_bundle": "desktop.bench.startup:run_bundle",
}

# cases that need something a developer machine may lack (a PyInstaller build, a PostgreSQL server): in a run of
# every case they are skipped with the reason; named with --case, a case that cannot run fails the command
OPTIONAL: set[str] = {"startup_bundle", "search_pg"}


class CaseCannotRun(Exception):
    """A case's precondition is missing (sample, build, server): the message says which and what to do."""


@dataclass
class CaseResult:
    ms: float
    p95_ms: float
    reference_ms: float | None
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        ratio = round(self.ms / self.reference_ms, 3) if self.reference_ms else None
        out = {
            "ms": round(self.ms, 3),
            "p95_ms": round(self.p95_ms, 3),
            "reference_ms": round(self.reference_ms, 3) if self.reference_ms is not None else None,
            "ratio": ratio,
        }
        out.update(self.extra)
        return out


def median_p95(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95
