"""Bad input, each a test: the import ends with a clear message and the database is row-for-row unchanged.

The malformed variants are generated here from the real sample files.
"""

from __future__ import annotations

import io
import random
import zipfile
from datetime import date

import orjson
import pytest

import desktop.phr.limits as phr_limits
from desktop.__main__ import main
from desktop.phr import ReadLimits, UnreadableFile, UnsafeFile, read_bytes, read_file

from .conftest import APPLE_HYDAWO, CCD1, CLEMENTE, REYNA, dump

PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Kreiger", "given": ["Clemente"]}],
           "gender": "male", "birthDate": "1984-07-02"}


@pytest.fixture
def clemente(chart_for):
    return chart_for(CLEMENTE)


def run_cli(db_url: str, path, mrn: str, *more: str, capsys=None) -> int:
    return main(["import-phr", str(path), "--patient", mrn, "--db", db_url, *more])


def bundle(*resources: dict) -> bytes:
    return orjson.dumps({"resourceType": "Bundle", "type": "collection",
                         "entry": [{"fullUrl": f"urn:uuid:{n}", "resource": r} for n, r in enumerate(resources)]})


def condition(**over) -> dict:
    base = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "195967001", "display": "Asthma"}]},
            "clinicalStatus": {"coding": [{"code": "active"}]}}
    base.update(over)
    return base


def heart_rate(value, **over) -> dict:
    base = {"resourceType": "Observation", "id": f"o{value}", "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "effectiveDateTime": "2020-01-01T10:00:00Z",
            "valueQuantity": {"value": value, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}}
    base.update(over)
    return base


@pytest.fixture
def unchanged(db):
    """Yields; afterwards asserts the database holds exactly what it held before."""
    state = {}

    def start() -> None:
        state["before"] = dump(db)

    yield start
    if "before" in state:
        assert dump(db) == state["before"]


def _write(tmp_path, name: str, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_empty_file(db_url, tmp_path, clemente, unchanged, capsys):
    unchanged()
    assert run_cli(db_url, _write(tmp_path, "empty.json", b""), clemente.mrn) == 2
    assert "is empty" in capsys.readouterr().err
    assert run_cli(db_url, _write(tmp_path, "blank.json", b"  \n\t "), clemente.mrn) == 2


@pytest.mark.parametrize("seed", range(6))
def test_truncated_json_at_random_offsets(db_url, tmp_path, samples, clemente, unchanged, capsys, seed):
    data = (samples / CLEMENTE).read_bytes()
    cut = random.Random(seed).randrange(1, len(data) - 2)
    unchanged()
    assert run_cli(db_url, _write(tmp_path, f"cut{seed}.json", data[:cut]), clemente.mrn) == 2
    err = capsys.readouterr().err
    assert "not valid JSON" in err and err.count("\n") == 1


@pytest.mark.parametrize("content", [b'{"hello": "world"}', b"[1, 2, 3]", b'"just a string"', b'{"resourceType": 5}',
                                     b"<html><body>hi</body></html>", b"%PDF-1.4 not a PHR", b"\x00\x01\x02binary"])
def test_json_or_other_content_that_is_not_fhir(db_url, tmp_path, clemente, unchanged, capsys, content):
    unchanged()
    assert run_cli(db_url, _write(tmp_path, "x.json", content), clemente.mrn) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_wrong_resource_types_in_known_fields(db_url, tmp_path, clemente, unchanged, capsys):
    data = bundle(PATIENT, condition(code="Asthma"), condition(id="c2", subject="Patient/p1"),
                  heart_rate(70, valueQuantity=[70]), condition(id="c3", onsetDateTime={"year": 2020}))
    parsed = read_bytes(data, "wrong.json")
    reasons = {s.item: s.reason for s in parsed.skipped}
    assert reasons["Condition/c1"].startswith("code: wrong type")
    assert reasons["Condition/c2"].startswith("subject: wrong type")
    assert reasons["Observation/o70"].startswith("valueQuantity")
    assert "Condition/c3" in reasons
    unchanged()
    assert run_cli(db_url, _write(tmp_path, "wrong.json", data), clemente.mrn) == 2
    assert "4 invalid entries" in capsys.readouterr().err


def test_missing_required_fields(db_url, tmp_path, clemente, unchanged, capsys):
    no_subject = condition()
    del no_subject["subject"]
    no_status = heart_rate(70)
    del no_status["status"]
    no_code = heart_rate(71)
    del no_code["code"]
    no_date = {"resourceType": "Immunization", "id": "i1", "status": "completed", "patient": {"reference": "Patient/p1"},
               "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]}}
    data = bundle(PATIENT, no_subject, no_status, no_code, no_date)
    reasons = {s.item: s.reason for s in read_bytes(data, "m.json").skipped}
    assert reasons["Condition/c1"] == "subject: required field missing"
    assert reasons["Observation/o70"].startswith("status: required field missing")
    assert reasons["Observation/o71"].startswith("code: required field missing")
    assert reasons["Immunization/i1"] == "resource: one of occurrenceDateTime, occurrenceString is required"
    unchanged()
    assert run_cli(db_url, _write(tmp_path, "missing.json", data), clemente.mrn) == 2


def test_absurd_values(db_url, tmp_path, clemente, unchanged, capsys):
    weight = heart_rate(-3, id="w", code={"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                        valueQuantity={"value": -3, "unit": "kg", "code": "kg"})
    temp = heart_rate(400, id="t", code={"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
                      valueQuantity={"value": 400, "unit": "Cel", "code": "Cel"})
    future = condition(id="c9", onsetDateTime="3024-01-01")
    odd_unit = heart_rate(70, id="u", valueQuantity={"value": 70, "unit": "furlongs", "code": "furlongs"})
    data = bundle(PATIENT, heart_rate(5000), weight, temp, future, odd_unit)
    reasons = {s.item: s.reason for s in read_bytes(data, "a.json").skipped}
    assert reasons["Observation/o5000"].startswith("implausible heart rate 5000 /min")
    assert reasons["Observation/w"].startswith("implausible body weight")
    assert reasons["Observation/t"].startswith("implausible body temperature")
    assert reasons["Condition/c9"] == "onset date 3024-01-01 is in the future"
    assert reasons["Observation/u"] == "Heart rate: unknown unit 'furlongs'"
    unchanged()
    assert run_cli(db_url, _write(tmp_path, "absurd.json", data), clemente.mrn) == 2


def test_huge_strings(db_url, tmp_path, clemente, unchanged, monkeypatch, capsys):
    huge = condition(code={"text": "A" * 3_000_000})
    data = bundle(PATIENT, huge)
    (skip,) = [s for s in read_bytes(data, "h.json").skipped if s.item == "Condition/c1"]
    assert "3,000,000 characters long" in skip.reason
    unchanged()
    assert run_cli(db_url, _write(tmp_path, "huge.json", data), clemente.mrn) == 2
    capsys.readouterr()
    # and a file over the size limit is refused before it is decoded
    monkeypatch.setattr(phr_limits, "MAX_JSON_BYTES", 1024 * 1024)
    big = bundle(PATIENT, condition(note=[{"text": "x" * 2_000_000}]))
    assert run_cli(db_url, _write(tmp_path, "big.json", big), clemente.mrn) == 2
    assert "larger than the limit of 1 MB" in capsys.readouterr().err


def test_deep_nesting(db_url, tmp_path, clemente, unchanged, capsys):
    unchanged()
    deep = b'{"resourceType": "Bundle", "entry": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert run_cli(db_url, _write(tmp_path, "deep.json", deep), clemente.mrn) == 2
    assert "nested too deeply" in capsys.readouterr().err
    inner = '{"url": "http://x", "valueString": "bottom"}'
    for _ in range(300):  # under the JSON decoder's limit, over what a resource model may nest
        inner = '{"url": "http://x", "extension": [' + inner + ']}'
    data = bundle(PATIENT, condition()).replace(b'"id":"c1"', b'"id":"c1","extension":[' + inner.encode() + b"]")
    reasons = {s.item: s.reason for s in read_bytes(data, "d.json").skipped}
    assert reasons["Condition/c1"] == "nested too deeply"
    assert run_cli(db_url, _write(tmp_path, "deep2.json", data), clemente.mrn) == 2
    xml = b"<?xml version='1.0'?><ClinicalDocument xmlns='urn:hl7-org:v3'>" + b"<a>" * 50_000 + b"</a>" * 50_000 + \
        b"</ClinicalDocument>"
    code = run_cli(db_url, _write(tmp_path, "deep.xml", xml), clemente.mrn)
    assert code == 2


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE HealthData [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<HealthData locale="en_US"><Me HKCharacteristicTypeIdentifierDateOfBirth="&lol9;"/></HealthData>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>"""


@pytest.mark.parametrize("name,content", [("bomb.xml", BOMB), ("xxe.xml", XXE),
                                          ("cda-bomb.xml", BOMB.replace(b"HealthData", b"ClinicalDocument"))])
def test_xml_entity_bomb_and_external_entities(db_url, tmp_path, clemente, unchanged, capsys, name, content):
    with pytest.raises(UnsafeFile, match="refused for safety"):
        read_bytes(content, name)
    unchanged()
    assert run_cli(db_url, _write(tmp_path, name, content), clemente.mrn) == 2
    assert "refused for safety" in capsys.readouterr().err


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_bomb(db_url, tmp_path, clemente, unchanged, capsys, samples):
    bomb = _zip({"clinical-records/a.json": b"{" + b" " * 60_000_000 + b"}"})
    assert len(bomb) < 200_000
    with pytest.raises(UnsafeFile, match="zip bomb"):
        read_bytes(bomb, "bomb.zip")
    unchanged()
    assert run_cli(db_url, _write(tmp_path, "bomb.zip", bomb), clemente.mrn) == 2
    assert "zip bomb" in capsys.readouterr().err
    # the overall budget holds even when each member looks harmless
    ok = _zip({f"r{n}.json": (samples / CLEMENTE).read_bytes() for n in range(4)})
    with pytest.raises(UnsafeFile, match="would expand"):
        read_bytes(ok, "many.zip", limits=ReadLimits(max_zip_total_bytes=500_000))
    # a zip inside the zip is not opened
    nested = _zip({"inner.zip": bomb, "r.json": (samples / CLEMENTE).read_bytes()})
    parsed = read_bytes(nested, "nested.zip")
    assert any(s.item == "inner.zip" for s in parsed.skipped) and parsed.counts["immunizations"] == 4


def test_a_file_for_a_different_patient(db_url, samples, add_patient, unchanged, capsys):
    other = add_patient(given="Eve", family="Betterhalf", birth_date=date(1975, 5, 1), sex="female")
    unchanged()
    assert run_cli(db_url, samples / REYNA, other.mrn) == 3
    err = capsys.readouterr().err
    assert "does not match the chart" in err and "Ziemann" in err


def test_unknown_mrn_and_unreadable_path(db_url, samples, unchanged, capsys):
    unchanged()
    assert run_cli(db_url, samples / CCD1, "no-such-mrn") == 2
    assert "no patient with MRN" in capsys.readouterr().err
    assert run_cli(db_url, samples / "does-not-exist.json", "x") == 2


def test_one_bad_entry_does_not_stop_the_rest(samples):
    data = orjson.loads((samples / REYNA).read_bytes())
    conds = [e for e in data["entry"] if e["resource"]["resourceType"] == "Condition"]
    conds[0]["resource"]["code"] = 42
    parsed = read_bytes(orjson.dumps(data), "one-bad.json")
    assert parsed.counts["problems"] == len(conds) - 1
    assert [s.item for s in parsed.skipped if s.item.startswith("Condition/")] == [
        f"Condition/{conds[0]['resource']['id']}"]


def test_truncated_and_damaged_xml(samples):
    data = (samples / APPLE_HYDAWO).read_bytes()
    with pytest.raises(UnreadableFile, match="damaged or truncated"):
        read_bytes(data[: len(data) // 2], "export.xml")
    ccd = (samples / CCD1).read_bytes()
    with pytest.raises(UnreadableFile, match="damaged or truncated"):
        read_bytes(ccd[:5000], "ccd.xml")
    with pytest.raises(UnreadableFile, match="neither an Apple Health export nor a C-CDA"):
        read_bytes(b"<?xml version='1.0'?><note>hi</note>", "note.xml")


def test_limits_are_settings(samples):
    with pytest.raises(UnreadableFile, match="larger than the limit"):
        read_file(samples / CLEMENTE, limits=ReadLimits(max_json_bytes=100_000))
    parsed = read_file(samples / CLEMENTE, limits=ReadLimits(max_text_chars=5))
    assert parsed.counts["immunizations"] == 0 and any("characters long" in s.reason for s in parsed.skipped)
