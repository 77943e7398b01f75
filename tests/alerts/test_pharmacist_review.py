"""A clinical pharmacist's review of the knowledge base: one table-driven test per point, each checking the
alert a clinician gets (severity, rule) and that the rule names its source."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.__main__ import main
from desktop.alerts import AlertContext, AllergyRef, DrugRef, drug_ref_from_name, evaluate, load_kb, norm
from desktop.kb.formulary import load_formulary
from desktop.kb.rules import FILES, default_dir, rule_files
from desktop.kb.vitals import HEART_RATE, load_catalog

from .conftest import check, drug

ROOT = Path(__file__).resolve().parents[2]
PAXLOVID = DrugRef("Paxlovid", ("nirmatrelvir", "ritonavir"))
ENTRESTO = DrugRef("Entresto", ("sacubitril", "valsartan"))


def pair(a, b) -> list:
    first = a if isinstance(a, DrugRef) else drug(a)
    second = b if isinstance(b, DrugRef) else drug(b)
    return [x for x in evaluate(AlertContext(active_meds=(first,), proposed=(second,))) if x.kind != "vital"]


def worst(alerts: list, kind: str = "interaction"):
    found = [a for a in alerts if a.kind == kind]
    assert found, f"no {kind} alert"
    return found[0]


# ---------------------------------------------------------------- 1. label contraindications

@pytest.mark.parametrize(("a", "b", "label"), [
    ("pimozide", "sertraline", "Orap"), ("pimozide", "paroxetine", "Orap"), ("pimozide", "fluoxetine", "Prozac"),
    ("pimozide", "itraconazole", "Orap"), ("thioridazine", "paroxetine", "Thioridazine"),
    ("thioridazine", "fluoxetine", "Thioridazine"), ("thioridazine", "propranolol", "Thioridazine"),
    (PAXLOVID, "amiodarone", "Paxlovid"), (PAXLOVID, "flecainide", "Paxlovid"), (PAXLOVID, "quinidine", "Paxlovid"),
])
def test_label_contraindications_are_contraindicated(a, b, label):
    alert = worst(pair(a, b))
    assert alert.severity == "contraindicated" and label in alert.source


# ---------------------------------------------------------------- 2. sulfa allergy and sulfasalazine

@pytest.mark.parametrize(("allergy", "severity"), [("Sulfa", "major"), ("sulfamethoxazole", "major"),
                                                   ("penicillin", None)])
def test_sulfonamide_allergy_reaches_sulfasalazine(allergy, severity):
    alerts = [a for a in check(proposed=("sulfasalazine",), allergies=(allergy,)) if a.kind == "allergy"]
    assert [a.severity for a in alerts] == ([severity] if severity else [])
    if severity:
        assert "Azulfidine" in alerts[0].source


# ---------------------------------------------------------------- 3. MAOI washouts

@pytest.mark.parametrize(("drug_name", "days"), [("vortioxetine", "21 days"), ("vilazodone", "14 days"),
                                                 ("fluoxetine", "5 weeks"), ("duloxetine", "5 days")])
def test_maoi_washouts_follow_the_labels(kb, drug_name, days):
    rule = next(r for r in kb.interactions if r.id == "onc04-serotonergic-maoi")
    clause = re.search(rf"{days} \(([^)]*)\)", rule.management)
    assert clause and drug_name in clause.group(1), rule.management
    assert "Trintellix" in rule.source and "Viibryd" in rule.source


# ---------------------------------------------------------------- 4. clinical statements and citable sources only

NOT_CLINICAL = re.compile(r"\bissues?\b|specification|\bspec\b|software|checker|\bonline\b|\bbugs?\b|github|ticket|"
                          r"knowledge base|\.json\b|\bthe app\b|\bEMR\b|repositor|search.index|\bTODO\b|"
                          r"set by the practice|typing-slip guard", re.I)
SHOWN = {"label", "summary", "mechanism", "management", "note", "source", "why"}


def _walk(node, where: str):
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, str) and k in SHOWN:
                yield f"{where}.{k}", v
            else:
                yield from _walk(v, f"{where}.{k}")
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _walk(v, f"{where}[{i}]")


def _texts():
    files, _ = rule_files()
    for name, model in (("therapeutic_classes", files.therapeutic), ("interactions", files.interactions),
                        ("allergy_classes", files.allergy), ("vital_ranges", files.vital_rules),
                        ("vital_signs", files.catalog)):
        data = model.model_dump(by_alias=True)
        data.pop("description", None), data.pop("about", None)
        data.get("other_ingredients", {}).pop("note", None)  # a note to maintainers, never shown
        yield from _walk(data, name)


TEXTS = list(_texts())


def test_every_shown_text_and_source_is_clinical():
    offending = [(where, NOT_CLINICAL.search(text).group()) for where, text in TEXTS if NOT_CLINICAL.search(text)]
    assert len(TEXTS) > 500 and not offending


@pytest.mark.parametrize("text", [
    "Threshold set by the practice from the issue specification", "the warfarin + aspirin alert that silent online checkers missed",
    "see vital_signs.json", "tracked in GitHub issue 19",
])
def test_the_clinical_text_check_catches_non_clinical_wording(text):
    assert NOT_CLINICAL.search(text)


# ---------------------------------------------------------------- 5. digoxin and P-gp inhibitors

@pytest.mark.parametrize("other", ["quinidine", "clarithromycin", "itraconazole", "ritonavir", "propafenone",
                                   "erythromycin", "amiodarone", "verapamil", "dronedarone"])
def test_digoxin_with_each_pgp_inhibitor_of_the_label_is_major(other):
    alert = worst(pair("digoxin", other))
    assert alert.severity == "major" and "Lanoxin" in alert.source


# ---------------------------------------------------------------- 6. class ids of different kinds never collide

@pytest.mark.parametrize(("allergy", "proposed", "severity", "rule"), [
    ("NSAIDs", DrugRef("celecoxib", ("celecoxib",), classes=("nsaid", "cox2_inhibitor")), "minor", "xr-nsaid-cox2"),
    ("aspirin", DrugRef("Celebrex (celecoxib)", ("celecoxib",), classes=("nsaid",)), "minor", "xr-nsaid-cox2"),
    ("NSAIDs", DrugRef("Newprofen", ("newprofen",), classes=("nsaid",)), "major", "allergy-class-nsaid"),
    ("penicillin", DrugRef("Newcillin", ("newcillin",), classes=("penicillin",)), "major", "allergy-class-penicillin"),
    ("NSAIDs", DrugRef("ibuprofen", ("ibuprofen",), classes=("nsaid",)), "major", "allergy-class-nsaid"),
])
def test_the_specific_rule_wins_and_formulary_classes_join_through_the_explicit_map(allergy, proposed, severity, rule):
    (alert,) = [a for a in evaluate(AlertContext(proposed=(proposed,), allergies=(AllergyRef(allergy),)))
                if a.kind == "allergy"]
    assert (alert.severity, alert.rule_id) == (severity, rule)


def test_allergy_classes_reach_formulary_classes_only_through_their_map(kb):
    for ac in kb.allergy_classes.values():
        assert ac.formulary_classes <= set(kb.classes), ac.id


# ---------------------------------------------------------------- 7. aromatic anticonvulsants

@pytest.mark.parametrize(("allergy", "proposed", "severity"), [
    ("carbamazepine", "oxcarbazepine", "major"), ("carbamazepine", "eslicarbazepine", "major"),
    ("phenytoin", "carbamazepine", "major"), ("oxcarbazepine", "fosphenytoin", "major"),
    ("carbamazepine", "phenobarbital", "major"), ("aromatic anticonvulsants", "phenytoin", "major"),
    ("carbamazepine", "levetiracetam", None),
])
def test_aromatic_anticonvulsant_cross_sensitivity(allergy, proposed, severity):
    alerts = [a for a in check(proposed=(proposed,), allergies=(allergy,)) if a.kind == "allergy"]
    assert [a.severity for a in alerts] == ([severity] if severity else [])
    if severity:
        assert "25-30 %" in alerts[0].why and "Trileptal" in alerts[0].source


# ---------------------------------------------------------------- 8. MAO-B inhibitors with antidepressants

@pytest.mark.parametrize(("maoi", "antidepressant", "severity"), [
    ("rasagiline", "sertraline", "major"), ("selegiline", "escitalopram", "major"), ("rasagiline", "duloxetine", "major"),
    ("selegiline", "amitriptyline", "major"), ("safinamide", "sertraline", "major"),
    ("safinamide", "duloxetine", "contraindicated"),  # Xadago label: SNRIs and tricyclics contraindicated
    ("phenelzine", "sertraline", "contraindicated"), ("tranylcypromine", "amitriptyline", "contraindicated"),
])
def test_mao_b_inhibitors_with_antidepressants(maoi, antidepressant, severity):
    alert = worst(pair(maoi, antidepressant))
    assert alert.severity == severity
    if maoi in ("rasagiline", "selegiline"):
        assert "1,504" in alert.why and "STACCATO" in alert.source


# ---------------------------------------------------------------- 9. opioid allergy by structure and reaction

@pytest.mark.parametrize(("allergy", "reaction", "proposed", "severity"), [
    ("codeine", "itching", "fentanyl", "minor"),
    ("codeine", "itching", "morphine", "moderate"),
    ("codeine", "anaphylaxis", "morphine", "major"),
    ("codeine", "anaphylaxis", "fentanyl", "minor"),
    ("morphine", "hives and wheeze", "hydromorphone", "major"),
    ("fentanyl", "rash", "sufentanil", "major"),
    ("methadone", "", "oxycodone", "minor"),
    ("opioids", "", "fentanyl", "major"),
    ("opioids", "pruritus", "fentanyl", "moderate"),
    ("codeine", "nausea", "codeine", "contraindicated"),
])
def test_opioid_allergy_by_structural_class_and_reaction_type(allergy, reaction, proposed, severity):
    (alert,) = [a for a in evaluate(AlertContext(proposed=(drug(proposed),),
                                                 allergies=(AllergyRef(allergy, reaction=reaction),)))
                if a.kind == "allergy"]
    assert alert.severity == severity


# ---------------------------------------------------------------- 10. severities consistent with the labels

@pytest.mark.parametrize(("a", "b", "severity", "source"), [
    ("simvastatin", "dronedarone", "major", "Zocor"), ("simvastatin", "diltiazem", "major", "Zocor"),
    ("losartan", ENTRESTO, "major", "Entresto"), ("trimethoprim", "spironolactone", "major", "Antoniou"),
    ("eplerenone", "potassium chloride", "major", "Inspra"), ("amiloride", "potassium chloride", "contraindicated", "Midamor"),
])
def test_severities_follow_the_labels(a, b, severity, source):
    alert = worst(pair(a, b))
    assert alert.severity == severity and source in alert.source


def test_eplerenone_is_contraindicated_with_potassium_in_hypertension_only():
    alert = worst(pair("eplerenone", "potassium chloride"))
    assert "hypertension" in alert.management and "heart failure" in alert.management


# ---------------------------------------------------------------- 11. acetaminophen and warfarin

def test_warfarin_acetaminophen_uses_hyleks_threshold():
    alert = worst(pair("warfarin", "acetaminophen"))
    assert "9.1 g a week" in alert.why and "2 g a day" not in alert.why and "JAMA 1998" in alert.source


# ---------------------------------------------------------------- 12. one heart-rate table, the current PALS

@pytest.mark.parametrize(("age", "low", "high"), [
    (0.05, 90, 205), (0.5, 90, 180), (2, 80, 140), (4, 65, 120), (8, 58, 118), (14, 50, 100), (30, 60, 100),
])
def test_heart_rate_bands_are_pals_2020_and_drive_both_colours_and_alerts(kb, age, low, high):
    band = load_catalog().band(HEART_RATE, age)
    assert (band.low, band.high) == (low, high)
    assert "PALS" in band.source and "2020" in band.source if age < 18 else "American Heart Association" in band.source
    rules = [r for r in kb.vital_rules[HEART_RATE] if r.normal and r.applies_to_age(age)]
    if age < 18:
        assert sorted(r.threshold(age) for r in rules) == [low, high]


def test_vital_rules_and_the_catalog_hold_one_number_per_normal_bound():
    rules = json.loads((default_dir() / FILES["vital_ranges"]).read_text(encoding="utf-8"))["rules"]
    assert all("value" not in r for r in rules if r.get("normal"))


# ---------------------------------------------------------------- missing duplicate-therapy classes

@pytest.mark.parametrize(("a", "b", "rule", "severity"), [
    ("quetiapine", "risperidone", "dup-antipsychotic", "moderate"), ("haloperidol", "olanzapine", "dup-antipsychotic", "moderate"),
    ("gabapentin", "pregabalin", "dup-gabapentinoid", "moderate"), ("lorazepam", "zolpidem", "dup-benzodiazepine-z-drug", "moderate"),
    ("glipizide", "glyburide", "dup-sulfonylurea", "moderate"), ("clopidogrel", "prasugrel", "dup-p2y12-inhibitor", "major"),
    ("clopidogrel", "ticagrelor", "dup-p2y12-inhibitor", "major"),
])
def test_missing_duplicate_classes(a, b, rule, severity):
    alert = worst(pair(a, b), "duplicate")
    assert (alert.rule_id, alert.severity) == (rule, severity) and len(alert.source) > 20


# ---------------------------------------------------------------- missing interactions, with the CLI

MISSING = [
    ("alprazolam", "ketoconazole", "contraindicated"), ("alprazolam", "itraconazole", "contraindicated"),
    ("triazolam", "ketoconazole", "contraindicated"), ("triazolam", "itraconazole", "contraindicated"),
    ("midazolam", "clarithromycin", "major"),
    ("rifampin", "ethinyl estradiol", "major"), ("carbamazepine", "ethinyl estradiol", "major"),
    ("phenytoin", "ethinyl estradiol", "major"), ("st john's wort", "ethinyl estradiol", "moderate"),
    ("modafinil", "ethinyl estradiol", "moderate"), ("efavirenz", "ethinyl estradiol", "moderate"),
    ("warfarin", "rifampin", "major"), ("warfarin", "carbamazepine", "major"), ("warfarin", "phenytoin", "major"),
    ("warfarin", "st john's wort", "major"), ("lamotrigine", "valproic acid", "major"),
    ("lamotrigine", "divalproex sodium", "major"),
    ("tacrolimus", "clarithromycin", "major"), ("tacrolimus", "itraconazole", "major"), ("tacrolimus", "ritonavir", "major"),
    ("cyclosporine", "clarithromycin", "major"), ("cyclosporine", "itraconazole", "major"),
    ("cyclosporine", "ritonavir", "major"),
    ("clozapine", "fluvoxamine", "major"), ("clozapine", "ciprofloxacin", "major"), ("clozapine", "carbamazepine", "major"),
    ("tamoxifen", "paroxetine", "major"), ("tamoxifen", "fluoxetine", "major"),
    ("sumatriptan", "dihydroergotamine", "contraindicated"),
    ("clarithromycin", "amlodipine", "moderate"), ("clarithromycin", "nifedipine", "moderate"),
    ("metoprolol", "verapamil", "major"), ("atenolol", "verapamil", "major"), ("metoprolol", "diltiazem", "moderate"),
    ("atenolol", "diltiazem", "moderate"),
    ("glipizide", "fluconazole", "moderate"), ("glyburide", "fluconazole", "moderate"),
    ("glipizide", "sulfamethoxazole", "moderate"),
    ("sildenafil", "ritonavir", "major"), ("sildenafil", "doxazosin", "moderate"), ("ritonavir", "fluticasone", "major"),
    ("methotrexate", "probenecid", "major"), ("phenytoin", "fluconazole", "major"), ("phenytoin", "isoniazid", "major"),
    ("oxycodone", "cyclobenzaprine", "moderate"), ("hydrocodone", "diphenhydramine", "moderate"),
    ("oxycodone", "quetiapine", "moderate"), ("morphine", "zolpidem", "moderate"),
    ("tramadol", "bupropion", "major"), ("digoxin", "furosemide", "moderate"), ("digoxin", "hydrochlorothiazide", "moderate"),
    ("quetiapine", "ciprofloxacin", "moderate"), ("hydroxyzine", "citalopram", "moderate"),
]


@pytest.mark.parametrize(("a", "b", "severity"), MISSING, ids=[f"{a}+{b}" for a, b, _ in MISSING])
def test_missing_interactions_are_reported_by_the_cli_with_their_sourced_severity(capsys, a, b, severity):
    assert main(["alerts", "--drug", a, "--drug", b, "--json"]) == 0
    alerts = [x for x in json.loads(capsys.readouterr().out) if x["kind"] == "interaction"]
    assert alerts and alerts[0]["severity"] == severity, alerts
    assert len(alerts[0]["source"]) > 20


def test_the_cli_as_a_user_runs_it():
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    out = subprocess.run([sys.executable, "-m", "desktop", "alerts", "--drug", "pimozide", "--drug", "sertraline",
                          "--drug", "tamoxifen", "--drug", "paroxetine"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("CONTRAINDICATED") and "pimozide + sertraline" in line for line in lines)
    assert any(line.startswith("MAJOR") and "tamoxifen + paroxetine" in line for line in lines)


# ---------------------------------------------------------------- every named ingredient resolves

def _named_ingredients():
    files, _ = rule_files()
    names = set()
    for r in files.interactions.interactions:
        names |= {x for x in (*r.a, *r.b) if not x.startswith("class:")}
    for c in (*files.therapeutic.classes.values(), *files.interactions.groups.values()):
        names |= set(c.members)
    for c in files.allergy.classes.values():
        names |= set(c.members)
    for x in files.allergy.cross_reactivity:
        names |= {n for n in (*x.from_, *x.to) if not n.startswith("class:")}
    return sorted(names)


@pytest.mark.parametrize("name", ["quetiapine", "hydroxyzine", "sulfasalazine", "eslicarbazepine", "safinamide"])
def test_named_examples_resolve(name):
    ref = drug_ref_from_name(name, load_formulary(), load_kb())
    assert name in ref.ingredients


def test_every_ingredient_the_rules_name_resolves_to_itself():
    formulary, kb = load_formulary(), load_kb()
    unresolved = []
    for name in _named_ingredients():
        ref = drug_ref_from_name(name, formulary, kb)
        if norm(name) not in {norm(i) for i in ref.ingredients}:  # the formulary spells "st. john's wort"
            unresolved.append((name, ref.ingredients))
    assert not unresolved
