"""Drug names as clinicians and patients write them ("metoprolol succinate ER", "lisinopril-HCTZ 20-12.5",
"hydrocodone/APAP 5/325", "Tylenol w/ codeine") are read the same way on every path: the engine's reader,
`alerts` on the command line, a medication typed in the form and a free-text entry already on the chart (a PHR
merge or an old list). A name that could hide another drug stays "not checked", never "no alerts"."""

from __future__ import annotations

import json

import pytest

from desktop.__main__ import main
from desktop.alerts import DrugRef, UnknownDrug, drug_ref_from_text
from desktop.kb.formulary import load_formulary
from desktop.models import Medication
from desktop.services.alerts import check_for_patient, drug_is_checkable
from desktop.services.medications import MedicationInput, check_medication


@pytest.fixture
def patient(add_patient):
    return add_patient(given="Maria", family="Santos")


@pytest.fixture(scope="module")
def formulary():
    return load_formulary()


@pytest.mark.parametrize(("typed", "ingredients"), [
    # a salt, a release form or a strength after the ingredient
    ("metoprolol succinate", ("metoprolol",)),
    ("metoprolol tartrate 25 mg", ("metoprolol",)),
    ("metoprolol succinate ER 50 mg", ("metoprolol",)),
    ("nifedipine XL", ("nifedipine",)),
    ("diltiazem CD 180", ("diltiazem",)),
    ("aspirin 81 mg EC", ("aspirin",)),
    ("albuterol HFA", ("albuterol",)),
    # combinations, by ingredient, abbreviation or brand, with their strengths between or after
    ("lisinopril-HCTZ 20-12.5", ("lisinopril", "hydrochlorothiazide")),
    ("losartan/HCTZ 100/25 mg tab", ("losartan", "hydrochlorothiazide")),
    ("hydrocodone-APAP 5-325", ("hydrocodone", "acetaminophen")),
    ("oxycodone/APAP 5/325", ("oxycodone", "acetaminophen")),
    ("amoxicillin-clavulanate potassium 875-125 mg", ("amoxicillin", "clavulanate")),
    ("Tylenol w/ codeine", ("acetaminophen", "codeine")),
    ("APAP & codeine", ("acetaminophen", "codeine")),
    ("APAP + hydrocodone", ("acetaminophen", "hydrocodone")),
    ("tramadol and APAP", ("tramadol", "acetaminophen")),
    ("sacubitril-valsartan", ("sacubitril", "valsartan")),
    # Tylenol with Codeine by its number, as prescribers write it (it was "not checked": the codeine unseen)
    ("Tylenol #3", ("acetaminophen", "codeine")),
    ("Tylenol 3", ("acetaminophen", "codeine")),
    ("Tylenol 3 tabs", ("acetaminophen", "codeine")),
    ("Tylenol no. 4", ("acetaminophen", "codeine")),
    # a brand without its release or device word
    ("Wellbutrin", ("bupropion",)),
    ("Wellbutrin 150 mg", ("bupropion",)),
    ("Toprol", ("metoprolol",)),
    ("Medrol", ("methylprednisolone",)),
    ("Advair", ("fluticasone", "salmeterol")),
    ("Adalat", ("nifedipine",)),
    ("valproate", ("valproic acid",)),
    ("VPA", ("valproic acid",)),
    # amoxicillin/clavulanate written short (Wikipedia: "also known as co-amoxiclav or amox-clav")
    ("amox/clav", ("amoxicillin", "clavulanate")),
    ("Amox-Clav 875/125", ("amoxicillin", "clavulanate")),
    ("co-amoxiclav", ("amoxicillin", "clavulanate")),
])
def test_written_forms_are_read_as_their_ingredients(formulary, typed, ingredients):
    assert drug_ref_from_text(typed, formulary).ingredients == ingredients


@pytest.mark.parametrize("typed", [
    "Tylenol 5", "Tylenol 3 mg", "Claritin-D", "Mucinex DM", "Advil PM",  # another drug hides behind the word
    "Advil/Claritin-D",  # one part is such a product
    "APAP codeine 300/30",  # two drugs without a join: one part names both
    "Tylenol 5/codeine",  # a number after a brand inside a combination
    # a brand's first word naming products of different ingredients, or a word that is no brand alone
    "Humulin", "Vitamin", "Plan", "MS", "Pred", "Alphagan",
    "salt and pepper", "lisinopril and", "co-Q10",
])
def test_names_that_could_hide_a_drug_stay_unknown(formulary, typed):
    with pytest.raises(UnknownDrug):
        drug_ref_from_text(typed, formulary)
    assert not drug_is_checkable(DrugRef(name=typed, ingredients=()))


@pytest.mark.parametrize(("first", "second", "rule"), [
    ("metoprolol tartrate 25 mg", "verapamil", "beta-blocker-verapamil"),
    ("lisinopril-HCTZ 20-12.5", "lithium", "lithium-thiazide"),
    ("hydrocodone-APAP 5-325", "alprazolam", "opioid-benzodiazepine"),
    ("Tylenol w/ codeine", "Xanax", "opioid-benzodiazepine"),
    ("Tylenol #3", "Xanax", "opioid-benzodiazepine"),
    ("Advair", "ketoconazole", "salmeterol-strong-cyp3a4-inhibitor"),
    ("valproate", "lamotrigine", "lamotrigine-valproate"),
])
def test_the_command_line_alerts_on_written_forms(capsys, first, second, rule):
    assert main(["alerts", "--drug", first, "--drug", second, "--json"]) == 0
    alerts = json.loads(capsys.readouterr().out)
    assert rule in {a["rule"] for a in alerts}


def test_the_command_line_still_refuses_a_name_it_cannot_read(capsys):
    assert main(["alerts", "--drug", "Tylenol 5", "--drug", "alprazolam"]) == 2
    assert "unknown drug 'Tylenol 5'" in capsys.readouterr().err


def test_a_free_text_entry_on_the_chart_is_checked_by_its_ingredients(db, as_role, patient):
    # as a PHR merge or an old list leaves it: the name only, no coding
    with db.uow() as uow:
        uow.session.add(Medication(patient_id=patient.id, drug_name="hydrocodone-APAP 5-325 mg tab",
                                   ingredients=""))
    with as_role("physician") as uow:
        check = check_medication(uow, patient.id, MedicationInput(formulary_id="", drug_name="Xanax 0.5 mg"))
    assert "opioid-benzodiazepine" in {a.rule_id for a in check.alerts}
    assert check.unchecked == ()


def test_brands_written_short_on_the_chart_are_checked(db, as_role, patient):
    """An old list's "Advair" and "Tylenol #3" (no device word, a product number): both are checked."""
    with db.uow() as uow:
        uow.session.add(Medication(patient_id=patient.id, drug_name="Advair", ingredients=""))
        uow.session.add(Medication(patient_id=patient.id, drug_name="Tylenol #3", ingredients=""))
    with as_role("physician") as uow:
        check = check_medication(uow, patient.id, MedicationInput(drug_name="clarithromycin 500 mg"))
        chart = check_for_patient(uow, patient.id)
        benzo = check_medication(uow, patient.id, MedicationInput(drug_name="Xanax 0.5 mg"))
    assert "salmeterol-strong-cyp3a4-inhibitor" in {a.rule_id for a in check.alerts}
    assert "opioid-benzodiazepine" in {a.rule_id for a in benzo.alerts}
    assert check.unchecked == () and chart.unchecked == ()


def test_supplements_with_no_interaction_data_are_listed_as_not_checked(db, as_role, patient):
    """"fish oil", "melatonin", "multivitamin" have no ingredient in the knowledge base: the check names them as
    not checked rather than reporting "no alerts"; an "amox/clav" beside them is checked."""
    with db.uow() as uow:
        for name in ("fish oil 1000 mg", "melatonin 3 mg", "multivitamin", "amox/clav 875 mg"):
            uow.session.add(Medication(patient_id=patient.id, drug_name=name, ingredients=""))
    with as_role("physician") as uow:
        chart = check_for_patient(uow, patient.id)
    assert set(chart.unchecked) == {"fish oil 1000 mg", "melatonin 3 mg", "multivitamin"}


def test_a_combination_typed_in_the_form_is_checked_against_the_chart(db, as_role, patient):
    with db.uow() as uow:
        uow.session.add(Medication(patient_id=patient.id, drug_name="lithium carbonate", ingredients="lithium"))
    with as_role("physician") as uow:
        check = check_medication(uow, patient.id, MedicationInput(drug_name="lisinopril/HCTZ 20/12.5"))
        chart = check_for_patient(uow, patient.id)
    # one alert per pair of drugs: the thiazide's (lisinopril's own rule would be of the same severity)
    assert "lithium-thiazide" in {a.rule_id for a in check.alerts}
    assert check.unchecked == ()
    assert chart.unchecked == ()


# ---------------------------------------------------------------- allergies written by brand or abbreviation

@pytest.mark.parametrize(("allergy", "drug", "severity"), [
    ("ASA", "naproxen", "major"),  # aspirin allergy: NSAID cross-sensitivity
    ("ASA", "aspirin 81 mg EC", "contraindicated"),
    ("Bactrim", "sulfadiazine", "major"),  # the sulfonamide in the combination
    ("Keflex", "cefdinir", "major"),
    ("Motrin", "naproxen", "major"),
    ("Augmentin", "amoxicillin", "contraindicated"),
    ("penicillin", "amox/clav 875 mg", "major"),  # it was 'unknown drug': the penicillin unseen
])
def test_an_allergy_written_as_a_brand_or_abbreviation_is_checked(capsys, allergy, drug, severity):
    assert main(["alerts", "--allergy", allergy, "--drug", drug, "--json"]) == 0
    captured = capsys.readouterr()
    alerts = [a for a in json.loads(captured.out) if a["kind"] == "allergy"]
    assert [a["severity"] for a in alerts] == [severity]
    assert "not a known ingredient" not in captured.err


@pytest.mark.parametrize(("allergy", "drug"), [("statins", "atorvastatin 40 mg"), ("Statin intolerance", "Crestor"),
                                               ("benzodiazepines", "Xanax"), ("benzos", "lorazepam")])
def test_an_allergy_to_statins_or_benzodiazepines_flags_every_member(capsys, allergy, drug):
    assert main(["alerts", "--allergy", allergy, "--drug", drug, "--json"]) == 0
    assert [a["severity"] for a in json.loads(capsys.readouterr().out) if a["kind"] == "allergy"] == ["major"]


def test_an_allergy_to_one_statin_is_not_the_whole_class(capsys):
    assert main(["alerts", "--allergy", "simvastatin", "--drug", "atorvastatin", "--json"]) == 0
    assert [a for a in json.loads(capsys.readouterr().out) if a["kind"] == "allergy"] == []


def test_a_chart_allergy_to_statins_is_checked_when_one_is_prescribed(db, as_role, patient):
    from desktop.services.allergies import AllergyInput, add_allergy

    with as_role("nurse") as uow:
        add_allergy(uow, patient.id, AllergyInput(substance="Statins", reaction="myalgia"))
    with as_role("physician") as uow:
        check = check_medication(uow, patient.id, MedicationInput(drug_name="rosuvastatin 10 mg"))
    assert [a.severity for a in check.alerts if a.kind == "allergy"] == ["major"]


def test_an_allergy_typed_as_asa_is_stored_as_aspirin_and_merges_with_it(db, as_role, patient):
    from desktop.services.allergies import AllergyInput, add_allergy, list_allergies

    with as_role("nurse") as uow:
        first = add_allergy(uow, patient.id, AllergyInput(substance="ASA", reaction="hives"))
    with as_role("nurse") as uow:
        again = add_allergy(uow, patient.id, AllergyInput(substance="Aspirin", reaction="hives"))
    assert again.merged  # one entry, however it was written
    with as_role("physician") as uow:
        rows = list_allergies(uow, patient.id)
        check = check_medication(uow, patient.id, MedicationInput(drug_name="Aleve 220 mg"))
    assert [r.substance_key for r in rows] == ["aspirin"]
    assert first.row.id == rows[0].id
    assert [a.severity for a in check.alerts if a.kind == "allergy"] == ["major"]


def test_an_allergy_entered_by_brand_then_by_its_generic_stays_one_entry(db, as_role, patient):
    from desktop.services.allergies import AllergyInput, add_allergy, list_allergies

    with as_role("nurse") as uow:
        brand = add_allergy(uow, patient.id, AllergyInput(substance="Zithromax", reaction="rash"))
    with as_role("nurse") as uow:
        generic = add_allergy(uow, patient.id, AllergyInput(substance="azithromycin", reaction="hives"))
    with as_role("physician") as uow:
        rows = list_allergies(uow, patient.id)
        check = check_medication(uow, patient.id, MedicationInput(drug_name="Z-Pak"))
    assert generic.merged and [r.id for r in rows] == [brand.row.id]
    assert (rows[0].substance_key, rows[0].reaction) == ("azithromycin", "hives")
    assert [a.kind for a in check.alerts].count("allergy") == 1


def test_an_older_entry_kept_under_its_own_words_is_still_checked(db, as_role, patient):
    from desktop.models import Allergy

    # as saved before brands and abbreviations were read (or by a PHR file without a code): key = the text
    with db.uow() as uow:
        uow.session.add(Allergy(patient_id=patient.id, substance="Keflex", substance_key="keflex",
                                category="medication"))
    with as_role("physician") as uow:
        check = check_medication(uow, patient.id, MedicationInput(drug_name="cefdinir 300 mg"))
    assert [(a.kind, a.severity) for a in check.alerts] == [("allergy", "major")]


# ---------------------------------------------------------------- allergies written with their reaction

@pytest.mark.parametrize(("allergy", "drug", "severity"), [
    ("penicillin (anaphylaxis)", "amoxicillin", "major"),  # the class, its reaction left off
    ("sulfa - hives", "Bactrim DS", "major"),
    ("codeine: nausea", "codeine", "contraindicated"),
    ("Keflex - rash", "cefdinir", "major"),
])
def test_an_allergy_written_with_its_reaction_is_still_checked(capsys, allergy, drug, severity):
    """A reaction written after the substance made the whole text unknown: no alert at all for amoxicillin in a
    patient whose allergy reads 'penicillin (anaphylaxis)'."""
    assert main(["alerts", "--allergy", allergy, "--drug", drug, "--json"]) == 0
    captured = capsys.readouterr()
    alerts = [a for a in json.loads(captured.out) if a["kind"] == "allergy"]
    assert [a["severity"] for a in alerts] == [severity]
    assert "not a known ingredient" not in captured.err


def test_a_chart_allergy_written_with_its_reaction_is_coded_and_checked(db, as_role, patient):
    from desktop.models import Allergy
    from desktop.services.allergies import AllergyInput, add_allergy

    with as_role("nurse") as uow:
        saved = add_allergy(uow, patient.id, AllergyInput(substance="Penicillin (anaphylaxis)"))
    assert (saved.row.substance, saved.row.substance_key) == ("Penicillin (anaphylaxis)", "penicillin")
    with as_role("physician") as uow:
        check = check_medication(uow, patient.id, MedicationInput(drug_name="amoxicillin 500 mg"))
    assert [(a.kind, a.severity) for a in check.alerts] == [("allergy", "major")]
    # an entry stored before, under its own words (the key has lost the parentheses)
    other = patient.id
    with db.uow() as uow:
        uow.session.query(Allergy).delete()
        uow.session.add(Allergy(patient_id=other, substance="Sulfa (hives)", substance_key="sulfa hives",
                                category="medication"))
    with as_role("physician") as uow:
        check = check_medication(uow, other, MedicationInput(drug_name="Bactrim DS"))
    assert [(a.kind, a.severity) for a in check.alerts] == [("allergy", "major")]


@pytest.mark.parametrize("allergy", ["valproic acid", "valproate", "VPA", "Depakene"])
@pytest.mark.parametrize("drug", ["Depakote", "divalproex sodium", "valproic acid"])
def test_a_valproate_allergy_flags_every_valproate_product(capsys, allergy, drug):
    """Divalproex (Depakote) is valproate, the same drug as valproic acid (Depakote/Depakene FDA labels): an
    allergy written as any of them must flag the others; before, 'valproic acid' let Depakote through."""
    assert main(["alerts", "--allergy", allergy, "--drug", drug, "--json"]) == 0
    alerts = json.loads(capsys.readouterr().out)
    assert [a["kind"] for a in alerts] == ["allergy"]
    assert alerts[0]["severity"] in {"major", "contraindicated"}


def test_brands_name_the_products_their_labels_cover(formulary):
    """Oral semaglutide is Rybelsus, Ozempic only the pen; Yaz is the 0.02 mg, Yasmin the 0.03 mg ethinyl
    estradiol tablet (their FDA labels): the form offered the wrong product for 'Ozempic' and 'Yaz'."""
    assert drug_ref_from_text("Rybelsus 7 mg", formulary).ingredients == ("semaglutide",)
    assert {p.dose_form for p in formulary.resolve("Ozempic")} == {"pen injector"}
    assert [p.strength for p in formulary.resolve("Yaz")] == ["3 mg / 0.02 mg"]
    assert [p.strength for p in formulary.resolve("Yasmin")] == ["3 mg / 0.03 mg"]
