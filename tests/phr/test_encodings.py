"""PHR files as Windows tools write them (UTF-8 with a byte-order mark, UTF-16) are read, not refused; a FIFO or a
device is refused at once instead of blocking the import forever (issue 13, point 13)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.phr import PhrError, read_file
from tests.conftest import ROOT, SAMPLES

FHIR = SAMPLES / "synthea" / "Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json"
CCDA = SAMPLES / "ccda" / "CCD-1" / "CCD.XML"


def _counts(path: Path) -> dict:
    return {k: v for k, v in read_file(path).counts.items() if v}


@pytest.mark.parametrize("source", [FHIR, CCDA], ids=["fhir-json", "ccda"])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be-bom"])
def test_byte_order_marks_and_utf16_are_read(tmp_path, source, encoding):
    text = source.read_text(encoding="utf-8")
    if source.suffix.lower() == ".xml" and encoding != "utf-8-sig":
        text = re.sub(r"encoding=([\"'])utf-8\1", 'encoding="UTF-16"', text, count=1, flags=re.IGNORECASE)
        assert 'encoding="UTF-16"' in text[:100]
    data = (b"\xfe\xff" + text.encode("utf-16-be")) if encoding == "utf-16-be-bom" else text.encode(encoding)
    copy = tmp_path / source.name
    copy.write_bytes(data)
    assert _counts(copy) == _counts(source)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "export.json"
    os.mkfifo(fifo)
    with pytest.raises(PhrError, match="not a regular file"):
        read_file(fifo)
    proc = subprocess.run([sys.executable, "-m", "desktop", "import-phr", str(fifo), "--patient", "M1",
                           "--db", f"sqlite:///{tmp_path / 'none.db'}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr and proc.stderr.count("\n") == 1


def test_a_device_is_refused():
    with pytest.raises(PhrError, match="not a regular file"):
        read_file("/dev/zero")
