"""Apple Health export.xml read through expat callbacks: the same refusals as defusedxml gave, and the same data."""

from __future__ import annotations

import pytest

from desktop.phr import read_file
from desktop.phr.errors import UnreadableFile, UnsafeFile

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'
ME = b'<Me HKCharacteristicTypeIdentifierDateOfBirth="1961-04-12" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>'
HR = (b'<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" unit="count/min" value="%d" '
      b'startDate="2026-03-07 20:00:00 -0500" endDate="2026-03-07 20:00:00 -0500"/>')


def _read(tmp_path, content: bytes):
    path = tmp_path / "export.xml"
    path.write_bytes(content)
    return read_file(path)


def test_an_export_with_the_iphones_internal_dtd_reads(tmp_path):
    dtd = b'<!DOCTYPE HealthData [\n<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation)*)>\n' \
          b'<!ATTLIST HealthData locale CDATA #REQUIRED>\n]>\n'
    parsed = _read(tmp_path, HEAD + dtd + b'<HealthData locale="en_US">' + ME + HR % 71 + b"</HealthData>")
    assert [(o.loinc, o.value) for o in parsed.observations] == [("8867-4", 71.0)]
    assert parsed.patient().birth_date.isoformat() == "1961-04-12"


def test_a_user_entered_reading_is_the_patients_not_the_devices(tmp_path):
    rec = (b'<Record type="HKQuantityTypeIdentifierBodyMass" sourceName="Health" unit="lb" value="180" '
           b'startDate="2026-03-07 08:00:00 -0500" endDate="2026-03-07 08:00:00 -0500">'
           b'<MetadataEntry key="HKWasUserEntered" value="1"/></Record>')
    parsed = _read(tmp_path, HEAD + b"<HealthData>" + ME + rec + HR % 60 + b"</HealthData>")
    origins = {o.loinc: o.origin for o in parsed.observations}
    assert origins == {"29463-7": "patient", "8867-4": "device"}


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE HealthData [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>',
    b'<!DOCTYPE HealthData [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE HealthData SYSTEM "http://example.invalid/evil.dtd">',
    b'<!DOCTYPE HealthData [<!ENTITY % p SYSTEM "http://example.invalid/p.dtd"> %p;]>',
], ids=["entity-bomb", "external-entity", "external-dtd", "parameter-entity"])
def test_entities_and_external_references_are_refused(tmp_path, doctype):
    with pytest.raises(UnsafeFile, match="refused for safety"):
        _read(tmp_path, HEAD + doctype + b"<HealthData>" + ME + HR % 70 + b"</HealthData>")


def test_deep_nesting_truncation_and_a_foreign_root_are_unreadable(tmp_path):
    deep = HEAD + b"<HealthData>" + b"<x>" * 200 + b"</x>" * 200 + b"</HealthData>"
    with pytest.raises(UnreadableFile, match="deep"):
        _read(tmp_path, deep)
    with pytest.raises(UnreadableFile, match="damaged or truncated"):
        _read(tmp_path, HEAD + b"<HealthData>" + ME + HR % 70 + b"<Record type=")
