"""What every bench case gets: a cache folder for built databases and the repeat count."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class BenchContext:
    cache_dir: Path  # databases built once and reused between runs (e.g. 100,000 patients)
    repeat: int = 15
