"""Every file in shared/phr-samples reads: what each holds arrives normalised, in the chart's units."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.phr import read_file

from .conftest import (
    APPLE_DOGSHEEP,
    APPLE_HYDAWO,
    APPLE_TDDA,
    CCD1,
    CCD2,
    FLETCHER,
    IPS_EPIC,
    IPS_EU,
    IPS_MINIMAL,
    LAWRENCE,
    PATIENTS,
    REYNA,
    WEARABLE,
    all_sample_files,
)


@pytest.mark.parametrize("name", all_sample_files())
def test_every_sample_reads(samples, name):
    parsed = read_file(samples / name)
    assert parsed.info.sha256 and len(parsed.info.sha256) == 64
    assert parsed.info.size_bytes == (samples / name).stat().st_size
    assert sum(parsed.counts.values()) > 0, f"{name}: nothing read; skipped={parsed.skipped[:3]}"
    for o in parsed.observations:
        assert o.unit in ("mm[Hg]", "/min", "Cel", "%", "kg", "cm", "kg/m2", "{score}", "{steps}", "mg/dL")
        assert o.taken_at.tzinfo is not None
    if name in PATIENTS and not name.startswith("apple"):
        given, family, born, sex = PATIENTS[name]
        p = parsed.patient()
        assert p is not None and p.birth_date == born and p.sex == sex
        assert family.lower() in p.family.lower()


def test_synthea_bundle_validated_per_entry_and_types_counted(samples):
    parsed = read_file(samples / FLETCHER)
    assert parsed.info.file_format == "fhir-bundle"
    assert parsed.info.source_system == "Synthea"
    # laboratory Observations are results now (issue 15), the 13 lab glucose values among them
    assert parsed.counts == {"problems": 20, "medications": 122, "allergies": 0, "immunizations": 10,
                             "observations": 68, "results": 281, "procedures": 53, "social_history": 10,
                             "family_history": 0, "encounters": 127}  # issue 18: histories are read
    ignored = dict(parsed.ignored)
    assert ignored["Claim"] == 249 and ignored["ExplanationOfBenefit"] == 127 and "Encounter" not in ignored
    assert "Observation (laboratory)" not in ignored and "DiagnosticReport" not in ignored
    # blood pressure panels arrive as systolic/diastolic pairs sharing a group
    bp = [o for o in parsed.observations if o.loinc in ("8480-6", "8462-4")]
    groups = {}
    for o in bp:
        groups.setdefault(o.group, set()).add(o.loinc)
    assert groups and all(v == {"8480-6", "8462-4"} for v in groups.values())


def test_synthea_medication_product_maps_to_ingredients(samples):
    parsed = read_file(samples / REYNA)
    diphen = [m for m in parsed.medications if "diphenhydramine" in m.ingredients]
    assert diphen, [m.text for m in parsed.medications]
    assert diphen[0].product_rxcui == "1049630"
    assert diphen[0].source_resource_id.startswith("urn:uuid:")
    allergies = {a.allergen_key for a in parsed.allergies}
    assert {"latex", "egg", "peanut"} <= allergies or "latex" in allergies


def test_lawrence_has_no_vitals_and_digits_stay_in_the_file_name(samples):
    parsed = read_file(samples / LAWRENCE)
    assert parsed.observations == ()
    assert parsed.patient().family == "Hammes673"
    assert parsed.counts["immunizations"] == 65


def test_ips_minimal_medication_through_a_reference(samples):
    parsed = read_file(samples / IPS_MINIMAL)
    (med,) = parsed.medications
    assert med.ingredients == ("anastrozole",)
    assert med.start == date(2015, 3, 1)  # "2015-03": first day of the month
    (allergy,) = parsed.allergies
    assert allergy.allergen_key == "penicillin"
    assert parsed.info.source_system.startswith("Anorg Aniza Tion")


def test_epic_ips_resolves_medication_resources_and_ndfrt_allergens(samples):
    parsed = read_file(samples / IPS_EPIC)
    assert {m.ingredients for m in parsed.medications} == {("metformin",), ("prednisone",)}
    keys = {a.allergen_key for a in parsed.allergies}
    assert "penicillin" in keys and "milk" in keys and "shellfish" in keys
    problems = {p.icd10 for p in parsed.problems}
    assert "E10.22" in problems


def test_eu_ips_duplicates_are_read_and_collapse_later(samples):
    parsed = read_file(samples / IPS_EU)
    assert parsed.counts["observations"] == 50
    from desktop.phr.matching import collapse_observations

    assert len(collapse_observations(parsed.observations)) == 25


def test_ccd1_sections(samples):
    parsed = read_file(samples / CCD1)
    p = parsed.patient()
    assert (p.given, p.family, p.birth_date, p.sex) == (("Eve",), "Betterhalf", date(1975, 5, 1), "female")
    assert parsed.info.source_system == "Good Health HIE"
    assert {a.allergen_key for a in parsed.allergies} >= {"penicillin"}
    pen = next(a for a in parsed.allergies if a.allergen_key == "penicillin")
    assert pen.code_system == "rxnorm" and pen.code == "70618" and pen.reaction == "Nausea"
    assert pen.severity == "severe"  # the allergy's own severity: moderate to severe
    (albuterol,) = [m for m in parsed.medications if "albuterol" in m.ingredients]
    assert albuterol.product_rxcui == "573621" and albuterol.route == "Inhalation"
    assert {i.cvx for i in parsed.immunizations} >= {"88"}
    skipped = {s.reason for s in parsed.skipped}
    assert "immunization recorded as not given" in skipped
    weights = [o for o in parsed.observations if o.loinc == "29463-7"]  # 3141-9 read as body weight
    assert weights and weights[0].value == 86


def test_ccd2_no_known_allergies(samples):
    parsed = read_file(samples / CCD2)
    (nka,) = parsed.allergies
    assert nka.no_known_allergies
    spo2 = [o for o in parsed.observations if o.loinc == "59408-5"]
    assert spo2, "2710-2 is read as oxygen saturation"


def test_apple_health_hydawo_units_dedup_and_steps(samples):
    parsed = read_file(samples / APPLE_HYDAWO)
    p = parsed.patient()
    assert p.birth_date == date(1990, 1, 1) and p.sex == "" and p.family == ""
    weights = sorted(o.value for o in parsed.observations if o.loinc == "29463-7")
    assert weights == [pytest.approx(81.193, abs=0.01), pytest.approx(81.647, abs=0.01)]  # 179 lb, 180 lb
    steps = {o.taken_at.date(): o.value for o in parsed.observations if o.loinc == "55423-8"}
    assert steps == {date(2026, 3, 2): 6000, date(2026, 3, 3): 8500}  # the larger source per day
    resting = [o for o in parsed.observations if o.loinc == "40443-4"]
    assert len(resting) == 7 and sum(o.value for o in resting) == 420
    from desktop.phr.matching import collapse_observations

    bp = [c for c in collapse_observations(parsed.observations) if c.item.loinc in ("8480-6", "8462-4")]
    assert len(bp) == 2 and all(c.count == 2 for c in bp)  # the Correlation repeats the top-level pair
    assert all(o.origin == "device" for o in parsed.observations)


def test_apple_health_dogsheep_and_tdda(samples):
    dog = read_file(samples / APPLE_DOGSHEEP)
    assert {o.loinc for o in dog.observations} == {"39156-5", "8867-4"}
    assert dog.patient().sex == "male"
    tdda = read_file(samples / APPLE_TDDA)
    (steps,) = tdda.observations
    assert steps.value == 2517  # ten records summed for 2014-09-13
    assert dict(tdda.ignored)["Apple Health DistanceWalkingRunning"] == 5


@pytest.mark.parametrize("name,loincs", [
    ("googlefit-merge-heart-rate.json", {"8867-4"}),
    ("googlefit-merge-weight.json", {"29463-7"}),
    ("fitbit-body-log-weight.json", {"29463-7", "39156-5"}),
    ("fitbit-activities-heart-1d-1m-intraday.json", {"8867-4"}),
    ("withings-body-measures.json", {"29463-7", "8462-4", "8480-6", "8867-4", "8302-2", "8310-5"}),
    ("ihealth-bp.json", {"8480-6", "8462-4", "8867-4"}),
])
def test_wearable_vendor_json(samples, name, loincs):
    parsed = read_file(samples / WEARABLE / name)
    assert {o.loinc for o in parsed.observations} == loincs
    assert parsed.patients == ()
    assert any("no patient name" in n for n in parsed.notes)


def test_ihealth_local_epoch_time_keeps_its_offset(samples):
    parsed = read_file(samples / WEARABLE / "ihealth-bp.json")
    first = min(parsed.observations, key=lambda o: o.taken_at)
    # MDate 1442491463 is 2015-09-17 12:04:23 wall time at -08:00
    assert first.taken_at.isoformat() == "2015-09-17T12:04:23-08:00"
    manual = [o for o in parsed.observations if o.origin == "patient"]
    assert {o.loinc for o in manual} == {"8480-6", "8462-4", "8867-4"}


def test_withings_units_scaled(samples):
    parsed = read_file(samples / WEARABLE / "withings-body-measures.json")
    weights = sorted(o.value for o in parsed.observations if o.loinc == "29463-7")
    assert weights == [74.126, 74.128]
    height = [o.value for o in parsed.observations if o.loinc == "8302-2"]
    assert height == [193.0]  # 1930 x 10^-3 m
