"""`python -m desktop demo` fills charts: most patients get data; Harold Bennett is the large chart."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from desktop.models import (
    Allergy,
    Encounter,
    EncounterDiagnosis,
    Immunization,
    Medication,
    Patient,
    Problem,
    VitalSign,
)
from desktop.services import demo, demo_chart, encounters, vitals
from desktop.services.database import Database


def test_every_demo_icd10_code_is_a_valid_billable_code():
    import simple_icd_10_cm as icd

    for code in demo_chart._valid_codes():
        assert icd.is_valid_item(code) and icd.is_leaf(code), code
    for code, desc, *_ in demo_chart.CONDITIONS:
        assert icd.get_description(code) == desc
    for code, desc in demo_chart.ACUTE:
        assert icd.get_description(code) == desc


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = Database.open(f"sqlite:///{path}", create=True)
    with db.uow() as uow:
        demo.create_practice_and_users(uow)
        demo.ensure_named_demo_patients(uow)
        ids = demo.add_patients(uow, 30, seed=7)
    with db.uow() as uow:
        stats = demo_chart.fill_demo_charts(uow, ids, seed=7)
    yield db, ids, stats
    db.dispose()


def count(db, model, *where):
    with db.uow() as uow:
        return uow.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


def test_the_large_patient_has_500_encounters_and_5000_vitals(demo_db):
    db, _ids, stats = demo_db
    with db.uow() as uow:
        harold = uow.session.execute(select(Patient.id).where(Patient.family_name == "Bennett",
                                                              Patient.birth_date == date(1948, 3, 30))).scalar_one()
    assert stats.large_patient_id == harold
    assert count(db, Encounter, Encounter.patient_id == harold) == 500
    assert count(db, VitalSign, VitalSign.patient_id == harold) == 5000
    assert count(db, Encounter, Encounter.patient_id == harold, Encounter.status != "signed") == 0
    assert count(db, Problem, Problem.patient_id == harold, Problem.status == "active") == 5
    assert count(db, Medication, Medication.patient_id == harold) >= 5
    assert count(db, Allergy, Allergy.patient_id == harold, Allergy.substance_key == "penicillin") == 1


def test_most_demo_patients_get_charts_with_codes(demo_db):
    db, ids, stats = demo_db
    with db.uow() as uow:
        s = uow.session
        with_vitals = set(s.execute(select(VitalSign.patient_id).distinct()).scalars())
        with_notes = set(s.execute(select(Encounter.patient_id).distinct()).scalars())
        with_allergy_entry = set(s.execute(select(Allergy.patient_id).distinct()).scalars())
        # the medication list written here (prescriptions add their own through their service)
        uncoded_meds = s.execute(select(func.count(Medication.id)).where(
            Medication.prescription_id.is_(None), Medication.ingredient_rxcui.is_(None))).scalar()
        cvx = s.execute(select(Immunization.cvx_code).distinct()).scalars().all()
        linked = s.execute(select(func.count()).select_from(EncounterDiagnosis)).scalar()
        units = set(s.execute(select(VitalSign.loinc, VitalSign.unit).distinct()).all())
    assert len(with_vitals & set(ids)) >= 0.6 * len(ids)
    assert with_notes >= with_vitals
    assert len(with_allergy_entry) >= 0.6 * stats.patients
    assert uncoded_meds == 0 and stats.medications > 0
    assert cvx and all(c for c in cvx)
    assert linked > 0
    assert units <= {(f.loinc, f.unit) for f in vitals.FIELDS}
    assert stats.seconds < 30


def test_demo_charts_read_back_through_the_services(demo_db):
    db, _ids, stats = demo_db
    from tests.conftest import user_for

    with db.uow(user_for("physician")) as uow:
        page = vitals.flowsheet(uow, stats.large_patient_id, limit=50)
        notes = encounters.list_encounters(uow, stats.large_patient_id, limit=100)
        note = encounters.get_encounter(uow, notes.rows[0].id)
        latest = vitals.latest_vitals(uow, stats.large_patient_id)
    assert page.total_sets == 500 and len(page.columns) == 50
    assert notes.total == 500 and note.signed and note.content.objective.startswith("Vitals ")
    assert latest is not None and len(latest.values) == 10


def test_demo_charts_are_clinically_coherent(demo_db):
    """No demo chart holds an order the alert check would interrupt without a physician's reasoned override:
    Harold Bennett (penicillin allergy) gets no amoxicillin; his one overridden combination names the physician."""
    from desktop.models import AlertOverride, User
    from desktop.services import alerts
    from tests.conftest import user_for

    db, _ids, stats = demo_db
    with db.uow(user_for("physician")) as uow:
        s = uow.session
        harold = stats.large_patient_id
        names = [m.lower() for m in s.execute(select(Medication.drug_name).where(
            Medication.patient_id == harold, Medication.status == "active")).scalars()]
        assert not [n for n in names if "amoxicillin" in n]
        patients = s.execute(select(Medication.patient_id).distinct()).scalars().all()
        for pid in patients:
            check = alerts.check_for_patient(uow, pid, kinds=("interaction", "duplicate", "allergy"))
            assert check.kb_available and not check.interrupting, (pid, [a.message for a in check.interrupting])
        overrides = s.execute(select(AlertOverride, User.display_name).join(
            User, User.id == AlertOverride.user_id).where(AlertOverride.patient_id == harold)).all()
    assert overrides and all(name == "Dr. Ana Lima" and o.reason for o, name in overrides)


def test_the_large_chart_holds_one_drug_per_class_and_overrides_only_what_its_reason_explains(demo_db):
    """A physician evaluating the product opens Harold Bennett first: no two statins, no ACE inhibitor with an
    ARB; the override reason speaks of knee pain, so every overridden alert involves the NSAID."""
    from desktop.services import alerts
    from tests.conftest import user_for

    db, _ids, stats = demo_db
    with db.uow(user_for("physician")) as uow:
        check = alerts.check_for_patient(uow, stats.large_patient_id)
        assert not [a.message for a in check.listed if a.kind == "duplicate"]
        overridden = [a for a in check.listed if a.key in check.overridden]
        assert overridden and all("naproxen" in a.message.lower() for a in overridden)
        assert demo_chart.LARGE_OVERRIDE[1].lower().startswith("knee pain")


def test_demo_prescriptions_carry_the_formularys_ingredient_codes(demo_db):
    """A demo oxycodone or metformin prescription is coded like one picked from the formulary, not 'uncoded'."""
    from desktop.kb.formulary import load_formulary
    from desktop.models import Prescription

    db, _ids, _stats = demo_db
    formulary = load_formulary()
    with db.uow() as uow:
        rows = uow.session.execute(select(Prescription.ingredients, Prescription.ingredient_rxcui)).all()
    assert rows
    for ingredients, rxcui in rows:
        known = formulary.ingredient_by_name(ingredients)
        if known is not None and known.rxcui:
            assert rxcui == known.rxcui, ingredients


def test_acute_demo_notes_describe_their_own_diagnosis(demo_db):
    """A visit for a urinary tract infection whose note speaks of a sore throat would mislead whoever reads
    the demo chart (or a printed note): each acute diagnosis has its own history, examination and plan."""
    assert set(demo_chart.ACUTE_NOTES) == {code for code, _ in demo_chart.ACUTE}
    words = {"J06.9": "congestion", "J02.9": "sore throat", "J20.9": "cough", "N39.0": "urination"}
    db, _ids, _stats = demo_db
    with db.uow() as uow:
        seen = uow.session.execute(select(Encounter.reason, Encounter.subjective).where(
            Encounter.reason.in_([d for _, d in demo_chart.ACUTE]))).all()
    assert seen
    by_reason = {d: c for c, d in demo_chart.ACUTE}
    for reason, subjective in seen:
        assert words[by_reason[reason]] in subjective, (reason, subjective)
    assert not [s for r, s in seen if by_reason[r] == "N39.0" and "throat" in s]


def test_demo_notes_write_vitals_in_the_practice_units(demo_db):
    """The demo practice is in Illinois: its notes read °F and lb, as its screens and printed summaries do."""
    from desktop.services import display_units

    db, _ids, _stats = demo_db
    with db.uow() as uow:
        assert display_units.practice_system(uow) == display_units.US
        objective = uow.session.execute(select(Encounter.objective).where(
            Encounter.objective.like("Vitals %")).limit(20)).scalars().all()
    assert objective and all("°F" in o and " lb" in o and "°C" not in o for o in objective)
