"""The repository stands alone: nothing the app, its tests or its benchmark read lies outside it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# a path that leaves the repository, or a source that names a machine instead of a public origin
OUTSIDE = re.compile(r"""\.parent\s*/\s*["']shared["']|["'/]\.\./shared|(^|[\s"'(`])/(work|home|root)/""")


def _files():
    for folder in ("desktop", "tests", "scripts", "resources"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".json", ".md", ".csv") and "data/phr-samples" not in path.as_posix():
                yield path


def test_no_file_reads_or_cites_a_path_outside_the_repository():
    offenders = []
    for path in _files():
        if path == Path(__file__):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}")
    assert offenders == []


def test_the_phr_samples_and_their_licences_are_in_the_repository():
    samples = ROOT / "tests" / "data" / "phr-samples"
    manifest = (samples / "MANIFEST.md").read_text(encoding="utf-8")
    files = [p for p in samples.rglob("*") if p.suffix.lower() in (".json", ".xml", ".csv")]
    assert len(files) >= 20
    for path in files:
        assert path.name in manifest or path.parent.name in manifest, path
    assert (ROOT / "desktop" / "bench" / "data" / "synthea").is_dir()
