"""Units to the chart's canonical UCUM, drug ingredients from RxNorm products, allergen keys."""

from __future__ import annotations

import pytest

from desktop.phr import Code, read_bytes
from desktop.phr import drugs as drug_module
from desktop.phr.allergens import allergen_key, is_no_known_allergy
from desktop.phr.drugs import identify, ingredients_from_text
from desktop.phr.errors import SkipEntry
from desktop.phr.units import to_canonical
from desktop.phr.vitals import VITALS

APPLE = """<?xml version="1.0" encoding="UTF-8"?>
<HealthData locale="en_US">
 <ExportDate value="2024-03-11 09:00:00 -0500"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1980-01-02" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>
 <Record type="HKQuantityTypeIdentifierOxygenSaturation" sourceName="Watch" unit="%" startDate="2024-03-10 01:30:00 -0500" endDate="2024-03-10 01:30:00 -0500" value="0.97"/>
 <Record type="HKQuantityTypeIdentifierBodyTemperature" sourceName="Thermo" unit="degF" startDate="2024-03-10 07:00:00 -0500" endDate="2024-03-10 07:00:00 -0500" value="98.6"/>
 <Record type="HKQuantityTypeIdentifierBloodGlucose" sourceName="Meter" unit="mmol&lt;180.1558800000541&gt;/L" startDate="2024-03-10 08:00:00 -0500" endDate="2024-03-10 08:00:00 -0500" value="5.5"/>
 <Record type="HKQuantityTypeIdentifierHeight" sourceName="Health" unit="ft" startDate="2024-03-10 08:00:00 -0500" endDate="2024-03-10 08:00:00 -0500" value="5.5"/>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" unit="count/min" startDate="2024-03-10 08:00:00 -0500" endDate="2024-03-10 08:00:00 -0500" value="720">
  <MetadataEntry key="HKWasUserEntered" value="1"/>
 </Record>
 <Record type="HKQuantityTypeIdentifierBodyMass" sourceName="Scale" unit="kg" startDate="2024-03-10 08:00:00 -0500" endDate="2024-03-10 08:00:00 -0500" value="70">
  <MetadataEntry key="HKWasUserEntered" value="1"/>
 </Record>
</HealthData>"""


def test_apple_health_units_become_canonical():
    parsed = read_bytes(APPLE.encode(), "export.xml")
    by = {o.loinc: o for o in parsed.observations}
    assert by["59408-5"].value == 97 and by["59408-5"].unit == "%"  # a fraction in the file
    assert by["8310-5"].value == pytest.approx(37.0) and by["8310-5"].unit == "Cel"
    assert by["2339-0"].value == pytest.approx(99.09, abs=0.01) and by["2339-0"].unit == "mg/dL"
    assert by["8302-2"].value == pytest.approx(167.64) and by["8302-2"].unit == "cm"
    assert by["29463-7"].origin == "patient"  # typed in by the user
    assert by["59408-5"].taken_at.isoformat() == "2024-03-10T01:30:00-05:00"
    (bad,) = [s for s in parsed.skipped if s.item.startswith("HeartRate")]
    assert bad.reason.startswith("implausible heart rate 720 count/min")


@pytest.mark.parametrize("loinc,value,unit,expected", [
    ("8480-6", 120, "mmHg", 120), ("8480-6", 16, "kPa", 120.01), ("8867-4", 60, "{beats}/min", 60),
    ("29463-7", 150, "[lb_av]", 68.039), ("29463-7", 70000, "g", 70), ("8302-2", 70, "[in_i]", 177.8),
    ("8302-2", 1.8, "m", 180), ("8310-5", 100.4, "[degF]", 38), ("2708-6", 0.95, "1", 95), ("2708-6", 95, "%", 95),
    ("39156-5", 24.2, "kg/m2", 24.2), ("72514-3", 4, "{score}", 4),
])
def test_to_canonical(loinc, value, unit, expected):
    assert to_canonical(VITALS[loinc], value, unit) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("loinc,value,unit", [("8867-4", 60, "mg"), ("29463-7", 7000, "kg"), ("8480-6", 1200, "mm[Hg]"),
                                              ("8310-5", float("nan"), "Cel"), ("8310-5", True, "Cel")])
def test_impossible_readings_are_refused(loinc, value, unit):
    with pytest.raises(SkipEntry):
        to_canonical(VITALS[loinc], value, unit)


def test_formulary_maps_a_product_code_to_its_ingredient():
    ident = identify([Code("rxnorm", "855332", "Warfarin Sodium 5 MG Oral Tablet")], "")
    assert ident.ingredients == ("warfarin",) and ident.ingredient_rxcui == "11289" and ident.product_rxcui == "855332"


def test_without_a_formulary_names_still_work(monkeypatch):
    monkeypatch.setattr(drug_module, "_formulary", lambda: None)
    ident = identify([Code("rxnorm", "999999", "Acetaminophen 325 MG / Oxycodone Hydrochloride 5 MG Oral Tablet")], "")
    assert ident.ingredients == ("acetaminophen", "oxycodone") and ident.product_rxcui == "999999"
    assert ident.ingredient_rxcui is None
    assert identify([Code("rxnorm", "11289", "")], "Warfarin").ingredient_rxcui == "11289"


@pytest.mark.parametrize("text,expected", [
    ("24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", ("metformin",)),
    ("NDA020503 200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", ("albuterol",)),
    ("predniSONE (DELTASONE) tablet", ("prednisone",)),
    ("Potassium Chloride 20 MEQ Extended Release Tablet", ("potassium chloride",)),
    ("Product containing anastrozole (medicinal product)", ("anastrozole",)),
])
def test_ingredients_from_names(text, expected):
    assert ingredients_from_text(text) == expected


@pytest.mark.parametrize("text,codes", [
    ("Penicillin", []), ("PENICILLINS", []), ("", [Code("rxnorm", "7980")]), ("", [Code("rxnorm", "70618")]),
    ("Allergy to penicillin", []), ("whatever", [Code("snomed", "373270004")]), ("Penicillin G", []),
])
def test_penicillin_however_written(text, codes):
    assert allergen_key(text, codes) == "penicillin"


def test_no_known_allergies_recognised():
    assert is_no_known_allergy("NKDA") and is_no_known_allergy("No known drug allergies")
    assert is_no_known_allergy("", [Code("snomed", "716186003")])
    assert not is_no_known_allergy("Peanut")
