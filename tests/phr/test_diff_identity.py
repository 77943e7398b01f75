"""Identity evidence and the per-category diff, on plain dataclasses (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from desktop.phr import (
    ChartAllergy,
    ChartImmunization,
    ChartMedication,
    ChartObservation,
    ChartPatient,
    ChartProblem,
    ChartSnapshot,
    Code,
    Decision,
    FileInfo,
    ItemStatus,
    ParsedFile,
    PhrAllergy,
    PhrImmunization,
    PhrMedication,
    PhrObservation,
    PhrPatient,
    PhrProblem,
    SeveralPatients,
    Verdict,
    build_plan,
    match_identity,
)
from desktop.phr.allergens import allergen_key
from desktop.phr.drugs import identify

CHART = ChartPatient(id=7, mrn="00000070", given_name="Zoë", family_name="Müller", birth_date=date(1980, 1, 2),
                     sex="female")
INFO = FileInfo(name="t.json", sha256="a" * 64, size_bytes=1, file_format="fhir-bundle", source_system="Test EHR")
T0 = datetime(2024, 3, 10, 6, 30, tzinfo=UTC)


def parsed(**lists) -> ParsedFile:
    patients = lists.pop("patients", (PhrPatient(ref="p1", given=("Zoe",), family="MULLER", birth_date=date(1980, 1, 2),
                                                  sex="female"),))
    refs = lists.pop("refs", tuple(p.ref for p in patients))
    return ParsedFile(info=INFO, patients=tuple(patients), patient_refs=tuple(refs),
                      **{k: tuple(v) for k, v in lists.items()})


def plan_of(snapshot: ChartSnapshot | None = None, **lists):
    return build_plan(parsed(**lists), snapshot or ChartSnapshot(patient=CHART))


def only(plan, category):
    (item,) = plan.in_category(category)
    return item


# ------------------------------------------------------------------ identity

def test_names_compare_without_case_or_accents():
    m = match_identity(PhrPatient(ref="p", given=("ZOE",), family="muller", birth_date=date(1980, 1, 2),
                                  sex="female"), CHART)
    assert m.verdict is Verdict.MATCH and m.score >= 0.85
    assert [e.outcome.value for e in m.evidence[:4]] == ["same", "same", "same", "same"]


def test_synthea_digits_in_names_are_ignored():
    chart = ChartPatient(id=1, mrn="1", given_name="Lawrence", family_name="Hammes", birth_date=date(1929, 12, 4),
                         sex="female")
    m = match_identity(PhrPatient(ref="p", given=("Lawrence741",), family="Hammes673", birth_date=date(1929, 12, 4),
                                  sex="female"), chart)
    assert m.verdict is Verdict.MATCH


@pytest.mark.parametrize("change,field", [
    (dict(birth_date=date(1981, 1, 2)), "birth date"),
    (dict(family="Schmidt"), "family name"),
    (dict(given=("Anna",)), "given name"),  # a twin: same family and birth date
    (dict(sex="male"), "sex"),
])
def test_a_contradiction_is_a_mismatch_with_its_evidence(change, field):
    base = dict(ref="p", given=("Zoe",), family="Muller", birth_date=date(1980, 1, 2), sex="female")
    m = match_identity(PhrPatient(**{**base, **change}), CHART)
    assert m.verdict is Verdict.MISMATCH and m.verdict.blocks
    assert any(e.field == field and e.outcome.value == "different" for e in m.evidence)


def test_swapped_day_and_month_needs_a_person():
    m = match_identity(PhrPatient(ref="p", given=("Zoe",), family="Muller", birth_date=date(1980, 2, 1)), CHART)
    assert m.verdict is Verdict.MISMATCH
    assert any(e.field == "birth date" and e.outcome.value == "similar" for e in m.evidence)


def test_shared_identifier_and_birth_date_carry_a_changed_family_name():
    m = match_identity(PhrPatient(ref="p", given=("Zoe",), family="Schmidt", birth_date=date(1980, 1, 2),
                                  identifiers=(("urn:x", "00000070"),)), CHART)
    assert m.verdict is Verdict.PARTIAL


def test_apple_health_birth_date_only_is_partial_and_wearables_have_nothing():
    m = match_identity(PhrPatient(ref="me", birth_date=date(1980, 1, 2), sex="female"), CHART)
    assert m.verdict is Verdict.PARTIAL and not m.verdict.blocks
    assert match_identity(None, CHART).verdict is Verdict.NO_DEMOGRAPHICS


def test_several_patients_must_be_chosen():
    two = (PhrPatient(ref="a", family="Muller", given=("Zoe",), birth_date=date(1980, 1, 2)),
           PhrPatient(ref="b", family="Other", given=("Ann",), birth_date=date(1990, 1, 1)))
    problems = [PhrProblem(text="Asthma", snomed="195967001", patient_ref="a"),
                PhrProblem(text="Gout", snomed="90560007", patient_ref="b")]
    with pytest.raises(SeveralPatients) as err:
        build_plan(parsed(patients=two, problems=problems), ChartSnapshot(patient=CHART))
    assert err.value.refs == ["a", "b"]
    plan = build_plan(parsed(patients=two, problems=problems), ChartSnapshot(patient=CHART), "a")
    assert [i.file_item.text for i in plan.items] == ["Asthma"]
    from desktop.phr import choose_patient

    assert choose_patient(parsed(patients=two, problems=problems), ChartSnapshot(patient=CHART)) == "a"


# ------------------------------------------------------------------ problems

def test_problem_matched_by_code_then_text():
    snap = ChartSnapshot(patient=CHART, problems=(
        ChartProblem(id=1, version=1, text="Essential hypertension", icd10="I10", status="active"),
        ChartProblem(id=2, version=1, text="Asthma", status="active")))
    plan = plan_of(snap, problems=[
        PhrProblem(text="Hypertension", icd10="I10", status="active"),
        PhrProblem(text="asthma (disorder)", snomed="195967001", status="resolved", resolved=date(2020, 1, 1)),
        PhrProblem(text="Gout", snomed="90560007")])
    by_text = {i.file_item.text: i for i in plan.items}
    assert by_text["Hypertension"].status is ItemStatus.DUPLICATE and by_text["Hypertension"].matched_by == "ICD-10 code"
    asthma = by_text["asthma (disorder)"]
    assert asthma.status is ItemStatus.CHANGED and asthma.default is None
    assert asthma.choices == (Decision.KEEP_CHART, Decision.TAKE_FILE, Decision.KEEP_BOTH)
    assert "status: file resolved / chart active" in asthma.differences
    assert by_text["Gout"].status is ItemStatus.NEW and by_text["Gout"].default is Decision.ADD


def test_within_file_duplicates_collapse():
    plan = plan_of(problems=[PhrProblem(text="Viral sinusitis", snomed="444814009", onset=date(2017, 7, 27),
                                        status="resolved", source_resource_id=f"Condition/{n}") for n in range(3)])
    item = only(plan, "problems")
    assert item.copies_in_file == 3


# ------------------------------------------------------------------ medications

def test_medication_product_code_matches_chart_ingredient():
    snap = ChartSnapshot(patient=CHART, medications=(
        ChartMedication(id=3, version=2, drug_name="Lisinopril", ingredients="lisinopril", ingredient_rxcui="29046"),))
    ident = identify([Code("rxnorm", "314076", "lisinopril 10 MG Oral Tablet")], "")
    plan = plan_of(snap, medications=[PhrMedication(text="lisinopril 10 MG Oral Tablet", ingredients=ident.ingredients,
                                                     product_rxcui=ident.product_rxcui)])
    item = only(plan, "medications")
    assert item.status is ItemStatus.DUPLICATE and item.matched_by == "ingredient"


def test_medication_refills_collapse_to_the_latest_with_the_first_start():
    meds = [PhrMedication(text="Simvastatin 20 MG Oral Tablet", ingredients=("simvastatin",), start=date(2010 + n, 1, 1),
                          status="stopped" if n < 2 else "active", source_resource_id=f"MR/{n}") for n in range(3)]
    item = only(plan_of(medications=meds), "medications")
    assert item.copies_in_file == 3 and item.file_item.status == "active" and item.file_item.start == date(2010, 1, 1)


def test_medication_stopped_in_file_is_changed():
    snap = ChartSnapshot(patient=CHART, medications=(
        ChartMedication(id=3, version=1, drug_name="Warfarin 5 mg", ingredients="warfarin", status="active"),))
    item = only(plan_of(snap, medications=[PhrMedication(text="Warfarin Sodium 5 MG Oral Tablet",
                                                           ingredients=("warfarin",), status="stopped")]), "medications")
    assert item.status is ItemStatus.CHANGED and item.chart_item.id == 3


# ------------------------------------------------------------------ allergies

def test_same_allergen_however_coded_is_a_duplicate():
    snap = ChartSnapshot(patient=CHART, allergies=(
        ChartAllergy(id=4, version=1, substance="Penicillin", substance_key="penicillin"),))
    file_allergy = PhrAllergy(substance="Penicillin G", allergen_key=allergen_key("", [Code("rxnorm", "7980")]),
                              code_system="rxnorm", code="7980")
    assert file_allergy.allergen_key == "penicillin"
    item = only(plan_of(snap, allergies=[file_allergy]), "allergies")
    assert item.status is ItemStatus.DUPLICATE
    # and text only, coded differently, class names
    for text in ("PENICILLINS", "Allergy to penicillin",
                 "Substance with penicillin structure and antibacterial mechanism of action (substance)"):
        a = PhrAllergy(substance=text, allergen_key=allergen_key(text))
        assert only(plan_of(snap, allergies=[a]), "allergies").status is ItemStatus.DUPLICATE, text


def test_allergy_against_no_known_allergies_is_a_conflict():
    snap = ChartSnapshot(patient=CHART, allergies=(
        ChartAllergy(id=5, version=1, substance="No known drug allergies", substance_key="nkda",
                     no_known_allergies=True),))
    item = only(plan_of(snap, allergies=[PhrAllergy(substance="Latex", allergen_key="latex")]), "allergies")
    assert item.status is ItemStatus.CONFLICT and item.default is None
    assert item.choices == (Decision.KEEP_CHART, Decision.TAKE_FILE)
    snap2 = ChartSnapshot(patient=CHART, allergies=(ChartAllergy(id=6, version=1, substance="Latex",
                                                                 substance_key="latex"),))
    nka = PhrAllergy(substance="No known allergies", allergen_key="", no_known_allergies=True)
    assert only(plan_of(snap2, allergies=[nka]), "allergies").status is ItemStatus.CONFLICT
    assert only(plan_of(snap, allergies=[nka]), "allergies").status is ItemStatus.DUPLICATE


def test_refuted_allergy_conflicts_with_the_chart_or_is_only_noted():
    snap = ChartSnapshot(patient=CHART, allergies=(ChartAllergy(id=6, version=1, substance="Latex",
                                                                substance_key="latex"),))
    refuted = PhrAllergy(substance="Latex", allergen_key="latex", verification="refuted")
    assert only(plan_of(snap, allergies=[refuted]), "allergies").status is ItemStatus.CONFLICT
    plan = plan_of(allergies=[refuted])
    assert plan.items == () and any("refuted" in n for n in plan.notes)


# ------------------------------------------------------------------ immunizations

def test_same_vaccine_same_date_is_a_duplicate():
    snap = ChartSnapshot(patient=CHART, immunizations=(
        ChartImmunization(id=8, version=1, vaccine="Influenza", cvx="140", date_given=date(2014, 2, 27)),))
    plan = plan_of(snap, immunizations=[
        PhrImmunization(vaccine="Influenza, seasonal, injectable, preservative free", cvx="140",
                        date_given=date(2014, 2, 27)),
        PhrImmunization(vaccine="Influenza, seasonal, injectable, preservative free", cvx="140",
                        date_given=date(2015, 3, 1))])
    statuses = sorted((i.file_item.date_given, i.status) for i in plan.items)
    assert statuses == [(date(2014, 2, 27), ItemStatus.DUPLICATE), (date(2015, 3, 1), ItemStatus.NEW)]


# ------------------------------------------------------------------ observations

def _obs(value: float, when: datetime = T0, loinc: str = "8867-4") -> PhrObservation:
    return PhrObservation(loinc=loinc, name="Heart rate", value=value, unit="/min", taken_at=when)


def test_observation_same_minute_same_value_duplicate_other_value_conflict():
    snap = ChartSnapshot(patient=CHART, observations=(
        ChartObservation(id=9, version=1, set_id="s1", loinc="8867-4", taken_at=T0 + timedelta(seconds=20),
                         value=72, unit="/min"),))
    plan = plan_of(snap, observations=[_obs(72), _obs(80, T0 + timedelta(seconds=30)), _obs(72, T0 + timedelta(minutes=1))])
    statuses = sorted((i.file_item.taken_at, i.file_item.value, i.status.value) for i in plan.items)
    assert [s[2] for s in statuses] == ["duplicate", "conflict", "new"]


def test_device_readings_are_summarised_per_kind_and_day():
    readings = [PhrObservation(loinc="8867-4", name="Heart rate", value=60 + (n % 7), unit="/min",
                               taken_at=T0 + timedelta(minutes=5 * n), origin="device", device="Watch")
                for n in range(2000)]
    plan = plan_of(observations=readings)
    (series,) = plan.series
    assert series.count == 2000 and series.new_count == 2000 and series.devices == ("Watch",)
    assert len(series.daily) == 8 and sum(d.count for d in series.daily) == 2000  # 10,000 minutes from 06:30
    assert all(i.series == series.key for i in plan.items)
    assert len(plan.default_decisions("new")) == 2000 and plan.default_decisions("none") == {}
