"""Drug-name abbreviations clinicians type (resources/kb/drug_abbreviations.json) and the type-ahead's ranking:
the drug named as typed comes before the combinations that contain it."""

from __future__ import annotations

import json

import pytest

from desktop.__main__ import main
from desktop.kb.drug_abbreviations import PATH, drug_abbreviations
from desktop.kb.formulary import load_formulary


@pytest.fixture(scope="module")
def formulary():
    return load_formulary()


def test_every_abbreviation_names_formulary_ingredients_and_a_known_source(formulary):
    doc = json.loads(PATH.read_text(encoding="utf-8"))
    names = formulary.ingredient_names()
    for entry in doc["entries"]:
        assert entry["source"] in doc["sources"], entry
        for ingredient in entry["ingredients"]:
            assert ingredient in names, f"{entry['terms'][0]} -> {ingredient} is not a formulary ingredient"


@pytest.mark.parametrize(("typed", "ingredient"), [
    ("HCTZ", "hydrochlorothiazide"), ("apap", "acetaminophen"), ("ASA", "aspirin"), ("KCl", "potassium chloride"),
    ("ntg", "nitroglycerin"), ("MTX", "methotrexate"), ("INH", "isoniazid"), ("pcn", "penicillin v"),
])
def test_abbreviation_finds_the_single_ingredient_product_first(formulary, typed, ingredient):
    first = formulary.search(typed)[0]
    assert [i.name for i in first.ingredients] == [ingredient]


@pytest.mark.parametrize("typed", ["TMP-SMX", "tmp/smx", "smx tmp", "SMX-TMP"])
def test_combination_abbreviation_in_any_spelling_finds_only_the_combination(formulary, typed):
    hits = formulary.search(typed)
    assert hits and all({i.name for i in p.ingredients} == {"sulfamethoxazole", "trimethoprim"} for p in hits)


@pytest.mark.parametrize(("typed", "generic"), [
    ("lisinopril-hctz", "lisinopril / hydrochlorothiazide"),
    ("lisinopril hctz 20", "lisinopril / hydrochlorothiazide"),
    ("losartan/hctz", "losartan / hydrochlorothiazide"),
    ("hydrocodone-apap", "hydrocodone / acetaminophen"),
    ("oxycodone/APAP 5", "oxycodone / acetaminophen"),
])
def test_an_abbreviation_after_another_drug_is_written_out_too(formulary, typed, generic):
    found = formulary.search(typed)
    assert found and found[0].generic == generic, typed


def test_abbreviation_with_a_strength_puts_that_strength_first(formulary):
    first = formulary.search("hctz 25")[0]
    assert first.generic == "hydrochlorothiazide" and first.strength == "25 mg"


def test_a_brand_number_counts_as_the_strength(formulary):
    assert formulary.search("tylenol 3")[0].brands == ("Tylenol with Codeine #3",)
    assert formulary.search("tylenol #4")[0].brands == ("Tylenol with Codeine #4",)


def test_double_strength_brand_names_only_the_double_strength_tablet(formulary):
    assert [p.strength for p in formulary.search("bactrim ds")] == ["800 mg / 160 mg"]


def test_typing_an_ingredient_never_offers_a_combination_first(formulary):
    """'metformin' + Enter must not prescribe empagliflozin / metformin: for every ingredient sold on its own,
    the first hit of its name is a single-ingredient product."""
    wrong = []
    for name in sorted(formulary.ingredient_names()):
        if not any(len(p.ingredients) == 1 for p in formulary.resolve(name)):
            continue
        hits = formulary.search(name)
        if hits and len(hits[0].ingredients) != 1:
            wrong.append(f"{name} -> {hits[0].display}")
    assert not wrong, wrong


def test_abbreviations_resolve_for_the_alert_check(formulary):
    assert {i.name for p in formulary.resolve("HCTZ") for i in p.ingredients} >= {"hydrochlorothiazide"}
    assert all({"sulfamethoxazole", "trimethoprim"} <= {i.name for i in p.ingredients}
               for p in formulary.resolve("TMP-SMX"))
    assert formulary.resolve("XYZZY") == []


def test_alerts_command_accepts_abbreviations(capsys):
    assert main(["alerts", "--drug", "lisinopril", "--drug", "KCl", "--drug", "TMP-SMX", "--json"]) == 0
    text = capsys.readouterr().out
    assert "potassium chloride" in text and "trimethoprim" in text and "hyperkalemia" in text.lower()


def test_ambiguous_abbreviations_are_left_out():
    """ISMP warns that MS (morphine or magnesium sulfate), HCT and CPZ are read as the wrong drug."""
    table = drug_abbreviations()
    for term in ("ms", "hct", "cpz", "t3"):
        assert table.ingredients_for(term) == ()


@pytest.mark.parametrize("model_path", ["desktop.kb.drug_abbreviations:AbbreviationFile",
                                        "desktop.kb.icd10_synonyms:SynonymFile",
                                        "desktop.kb.supplements:SupplementFile"])
def test_an_entry_naming_an_unknown_source_is_refused(tmp_path, model_path):
    """Both sourced tables share one check (kb/schema.SourcedTable): an entry citing a source key the file
    does not define makes the file unavailable, loudly."""
    import importlib

    from desktop.kb.errors import KnowledgeBaseUnavailable
    from desktop.kb.schema import read_model

    module, name = model_path.split(":")
    model = getattr(importlib.import_module(module), name)
    source = PATH if "abbrev" in module else importlib.import_module(module).PATH
    doc = json.loads(source.read_text(encoding="utf-8"))
    doc["entries"][0]["source"] = "nowhere"
    bad = tmp_path / source.name
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(KnowledgeBaseUnavailable, match="unknown sources"):
        read_model(bad, model)
    read_model(source, model)  # the shipped file passes
