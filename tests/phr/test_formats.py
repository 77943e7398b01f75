"""Other shapes of the same data: NDJSON, a single resource, a folder or zip of FHIR files; progress and Cancel."""

from __future__ import annotations

import io
import zipfile

import orjson
import pytest

from desktop.phr import ReadCancelled, read_bytes, read_file

from .conftest import APPLE_HYDAWO, REYNA


def _resources(samples) -> list[dict]:
    return [e["resource"] for e in orjson.loads((samples / REYNA).read_bytes())["entry"]]


def test_ndjson_bulk_export(samples):
    resources = _resources(samples)
    parsed = read_bytes(b"\n".join(orjson.dumps(r) for r in resources), "bulk.ndjson")
    assert parsed.info.file_format == "fhir-ndjson"
    reference = read_file(samples / REYNA)
    assert parsed.counts == reference.counts
    assert parsed.patient().family == "Ziemann"


def test_a_single_resource(samples):
    condition = next(r for r in _resources(samples) if r["resourceType"] == "Condition")
    parsed = read_bytes(orjson.dumps(condition), "one.json")
    assert parsed.info.file_format == "fhir-resource" and parsed.counts["problems"] == 1
    assert parsed.patients == () and len(parsed.patient_refs) == 1


def test_a_folder_of_resources_like_apple_clinical_records(samples, tmp_path):
    folder = tmp_path / "apple_health_export"
    (folder / "clinical-records").mkdir(parents=True)
    for n, r in enumerate(_resources(samples)):
        (folder / "clinical-records" / f"{r['resourceType']}-{n}.json").write_bytes(orjson.dumps(r))
    (folder / "export.xml").write_bytes((samples / APPLE_HYDAWO).read_bytes())
    (folder / "export_cda.xml").write_bytes(b"<ClinicalDocument/>")  # Apple's copy of export.xml: not read twice
    (folder / "workout-routes").mkdir()
    (folder / "workout-routes" / "route.gpx").write_text("<gpx/>")
    parsed = read_file(folder)
    assert parsed.info.file_format == "folder-mixed"
    reference = read_file(samples / REYNA)
    assert parsed.counts["problems"] == reference.counts["problems"]
    assert parsed.counts["observations"] == reference.counts["observations"] + 15
    again = read_file(folder)
    assert again.info.sha256 == parsed.info.sha256
    (folder / "clinical-records" / "extra.json").write_bytes(b"{}")
    assert read_file(folder).info.sha256 != parsed.info.sha256


def test_a_zip_of_resources(samples):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, r in enumerate(_resources(samples)):
            zf.writestr(f"clinical-records/{n}.json", orjson.dumps(r))
        zf.writestr("apple_health_export/export.xml", (samples / APPLE_HYDAWO).read_bytes())
        zf.writestr("clinical-records/broken.json", b"{not json")
    parsed = read_bytes(buf.getvalue(), "export.zip")
    assert parsed.info.file_format == "zip-mixed"
    assert parsed.counts["allergies"] == 10 and parsed.counts["observations"] > 15
    assert any(s.item == "clinical-records/broken.json" and "not valid JSON" in s.reason for s in parsed.skipped)


def test_progress_is_reported_and_cancel_stops(samples):
    seen: list[tuple[int, int, str]] = []
    read_file(samples / REYNA, progress=lambda d, t, s: seen.append((d, t, s)))
    stages = {s for _d, _t, s in seen}
    assert {"reading", "validating"} <= stages
    assert seen[-1][0] == seen[-1][1] > 0
    calls = {"n": 0}

    def cancel_soon() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(ReadCancelled):
        read_file(samples / REYNA, cancelled=cancel_soon)
    with pytest.raises(ReadCancelled):
        read_file(samples / APPLE_HYDAWO, cancelled=lambda: True)
