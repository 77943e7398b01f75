"""The engine in the user's words: which pairs alert, how severe, which do not, and that the answer is stable."""

from __future__ import annotations

import random

import pytest

from desktop.alerts import AlertContext, AllergyRef, DrugRef, drug_ref_from_name, evaluate
from desktop.kb.formulary import load_formulary

from .conftest import check, drug


def kinds(alerts) -> list[tuple[str, str]]:
    return [(a.kind, a.severity) for a in alerts]


# ---------------------------------------------------------------- primary-care interactions named in issue 6

PRIMARY_CARE = [
    ("warfarin", "ibuprofen", "major"), ("warfarin", "naproxen", "major"), ("warfarin", "aspirin", "major"),
    ("warfarin", "clopidogrel", "major"), ("warfarin", "fluconazole", "major"), ("warfarin", "miconazole", "major"),
    ("warfarin", "clarithromycin", "moderate"), ("warfarin", "ciprofloxacin", "moderate"),
    ("warfarin", "metronidazole", "major"), ("warfarin", "amiodarone", "major"),
    ("warfarin", "sulfamethoxazole", "major"),
    ("lisinopril", "spironolactone", "major"), ("losartan", "eplerenone", "major"),
    ("lisinopril", "potassium chloride", "moderate"), ("valsartan", "amiloride", "major"),
    ("lithium", "ibuprofen", "major"), ("lithium", "hydrochlorothiazide", "major"), ("lithium", "lisinopril", "major"),
    ("methotrexate", "trimethoprim", "major"), ("clopidogrel", "omeprazole", "major"),
    ("clopidogrel", "esomeprazole", "major"), ("sertraline", "tramadol", "major"),
    ("fluoxetine", "sumatriptan", "moderate"), ("sildenafil", "isosorbide dinitrate", "contraindicated"),
    ("tadalafil", "nitroglycerin", "contraindicated"), ("oxycodone", "alprazolam", "major"),
    ("hydrocodone", "lorazepam", "major"), ("digoxin", "amiodarone", "major"), ("digoxin", "verapamil", "major"),
    ("simvastatin", "gemfibrozil", "contraindicated"), ("atorvastatin", "gemfibrozil", "major"),
    ("rosuvastatin", "fenofibrate", "moderate"), ("simvastatin", "clarithromycin", "contraindicated"),
    ("atorvastatin", "itraconazole", "major"),
]


@pytest.mark.parametrize(("a", "b", "severity"), PRIMARY_CARE, ids=[f"{a}+{b}" for a, b, _ in PRIMARY_CARE])
def test_primary_care_pairs_alert(a, b, severity):
    alerts = [x for x in check(a, b) if x.kind == "interaction"]
    assert alerts, f"{a} + {b}"
    top = alerts[0]
    assert top.severity == severity
    assert a in top.message and b in top.message
    assert top.management and top.source and top.why
    assert set(top.drugs) == {a, b}


NEGATIVES = [("amlodipine", "metformin"), ("lisinopril", "metformin"), ("atorvastatin", "levothyroxine"),
             ("clopidogrel", "pantoprazole"), ("pravastatin", "azithromycin"), ("sertraline", "metformin"),
             ("acetaminophen", "amoxicillin"), ("losartan", "amlodipine"), ("eletriptan", "omeprazole")]


@pytest.mark.parametrize(("a", "b"), NEGATIVES, ids=[f"{a}+{b}" for a, b in NEGATIVES])
def test_unrelated_pairs_give_no_alert(a, b):
    assert check(a, b) == []


def test_warfarin_and_aspirin_is_the_antiplatelet_alert_not_a_silent_pass():
    (alert,) = check("warfarin", "aspirin")
    assert alert.rule_id == "anticoagulant-antiplatelet"


def test_one_alert_per_topic_for_a_pair():
    # tramadol is both a 'serotonergic opioid' (contraindicated) and an opioid (major) with an MAOI
    alerts = check("tramadol", "phenelzine")
    assert kinds(alerts) == [("interaction", "contraindicated")]
    assert alerts[0].values["onc_pair"] == 6


def test_two_topics_for_one_pair_are_both_reported():
    # QT (methadone is high-risk QT) and, another mechanism, methadone's CYP3A4 clearance (Dolophine's boxed warning)
    alerts = check("methadone", "clarithromycin")
    assert {a.rule_id for a in alerts} == {"onc08b-qt-high-risk", "opioid-strong-cyp3a4-inhibitor"}
    both = check("simvastatin", "amiodarone")  # statin dose limit; amiodarone-simvastatin
    assert {a.rule_id for a in both} == {"onc11b-simva-lova-moderate-cyp3a4"}


# ---------------------------------------------------------------- class expansion and formulary classes

def test_class_rules_match_through_member_ingredients():
    assert check("warfarin", "ketorolac")[0].rule_id == "anticoagulant-nsaid"
    assert check("apixaban", "meloxicam")[0].rule_id == "anticoagulant-nsaid"


def test_formulary_class_fills_in_for_an_ingredient_the_kb_does_not_know():
    newcoxib = drug("Newcoxib", "newcoxib", classes=("nsaid",))
    alerts = evaluate(AlertContext(active_meds=(drug("warfarin"), newcoxib)))
    assert [a.rule_id for a in alerts] == ["anticoagulant-nsaid"]


def test_kb_membership_wins_over_the_formulary_for_known_ingredients():
    # the formulary tags aspirin 'nsaid'; here it is an antiplatelet, so aspirin + ibuprofen is not 'two NSAIDs'
    aspirin = drug("aspirin", classes=("antiplatelet", "nsaid", "salicylate"))
    alerts = evaluate(AlertContext(active_meds=(aspirin, drug("ibuprofen"))))
    assert [(a.kind, a.rule_id) for a in alerts] == [("interaction", "aspirin-nsaid")]


def test_combination_product_is_checked_per_ingredient():
    zestoretic = drug("Zestoretic", "lisinopril", "hydrochlorothiazide")
    alerts = evaluate(AlertContext(active_meds=(zestoretic,), proposed=(drug("spironolactone"),)))
    assert [a.rule_id for a in alerts] == ["raas-potassium-sparing"]  # through the lisinopril part
    # both parts raise lithium levels: one lithium alert for the pair (one per topic), not two
    alerts = evaluate(AlertContext(active_meds=(zestoretic,), proposed=(drug("lithium"),)))
    assert [a.rule_id for a in alerts] in (["lithium-thiazide"], ["lithium-raas"])


def test_a_combination_product_does_not_interact_with_itself():
    paxlovid = drug("Paxlovid", "nirmatrelvir", "ritonavir")
    assert evaluate(AlertContext(active_meds=(paxlovid,))) == []


def test_brand_and_generic_give_the_same_alert_key():
    formulary = load_formulary()
    by_brand = evaluate(AlertContext(active_meds=(drug_ref_from_name("Coumadin", formulary),
                                                  drug_ref_from_name("Advil", formulary))))
    by_generic = check("warfarin", "ibuprofen")
    assert [a.key for a in by_brand] == [a.key for a in by_generic]
    assert "Coumadin" in by_brand[0].message and "Advil" in by_brand[0].message


def test_names_resolve_without_the_formulary_from_kb_vocabulary(kb):
    ref = drug_ref_from_name("Amoxicillin", None, kb)
    assert ref.ingredients == ("amoxicillin",) and "penicillin" in ref.classes
    assert drug_ref_from_name("11289", None, kb).ingredients == ("warfarin",)
    assert drug_ref_from_name("St. John's Wort", None, kb).ingredients


# ---------------------------------------------------------------- duplicates

@pytest.mark.parametrize(("a", "b", "rule", "severity"), [
    ("lisinopril", "enalapril", "dup-ace", "moderate"),
    ("lisinopril", "losartan", "dup-ace-arb", "major"),
    ("sertraline", "fluoxetine", "dup-ssri", "moderate"),
    ("sertraline", "venlafaxine", "dup-serotonergic-antidepressant", "moderate"),
    ("ibuprofen", "naproxen", "dup-nsaid", "moderate"),
    ("atorvastatin", "rosuvastatin", "dup-statin", "moderate"),
    ("lorazepam", "clonazepam", "dup-benzodiazepine", "moderate"),
    ("oxycodone", "morphine", "dup-opioid", "moderate"),
    ("warfarin", "apixaban", "dup-anticoagulant", "major"),
    ("omeprazole", "pantoprazole", "dup-ppi", "minor"),
    ("metoprolol", "carvedilol", "dup-beta-blocker", "moderate"),
])
def test_duplicate_therapy(a, b, rule, severity):
    dups = [x for x in check(a, b) if x.kind == "duplicate"]
    assert [(d.rule_id, d.severity) for d in dups] == [(rule, severity)]
    assert a in dups[0].message and b in dups[0].message


def test_same_ingredient_in_two_products():
    alerts = evaluate(AlertContext(active_meds=(drug("lisinopril"),),
                                   proposed=(drug("Zestoretic", "lisinopril", "hydrochlorothiazide"),)))
    assert [(a.kind, a.rule_id) for a in alerts] == [("duplicate", "dup-same-ingredient")]


def test_ace_inhibitor_plus_sacubitril_valsartan():
    entresto = drug("Entresto", "sacubitril", "valsartan")
    alerts = evaluate(AlertContext(active_meds=(drug("lisinopril"),), proposed=(entresto,)))
    assert kinds(alerts) == [("interaction", "contraindicated"), ("duplicate", "major")]


# ---------------------------------------------------------------- allergies and cross-reactivity

def test_penicillin_allergy_and_amoxicillin():
    (alert,) = check(proposed=("amoxicillin",), allergies=("Penicillin",))
    assert (alert.kind, alert.severity) == ("allergy", "major")
    assert "amoxicillin" in alert.message and "Penicillin" in alert.message
    assert alert.allergen == "Penicillin"


def test_penicillin_allergy_and_cephalexin_is_a_lower_severity_cross_reactivity():
    (alert,) = check(proposed=("cephalexin",), allergies=("Penicillin",))
    assert (alert.kind, alert.severity, alert.rule_id) == ("allergy", "moderate", "xr-penicillin-cephalosporin")
    assert "cross-reactivity" in alert.message


def test_amoxicillin_allergy_and_a_cephalosporin_sharing_its_side_chain():
    (alert,) = check(proposed=("cefadroxil",), allergies=("amoxicillin",))
    assert (alert.severity, alert.rule_id) == ("major", "xr-aminopenicillin-cephalosporin-side-chain")
    (other,) = check(proposed=("ceftriaxone",), allergies=("amoxicillin",))
    assert other.severity == "moderate"


def test_penicillin_allergy_and_carbapenem_is_minor():
    (alert,) = check(proposed=("meropenem",), allergies=("PCN",))
    assert alert.severity == "minor"


def test_same_ingredient_allergy_is_contraindicated_and_intolerance_one_level_lower():
    assert check(proposed=("amoxicillin",), allergies=("amoxicillin",))[0].severity == "contraindicated"
    soft = check(proposed=("amoxicillin",), allergies=(AllergyRef("amoxicillin", kind="intolerance"),))
    assert soft[0].severity == "major" and "intolerance" in soft[0].message


def test_sulfa_antibiotic_allergy_does_not_fire_on_non_antibiotic_sulfonamides(kb):
    assert [a.severity for a in check(proposed=("sulfamethoxazole",), allergies=("Sulfa",))] == ["major"]
    for entry in kb.not_cross_reactive:
        for allergy in entry["allergy"]:
            allergy = allergy.split(":", 1)[-1]
            targets = entry["drugs"]
            for target in targets:
                if target.startswith("class:"):
                    targets = sorted(kb.allergy_classes[target[6:]].members)
                    break
            for target in targets:
                assert check(proposed=(target,), allergies=(allergy,)) == [], (allergy, target)


def test_ace_inhibitor_angioedema_and_arb_or_sacubitril():
    assert check(proposed=("losartan",), allergies=("ACE inhibitors",))[0].severity == "moderate"
    entresto = drug("Entresto", "sacubitril", "valsartan")
    assert check(proposed=(entresto,), allergies=("lisinopril",))[0].severity == "major"


def test_allergy_recorded_by_class_code():
    allergy = AllergyRef("Sulfonamide antibiotics", key="sulfonamide_antibiotic", code_system="class",
                         code="sulfonamide_antibiotic")
    assert check(proposed=("sulfadiazine",), allergies=(allergy,))[0].severity == "major"


def test_nsaid_allergy_covers_aspirin_and_spares_celecoxib_mostly():
    assert check(proposed=("aspirin",), allergies=("NSAIDs",))[0].severity == "major"
    assert check(proposed=("celecoxib",), allergies=("ibuprofen",))[0].severity == "minor"


@pytest.mark.parametrize(("vaccine", "allergy", "severity"), [
    ("M-M-R II", "gelatin", "major"), ("Varivax", "Gelatin", "major"), ("YF-Vax", "egg", "major"),
    ("FluMist Quadrivalent", "gelatin", "major"), ("Tdap vaccine", "latex", "moderate"),
])
def test_non_drug_allergens_for_vaccines(vaccine, allergy, severity):
    alerts = check(proposed=(drug(vaccine, vaccine.lower()),), allergies=(AllergyRef(allergy, category="food"),))
    assert [(a.kind, a.severity) for a in alerts] == [("allergy", severity)]


def test_vaccine_without_gelatin_does_not_alert():
    assert check(proposed=(drug("Priorix (measles, mumps, rubella vaccine)", "priorix"),),
                 allergies=("gelatin",)) == []
    assert check(proposed=(drug("Fluzone", "influenza vaccine"),), allergies=("egg",)) == []
    assert check(proposed=(drug("Shingrix", "zoster vaccine recombinant"),), allergies=("gelatin",)) == []


def test_only_proposed_drugs_are_checked_against_allergies_in_an_order_check():
    alerts = check("amoxicillin", proposed=("metformin",), allergies=("penicillin",))
    assert alerts == []
    assert len(check("amoxicillin", allergies=("penicillin",))) == 1  # chart-open list sees it


# ---------------------------------------------------------------- vitals

ADULT = {"8480-6": 185, "8462-4": 125, "2708-6": 88, "8867-4": 35, "8310-5": 39.6}


def test_adult_vitals_out_of_range():
    alerts = check(vitals=ADULT, age_years=45)
    got = {(a.values["loinc"], a.severity) for a in alerts}
    assert got == {("8480-6", "major"), ("8462-4", "major"), ("2708-6", "major"), ("8867-4", "major"),
                   ("8310-5", "moderate")}
    assert all(a.kind == "vital" and a.drugs == () for a in alerts)
    assert any("185" in a.message for a in alerts)


def test_normal_adult_vitals_are_quiet():
    assert check(vitals={"8480-6": 128, "8462-4": 82, "2708-6": 97, "8867-4": 72, "9279-1": 16,
                         "8310-5": 36.8}, age_years=45) == []


@pytest.mark.parametrize(("loinc", "value", "age", "rule"), [
    ("8867-4", 130, 0.5, None),  # normal infant
    ("8867-4", 190, 0.5, "infant-hr-high"),
    ("8867-4", 130, 8, "school-age-hr-high"),
    ("9279-1", 45, 2, "toddler-rr-high"),
    ("9279-1", 45, 0.3, None),
    ("8480-6", 75, 4, "child-sbp-low"),  # < 70 + 2 x 4 = 78
    ("8480-6", 80, 4, None),
    ("8480-6", 65, 0.5, "infant-sbp-low"),
    ("8480-6", 185, 15, "adolescent-sbp-severe"),
    ("8480-6", 185, 9, None),  # under 13: needs percentile tables, not alerted by a fixed number
    ("8310-5", 38.2, 0.1, "young-infant-fever"),
    ("8310-5", 38.2, 2, None),
    ("2708-6", 0.86, 6, "spo2-low"),  # a fraction from a device
])
def test_child_vitals(loinc, value, age, rule):
    alerts = check(vitals={loinc: value}, age_years=age)
    assert [a.rule_id for a in alerts] == ([rule] if rule else [])


def test_pulse_oximetry_code_counts_once():
    alerts = check(vitals={"2708-6": 85, "59408-5": 85}, age_years=50)
    assert len(alerts) == 1


def test_unknown_age_uses_adult_thresholds_only():
    assert [a.rule_id for a in check(vitals={"8480-6": 185, "8867-4": 150}, age_years=None)] == [
        "adult-hr-high", "adult-sbp-severe"]


# ---------------------------------------------------------------- determinism and scoping

BUSY_LIST = ["warfarin", "lisinopril", "spironolactone", "metformin", "atorvastatin", "amlodipine", "sertraline",
             "omeprazole", "clopidogrel", "digoxin", "amiodarone", "oxycodone", "alprazolam", "ibuprofen",
             "citalopram", "ondansetron", "fluoxetine", "enalapril"]  # symmetric rules: QT pairs, two SSRIs, two ACEi


def test_order_is_severity_then_text_and_independent_of_input_order():
    first = check(*BUSY_LIST, allergies=("penicillin",), vitals=ADULT, age_years=70)
    ranks = [a.rank for a in first]
    assert ranks == sorted(ranks)
    for seed in range(5):
        shuffled = BUSY_LIST[:]
        random.Random(seed).shuffle(shuffled)
        again = check(*shuffled, allergies=("penicillin",), vitals=ADULT, age_years=70)
        assert again == first  # same alerts, same order, same text
    same_rank = [a for a in first if a.severity == "major"]
    assert [a.message.casefold() for a in same_rank] == sorted(a.message.casefold() for a in same_rank)


def test_proposed_drug_only_alerts_involving_it():
    alerts = check("warfarin", "ibuprofen", proposed=("omeprazole",))
    assert alerts == []  # warfarin + ibuprofen is on the chart already: the passive list shows it
    alerts = check("warfarin", "clopidogrel", proposed=("omeprazole",))
    assert [a.rule_id for a in alerts] == ["clopidogrel-omeprazole"]


def test_same_drug_listed_twice_does_not_double_alerts():
    alerts = evaluate(AlertContext(active_meds=(drug("warfarin", med_id=1), drug("warfarin", med_id=2)),
                                   proposed=(drug("ibuprofen"),)))
    assert len([a for a in alerts if a.kind == "interaction"]) == 1


def test_alert_carries_chart_medication_ids():
    alerts = evaluate(AlertContext(active_meds=(drug("warfarin", med_id=7),), proposed=(drug("naproxen"),)))
    assert alerts[0].med_ids == (7,)


def test_as_dict_is_the_cli_json_shape():
    d = check("warfarin", "ibuprofen")[0].as_dict()
    assert {"kind", "severity", "message", "drugs", "management", "source", "key"} <= set(d)
    assert d["drugs"] == ["warfarin", "ibuprofen"]


def test_drug_ref_normalises_its_input():
    ref = DrugRef("X", ["  Warfarin ", "warfarin"])
    assert ref.ingredients == ("warfarin",)


def test_gelatin_alert_agrees_with_the_vaccine_list():
    """The shipped vaccine list (resources/kb/vaccines.json) says which vaccines contain gelatin; the gelatin
    alert fires on exactly those names, and a latex allergy notes every vaccine."""
    import json

    from desktop.config import RESOURCES

    path = RESOURCES / "kb" / "vaccines.json"
    entries = json.loads(path.read_text(encoding="utf-8"))["vaccines"]
    assert entries
    for e in entries:
        ref = drug(e["name"], e["name"].lower())
        gelatin = check(proposed=(ref,), allergies=("gelatin",))
        assert bool(gelatin) == ("gelatin" in e["contains"]), e["name"]
        assert [a.severity for a in check(proposed=(ref,), allergies=("latex",))] == ["moderate"], e["name"]


def test_alerts_are_hashable_and_equal_by_value():
    first, again = check("warfarin", "ibuprofen"), check("warfarin", "ibuprofen")
    assert first == again and len({*first, *again}) == 1
