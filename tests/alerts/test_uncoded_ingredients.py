"""Checks match by ingredient name, so a drug whose RxNorm ingredient code could not be verified still alerts.

The formulary ships some ingredients with rxcui "" (no citable source for the code: diltiazem, phenelzine,
tranylcypromine, nefazodone...). Typed by brand or generic, they must resolve to their ingredient and fire the same
interaction and allergy alerts as a coded drug.
"""

from __future__ import annotations

import pytest

from desktop.alerts import AlertContext, AllergyRef, drug_ref_from_name, evaluate
from desktop.kb.formulary import load_formulary

# (typed name, its ingredient, the other drug, expected severity)
PAIRS = [
    ("diltiazem", "diltiazem", "simvastatin", "major"),
    ("Cardizem", "diltiazem", "digoxin", "moderate"),
    ("Nardil", "phenelzine", "sumatriptan", "contraindicated"),
    ("Parnate", "tranylcypromine", "sertraline", "contraindicated"),
    ("nefazodone", "nefazodone", "phenelzine", "contraindicated"),
    ("verapamil", "verapamil", "simvastatin", "major"),  # coded (OHDSI/Eunomia): same path, for contrast
    ("Pepcid", "famotidine", "tizanidine", "major"),  # coded (OHDSI study concept set)
]


@pytest.fixture(scope="module")
def formulary():
    return load_formulary()


def test_the_pairs_cover_ingredients_shipped_without_a_code(formulary):
    uncoded = {ing for _, ing, _, _ in PAIRS if formulary.ingredient_by_name(ing).rxcui == ""}
    assert {"diltiazem", "phenelzine", "tranylcypromine", "nefazodone"} <= uncoded
    assert formulary.ingredient_by_name("verapamil").rxcui == "11170"
    assert formulary.ingredient_by_name("famotidine").rxcui == "4278"


@pytest.mark.parametrize(("typed", "ingredient", "other", "severity"), PAIRS, ids=[f"{p[0]}+{p[2]}" for p in PAIRS])
def test_interaction_fires_for_a_drug_typed_by_brand_or_generic(formulary, typed, ingredient, other, severity):
    ref = drug_ref_from_name(typed, formulary)
    assert ref.ingredients == (ingredient,)
    alerts = [a for a in evaluate(AlertContext(active_meds=(ref, drug_ref_from_name(other, formulary))))
              if a.kind == "interaction"]
    assert alerts, f"{typed} + {other}"
    assert alerts[0].severity == severity


def test_allergy_to_an_uncoded_ingredient_fires_on_its_brand(formulary):
    proposed = drug_ref_from_name("Cardizem", formulary)
    assert proposed.ingredients == ("diltiazem",) and formulary.ingredient_by_name("diltiazem").rxcui == ""
    alerts = evaluate(AlertContext(proposed=(proposed,), allergies=(AllergyRef("diltiazem"),)))
    assert [a.kind for a in alerts] == ["allergy"]
    assert alerts[0].severity == "contraindicated"
