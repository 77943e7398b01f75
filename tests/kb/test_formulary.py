"""The shipped formulary: every entry, the code rule, type-ahead search, code resolution, and broken files."""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from pathlib import Path

import pytest

from desktop.kb.errors import KnowledgeBaseError
from desktop.kb.formulary import DEFAULT_PATH, Formulary, load_formulary

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "data" / "phr-samples"
KB = ROOT / "resources" / "kb"
RAW = json.loads((KB / "formulary.json").read_text(encoding="utf-8"))["products"]
README = (KB / "README.md").read_text(encoding="utf-8")


def _documented_classes() -> set[str]:
    section = README.split("## Class ids", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `([a-z0-9_]+)`", section, flags=re.M))


def _clinical_reference_codes() -> dict[str, str]:
    """The verified RxNorm ingredient codes shipped with their sources (resources/kb/rxnorm_ingredients.csv)."""
    with (KB / "rxnorm_ingredients.csv").open(encoding="utf-8", newline="") as f:
        return {row["name"]: row["rxcui"] for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def formulary() -> Formulary:
    return load_formulary()


# ---------------------------------------------------------------- every entry, table-driven


@pytest.mark.parametrize("entry", RAW, ids=[e["id"] for e in RAW])
def test_every_entry_is_complete_and_sourced(entry):
    for key in (
        "id",
        "generic",
        "display",
        "strength",
        "dose_form",
        "route",
        "dispense_unit",
        "drug_class",
        "default_sig",
    ):
        assert isinstance(entry[key], str) and entry[key].strip(), key
    assert entry["ingredients"], "a product has at least one ingredient"
    for ing in entry["ingredients"]:
        assert ing["name"] == ing["name"].lower().strip()
        # a code is digits copied from a named source; no verified code is "" and the source says so
        assert re.fullmatch(r"\d+", ing["rxcui"]) or (ing["rxcui"] == "" and "not verified" in ing["source"]), ing
        assert len(ing["source"]) > 20, "the source names where the code was verified"
    if entry["product_rxcui"] is None:
        assert entry["product_source"] is None
    else:
        assert re.fullmatch(r"\d+", entry["product_rxcui"])
        assert len(entry["product_source"]) > 20
    assert entry["dea_schedule"] in ("", "II", "III", "IV", "V")
    assert entry["classes"] and set(entry["classes"]) <= _documented_classes()
    assert entry["strength"] in entry["display"] and entry["dose_form"] in entry["display"]
    assert isinstance(entry["brands"], list)


def test_loads_at_least_250_products_with_unique_ids(formulary):
    assert len(formulary.products) >= 250
    ids = [p.id for p in formulary.products]
    assert len(ids) == len(set(ids))
    assert len(formulary.ingredient_names()) >= 150


def test_one_code_per_ingredient_and_one_ingredient_per_code():
    by_name: dict[str, set[str]] = {}
    by_code: dict[str, set[str]] = {}
    for entry in RAW:
        for ing in entry["ingredients"]:
            by_name.setdefault(ing["name"], set()).add(ing["rxcui"])
            if ing["rxcui"]:  # "" (no verified code) is shared by many uncoded ingredients
                by_code.setdefault(ing["rxcui"], set()).add(ing["name"])
    assert {n: c for n, c in by_name.items() if len(c) > 1} == {}
    assert {c: n for c, n in by_code.items() if len(n) > 1} == {}


def test_clinical_references_codes_appear_with_exactly_those_values(formulary):
    reference = _clinical_reference_codes()
    assert len(reference) >= 35, reference
    present = {name: code for name, code in reference.items() if formulary.ingredient_by_name(name)}
    assert len(present) >= 30
    for name, code in present.items():
        assert formulary.ingredient_by_name(name).rxcui == code, name
    for code in reference.values():
        for p in formulary.resolve(code):
            assert code in {i.rxcui for i in p.ingredients} or p.product_rxcui == code


def test_product_codes_taken_from_the_phr_samples_are_really_there():
    checked = 0
    for entry in RAW:
        source = entry["product_source"] or ""
        m = re.search(r"R4/SYNTHEA/(\S+\.json)|synthea-hiv/sample_data/(\S+\.json)", source)
        if not m:
            continue
        text = (SAMPLES / "synthea" / (m.group(1) or m.group(2))).read_text(encoding="utf-8")
        assert f'"code": "{entry["product_rxcui"]}"' in text, entry["id"]
        checked += 1
    assert checked >= 3


def test_ingredient_names_match_the_interaction_knowledge_base_where_it_exists(formulary):
    classes_file = KB / "therapeutic_classes.json"
    classes = json.loads(classes_file.read_text(encoding="utf-8"))["classes"]
    route_dependent = {"corticosteroid_systemic"}  # the shipped triamcinolone product is a nasal spray
    for class_id, spec in classes.items():
        if class_id in route_dependent:
            continue
        for member in spec["members"]:
            if formulary.ingredient_by_name(member):
                assert class_id in formulary.classes_of(member), (member, class_id)


def test_controlled_substances_carry_their_federal_schedule(formulary):
    schedule = {p.id: p.dea_schedule for p in formulary.products}
    assert schedule["oxycodone-5-tab"] == "II"
    assert schedule["hydrocodone-er-20-tab"] == "II"
    assert schedule["fentanyl-25mcg-patch"] == "II"
    assert schedule["methylphenidate-10-tab"] == "II"
    assert schedule["buprenorphine-naloxone-8-2-sl-tab"] == "III"
    assert schedule["tramadol-50-tab"] == "IV"
    assert schedule["diazepam-5-tab"] == "IV"
    assert schedule["lisinopril-10-tab"] == ""
    assert schedule["naloxone-4mg-nasal-spray"] == ""
    for p in formulary.products:
        if "opioid" in p.classes:
            assert p.controlled, p.id


# ---------------------------------------------------------------- the loader's objects


def test_product_is_frozen_and_exposes_its_ingredients(formulary):
    p = formulary.by_id("lisinopril-10-tab")
    assert p.display == "lisinopril 10 mg oral tablet"
    assert p.ingredient_names == ("lisinopril",)
    assert p.ingredient_rxcui == "29046"
    assert p.product_rxcui == "314076"
    assert "Zestril" in p.brands and not p.controlled
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.display = "x"  # type: ignore[misc]
    combo = formulary.by_id("sacubitril-valsartan-49-51-tab")
    assert combo.ingredient_names == ("sacubitril", "valsartan")
    assert combo.ingredient_rxcui == "1656328"
    assert formulary.by_id("no-such-product") is None


def test_ingredient_and_class_lookups(formulary):
    assert formulary.ingredient_by_name("Warfarin").rxcui == "11289"
    assert formulary.ingredient_by_name("unobtainium") is None
    assert {"warfarin", "phenelzine", "clarithromycin", "unobtainium"} & formulary.ingredient_names() == {
        "warfarin",
        "phenelzine",
        "clarithromycin",  # prescribable without a verified code (issue 16): its code is empty, not invented
    }
    assert formulary.ingredient_by_name("clarithromycin").rxcui == ""
    assert formulary.classes_of("clarithromycin") == {"macrolide"}
    assert formulary.classes_of("lisinopril") == {"ace_inhibitor"}
    assert formulary.classes_of("hydrochlorothiazide") == {"thiazide"}  # not polluted by combination products
    assert formulary.classes_of("sacubitril") == {"neprilysin_inhibitor"}
    assert formulary.classes_of("nirmatrelvir") == {"sars_cov2_protease_inhibitor"}
    assert "maoi" in formulary.classes_of("tranylcypromine")
    assert formulary.classes_of("nothing") == set()


# ---------------------------------------------------------------- resolution


@pytest.mark.parametrize(
    "query, ingredient",
    [
        ("Zestril", "lisinopril"),
        ("zestril", "lisinopril"),
        ("PRINIVIL", "lisinopril"),
        ("Lipitor", "atorvastatin"),
        ("Eliquis", "apixaban"),
        ("Nardil", "phenelzine"),
        ("lisinopril", "lisinopril"),
        ("29046", "lisinopril"),
        ("11289", "warfarin"),
        ("Coumadin", "warfarin"),
        ("metoprolol succinate ER", "metoprolol"),
    ],
)
def test_resolve_names_brands_and_ingredient_codes(formulary, query, ingredient):
    found = formulary.resolve(query)
    assert found and all(ingredient in p.ingredient_names for p in found)


def test_common_ingredients_copied_from_omop_and_synthea_keep_their_codes(formulary):
    # OHDSI/Eunomia concept.csv (RxNorm Ingredient rows) and Synthea's drug allergy module
    expected = {
        "acetaminophen": "161",
        "amoxicillin": "723",
        "clavulanate": "48203",
        "penicillin v": "7984",
        "cephalexin": "2231",
        "cefuroxime": "2194",
        "doxycycline": "3640",
        "levothyroxine": "10582",
        "amiodarone": "703",
        "lorazepam": "6470",
        "nitroglycerin": "4917",
        "hydrocodone": "5489",
        "oxycodone": "7804",
    }
    for name, code in expected.items():
        assert formulary.ingredient_by_name(name).rxcui == code, name
    assert formulary.classes_of("acetaminophen") == {"analgesic_antipyretic"}  # not polluted by opioid combos
    norco = formulary.by_id("hydrocodone-apap-5-325-tab")
    assert norco.ingredient_names == ("hydrocodone", "acetaminophen") and norco.dea_schedule == "II"
    assert {p.id for p in formulary.resolve("161")} >= {"acetaminophen-325-tab", "oxycodone-apap-5-325-tab"}
    assert [p.id for p in formulary.resolve("308192")] == ["amoxicillin-500-tab"]


def test_resolve_finds_every_product_of_an_ingredient_including_combinations(formulary):
    ids = {p.id for p in formulary.resolve("lisinopril")}
    assert {"lisinopril-10-tab", "lisinopril-40-tab", "lisinopril-hctz-20-12_5-tab"} <= ids
    assert {p.id for p in formulary.resolve("29046")} == ids


def test_resolve_product_rxcui_both_ways(formulary):
    for p in formulary.products:
        if p.product_rxcui:
            assert p in formulary.resolve(p.product_rxcui)
    assert [p.id for p in formulary.resolve("314076")] == ["lisinopril-10-tab"]
    assert formulary.resolve("855332")[0].id == "warfarin-5-tab"


@pytest.mark.parametrize("query", ["", "   ", "unobtainium", "999999999", "Zestrilx"])
def test_resolve_unknown_gives_nothing(formulary, query):
    assert formulary.resolve(query) == []


# ---------------------------------------------------------------- type-ahead search


@pytest.mark.parametrize(
    "query, first_id",
    [
        ("ZESTR", "lisinopril-2_5-tab"),
        ("zestril 10", "lisinopril-10-tab"),
        ("cipro 500", "ciprofloxacin-500-tab"),
        ("metop succ 50", "metoprolol-succinate-er-50-tab"),
        ("warf 5", "warfarin-5-tab"),
        ("lisinopril 2.5", "lisinopril-2_5-tab"),
        ("amlo 10", "amlodipine-10-tab"),
        ("Eliquis", "apixaban-2_5-tab"),
        ("paxlovid", "nirmatrelvir-ritonavir-pack"),
        ("fentanyl patch 25", "fentanyl-25mcg-patch"),
        ("amox 500", "amoxicillin-500-cap"),
        ("augmentin 875", "amoxicillin-clavulanate-875-125-tab"),
        ("tylenol 500", "acetaminophen-500-tab"),
        ("synthroid 50", "levothyroxine-50mcg-tab"),
        ("keflex 500", "cephalexin-500-cap"),
    ],
)
def test_search_by_partial_words(formulary, query, first_id):
    assert formulary.search(query)[0].id == first_id


def test_search_is_case_and_accent_insensitive(formulary):
    plain = [p.id for p in formulary.search("lisinopril 10")]
    assert plain
    assert [p.id for p in formulary.search("LISINOPRIL 10")] == plain
    assert [p.id for p in formulary.search("lísinoprïl 10")] == plain
    assert [p.id for p in formulary.search("Lípitor")] == [p.id for p in formulary.search("lipitor")]


def test_search_every_word_must_match(formulary):
    assert formulary.search("lisinopril zzz") == []
    assert formulary.search("") == []
    assert formulary.search("--") == []
    assert all("ciprofloxacin" in p.ingredient_names for p in formulary.search("cipro"))


def test_search_puts_exact_generic_and_brand_matches_first(formulary):
    results = formulary.search("lisinopril")
    single = [p.id for p in results if p.ingredient_names == ("lisinopril",)]
    assert [p.id for p in results][: len(single)] == single  # the combination product comes after
    assert any(p.id == "lisinopril-hctz-20-12_5-tab" for p in results)
    assert [p.id for p in formulary.search("aspirin")][0].startswith("aspirin")


def test_search_respects_the_limit(formulary):
    assert len(formulary.search("o", limit=5)) == 5
    assert formulary.search("o", limit=0) == []


def test_default_load_is_cached():
    assert load_formulary() is load_formulary()
    assert load_formulary(DEFAULT_PATH) is load_formulary()


# ---------------------------------------------------------------- broken files fail loudly


def _write(tmp_path: Path, products) -> Path:
    path = tmp_path / "formulary.json"
    path.write_text(json.dumps({"schema": 1, "products": products}), encoding="utf-8")
    return path


def _good() -> dict:
    return json.loads(json.dumps(RAW[0]))


def test_missing_file(tmp_path):
    with pytest.raises(KnowledgeBaseError, match="missing") as err:
        load_formulary(tmp_path / "nope.json")
    assert "nope.json" in str(err.value)


def test_not_json(tmp_path):
    path = tmp_path / "formulary.json"
    path.write_text('{"products": [ {"id": ', encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"not valid JSON.*line 1"):
        load_formulary(path)


def test_empty_or_wrong_shape(tmp_path):
    with pytest.raises(KnowledgeBaseError, match="empty"):
        load_formulary(_write(tmp_path, []))
    path = tmp_path / "f.json"
    path.write_text('{"items": []}', encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="'products'"):
        load_formulary(path)


def test_entry_without_rxcui_names_the_entry(tmp_path):
    bad = _good()
    del bad["ingredients"][0]["rxcui"]
    with pytest.raises(KnowledgeBaseError) as err:
        load_formulary(_write(tmp_path, [bad]))
    assert "rxcui" in str(err.value) and bad["id"] in str(err.value) and "entry #1" in str(err.value)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda e: e["ingredients"][0].update(rxcui="29O46"), "digits"),
        (lambda e: e["ingredients"][0].update(rxcui=29046), "digits"),
        (lambda e: e.update(product_rxcui="31407x"), "product_rxcui"),
        (lambda e: e.update(product_source=None), "product_source"),
        (lambda e: e.pop("display"), "missing field 'display'"),
        (lambda e: e.update(display=""), "'display' is empty"),
        (lambda e: e.update(dea_schedule="2"), "dea_schedule"),
        (lambda e: e.update(classes=["ACE inhibitor"]), "snake_case"),
        (lambda e: e.update(ingredients=[]), "ingredients"),
        (lambda e: e["ingredients"][0].pop("source"), "source"),
        (lambda e: e["ingredients"][0].update(name="Lisinopril"), "lower-case"),
        (lambda e: e.pop("product_rxcui"), "product_rxcui"),
    ],
)
def test_malformed_entries_raise_with_a_useful_message(tmp_path, mutate, message):
    bad = _good()
    mutate(bad)
    with pytest.raises(KnowledgeBaseError, match=re.escape(message)):
        load_formulary(_write(tmp_path, [bad]))


def test_duplicate_ids_and_conflicting_codes_are_rejected(tmp_path):
    first, second = _good(), _good()
    with pytest.raises(KnowledgeBaseError, match="duplicate id"):
        load_formulary(_write(tmp_path, [first, second]))
    second["id"] = "other"
    second["ingredients"][0]["rxcui"] = "1"
    with pytest.raises(KnowledgeBaseError, match="rxcui"):
        load_formulary(_write(tmp_path, [first, second]))


def test_a_valid_small_file_loads(tmp_path):
    f = load_formulary(_write(tmp_path, [_good()]))
    assert len(f.products) == 1 and f.products[0].id == RAW[0]["id"]
