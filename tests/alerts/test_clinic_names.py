"""Names a clinic types every day ("Wegovy", "K-Dur", "Ortho Tri-Cyclen", "SL NTG", "OCP", "iron", ...) are
checked the same way on every path: the `alerts` command, a medication typed in the form (services) and a
medication arriving in a PHR file. Names that stay ambiguous are reported "not checked", never "no alerts"."""

from __future__ import annotations

import json
from datetime import date

import pytest

from desktop.__main__ import main
from desktop.alerts import drug_ref_from_text
from desktop.kb.formulary import load_formulary
from desktop.models import Medication
from desktop.services.medications import MedicationInput, check_medication
from tests.conftest import user_for


@pytest.fixture(scope="module")
def formulary():
    return load_formulary()


@pytest.fixture
def patient(add_patient):
    return add_patient(given="Rosa", family="Lindqvist", birth_date=date(1980, 3, 4), sex="female")


def _cli_rules(capsys, *drugs: str) -> set[str]:
    args = ["alerts", "--json"]
    for d in drugs:
        args += ["--drug", d]
    assert main(args) == 0, capsys.readouterr().err
    return {a["rule"] for a in json.loads(capsys.readouterr().out)}


def _form_rules(db, patient_id: int, on_chart: tuple[str, str], typed: str) -> tuple[set[str], tuple[str, ...]]:
    """The chart holds `on_chart` (name, ingredients); a physician types `typed` in the medication form."""
    name, ingredients = on_chart
    with db.uow() as uow:
        uow.session.add(Medication(patient_id=patient_id, drug_name=name, ingredients=ingredients))
    with db.uow(user_for("physician")) as uow:
        check = check_medication(uow, patient_id, MedicationInput(drug_name=typed))
    return {a.rule_id for a in check.alerts}, tuple(check.unchecked)


def _phr_rules(db, patient, on_chart: tuple[str, str], in_file: str) -> tuple[set[str], tuple[str, ...]]:
    """The chart holds `on_chart`; a PHR file brings `in_file` as a free-text MedicationStatement. The merge's
    alerts (those waiting for a decision, or those reported with the merged entries)."""
    from desktop.phr import read_bytes
    from desktop.services import phr_import as svc
    from desktop.services.alert_decisions import NeedsDecision

    name, ingredients = on_chart
    with db.uow() as uow:
        uow.session.add(Medication(patient_id=patient.id, drug_name=name, ingredients=ingredients))
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Lindqvist", "given": ["Rosa"]}],
                      "gender": "female", "birthDate": "1980-03-04"}},
        {"resource": {"resourceType": "MedicationStatement", "id": "m1", "status": "active",
                      "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": {"text": in_file}}},
    ]}
    parsed = read_bytes(json.dumps(bundle).encode(), "rosa.json")
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, parsed)
        outcome = svc.apply_import(uow, patient.id, plan, plan.default_decisions("new"), plan.info)
    check = outcome.check if isinstance(outcome, NeedsDecision) else outcome.alerts
    return {a.rule_id for a in check.alerts}, tuple(check.unchecked)


# ---------------------------------------------------------------- brands missing from the formulary

@pytest.mark.parametrize(("typed", "ingredients"), [
    ("Wegovy", ("semaglutide",)),
    ("Wegovy 2.4 mg", ("semaglutide",)),
    ("K-Dur", ("potassium chloride",)),
    ("K-Dur 20 mEq", ("potassium chloride",)),
    ("Ortho Tri-Cyclen", ("norgestimate", "ethinyl estradiol")),
    ("Ortho Tri-Cyclen Lo", ("norgestimate", "ethinyl estradiol")),
    ("Tri-Sprintec", ("norgestimate", "ethinyl estradiol")),
])
def test_brands_a_clinic_writes_are_read_as_their_ingredients(formulary, typed, ingredients):
    assert drug_ref_from_text(typed, formulary).ingredients == ingredients


def test_brands_name_only_the_products_their_labels_cover(formulary):
    """K-Dur and K-Tab are ER tablets (their FDA labels); Wegovy the 1.7 and 2.4 mg pens; Ortho Tri-Cyclen the
    triphasic pack, not the monophasic Ortho-Cyclen tablet."""
    assert {p.dose_form for p in formulary.resolve("K-Dur")} == {"extended-release oral tablet"}
    assert {p.dose_form for p in formulary.resolve("K-Tab")} == {"extended-release oral tablet"}
    assert sorted(p.strength for p in formulary.resolve("Wegovy")) == ["1.7 mg/0.75 mL", "2.4 mg/0.75 mL"]
    assert [p.strength for p in formulary.resolve("Ortho Tri-Cyclen")] == ["0.18 mg, 0.215 mg, 0.25 mg / 0.035 mg"]
    assert [p.strength for p in formulary.resolve("Ortho-Cyclen")] == ["0.25 mg / 0.035 mg"]


@pytest.mark.parametrize(("first", "second", "rule"), [
    ("Wegovy", "Ozempic", "dup-same-ingredient"),
    ("K-Dur 20", "spironolactone", "spironolactone-potassium"),
    ("K-Dur", "lisinopril", "raas-potassium-supplement"),
    ("Ortho Tri-Cyclen", "rifampin", "inducer-hormonal-contraceptive"),
])
def test_the_command_line_checks_these_brands(capsys, first, second, rule):
    assert rule in _cli_rules(capsys, first, second)


def test_the_form_checks_k_dur_against_the_chart(db, patient):
    rules, unchecked = _form_rules(db, patient.id, ("spironolactone 25 mg", "spironolactone"), "K-Dur 20 mEq")
    assert "spironolactone-potassium" in rules and unchecked == ()


def test_the_form_checks_ortho_tri_cyclen_against_the_chart(db, patient):
    rules, unchecked = _form_rules(db, patient.id, ("rifampin 300 mg", "rifampin"), "Ortho Tri-Cyclen")
    assert "inducer-hormonal-contraceptive" in rules and unchecked == ()


def test_a_phr_file_bringing_k_dur_meets_the_chart_spironolactone(db, patient):
    rules, unchecked = _phr_rules(db, patient, ("spironolactone 25 mg", "spironolactone"), "K-Dur 20 mEq tablet")
    assert "spironolactone-potassium" in rules and unchecked == ()


def test_a_phr_file_bringing_wegovy_meets_the_chart_ozempic(db, patient):
    rules, unchecked = _phr_rules(db, patient, ("Ozempic 1 mg pen", "semaglutide"), "Wegovy 2.4 mg pen")
    assert "dup-same-ingredient" in rules and unchecked == ()
