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
    _phr_rules.messages = [a.message for a in check.alerts]  # for the tests that read what the alert says
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


# ---------------------------------------------------------------- route words, valproate strengths, minerals

@pytest.mark.parametrize(("typed", "ingredients"), [
    ("SL NTG", ("nitroglycerin",)),
    ("NTG SL", ("nitroglycerin",)),
    ("SL NTG 0.4 mg", ("nitroglycerin",)),
    ("PO KCl 20 mEq", ("potassium chloride",)),
    # a divalproex strength: Depakote's 500 mg is stated as valproic acid (its FDA label)
    ("valproate 500 mg", ("valproic acid",)),
    ("VPA 250", ("valproic acid",)),
    ("valproate 400 mg", ("valproic acid",)),  # no product combines valproate: a strength with its unit is one
    # a mineral written without its salt: checked as a polyvalent cation
    ("iron", ("iron",)),
    ("iron 325 mg", ("iron",)),
    ("calcium", ("calcium",)),
    ("calcium 600 mg daily", ("calcium",)),
    ("FeSO4 325 mg", ("ferrous sulfate",)),
    ("iron sulfate", ("ferrous sulfate",)),
    ("CaCO3", ("calcium carbonate",)),
    ("magnesium citrate", ("magnesium",)),  # a laxative, and a polyvalent cation all the same
    ("zinc gluconate 50 mg", ("zinc",)),
    # the salt after a statin is not the calcium supplement
    ("atorvastatin calcium 20 mg", ("atorvastatin",)),
    ("rosuvastatin calcium", ("rosuvastatin",)),
])
def test_route_words_strengths_and_minerals_are_read(formulary, typed, ingredients):
    assert drug_ref_from_text(typed, formulary).ingredients == ingredients


@pytest.mark.parametrize("typed", [
    "calcium channel blocker",  # a class, not calcium
    "iron sucrose",  # an intravenous iron, not a supplement by mouth
    "SL", "nitro",  # a route alone; 'nitro' may be nitroprusside or nitrofurantoin
    "IV iron",  # an infusion: not the iron by mouth that binds levothyroxine
    "ACE-I", "ACE inhibitor",  # a class: which drug is not said
])
def test_names_still_not_read(formulary, typed):
    from desktop.alerts import UnknownDrug

    with pytest.raises(UnknownDrug):
        drug_ref_from_text(typed, formulary)


@pytest.mark.parametrize(("first", "second", "rule"), [
    ("SL NTG", "Viagra", "pde5-nitrate"),
    ("valproate 500 mg", "Depakote", "dup-valproate"),
    ("Depakene", "Depakote", "dup-valproate"),
    ("valproate 500 mg", "lamotrigine", "lamotrigine-valproate"),
    ("iron 325 mg", "levothyroxine", "levothyroxine-binders"),
    ("calcium 600 mg", "ciprofloxacin", "quinolone-tetracycline-cations"),
    ("calcium", "doxycycline", "quinolone-tetracycline-cations"),
    ("FeSO4", "Synthroid", "levothyroxine-binders"),
])
def test_the_command_line_checks_them(capsys, first, second, rule):
    assert rule in _cli_rules(capsys, first, second)


def test_atorvastatin_calcium_is_no_calcium_supplement(capsys):
    assert "quinolone-tetracycline-cations" not in _cli_rules(capsys, "atorvastatin calcium 40 mg", "ciprofloxacin")


def test_the_form_checks_sl_ntg_against_the_chart_sildenafil(db, patient):
    rules, unchecked = _form_rules(db, patient.id, ("sildenafil 50 mg", "sildenafil"), "SL NTG 0.4 mg")
    assert "pde5-nitrate" in rules and unchecked == ()


def test_the_form_checks_iron_against_the_chart_levothyroxine(db, patient):
    rules, unchecked = _form_rules(db, patient.id, ("levothyroxine 50 mcg", "levothyroxine"), "iron 325 mg")
    assert "levothyroxine-binders" in rules and unchecked == ()


def test_a_phr_file_bringing_valproate_meets_the_chart_depakote(db, patient):
    rules, unchecked = _phr_rules(db, patient, ("Depakote 500 mg", "divalproex sodium"), "valproate 500 mg")
    assert "dup-valproate" in rules and unchecked == ()


def test_a_phr_file_bringing_calcium_meets_the_chart_levothyroxine(db, patient):
    rules, unchecked = _phr_rules(db, patient, ("levothyroxine 50 mcg", "levothyroxine"), "Calcium 600 mg")
    assert "levothyroxine-binders" in rules and unchecked == ()


# ---------------------------------------------------------------- a kind of product: "OCP"

def test_ocp_is_checked_as_ethinyl_estradiol_and_says_so(formulary):
    ref = drug_ref_from_text("OCP", formulary)
    assert ref.ingredients == ("ethinyl estradiol",)
    assert "ethinyl estradiol" in ref.name and "progestin not known" in ref.name
    # not some pill's progestin picked for it
    assert drug_ref_from_text("birth control pill", formulary).ingredients == ("ethinyl estradiol",)


def test_the_command_line_says_what_ocp_was_checked_as(capsys):
    assert main(["alerts", "--drug", "OCP", "--drug", "rifampin", "--json"]) == 0
    (alert,) = [a for a in json.loads(capsys.readouterr().out) if a["rule"] == "inducer-hormonal-contraceptive"]
    assert "OCP (checked as a combined pill containing ethinyl estradiol" in alert["message"]


def test_the_form_checks_ocp_against_the_chart_rifampin_and_names_the_assumption(db, patient):
    with db.uow() as uow:
        uow.session.add(Medication(patient_id=patient.id, drug_name="rifampin 300 mg", ingredients="rifampin"))
    with db.uow(user_for("physician")) as uow:
        check = check_medication(uow, patient.id, MedicationInput(drug_name="OCP"))
    (alert,) = [a for a in check.alerts if a.rule_id == "inducer-hormonal-contraceptive"]
    assert "checked as a combined pill containing ethinyl estradiol" in alert.message


def test_a_phr_file_bringing_an_ocp_meets_rifampin_and_names_the_assumption(db, patient):
    rules, unchecked = _phr_rules(db, patient, ("rifampin 300 mg", "rifampin"), "OCP daily")
    assert "inducer-hormonal-contraceptive" in rules and unchecked == ()
    assert any("OCP daily (checked as a combined pill containing ethinyl estradiol" in m
               for m in _phr_rules.messages)


def test_an_ocp_already_on_the_chart_is_checked_and_names_the_assumption(db, patient):
    from desktop.services.alerts import check_for_patient

    with db.uow() as uow:  # an old list's free text, as a PHR merge or a paper list leaves it
        uow.session.add(Medication(patient_id=patient.id, drug_name="OCP", ingredients=""))
        uow.session.add(Medication(patient_id=patient.id, drug_name="rifampin 300 mg", ingredients="rifampin"))
    with db.uow(user_for("physician")) as uow:
        chart = check_for_patient(uow, patient.id)
    (alert,) = [a for a in chart.alerts if a.rule_id == "inducer-hormonal-contraceptive"]
    assert "OCP (checked as a combined pill containing ethinyl estradiol" in alert.message
    assert chart.unchecked == ()


def test_an_ocp_counts_as_a_combined_contraceptive_for_a_smoker_over_35():
    from desktop.alerts.smoking_contraceptive import check

    ocp = drug_ref_from_text("OCP", load_formulary())
    assert [a.severity for a in check(40, "female", "current", [ocp])] == ["contraindicated"]
    progestin_only = drug_ref_from_text("norethindrone 0.35 mg", load_formulary())
    assert check(40, "female", "current", [progestin_only]) == []


# ---------------------------------------------------------------- why a name is not checked

@pytest.mark.parametrize(("typed", "meant"), [
    ("amoxacillin", "amoxicillin"), ("lisinopirl 10 mg", "lisinopril"), ("metfromin", "metformin"),
    ("Synthriod", "Synthroid"), ("Coumadine", "Coumadin"), ("atorvastain 40 mg", "atorvastatin"),
])
def test_a_misspelling_is_not_checked_but_gets_a_suggestion(capsys, typed, meant):
    """Never a silent match: the name stays unknown (exit 2), the message offers the drug it is nearest to."""
    assert main(["alerts", "--drug", typed, "--drug", "warfarin", "--json"]) == 2
    err = capsys.readouterr().err
    assert f"unknown drug {typed!r}" in err and f"did you mean {meant!r}?" in err


@pytest.mark.parametrize("typed", ["xyzzy", "Lasics", "nitro", "ASO"])
def test_no_suggestion_when_no_one_drug_is_that_near(capsys, typed):
    assert main(["alerts", "--drug", typed]) == 2
    assert "did you mean" not in capsys.readouterr().err


@pytest.mark.parametrize(("typed", "says"), [
    ("fish oil 1000 mg", "a fish oil supplement"), ("omega-3", "a fish oil supplement"),
    ("melatonin 3 mg", "a melatonin supplement"), ("multivitamin", "a multivitamin"), ("MVI daily", "a multivitamin"),
    ("vit D", "vitamin D without D2 or D3"), ("vitamin D 2000 units", "vitamin D without D2 or D3"),
])
def test_a_supplement_without_interaction_data_is_reported_as_one(capsys, typed, says):
    assert main(["alerts", "--drug", typed, "--drug", "warfarin"]) == 2
    err = capsys.readouterr().err
    assert f"unknown drug {typed!r}" in err and says in err


def test_a_misspelt_allergy_warns_with_a_suggestion(capsys):
    assert main(["alerts", "--allergy", "amoxacillin", "--drug", "warfarin", "--json"]) == 0
    assert "did you mean 'amoxicillin'?" in capsys.readouterr().err


def test_the_form_reports_a_misspelling_and_a_supplement_with_why(db, patient):
    with db.uow() as uow:
        uow.session.add(Medication(patient_id=patient.id, drug_name="fish oil 1000 mg", ingredients=""))
    with db.uow(user_for("physician")) as uow:
        check = check_medication(uow, patient.id, MedicationInput(drug_name="metfromin 500 mg"))
    assert set(check.unchecked) == {"fish oil 1000 mg", "metfromin 500 mg"}
    assert check.unchecked_notes["metfromin 500 mg"] == "did you mean 'metformin'?"
    assert check.unchecked_notes["fish oil 1000 mg"].startswith("a fish oil supplement")


def test_a_phr_file_bringing_a_misspelling_and_a_supplement_reports_them_unchecked_with_why(db, patient):
    from desktop.phr import read_bytes
    from desktop.services import phr_import as svc

    entries = [{"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Lindqvist", "given": ["Rosa"]}],
                             "gender": "female", "birthDate": "1980-03-04"}}]
    for n, text in enumerate(("lisinopirl 10 mg", "melatonin 3 mg")):
        entries.append({"resource": {"resourceType": "MedicationStatement", "id": f"m{n}", "status": "active",
                                     "subject": {"reference": "Patient/p1"},
                                     "medicationCodeableConcept": {"text": text}}})
    parsed = read_bytes(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}).encode(),
                        "rosa.json")
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, parsed)
        result = svc.apply_import(uow, patient.id, plan, plan.default_decisions("new"), plan.info)
    assert set(result.alerts.unchecked) == {"lisinopirl 10 mg", "melatonin 3 mg"}
    assert result.alerts.unchecked_notes == {"lisinopirl 10 mg": "did you mean 'lisinopril'?",
                                             "melatonin 3 mg": "a melatonin supplement: no interaction data here"}


def test_every_listed_supplement_is_a_name_the_checks_cannot_read(formulary):
    """A supplement listed as 'not checked' must really be unreadable: a listed name the reader knows would
    never show its note, and one that should be checked (calcium, iron, vitamin D3) must not be listed."""
    from desktop.alerts import UnknownDrug
    from desktop.kb.supplements import supplements

    for entry in supplements().entries:
        for term in entry.terms:
            with pytest.raises(UnknownDrug):
                drug_ref_from_text(term, formulary)


# ---------------------------------------------------------------- the names a clinic types every day

EVERYDAY = [  # (typed, another drug, the rule the pair must raise)
    ("HCTZ 25 mg", "lithium", "lithium-thiazide"),
    ("ASA 81", "Coumadin", "anticoagulant-antiplatelet"),
    ("APAP 500 mg", "warfarin", "warfarin-acetaminophen"),
    ("MTX 2.5 mg", "Bactrim DS", "methotrexate-trimethoprim"),
    ("NTG", "Cialis", "pde5-nitrate"),
    ("KCl 20 mEq", "Aldactone", "spironolactone-potassium"),
    ("Lasix 40", "lithium", "lithium-loop"),
    ("Coumadin 5 mg", "amiodarone", "warfarin-amiodarone"),
    ("Synthroid 75 mcg", "Tums", "levothyroxine-binders"),
    ("Zoloft 50 mg", "tramadol", "serotonergic-tramadol-sjw"),
    ("metoprolol succ 50", "verapamil", "beta-blocker-verapamil"),
    ("metoprolol tart 25 mg", "verapamil", "beta-blocker-verapamil"),
    ("FeSO4 325 mg", "levothyroxine", "levothyroxine-binders"),
    ("CaCO3 1250 mg", "doxycycline", "quinolone-tetracycline-cations"),
    ("iron sulfate", "levofloxacin", "quinolone-tetracycline-cations"),
    ("OCP", "rifampin", "inducer-hormonal-contraceptive"),
    ("Wegovy 2.4 mg", "Ozempic", "dup-same-ingredient"),
    ("Xulane", "rifampin", "inducer-hormonal-contraceptive"),  # the patch (Xulane FDA label)
    ("Saxenda", "Ozempic", "dup-glp1-agonist"),  # two GLP-1 receptor agonists (Wegovy, Zepbound, Saxenda labels)
    ("Mounjaro", "Trulicity", "dup-glp1-agonist"),
    ("Hygroton 25 mg", "lithium", "lithium-thiazide"),
    ("Micro-K 8 mEq", "Aldactone", "spironolactone-potassium"),
    ("Apresoline", "hydralazine 50 mg", "dup-same-ingredient"),
    ("magnesium 400 mg", "ciprofloxacin", "quinolone-tetracycline-cations"),
    ("zinc 50 mg", "doxycycline", "quinolone-tetracycline-cations"),
    ("Vascepa", "warfarin", "omega3-antithrombotic"),
    ("Lovaza 1 g", "clopidogrel", "omega3-antithrombotic"),
    ("Flagyl", "lithium", "lithium-metronidazole"),
]


@pytest.mark.parametrize(("typed", "other", "rule"), EVERYDAY)
def test_everyday_names_alert_at_the_command_line(capsys, typed, other, rule):
    assert rule in _cli_rules(capsys, typed, other)


@pytest.mark.parametrize(("typed", "other", "rule"), EVERYDAY)
def test_everyday_names_alert_in_the_form(db, patient, formulary, typed, other, rule):
    on_chart = drug_ref_from_text(other, formulary)
    rules, unchecked = _form_rules(db, patient.id, (other, "+".join(on_chart.ingredients)), typed)
    assert rule in rules and unchecked == ()


@pytest.mark.parametrize("typed", ["zinc oxide", "iron polysaccharide complex"])
def test_a_mineral_followed_by_another_word_stays_not_checked(formulary, typed):
    from desktop.alerts import UnknownDrug

    with pytest.raises(UnknownDrug):  # a skin cream; a product the reader cannot tell from the mineral
        drug_ref_from_text(typed, formulary)


def test_a_phr_file_bringing_magnesium_meets_the_chart_ciprofloxacin(db, patient):
    rules, unchecked = _phr_rules(db, patient, ("ciprofloxacin 500 mg", "ciprofloxacin"), "Magnesium 250 mg")
    assert "quinolone-tetracycline-cations" in rules and unchecked == ()


@pytest.mark.parametrize("typed", ["ACE-I", "ACE inhibitor", "NSAIDs", "statins"])
def test_a_drug_class_on_a_medication_list_is_not_checked_and_says_it_is_a_class(capsys, typed):
    assert main(["alerts", "--drug", typed, "--drug", "warfarin"]) == 2
    assert "names a drug class" in capsys.readouterr().err


# ---------------------------------------------------------------- as a list is written: doses, counts, directions

@pytest.mark.parametrize(("typed", "ingredients"), [
    ("Vit D3 2000 IU daily", ("cholecalciferol",)),  # no product combines D3: a strength with its unit is one
    ("Klor-Con 15 mEq", ("potassium chloride",)),
    ("Ferrous sulfate 325 mg TID with meals", ("ferrous sulfate",)),  # directions, not a second drug
    ("warfarin 5 mg with food", ("warfarin",)),
    ("OCP 1 tab daily", ("ethinyl estradiol",)),  # one tablet, not a product number
    ("iron 65 mg elemental", ("iron",)),
    ("Calcium + Vit D", ("calcium",)),  # the vitamin D has no interaction data; the calcium is checked
    ("Calcium 600 mg with vitamin D 400 units", ("calcium",)),
])
def test_doses_counts_and_directions_after_the_name_are_read(formulary, typed, ingredients):
    assert drug_ref_from_text(typed, formulary).ingredients == ingredients


@pytest.mark.parametrize("typed", [
    "APAP 5 mg", "Tylenol 5 mg",  # a combination hides behind the number (hydrocodone 5 mg / APAP)
    "APAP 5 tabs",  # more than one tablet: the number may still be a product's
    "fish oil + melatonin",  # no drug in it at all
])
def test_a_number_that_may_name_another_product_still_refuses(formulary, typed):
    from desktop.alerts import UnknownDrug

    with pytest.raises(UnknownDrug):
        drug_ref_from_text(typed, formulary)


def test_calcium_with_vitamin_d_is_checked_as_calcium_and_says_so(capsys):
    assert main(["alerts", "--drug", "Calcium + Vit D", "--drug", "levothyroxine", "--json"]) == 0
    (alert,) = [a for a in json.loads(capsys.readouterr().out) if a["rule"] == "levothyroxine-binders"]
    assert "Calcium + Vit D (checked as calcium; Vit D: no interaction data)" in alert["message"]


def test_the_form_checks_calcium_with_vitamin_d(db, patient):
    rules, unchecked = _form_rules(db, patient.id, ("levothyroxine 50 mcg", "levothyroxine"), "Calcium with vitamin D")
    assert "levothyroxine-binders" in rules and unchecked == ()


def test_a_phr_file_bringing_calcium_with_vitamin_d_meets_the_chart_levothyroxine(db, patient):
    rules, unchecked = _phr_rules(db, patient, ("levothyroxine 50 mcg", "levothyroxine"),
                                  "Calcium 600 mg + Vitamin D 400 units")
    assert "levothyroxine-binders" in rules and unchecked == ()


def test_vitamin_d_with_a_large_dose_is_still_a_supplement_not_checked(capsys):
    assert main(["alerts", "--drug", "vitamin D 50,000 units weekly"]) == 2
    assert "vitamin D without D2 or D3" in capsys.readouterr().err


def test_a_phr_file_bringing_a_second_glp1_agonist_is_a_duplicate(db, patient):
    rules, unchecked = _phr_rules(db, patient, ("Ozempic 1 mg pen", "semaglutide"), "Mounjaro 5 mg/0.5 mL pen")
    assert "dup-glp1-agonist" in rules and unchecked == ()


def test_the_contraceptive_patch_counts_for_the_smoking_boxed_warning(formulary):
    from desktop.alerts.smoking_contraceptive import check

    patch = drug_ref_from_text("Xulane", formulary)
    assert patch.ingredients == ("norelgestromin", "ethinyl estradiol")
    assert [a.severity for a in check(40, "female", "current", [patch])] == ["contraindicated"]
    assert drug_ref_from_text("Provera 10 mg", formulary).ingredients == ("medroxyprogesterone",)


def test_the_form_type_ahead_offers_divalproex_for_valproate(formulary):
    """'valproate 500' in the drug search offers Depakote 500 mg (the strength is divalproex's), and plain
    'valproate' the valproic acid capsule first, then divalproex."""
    assert {p.brands[0] for p in formulary.search("valproate 500", 5)} == {"Depakote", "Depakote ER"}
    offered = [p.generic for p in formulary.search("valproate", 10)]
    assert offered[0] == "valproic acid" and any(g.startswith("divalproex") for g in offered)
