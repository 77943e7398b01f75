"""A strength typed after a free-text drug name, glued or not ("HCTZ25", "ASA81", "HCTZ 25mg", "APAP 500"), is split
off before the name is looked up, so the alert check knows the drug instead of reporting it "not checked"; a
number that belongs to a name ("B12", "vit d3", "Tylenol 3") is not taken for a strength."""

from __future__ import annotations

import pytest

from desktop.__main__ import main
from desktop.alerts import DrugRef, UnknownDrug, drug_ref_from_name
from desktop.kb.drug_strength import split_strength
from desktop.kb.formulary import load_formulary


@pytest.fixture(scope="module")
def formulary():
    return load_formulary()


@pytest.mark.parametrize(("typed", "ingredients"), [
    ("HCTZ25", ("hydrochlorothiazide",)),
    ("HCTZ 25", ("hydrochlorothiazide",)),
    ("HCTZ 25mg", ("hydrochlorothiazide",)),
    ("hctz 12.5 mg", ("hydrochlorothiazide",)),
    ("ASA81", ("aspirin",)),
    ("asa 325", ("aspirin",)),
    ("APAP 500", ("acetaminophen",)),
    ("APAP500mg", ("acetaminophen",)),
    ("APAP 325", ("acetaminophen",)),
    ("Percocet 5", ("oxycodone", "acetaminophen")),  # a combination's own strength keeps both ingredients
    ("ASA 81.0", ("aspirin",)),
    ("lisinopril10mg", ("lisinopril",)),
    ("lisinopril 15", ("lisinopril",)),  # an ingredient's name: any number after it is a strength
    ("metformin 500 mg tabs", ("metformin",)),
    ("KCl 20 mEq", ("potassium chloride",)),
    ("MTX 2.5", ("methotrexate",)),
    ("pcn vk 500", ("penicillin v",)),
    ("TMP-SMX 800/160", None),  # a combination's strength is not split (no single amount): stays unknown
])
def test_a_strength_after_the_name_is_split_off(formulary, typed, ingredients):
    if ingredients is None:
        with pytest.raises(UnknownDrug):
            drug_ref_from_name(typed, formulary)
        return
    ref = drug_ref_from_name(typed, formulary)
    assert ref.ingredients == ingredients
    assert ref.name.startswith(typed)  # the display keeps what was typed


@pytest.mark.parametrize(("typed", "ingredients"), [
    ("B12", ("cyanocobalamin",)), ("vit d3", ("cholecalciferol",)), ("vitamin D3 1000 units", ("cholecalciferol",)),
])
def test_a_number_that_is_part_of_the_name_stays_with_it(formulary, typed, ingredients):
    assert drug_ref_from_name(typed, formulary).ingredients == ingredients


@pytest.mark.parametrize("typed", [
    "Tylenol 3",  # Tylenol with Codeine #3: never plain acetaminophen (the codeine would go unchecked)
    "ASA 3",  # no aspirin product of 3 (mg): a bare number after an abbreviation must be a real strength
    "T3", "K20", "D5W", "Co-Q10", "XYZZY 25", "XYZZY25mg", "25 mg",
    # a number of another product of the abbreviation: the opioid of hydrocodone 5 mg / acetaminophen, oxycodone
    # 7.5 mg, codeine 12 mg, acetaminophen 120 mg / 5 mL with codeine; never plain acetaminophen
    "APAP 5", "APAP5", "APAP 7.5", "APAP 12", "APAP 120",
    "augmentin 5",  # the 5 of "per 5 mL" is a volume, not a strength
    # a unit does not make another product's number a strength of this one: hydrocodone 5 mg, codeine 12 mg
    "APAP 5 mg", "APAP5mg", "APAP 12 mg", "Tylenol 3 mg", "APAP 5 ml",
])
def test_unrelated_or_ambiguous_names_do_not_start_matching(formulary, typed):
    with pytest.raises(UnknownDrug) as err:
        drug_ref_from_name(typed, formulary)
    assert typed in str(err.value)  # the message names what was typed, not a piece of it


def test_split_strength_reads_only_a_trailing_amount():
    assert split_strength("HCTZ25") is not None and split_strength("HCTZ25").name == "HCTZ"
    found = split_strength("amoxicillin 250 mg/5 mL")
    assert (found.name, found.amount, found.unit) == ("amoxicillin", "250", "mg/5 ml")
    assert split_strength("ASA81").unit == ""
    for whole in ("T3", "K20", "D5W", "aspirin", "Ventolin HFA", "tylenol #3", ""):
        assert split_strength(whole) is None, whole


def test_the_alert_check_no_longer_reports_them_unchecked():
    """The chart's alert check: a free-text medication (no coding) is checkable once recognised by name."""
    from desktop.services.alerts import drug_is_checkable

    for typed in ("HCTZ25", "HCTZ 25mg", "ASA81", "APAP 500"):
        assert drug_is_checkable(DrugRef(name=typed, ingredients=())), typed
    assert not drug_is_checkable(DrugRef(name="Co-Q10", ingredients=()))


def test_a_glued_strength_alerts_like_the_full_name(capsys):
    assert main(["alerts", "--drug", "warfarin", "--drug", "ASA81", "--json"]) == 0
    out = capsys.readouterr().out
    assert "ASA81 (aspirin)" in out and "bleeding" in out


def test_type_ahead_reads_a_glued_strength_as_if_typed_apart(formulary):
    assert formulary.search("hctz25")[0].display == "hydrochlorothiazide 25 mg oral tablet"
    assert formulary.search("ASA81")[0].strength == "81 mg"
    assert formulary.search("lisinopril10mg")[0].display == "lisinopril 10 mg oral tablet"
    assert formulary.search("T3") == []


@pytest.mark.parametrize("typed", ["APAP 5",
                                   "ASA 3", "APAP 5 mg", "APAP 5mg tabs", "Tylenol 3 mg",
                                   # the other drug named without a join ("w/", "&", "+" are read as combinations:
                                   # tests/alerts/test_free_text_names.py)
                                   "Tylenol w codeine", "Tylenol c codeine",
                                   "APAP codeine 300/30",
                                   # a combination product's word: pseudoephedrine, dextromethorphan, diphenhydramine
                                   "Claritin D", "Zyrtec D", "Mucinex DM", "Tylenol PM", "Advil PM", "Tylenol Sinus"])
def test_the_alert_check_does_not_fall_back_to_the_name_before_another_products_number(typed):
    """The chart's check also tries a free-text name's leading words ("Coumadin 5 mg tablets" -> Coumadin): it
    must not drop a bare number or a "w/ codeine" to reach plain acetaminophen, which would leave the codeine or
    hydrocodone unchecked; the medication is reported "not checked" instead."""
    from desktop.services.alerts import drug_is_checkable

    assert not drug_is_checkable(DrugRef(name=typed, ingredients=()))


@pytest.mark.parametrize("typed", ["Tylenol 3", "Tylenol #3", "Tylenol 3 tabs"])
def test_a_brand_with_its_product_number_is_checked_as_that_product(typed):
    """Tylenol with Codeine #3 as prescribers write it: checked with its codeine (it was "not checked"), never as
    plain acetaminophen."""
    from desktop.alerts import drug_ref_from_text
    from desktop.kb.formulary import load_formulary

    assert drug_ref_from_text(typed, load_formulary()).ingredients == ("acetaminophen", "codeine")


@pytest.mark.parametrize("typed", ["Coumadin 5 mg tablets", "warfarin sodium 5 mg", "losartan potassium 50 mg",
                                   "Lasix 40 mg po daily", "ASA 81 daily", "metformin 500 bid", "APAP 500mg tabs",
                                   "HCTZ25 daily", "lisinopril 10 mg po daily", "Lipitor at night", "Aspirin EC",
                                   "Motrin IB", "warfarin as directed"])
def test_a_strength_form_or_salt_after_the_name_is_still_left_off(typed):
    from desktop.services.alerts import drug_is_checkable

    assert drug_is_checkable(DrugRef(name=typed, ingredients=()))
