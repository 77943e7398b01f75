"""Issue 16: the vaccine list covers the CDC child and adult schedules; historical CVX codes that imported
records carry are known by name; no code is invented (each is in the CDC CVX table copied in tests/data)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from desktop.kb.vaccines import by_cvx, load_vaccines
from desktop.phr.reader import read_bytes

ROOT = Path(__file__).resolve().parents[2]
CDC = ROOT / "tests" / "data" / "references" / "cvx.csv"

# what a US primary-care practice gives on the 2025 CDC child/adolescent and adult schedules, by antigen
SCHEDULES = {
    "zoster recombinant": ["187"], "HPV9": ["165"], "MenB": ["162", "163"], "MenACWY": ["136", "203"],
    "MenABCWY": ["316"], "PCV15/20/21": ["215", "216", "327"], "PPSV23": ["33"],
    "RSV adult vaccines": ["303", "305", "326"], "RSV infant antibody": ["306", "307"],
    "COVID-19 2024-25": ["309", "310", "311", "312", "313"], "Tdap": ["115"], "Td": ["113", "196"],
    "influenza": ["140", "150", "135", "197", "168", "205", "171", "153", "185", "155", "149", "111"],
    "hepatitis A": ["52", "83"], "hepatitis B": ["43", "08", "189"], "HepA-HepB": ["104"], "MMR": ["03"],
    "MMRV": ["94"], "varicella": ["21"], "rotavirus": ["116", "119"], "DTaP": ["20", "106"],
    "DTaP combinations": ["110", "120", "130", "146"], "Hib": ["48", "49"], "IPV": ["10"], "mpox": ["206"],
}


def _cdc_codes() -> dict[str, str]:
    with CDC.open(encoding="utf-8", newline="") as f:
        return {row["cvx"].lstrip("0"): row["short_name"] for row in csv.DictReader(f)}


@pytest.mark.parametrize("antigen", sorted(SCHEDULES))
def test_every_scheduled_vaccine_can_be_recorded(antigen):
    for code in SCHEDULES[antigen]:
        v = by_cvx(code)
        assert v is not None, (antigen, code)
        assert "historical" not in v.name, (antigen, code)
        assert v.route in ("intramuscular", "subcutaneous", "oral", "intranasal")


def test_no_code_is_invented():
    cdc = _cdc_codes()
    for v in load_vaccines().vaccines:
        assert v.cvx.lstrip("0") in cdc, v


@pytest.mark.parametrize("typed, short", [("shingrix", "RZV (Shingrix)"), ("gardasil", "HPV9 (Gardasil 9)"),
                                          ("bexsero", "MenB-4C (Bexsero)"), ("arexvy", "RSV (Arexvy)"),
                                          ("beyfortus 100", "Nirsevimab 100 mg (Beyfortus)"),
                                          ("capvaxive", "PCV21 (Capvaxive)"), ("327", "PCV21 (Capvaxive)")])
def test_brand_names_and_codes_find_the_vaccine(typed, short):
    assert load_vaccines().search(typed)[0].short_name == short


def test_historical_codes_are_named_as_such():
    for code in ("88", "45", "109", "213", "17", "89", "137"):
        v = by_cvx(code)
        assert v is not None and v.name.endswith("historical record)") and "(historical)" in v.short_name


def _bundle(cvx: str, display: str | None) -> bytes:
    coding = {"system": "http://hl7.org/fhir/sid/cvx", "code": cvx}
    if display:
        coding["display"] = display
    entries = [
        {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Doe", "given": ["Ann"]}],
                      "birthDate": "1950-02-03", "gender": "female"}},
        {"resource": {"resourceType": "Immunization", "id": "i1", "status": "completed", "vaccineCode": {"coding": [coding]},
                      "patient": {"reference": "Patient/p1"}, "occurrenceDateTime": "2009-10-20"}},
    ]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}).encode()


@pytest.mark.parametrize("cvx, display", [("88", None), ("45", "HEP B, unspecified"), ("187", None)])
def test_imported_codes_are_shown_by_name(cvx, display):
    parsed = read_bytes(_bundle(cvx, display), "record.json")
    (imm,) = parsed.immunizations
    assert imm.cvx.lstrip("0") == cvx.lstrip("0") and imm.date_given == date(2009, 10, 20)
    assert imm.vaccine == by_cvx(cvx).name
