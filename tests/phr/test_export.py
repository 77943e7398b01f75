"""FHIR R4 export: the Bundle validates; importing it into a new chart reproduces the chart; importing it
back into the same chart finds only duplicates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
from sqlalchemy import select

from desktop.models import Allergy, Immunization, Medication, Problem, VitalSign
from desktop.phr import ItemStatus, read_bytes, read_file
from desktop.services import phr_import as svc
from desktop.services.fhir_export import export_patient
from tests.conftest import user_for

from .conftest import MIGUEL, REYNA, apply_reviewed, everything


def _fill(db, patient_id: int) -> None:
    """A chart with one of everything, written the way the chart screens write it (vaccines named as the CVX
    list names them: the immunization service stores that name, also for an imported dose)."""
    t = datetime(2024, 5, 6, 14, 30, tzinfo=UTC)
    with db.uow(user_for("physician")) as uow:
        s = uow.session
        s.add_all([
            Problem(patient_id=patient_id, description="Essential hypertension", icd10_code="I10",
                    snomed_code="59621000", onset_date=date(2015, 3, 1), status="active", note="home BP log"),
            Problem(patient_id=patient_id, description="Ankle sprain", icd10_code="S93.401A", onset_date=date(2020, 1, 2),
                    resolved_date=date(2020, 2, 1), status="resolved"),
            Medication(patient_id=patient_id, drug_name="Lisinopril 10 MG Oral Tablet", ingredients="lisinopril",
                       ingredient_rxcui="29046", product_rxcui="314076", sig="1 tablet daily", route="oral",
                       start_date=date(2015, 3, 2), status="active"),
            Medication(patient_id=patient_id, drug_name="Lisinopril/hydrochlorothiazide 20/12.5",
                       ingredients="hydrochlorothiazide+lisinopril", status="stopped", stop_date=date(2019, 1, 1)),
            Medication(patient_id=patient_id, drug_name="Fish oil capsules", ingredients="", status="active",
                       source="patient-reported"),
            Allergy(patient_id=patient_id, substance="Penicillins", substance_key="penicillin", code_system="class",
                    code="penicillin", category="medication", reaction="hives", severity="moderate",
                    criticality="high", status="active"),
            Allergy(patient_id=patient_id, substance="Peanut", substance_key="peanut", category="food",
                    severity="severe", status="active"),
            Immunization(patient_id=patient_id, vaccine="Influenza vaccine, seasonal, injectable, preservative free",
                         cvx_code="140",
                         date_given=date(2023, 10, 1), lot_number="AB12", manufacturer="Seqirus", site="left deltoid",
                         route="intramuscular", dose_number="1"),
            Immunization(patient_id=patient_id, cvx_code="115",
                         vaccine="Tetanus toxoid, reduced diphtheria toxoid and acellular pertussis vaccine, adsorbed", date_given=date(2019, 6, 1),
                         given_here=False, historical_source="state registry"),
            VitalSign(patient_id=patient_id, set_id="set-1", taken_at=t, loinc="8480-6", value=128, unit="mm[Hg]"),
            VitalSign(patient_id=patient_id, set_id="set-1", taken_at=t, loinc="8462-4", value=82, unit="mm[Hg]"),
            VitalSign(patient_id=patient_id, set_id="set-1", taken_at=t, loinc="8867-4", value=71, unit="/min"),
            VitalSign(patient_id=patient_id, set_id="set-1", taken_at=t, loinc="29463-7", value=80.5, unit="kg",
                      entered_unit="[lb_av]"),
            VitalSign(patient_id=patient_id, set_id="set-1", taken_at=t, loinc="8310-5", value=37.1, unit="Cel"),
            VitalSign(patient_id=patient_id, set_id="set-1", taken_at=t, loinc="72514-3", value=2, unit="{score}"),
        ])
        s.flush()
        s.add(Allergy(patient_id=patient_id, substance="Latex", substance_key="latex", status="active",
                      entered_in_error=True, error_reason="wrong patient"))


def _export(db, patient_id: int) -> bytes:
    with db.uow(user_for("physician")) as uow:
        return orjson.dumps(export_patient(uow, patient_id))


def _rows(db, patient_id: int) -> dict[str, list[tuple]]:
    with db.uow() as uow:
        s = uow.session

        def q(model, *cols):
            rows = s.execute(select(model).where(model.patient_id == patient_id, model.entered_in_error.is_(False)))
            return sorted(tuple(getattr(r, c) for c in cols) for r in rows.scalars())

        vitals = s.execute(select(VitalSign).where(VitalSign.patient_id == patient_id)).scalars().all()
        sets = {}
        for v in vitals:
            sets.setdefault(v.set_id, []).append(v.loinc)
        return {
            "problems": q(Problem, "description", "icd10_code", "snomed_code", "onset_date", "resolved_date", "status",
                          "note"),
            "medications": q(Medication, "drug_name", "ingredients", "ingredient_rxcui", "product_rxcui", "sig",
                             "route", "start_date", "stop_date", "status"),
            "allergies": q(Allergy, "substance", "substance_key", "category", "kind", "reaction", "severity",
                           "criticality", "status", "no_known_allergies"),
            "immunizations": q(Immunization, "vaccine", "cvx_code", "date_given", "lot_number", "manufacturer", "site",
                               "route", "dose_number"),
            "vitals": sorted((v.loinc, round(v.value, 3), v.unit, v.taken_at.replace(tzinfo=None)) for v in vitals),
            "sets": sorted(sorted(x) for x in sets.values()),
        }


def test_export_validates_and_holds_every_list(db, add_patient):
    patient = add_patient(given="Zoë", family="Müller", birth_date=date(1980, 1, 2), sex="female")
    _fill(db, patient.id)
    bundle = orjson.loads(_export(db, patient.id))
    assert bundle["type"] == "collection"
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert types.count("Patient") == 1 and types.count("Condition") == 2 and types.count("MedicationStatement") == 3
    assert types.count("AllergyIntolerance") == 2  # the entered-in-error latex row is not exported
    assert types.count("Immunization") == 2 and types.count("Observation") == 5  # BP as one panel
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)
    patient_res = bundle["entry"][0]["resource"]
    assert patient_res["identifier"][0]["value"] == patient.mrn and patient_res["name"][0]["given"] == ["Zoë"]


def test_import_of_the_export_into_the_same_chart_finds_only_duplicates(db, add_patient):
    patient = add_patient(given="Zoë", family="Müller", birth_date=date(1980, 1, 2), sex="female")
    _fill(db, patient.id)
    parsed = read_bytes(_export(db, patient.id), "export.json")
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, parsed)
    assert plan.identity.verdict.value == "match"
    assert {i.status for i in plan.items} == {ItemStatus.DUPLICATE}, [
        (i.category, i.status.value, i.differences) for i in plan.items if i.status is not ItemStatus.DUPLICATE]
    assert len(plan.items) == 2 + 3 + 2 + 2 + 6


def test_import_of_the_export_into_a_new_chart_reproduces_it(db, add_patient):
    original = add_patient(given="Zoë", family="Müller", birth_date=date(1980, 1, 2), sex="female")
    _fill(db, original.id)
    parsed = read_bytes(_export(db, original.id), "export.json")
    copy = add_patient(given="Zoë", family="Müller", birth_date=date(1980, 1, 2), sex="female")
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, copy.id, parsed)
    assert set(plan.totals()) == {"new"}
    with db.uow(user_for("physician")) as uow:
        result = apply_reviewed(uow, copy.id, plan, everything(plan))  # the stopped medications too
    assert result.applied
    assert _rows(db, copy.id) == _rows(db, original.id)


def test_a_chart_filled_from_synthea_round_trips(db, samples, chart_for):
    patient = chart_for(MIGUEL)
    parsed = read_file(samples / MIGUEL)
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, parsed)
        apply_reviewed(uow, patient.id, plan, everything(plan))  # the stopped medications too
    exported = read_bytes(_export(db, patient.id), "export.json")
    with db.uow(user_for("physician")) as uow:
        again = svc.plan_import(uow, patient.id, exported)
    assert set(again.totals()) == {"duplicate"}
    # and the original file still finds nothing new after the round trip
    with db.uow(user_for("physician")) as uow:
        assert set(svc.plan_import(uow, patient.id, parsed).totals()) == {"duplicate"}


def test_export_import_round_trip_with_allergies_from_synthea(db, samples, chart_for, add_patient):
    patient = chart_for(REYNA)
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, read_file(samples / REYNA))
        apply_reviewed(uow, patient.id, plan)
    data = _export(db, patient.id)
    copy = chart_for(REYNA)
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, copy.id, read_bytes(data, "export.json"))
        apply_reviewed(uow, copy.id, plan)
    assert _rows(db, copy.id) == _rows(db, patient.id)
