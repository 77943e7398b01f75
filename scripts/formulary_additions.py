"""Add the commonly prescribed US drugs missing from resources/kb/formulary.json (run once; idempotent).

Which drugs: the ClinCalc DrugStats "Top 300 drugs" list (MEPS-based, CC BY-SA 4.0), with the combination products
it ranks. Strengths, dose forms and brand names are those of the US-marketed products (FDA Orange Book / labels).
Ingredient RXCUIs are copied only from resources/kb/rxnorm_ingredients.csv (sources named there) or from the codes
the formulary already carries; an ingredient with no verified code gets rxcui "" and says so in its source. Product
(SCD) codes only where a shipped sample file carries them (PRODUCT_CODES); otherwise product_rxcui stays null.

    python scripts/formulary_additions.py        # rewrites resources/kb/formulary.json in place
"""

from __future__ import annotations

import csv
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KB = ROOT / "resources" / "kb"
LIST_SOURCE = "ClinCalc DrugStats Database, Top 300 Drugs (MEPS 2013-2022, CC BY-SA 4.0)"
LABEL_SOURCE = "US FDA labeling / Orange Book product listing"
NO_CODE = ("RxNorm ingredient code not verified: absent from resources/kb/rxnorm_ingredients.csv and "
           "CLINICAL-REFERENCES; code left empty, checks use the ingredient name")

# dose form -> (route, dispense unit, default sig)
FORMS: dict[str, tuple[str, str, str]] = {
    "oral tablet": ("oral", "tablet", "1 tablet by mouth once daily"),
    "oral capsule": ("oral", "capsule", "1 capsule by mouth once daily"),
    "extended-release oral tablet": ("oral", "tablet", "1 tablet by mouth once daily"),
    "extended-release oral capsule": ("oral", "capsule", "1 capsule by mouth once daily"),
    "delayed-release oral tablet": ("oral", "tablet", "1 tablet by mouth once daily"),
    "delayed-release oral capsule": ("oral", "capsule", "1 capsule by mouth once daily"),
    "chewable tablet": ("oral", "tablet", "chew 1 tablet once daily"),
    "orally disintegrating tablet": ("oral", "tablet", "dissolve 1 tablet on the tongue once daily"),
    "sublingual tablet": ("sublingual", "tablet", "1 tablet under the tongue as directed"),
    "oral suspension": ("oral", "mL", "take by mouth as directed"),
    "oral solution": ("oral", "mL", "take by mouth as directed"),
    "powder for oral solution": ("oral", "bottle", "mix 17 g in 8 oz of liquid and drink once daily"),
    "topical cream": ("topical", "tube", "apply a thin layer to the affected area twice daily"),
    "topical ointment": ("topical", "tube", "apply a thin layer to the affected area twice daily"),
    "topical gel": ("topical", "tube", "apply a thin layer to the affected area once daily"),
    "topical solution": ("topical", "bottle", "apply to the affected area twice daily"),
    "topical lotion": ("topical", "bottle", "apply to the affected area as directed"),
    "shampoo": ("topical", "bottle", "lather into wet scalp, leave 5 minutes, rinse; twice weekly"),
    "vaginal cream": ("vaginal", "tube", "1 applicatorful vaginally at bedtime"),
    "ophthalmic solution": ("ophthalmic", "bottle", "1 drop in the affected eye(s) twice daily"),
    "ophthalmic suspension": ("ophthalmic", "bottle", "1 drop in the affected eye(s) four times daily"),
    "ophthalmic emulsion": ("ophthalmic", "vial", "1 drop in each eye twice daily"),
    "otic suspension": ("otic", "bottle", "4 drops in the affected ear four times daily"),
    "nasal spray": ("intranasal", "bottle", "2 sprays in each nostril once daily"),
    "metered dose inhaler": ("inhalation", "inhaler", "2 puffs by inhalation every 4 to 6 hours as needed"),
    "dry powder inhaler": ("inhalation", "inhaler", "1 inhalation once daily"),
    "inhalation solution": ("inhalation", "vial", "1 vial by nebulizer every 6 hours as needed"),
    "soft mist inhaler": ("inhalation", "inhaler", "2 inhalations once daily"),
    "pen injector": ("subcutaneous", "pen", "inject subcutaneously as directed"),
    "injectable solution": ("subcutaneous", "vial", "inject subcutaneously as directed"),
    "prefilled syringe": ("subcutaneous", "syringe", "inject subcutaneously as directed"),
    "intramuscular injection": ("intramuscular", "vial", "inject intramuscularly as directed"),
    "transdermal system": ("transdermal", "patch", "apply 1 patch to the skin as directed"),
    "rectal suppository": ("rectal", "suppository", "insert 1 suppository rectally as directed"),
}


@dataclass
class Drug:
    generic: str
    ingredients: list[str]
    brands: list[str]
    classes: list[str]
    label: str
    products: list[tuple]  # (strength, dose form[, sig])
    schedule: str = ""
    sig: str = ""
    slug: str = ""
    extra: dict = field(default_factory=dict)


DRUGS: list[Drug] = []


def d(generic: str, brands: str, classes: str, label: str, products: list[tuple], *, ings: str = "",
      schedule: str = "", sig: str = "", slug: str = "") -> None:
    DRUGS.append(Drug(
        generic=generic, ingredients=[i.strip() for i in (ings or generic).split("/")],
        brands=[b.strip() for b in brands.split(",") if b.strip()], classes=classes.split(), label=label,
        products=products, schedule=schedule, sig=sig, slug=slug,
    ))


T, C = "oral tablet", "oral capsule"
ERT, ERC, DRT, DRC = ("extended-release oral tablet", "extended-release oral capsule", "delayed-release oral tablet",
                      "delayed-release oral capsule")

# ---- anti-infectives
d("azithromycin", "Zithromax, Z-Pak", "macrolide", "macrolide antibiotic",
  [("250 mg", T), ("500 mg", T), ("200 mg/5 mL", "oral suspension", "dose by weight; by mouth once daily for 5 days")],
  sig="500 mg by mouth on day 1, then 250 mg once daily on days 2 to 5")
d("clarithromycin", "Biaxin", "macrolide", "macrolide antibiotic", [("250 mg", T), ("500 mg", T)],
  sig="1 tablet by mouth every 12 hours")
d("sulfamethoxazole / trimethoprim", "Bactrim DS, Septra DS", "sulfonamide_antibiotic antifolate_antibacterial",
  "sulfonamide + folate antagonist antibacterial",
  [("800 mg / 160 mg", T), ("400 mg / 80 mg", T), ("200 mg / 40 mg per 5 mL", "oral suspension",
                                                   "dose by weight; by mouth every 12 hours")],
  ings="sulfamethoxazole / trimethoprim", sig="1 tablet by mouth every 12 hours", slug="smx-tmp")
d("trimethoprim", "Primsol", "antifolate_antibacterial", "folate antagonist antibacterial", [("100 mg", T)],
  sig="1 tablet by mouth every 12 hours")
d("metronidazole", "Flagyl", "nitroimidazole", "nitroimidazole antimicrobial",
  [("250 mg", T), ("500 mg", T), ("0.75%", "topical gel", "apply a thin layer to the affected area twice daily"),
   ("0.75%", "vaginal gel", "1 applicatorful vaginally at bedtime for 5 days")],
  sig="1 tablet by mouth every 12 hours")
d("clindamycin", "Cleocin", "lincosamide", "lincosamide antibiotic",
  [("150 mg", C), ("300 mg", C), ("1%", "topical solution", "apply to the affected area twice daily")],
  sig="1 capsule by mouth every 6 to 8 hours")
d("minocycline", "Minocin", "tetracycline", "tetracycline antibiotic", [("50 mg", C), ("100 mg", C)],
  sig="1 capsule by mouth every 12 hours")
d("tetracycline", "", "tetracycline", "tetracycline antibiotic", [("250 mg", C), ("500 mg", C)],
  sig="1 capsule by mouth every 6 hours on an empty stomach")
d("dicloxacillin", "", "penicillin", "penicillinase-resistant penicillin", [("250 mg", C), ("500 mg", C)],
  sig="1 capsule by mouth every 6 hours on an empty stomach")
d("cefadroxil", "", "cephalosporin", "cephalosporin (first generation)", [("500 mg", C)],
  sig="1 capsule by mouth every 12 hours")
d("cefprozil", "", "cephalosporin", "cephalosporin (second generation)", [("250 mg", T), ("500 mg", T)],
  sig="1 tablet by mouth every 12 hours")
d("cefixime", "Suprax", "cephalosporin", "cephalosporin (third generation)", [("400 mg", C)])
d("amoxicillin / clavulanate", "Augmentin", "penicillin", "penicillin + beta-lactamase inhibitor",
  [("250 mg / 125 mg", T), ("400 mg / 57 mg per 5 mL", "oral suspension", "dose by weight; by mouth every 12 hours"),
   ("600 mg / 42.9 mg per 5 mL", "oral suspension", "dose by weight; by mouth every 12 hours")],
  ings="amoxicillin / clavulanate", sig="1 tablet by mouth every 12 hours with food", slug="amoxicillin-clavulanate")
d("ofloxacin", "Ocuflox, Floxin Otic", "fluoroquinolone", "fluoroquinolone antibiotic (ophthalmic / otic)",
  [("0.3%", "ophthalmic solution", "1 to 2 drops in the affected eye(s) four times daily"),
   ("0.3%", "otic solution", "10 drops in the affected ear once daily for 7 days")])
d("moxifloxacin ophthalmic", "Vigamox", "fluoroquinolone", "fluoroquinolone antibiotic (ophthalmic)",
  [("0.5%", "ophthalmic solution", "1 drop in the affected eye(s) three times daily for 7 days")],
  ings="moxifloxacin", slug="moxifloxacin-ophth")
d("tobramycin", "Tobrex", "aminoglycoside", "aminoglycoside antibiotic (ophthalmic)",
  [("0.3%", "ophthalmic solution", "1 to 2 drops in the affected eye(s) every 4 hours")])
d("ciprofloxacin / dexamethasone", "Ciprodex", "fluoroquinolone corticosteroid_otic",
  "fluoroquinolone + corticosteroid (otic)",
  [("0.3% / 0.1%", "otic suspension", "4 drops in the affected ear twice daily for 7 days")],
  ings="ciprofloxacin / dexamethasone", slug="ciprofloxacin-dexamethasone")
d("mupirocin", "Bactroban", "topical_antibiotic", "topical antibiotic",
  [("2%", "topical ointment", "apply to the affected area three times daily")])
d("vancomycin", "Firvanq", "glycopeptide", "glycopeptide antibiotic (oral, C. difficile)", [("125 mg", C)],
  sig="1 capsule by mouth every 6 hours for 10 days")
d("linezolid", "Zyvox", "oxazolidinone", "oxazolidinone antibiotic", [("600 mg", T)],
  sig="1 tablet by mouth every 12 hours")
d("rifampin", "Rifadin", "antitubercular", "rifamycin antibacterial", [("300 mg", C)],
  sig="2 capsules by mouth once daily on an empty stomach")
d("fluconazole", "Diflucan", "azole_antifungal", "azole antifungal",
  [("150 mg", T, "1 tablet by mouth once"), ("100 mg", T), ("200 mg", T)])
d("itraconazole", "Sporanox", "azole_antifungal", "azole antifungal", [("100 mg", C)],
  sig="2 capsules by mouth once daily with a full meal")
d("ketoconazole", "Nizoral", "azole_antifungal", "azole antifungal (topical)",
  [("2%", "topical cream", "apply to the affected area once daily"), ("2%", "shampoo")])
d("clotrimazole", "Lotrimin", "azole_antifungal", "azole antifungal (topical)",
  [("1%", "topical cream", "apply to the affected area twice daily"),
   ("10 mg", "oral troche", "dissolve 1 troche in the mouth five times daily for 14 days")])
d("nystatin", "Mycostatin", "polyene_antifungal", "polyene antifungal",
  [("100,000 units/mL", "oral suspension", "5 mL swish and swallow four times daily"),
   ("100,000 units/g", "topical cream", "apply to the affected area twice daily")])
d("clotrimazole / betamethasone", "Lotrisone", "azole_antifungal corticosteroid_topical",
  "azole antifungal + topical corticosteroid", [("1% / 0.05%", "topical cream")],
  ings="clotrimazole / betamethasone", slug="clotrimazole-betamethasone")
d("acyclovir", "Zovirax", "antiviral_herpes", "herpes antiviral (nucleoside analog)",
  [("400 mg", T), ("800 mg", T), ("200 mg", C), ("5%", "topical cream", "apply to the lesions five times daily")],
  sig="1 tablet by mouth three times daily")
d("valacyclovir", "Valtrex", "antiviral_herpes", "herpes antiviral (nucleoside analog)",
  [("500 mg", T), ("1 g", T)], sig="1 tablet by mouth twice daily")
d("famciclovir", "Famvir", "antiviral_herpes", "herpes antiviral (nucleoside analog)", [("250 mg", T), ("500 mg", T)],
  sig="1 tablet by mouth twice daily")
d("oseltamivir", "Tamiflu", "neuraminidase_inhibitor", "influenza neuraminidase inhibitor",
  [("75 mg", C), ("30 mg", C), ("6 mg/mL", "oral suspension", "dose by weight; by mouth twice daily for 5 days")],
  sig="1 capsule by mouth twice daily for 5 days")
d("ivermectin", "Stromectol", "anthelmintic", "anthelmintic", [("3 mg", T)],
  sig="dose by weight (200 mcg/kg) by mouth once")
d("permethrin", "Elimite", "pediculicide", "scabicide / pediculicide",
  [("5%", "topical cream", "apply from neck down, wash off after 8 to 14 hours; repeat in 1 week")])
d("emtricitabine / tenofovir disoproxil fumarate", "Truvada", "nrti", "HIV nucleoside reverse transcriptase inhibitors",
  [("200 mg / 300 mg", T)], ings="emtricitabine / tenofovir", slug="emtricitabine-tenofovir-df")
d("bictegravir / emtricitabine / tenofovir alafenamide", "Biktarvy", "integrase_inhibitor nrti",
  "HIV integrase inhibitor + NRTIs", [("50 mg / 200 mg / 25 mg", T)],
  ings="bictegravir / emtricitabine / tenofovir", slug="bictegravir-emtricitabine-taf")
d("dolutegravir", "Tivicay", "integrase_inhibitor", "HIV integrase inhibitor", [("50 mg", T)])
d("darunavir", "Prezista", "protease_inhibitor", "HIV protease inhibitor", [("800 mg", T)],
  sig="1 tablet by mouth once daily with ritonavir and food")

# ---- cardiovascular
d("chlorthalidone", "Thalitone", "thiazide", "thiazide-like diuretic", [("25 mg", T), ("50 mg", T)])
d("bumetanide", "Bumex", "loop_diuretic", "loop diuretic", [("0.5 mg", T), ("1 mg", T), ("2 mg", T)])
d("torsemide", "Demadex, Soaanz", "loop_diuretic", "loop diuretic", [("10 mg", T), ("20 mg", T)])
d("triamterene / hydrochlorothiazide", "Maxzide, Dyazide", "potassium_sparing_diuretic thiazide",
  "potassium-sparing + thiazide diuretic", [("37.5 mg / 25 mg", T), ("75 mg / 50 mg", T), ("37.5 mg / 25 mg", C)],
  ings="triamterene / hydrochlorothiazide", slug="triamterene-hctz")
d("eplerenone", "Inspra", "potassium_sparing_diuretic", "aldosterone antagonist", [("25 mg", T), ("50 mg", T)])
d("amiloride", "", "potassium_sparing_diuretic", "potassium-sparing diuretic", [("5 mg", T)])
d("indapamide", "", "thiazide", "thiazide-like diuretic", [("1.25 mg", T), ("2.5 mg", T)])
d("metolazone", "", "thiazide", "thiazide-like diuretic", [("2.5 mg", T), ("5 mg", T)])
d("isosorbide mononitrate ER", "Imdur", "nitrate", "nitrate (long-acting)",
  [("30 mg", ERT), ("60 mg", ERT), ("120 mg", ERT)], ings="isosorbide mononitrate", slug="isosorbide-mononitrate-er")
d("ticagrelor", "Brilinta", "antiplatelet", "P2Y12 antiplatelet", [("90 mg", T), ("60 mg", T)],
  sig="1 tablet by mouth twice daily")
d("cilostazol", "", "antiplatelet", "phosphodiesterase-3 inhibitor antiplatelet", [("50 mg", T), ("100 mg", T)],
  sig="1 tablet by mouth twice daily, 30 minutes before or 2 hours after meals")
d("ezetimibe", "Zetia", "cholesterol_absorption_inhibitor", "cholesterol absorption inhibitor", [("10 mg", T)])
d("ezetimibe / simvastatin", "Vytorin", "cholesterol_absorption_inhibitor statin",
  "cholesterol absorption inhibitor + statin", [("10 mg / 20 mg", T), ("10 mg / 40 mg", T)],
  ings="ezetimibe / simvastatin", sig="1 tablet by mouth once daily in the evening", slug="ezetimibe-simvastatin")
d("fenofibrate", "Tricor, Trilipix", "fibrate", "fibrate", [("48 mg", T), ("145 mg", T), ("54 mg", T), ("160 mg", T)])
d("gemfibrozil", "Lopid", "fibrate", "fibrate", [("600 mg", T)],
  sig="1 tablet by mouth twice daily, 30 minutes before breakfast and dinner")
d("omega-3-acid ethyl esters", "Lovaza", "omega3_fatty_acid", "omega-3 fatty acids", [("1 g", C)],
  sig="2 capsules by mouth twice daily", slug="omega3-ethyl-esters")
d("icosapent ethyl", "Vascepa", "omega3_fatty_acid", "omega-3 fatty acid (EPA ethyl ester)", [("1 g", C)],
  sig="2 capsules by mouth twice daily with food")
d("niacin ER", "Niaspan", "niacin", "nicotinic acid", [("500 mg", ERT), ("1000 mg", ERT)], ings="niacin",
  sig="1 tablet by mouth at bedtime", slug="niacin-er")
d("ranolazine ER", "Ranexa", "antianginal", "antianginal (late sodium current inhibitor)",
  [("500 mg", ERT), ("1000 mg", ERT)], ings="ranolazine", sig="1 tablet by mouth twice daily", slug="ranolazine-er")
d("dofetilide", "Tikosyn", "antiarrhythmic", "antiarrhythmic (class III)", [("250 mcg", C), ("500 mcg", C)],
  sig="1 capsule by mouth twice daily")
d("dronedarone", "Multaq", "antiarrhythmic", "antiarrhythmic (class III)", [("400 mg", T)],
  sig="1 tablet by mouth twice daily with meals")
d("terazosin", "", "alpha1_blocker", "alpha-1 blocker", [("1 mg", C), ("2 mg", C), ("5 mg", C)],
  sig="1 capsule by mouth at bedtime")
d("alfuzosin ER", "Uroxatral", "alpha1_blocker", "alpha-1 blocker", [("10 mg", ERT)], ings="alfuzosin",
  sig="1 tablet by mouth once daily after the same meal", slug="alfuzosin-er")
d("nifedipine", "Procardia", "ccb_dihydropyridine", "dihydropyridine calcium channel blocker", [("90 mg", ERT)],
  slug="nifedipine-er")
d("amlodipine / olmesartan", "Azor", "ccb_dihydropyridine arb", "dihydropyridine CCB + ARB",
  [("5 mg / 20 mg", T), ("10 mg / 40 mg", T)], ings="amlodipine / olmesartan", slug="amlodipine-olmesartan")
d("amlodipine / benazepril", "Lotrel", "ccb_dihydropyridine ace_inhibitor", "dihydropyridine CCB + ACE inhibitor",
  [("10 mg / 20 mg", C), ("5 mg / 10 mg", C)], ings="amlodipine / benazepril", slug="amlodipine-benazepril")
d("amlodipine / atorvastatin", "Caduet", "ccb_dihydropyridine statin", "dihydropyridine CCB + statin",
  [("5 mg / 10 mg", T), ("10 mg / 20 mg", T)], ings="amlodipine / atorvastatin", slug="amlodipine-atorvastatin")
d("losartan / hydrochlorothiazide", "Hyzaar", "arb thiazide", "ARB + thiazide diuretic",
  [("100 mg / 12.5 mg", T), ("100 mg / 25 mg", T)], ings="losartan / hydrochlorothiazide", slug="losartan-hctz")
d("lisinopril / hydrochlorothiazide", "Zestoretic", "ace_inhibitor thiazide", "ACE inhibitor + thiazide diuretic",
  [("10 mg / 12.5 mg", T), ("20 mg / 25 mg", T)], ings="lisinopril / hydrochlorothiazide", slug="lisinopril-hctz")
d("valsartan / hydrochlorothiazide", "Diovan HCT", "arb thiazide", "ARB + thiazide diuretic",
  [("80 mg / 12.5 mg", T), ("160 mg / 25 mg", T), ("320 mg / 25 mg", T)],
  ings="valsartan / hydrochlorothiazide", slug="valsartan-hctz")
d("olmesartan / hydrochlorothiazide", "Benicar HCT", "arb thiazide", "ARB + thiazide diuretic",
  [("20 mg / 12.5 mg", T), ("40 mg / 25 mg", T)], ings="olmesartan / hydrochlorothiazide", slug="olmesartan-hctz")
d("irbesartan / hydrochlorothiazide", "Avalide", "arb thiazide", "ARB + thiazide diuretic",
  [("150 mg / 12.5 mg", T), ("300 mg / 12.5 mg", T)], ings="irbesartan / hydrochlorothiazide", slug="irbesartan-hctz")
d("telmisartan / hydrochlorothiazide", "Micardis HCT", "arb thiazide", "ARB + thiazide diuretic",
  [("80 mg / 12.5 mg", T)], ings="telmisartan / hydrochlorothiazide", slug="telmisartan-hctz")
d("benazepril / hydrochlorothiazide", "Lotensin HCT", "ace_inhibitor thiazide", "ACE inhibitor + thiazide diuretic",
  [("20 mg / 12.5 mg", T), ("20 mg / 25 mg", T)], ings="benazepril / hydrochlorothiazide", slug="benazepril-hctz")
d("bisoprolol / hydrochlorothiazide", "Ziac", "beta_blocker thiazide", "beta blocker + thiazide diuretic",
  [("5 mg / 6.25 mg", T), ("10 mg / 6.25 mg", T)], ings="bisoprolol / hydrochlorothiazide", slug="bisoprolol-hctz")
d("metoprolol / hydrochlorothiazide", "Lopressor HCT", "beta_blocker thiazide", "beta blocker + thiazide diuretic",
  [("50 mg / 25 mg", T)], ings="metoprolol / hydrochlorothiazide", slug="metoprolol-hctz")
d("amlodipine / valsartan / hydrochlorothiazide", "Exforge HCT", "ccb_dihydropyridine arb thiazide",
  "CCB + ARB + thiazide diuretic", [("10 mg / 320 mg / 25 mg", T)],
  ings="amlodipine / valsartan / hydrochlorothiazide", slug="amlodipine-valsartan-hctz")
d("sacubitril / valsartan", "Entresto", "neprilysin_inhibitor arb", "ARNI (neprilysin inhibitor + ARB)",
  [("97 mg / 103 mg", T)], ings="sacubitril / valsartan", sig="1 tablet by mouth twice daily",
  slug="sacubitril-valsartan")
# K-Dur (10, 20 mEq) and K-Tab are ER tablets only (their FDA labels); Klor-Con also names the capsule and solution
d("potassium chloride ER", "Klor-Con, K-Tab, K-Dur", "potassium_supplement", "potassium supplement",
  [("10 mEq", ERT), ("20 mEq", ERT)],
  ings="potassium chloride", sig="1 tablet by mouth once daily with food and a full glass of water",
  slug="potassium-chloride-er")
d("potassium chloride ER", "Klor-Con", "potassium_supplement", "potassium supplement",
  [("8 mEq", ERC), ("20 mEq/15 mL", "oral solution", "15 mL by mouth diluted in water once daily")],
  ings="potassium chloride", sig="1 capsule by mouth once daily with food and a full glass of water",
  slug="potassium-chloride-er")

# ---- diabetes / endocrine
d("sitagliptin", "Januvia", "dpp4_inhibitor", "DPP-4 inhibitor", [("25 mg", T), ("50 mg", T), ("100 mg", T)])
d("sitagliptin / metformin", "Janumet", "dpp4_inhibitor biguanide", "DPP-4 inhibitor + biguanide",
  [("50 mg / 500 mg", T), ("50 mg / 1000 mg", T)], ings="sitagliptin / metformin",
  sig="1 tablet by mouth twice daily with meals", slug="sitagliptin-metformin")
d("linagliptin", "Tradjenta", "dpp4_inhibitor", "DPP-4 inhibitor", [("5 mg", T)])
d("saxagliptin", "Onglyza", "dpp4_inhibitor", "DPP-4 inhibitor", [("2.5 mg", T), ("5 mg", T)])
d("empagliflozin", "Jardiance", "sglt2_inhibitor", "SGLT2 inhibitor", [("10 mg", T), ("25 mg", T)],
  sig="1 tablet by mouth once daily in the morning")
d("dapagliflozin", "Farxiga", "sglt2_inhibitor", "SGLT2 inhibitor", [("5 mg", T), ("10 mg", T)],
  sig="1 tablet by mouth once daily in the morning")
d("canagliflozin", "Invokana", "sglt2_inhibitor", "SGLT2 inhibitor", [("100 mg", T), ("300 mg", T)],
  sig="1 tablet by mouth once daily before the first meal")
d("empagliflozin / metformin", "Synjardy", "sglt2_inhibitor biguanide", "SGLT2 inhibitor + biguanide",
  [("12.5 mg / 1000 mg", T)], ings="empagliflozin / metformin", sig="1 tablet by mouth twice daily with meals",
  slug="empagliflozin-metformin")
d("glyburide / metformin", "Glucovance", "sulfonylurea biguanide", "sulfonylurea + biguanide",
  [("5 mg / 500 mg", T)], ings="glyburide / metformin", sig="1 tablet by mouth twice daily with meals",
  slug="glyburide-metformin")
d("pioglitazone", "Actos", "thiazolidinedione", "thiazolidinedione", [("15 mg", T), ("30 mg", T), ("45 mg", T)])
d("semaglutide", "Ozempic", "glp1_agonist", "GLP-1 receptor agonist",
  [("2 mg/3 mL (0.25 or 0.5 mg/dose)", "pen injector", "0.25 mg subcutaneously once weekly for 4 weeks, then 0.5 mg weekly"),
   ("4 mg/3 mL (1 mg/dose)", "pen injector", "1 mg subcutaneously once weekly")])
# Wegovy is the weight-management pen (Wegovy FDA label: single-dose pens 0.25, 0.5, 1, 1.7, 2.4 mg)
d("semaglutide", "Wegovy", "glp1_agonist", "GLP-1 receptor agonist",
  [("1.7 mg/0.75 mL", "pen injector", "1.7 mg subcutaneously once weekly"),
   ("2.4 mg/0.75 mL", "pen injector", "2.4 mg subcutaneously once weekly (maintenance dose)")])
# oral semaglutide is Rybelsus, not Ozempic (Rybelsus FDA label: semaglutide tablets 3, 7, 14 mg)
d("semaglutide", "Rybelsus", "glp1_agonist", "GLP-1 receptor agonist",
  [("7 mg", T, "1 tablet by mouth once daily, 30 minutes before the first food with no more than 4 oz of water")])
d("dulaglutide", "Trulicity", "glp1_agonist", "GLP-1 receptor agonist",
  [("0.75 mg/0.5 mL", "pen injector"), ("1.5 mg/0.5 mL", "pen injector")],
  sig="inject subcutaneously once weekly")
d("liraglutide", "Victoza", "glp1_agonist", "GLP-1 receptor agonist",
  [("18 mg/3 mL", "pen injector", "0.6 mg subcutaneously once daily for 1 week, then 1.2 mg once daily")])
d("tirzepatide", "Mounjaro, Zepbound", "glp1_agonist", "GIP/GLP-1 receptor agonist",
  [("2.5 mg/0.5 mL", "pen injector"), ("5 mg/0.5 mL", "pen injector")], sig="inject subcutaneously once weekly")
d("insulin glargine", "Lantus, Basaglar, Semglee", "insulin", "insulin (long-acting)",
  [("100 units/mL", "pen injector", "inject units subcutaneously once daily as directed"),
   ("100 units/mL", "injectable solution", "inject units subcutaneously once daily as directed")])
d("insulin detemir", "Levemir", "insulin", "insulin (long-acting)", [("100 units/mL", "pen injector")])
d("insulin degludec", "Tresiba", "insulin", "insulin (long-acting)", [("100 units/mL", "pen injector")],
  sig="inject units subcutaneously once daily as directed")
d("insulin lispro", "Humalog, Admelog", "insulin", "insulin (rapid-acting)",
  [("100 units/mL", "pen injector"), ("100 units/mL", "injectable solution")],
  sig="inject units subcutaneously within 15 minutes before meals as directed")
d("insulin aspart", "NovoLog, Fiasp", "insulin", "insulin (rapid-acting)", [("100 units/mL", "pen injector")],
  sig="inject units subcutaneously before meals as directed")
d("insulin isophane (NPH)", "Humulin N, Novolin N", "insulin", "insulin (intermediate-acting)",
  [("100 units/mL", "pen injector")], ings="insulin isophane", slug="insulin-nph")
d("insulin regular", "Humulin R, Novolin R", "insulin", "insulin (short-acting)",
  [("100 units/mL", "injectable solution")], ings="insulin regular", slug="insulin-regular")
d("glucagon", "Baqsimi, Gvoke", "glucagon", "antihypoglycemic",
  [("3 mg", "nasal powder", "1 spray in one nostril for severe hypoglycemia; may repeat in 15 minutes")])
d("liothyronine", "Cytomel", "thyroid_hormone", "thyroid hormone (T3)", [("5 mcg", T), ("25 mcg", T)])
d("thyroid", "Armour Thyroid, NP Thyroid", "thyroid_hormone", "thyroid hormone (desiccated)",
  [("30 mg", T), ("60 mg", T), ("90 mg", T)], sig="1 tablet by mouth once daily on an empty stomach")
d("testosterone cypionate", "Depo-Testosterone", "androgen", "androgen",
  [("200 mg/mL", "intramuscular injection", "inject intramuscularly every 1 to 2 weeks as directed")],
  ings="testosterone", schedule="III", slug="testosterone-cypionate")
d("testosterone gel", "AndroGel", "androgen", "androgen", [("1.62%", "topical gel", "apply to the shoulders and upper arms once daily")],
  ings="testosterone", schedule="III", slug="testosterone-gel")
d("progesterone", "Prometrium", "progestin", "progestin", [("100 mg", C), ("200 mg", C)],
  sig="1 capsule by mouth at bedtime")
d("estradiol vaginal", "Estrace vaginal", "estrogen", "estrogen (vaginal)",
  [("0.1 mg/g", "vaginal cream", "1 g vaginally twice weekly")], ings="estradiol", slug="estradiol-vaginal")
d("estradiol transdermal", "Vivelle-Dot, Climara", "estrogen", "estrogen (transdermal)",
  [("0.05 mg/24 hr", "transdermal system", "apply 1 patch twice weekly")], ings="estradiol", slug="estradiol-patch")
d("conjugated estrogens", "Premarin", "estrogen", "estrogens, conjugated", [("0.625 mg", T)])
d("raloxifene", "Evista", "serm", "selective estrogen receptor modulator", [("60 mg", T)])
d("norethindrone / ethinyl estradiol", "Loestrin, Junel", "estrogen progestin", "combined oral contraceptive",
  [("1 mg / 0.02 mg", T), ("1.5 mg / 0.03 mg", T)], ings="norethindrone / ethinyl estradiol",
  sig="1 tablet by mouth once daily", slug="norethindrone-ee")
# Yaz is the 0.02 mg and Yasmin the 0.03 mg ethinyl estradiol tablet (their FDA labels)
d("drospirenone / ethinyl estradiol", "Yaz", "estrogen progestin", "combined oral contraceptive",
  [("3 mg / 0.02 mg", T)], ings="drospirenone / ethinyl estradiol", slug="drospirenone-ee")
d("drospirenone / ethinyl estradiol", "Yasmin", "estrogen progestin", "combined oral contraceptive",
  [("3 mg / 0.03 mg", T)], ings="drospirenone / ethinyl estradiol", slug="drospirenone-ee")
d("desogestrel / ethinyl estradiol", "Apri, Desogen", "estrogen progestin", "combined oral contraceptive",
  [("0.15 mg / 0.03 mg", T)], ings="desogestrel / ethinyl estradiol", slug="desogestrel-ee")
d("etonogestrel / ethinyl estradiol", "NuvaRing", "estrogen progestin", "combined hormonal contraceptive (ring)",
  [("0.12 mg / 0.015 mg per day", "vaginal ring", "insert 1 ring vaginally for 3 weeks, then remove for 1 week")],
  ings="etonogestrel / ethinyl estradiol", slug="etonogestrel-ee-ring")
d("ibandronate", "Boniva", "bisphosphonate", "bisphosphonate",
  [("150 mg", T, "1 tablet by mouth once monthly, 60 minutes before food, upright")])
d("risedronate", "Actonel", "bisphosphonate", "bisphosphonate",
  [("35 mg", T, "1 tablet by mouth once weekly, 30 minutes before food, upright"),
   ("150 mg", T, "1 tablet by mouth once monthly, 30 minutes before food, upright")])
d("alendronate", "Fosamax", "bisphosphonate", "bisphosphonate",
  [("35 mg", T, "1 tablet by mouth once weekly, 30 minutes before food, upright")])
d("finasteride", "Proscar, Propecia", "five_alpha_reductase_inhibitor", "5-alpha-reductase inhibitor", [("5 mg", T), ("1 mg", T)])
d("dutasteride", "Avodart", "five_alpha_reductase_inhibitor", "5-alpha-reductase inhibitor", [("0.5 mg", C)])
d("tamsulosin / dutasteride", "Jalyn", "alpha1_blocker five_alpha_reductase_inhibitor", "alpha-1 blocker + 5-alpha-reductase inhibitor",
  [("0.4 mg / 0.5 mg", C)], ings="tamsulosin / dutasteride", slug="tamsulosin-dutasteride")
d("cabergoline", "", "dopamine_agonist", "dopamine agonist (ergot-derived)", [("0.5 mg", T)],
  sig="1 tablet by mouth twice weekly")
d("cholecalciferol", "Vitamin D3", "vitamin_d", "vitamin D", [("1,000 units", T), ("50,000 units", C, "1 capsule by mouth once weekly")])
d("ergocalciferol", "Drisdol", "vitamin_d", "vitamin D", [("50,000 units", C)], sig="1 capsule by mouth once weekly")
d("cyanocobalamin", "", "vitamin_b12", "vitamin B12",
  [("1,000 mcg/mL", "intramuscular injection", "1,000 mcg intramuscularly once monthly"), ("1,000 mcg", T)])
d("folic acid", "", "folate_supplement", "folate supplement", [("1 mg", T)])
d("magnesium oxide", "Mag-Ox", "magnesium_supplement", "magnesium supplement", [("400 mg", T)])
d("calcium carbonate", "Tums, Os-Cal", "calcium_supplement", "calcium supplement / antacid", [("500 mg", T), ("1,250 mg", T)],
  sig="1 tablet by mouth twice daily with meals")
d("sodium bicarbonate", "", "alkalinizing_agent", "alkalinizing agent", [("650 mg", T)], sig="1 tablet by mouth twice daily")

# ---- respiratory / allergy
d("montelukast", "Singulair", "leukotriene_antagonist", "leukotriene receptor antagonist",
  [("10 mg", T), ("4 mg", "chewable tablet", "chew 1 tablet by mouth once daily in the evening"),
   ("5 mg", "chewable tablet", "chew 1 tablet by mouth once daily in the evening")],
  sig="1 tablet by mouth once daily in the evening")
d("levocetirizine", "Xyzal", "antihistamine_h1", "H1 antihistamine (second generation)", [("5 mg", T)],
  sig="1 tablet by mouth once daily in the evening")
d("hydroxyzine hydrochloride", "Atarax", "antihistamine_h1", "H1 antihistamine (first generation)",
  [("10 mg", T), ("25 mg", T), ("50 mg", T)], ings="hydroxyzine", sig="1 tablet by mouth every 6 to 8 hours as needed for itching or anxiety",
  slug="hydroxyzine-hcl")
d("hydroxyzine pamoate", "Vistaril", "antihistamine_h1", "H1 antihistamine (first generation)",
  [("25 mg", C), ("50 mg", C)], ings="hydroxyzine", sig="1 capsule by mouth every 6 to 8 hours as needed for anxiety",
  slug="hydroxyzine-pamoate")
d("promethazine", "Phenergan", "antihistamine_h1 phenothiazine", "phenothiazine antihistamine / antiemetic",
  [("12.5 mg", T), ("25 mg", T), ("6.25 mg/5 mL", "oral solution", "5 to 10 mL by mouth every 4 to 6 hours as needed")],
  sig="1 tablet by mouth every 6 hours as needed for nausea")
d("meclizine", "Antivert", "antihistamine_h1", "H1 antihistamine (antivertigo)", [("12.5 mg", T), ("25 mg", T)],
  sig="1 tablet by mouth every 8 hours as needed for vertigo")
d("benzonatate", "Tessalon", "antitussive", "non-narcotic antitussive", [("100 mg", C), ("200 mg", C)],
  sig="1 capsule by mouth three times daily as needed for cough; swallow whole")
d("guaifenesin ER", "Mucinex", "expectorant", "expectorant", [("600 mg", ERT)], ings="guaifenesin",
  sig="1 to 2 tablets by mouth every 12 hours", slug="guaifenesin-er")
d("azelastine", "Astelin, Astepro", "antihistamine_h1", "H1 antihistamine (nasal)",
  [("137 mcg/actuation", "nasal spray", "1 to 2 sprays in each nostril twice daily")])
d("mometasone nasal", "Nasonex", "nasal_corticosteroid", "nasal corticosteroid", [("50 mcg/actuation", "nasal spray")],
  ings="mometasone", slug="mometasone-nasal")
d("fluticasone furoate / vilanterol", "Breo Ellipta", "inhaled_corticosteroid beta2_agonist", "ICS + LABA",
  [("100 mcg / 25 mcg per inhalation", "dry powder inhaler"), ("200 mcg / 25 mcg per inhalation", "dry powder inhaler")],
  ings="fluticasone / vilanterol", slug="fluticasone-vilanterol")
d("budesonide / formoterol", "Symbicort, Breyna", "inhaled_corticosteroid beta2_agonist", "ICS + LABA",
  [("80 mcg / 4.5 mcg per actuation", "metered dose inhaler"), ("160 mcg / 4.5 mcg per actuation", "metered dose inhaler")],
  ings="budesonide / formoterol", sig="2 puffs by inhalation twice daily; rinse mouth after use", slug="budesonide-formoterol")
d("fluticasone propionate / salmeterol", "Advair Diskus, Wixela", "inhaled_corticosteroid beta2_agonist", "ICS + LABA",
  [("100 mcg / 50 mcg per inhalation", "dry powder inhaler"), ("500 mcg / 50 mcg per inhalation", "dry powder inhaler")],
  ings="fluticasone / salmeterol", sig="1 inhalation twice daily; rinse mouth after use", slug="fluticasone-salmeterol")
d("fluticasone / umeclidinium / vilanterol", "Trelegy Ellipta", "inhaled_corticosteroid anticholinergic_inhaled beta2_agonist",
  "ICS + LAMA + LABA", [("100 mcg / 62.5 mcg / 25 mcg per inhalation", "dry powder inhaler")],
  ings="fluticasone / umeclidinium / vilanterol", slug="fluticasone-umeclidinium-vilanterol")
d("umeclidinium / vilanterol", "Anoro Ellipta", "anticholinergic_inhaled beta2_agonist", "LAMA + LABA",
  [("62.5 mcg / 25 mcg per inhalation", "dry powder inhaler")], ings="umeclidinium / vilanterol",
  slug="umeclidinium-vilanterol")
d("tiotropium soft mist", "Spiriva Respimat", "anticholinergic_inhaled", "long-acting muscarinic antagonist",
  [("2.5 mcg/actuation", "soft mist inhaler")], ings="tiotropium", slug="tiotropium-respimat")
d("ipratropium / albuterol", "DuoNeb, Combivent Respimat", "anticholinergic_inhaled beta2_agonist",
  "SAMA + SABA", [("0.5 mg / 2.5 mg per 3 mL", "inhalation solution", "1 vial by nebulizer every 6 hours as needed")],
  ings="ipratropium / albuterol", slug="ipratropium-albuterol")
d("ipratropium", "Atrovent", "anticholinergic_inhaled", "short-acting muscarinic antagonist",
  [("0.03%", "nasal spray", "2 sprays in each nostril two to three times daily"),
   ("0.02%", "inhalation solution", "1 vial by nebulizer every 6 to 8 hours")])
d("albuterol nebulizer", "", "beta2_agonist", "short-acting beta-2 agonist",
  [("2.5 mg/3 mL", "inhalation solution", "1 vial by nebulizer every 4 to 6 hours as needed")], ings="albuterol",
  slug="albuterol-neb")
d("budesonide inhalation", "Pulmicort", "inhaled_corticosteroid", "inhaled corticosteroid",
  [("0.5 mg/2 mL", "inhalation solution", "1 vial by nebulizer twice daily"),
   ("180 mcg/inhalation", "dry powder inhaler", "1 to 2 inhalations twice daily; rinse mouth after use")],
  ings="budesonide", slug="budesonide-inh")
d("beclomethasone", "Qvar RediHaler", "inhaled_corticosteroid", "inhaled corticosteroid",
  [("40 mcg/actuation", "metered dose inhaler", "1 to 2 puffs by inhalation twice daily; rinse mouth after use"),
   ("80 mcg/actuation", "metered dose inhaler", "1 to 2 puffs by inhalation twice daily; rinse mouth after use")])
d("mometasone / formoterol", "Dulera", "inhaled_corticosteroid beta2_agonist", "ICS + LABA",
  [("100 mcg / 5 mcg per actuation", "metered dose inhaler", "2 puffs by inhalation twice daily; rinse mouth after use")],
  ings="mometasone / formoterol", slug="mometasone-formoterol")
d("levalbuterol", "Xopenex HFA", "beta2_agonist", "short-acting beta-2 agonist", [("45 mcg/actuation", "metered dose inhaler")])
d("epinephrine", "EpiPen Jr, Auvi-Q", "sympathomimetic", "sympathomimetic",
  [("0.15 mg/0.3 mL", "auto-injector", "inject 0.15 mg into the outer thigh for anaphylaxis; may repeat once")])
d("pseudoephedrine", "Sudafed", "sympathomimetic", "decongestant", [("30 mg", T)],
  sig="2 tablets by mouth every 4 to 6 hours as needed")
d("cromolyn", "NasalCrom", "mast_cell_stabilizer", "mast cell stabilizer",
  [("5.2 mg/actuation", "nasal spray", "1 spray in each nostril three to four times daily")])

# ---- GI
d("ondansetron", "Zofran", "antiemetic_5ht3", "5-HT3 antagonist antiemetic",
  [("8 mg", "orally disintegrating tablet", "dissolve 1 tablet on the tongue every 8 hours as needed for nausea"),
   ("4 mg/5 mL", "oral solution", "5 mL by mouth every 8 hours as needed for nausea")])
d("prochlorperazine", "Compazine", "phenothiazine antipsychotic_typical", "phenothiazine antiemetic",
  [("5 mg", T), ("10 mg", T)], sig="1 tablet by mouth every 6 to 8 hours as needed for nausea")
d("dicyclomine", "Bentyl", "antispasmodic_gi", "GI antispasmodic (anticholinergic)", [("10 mg", C), ("20 mg", T)],
  sig="1 by mouth four times daily as needed for abdominal cramping")
d("hyoscyamine", "Levsin", "antispasmodic_gi", "GI antispasmodic (anticholinergic)", [("0.125 mg", T)],
  sig="1 tablet by mouth or under the tongue every 4 hours as needed")
d("sucralfate", "Carafate", "gi_protectant", "GI mucosal protectant", [("1 g", T)],
  sig="1 tablet by mouth four times daily, 1 hour before meals and at bedtime")
d("famotidine", "Pepcid", "h2_blocker", "H2-receptor antagonist", [("10 mg", T)])
d("polyethylene glycol 3350", "MiraLAX", "osmotic_laxative", "osmotic laxative",
  [("17 g/dose", "powder for oral solution")], slug="peg-3350")
d("docusate sodium", "Colace", "stool_softener", "stool softener", [("100 mg", C)],
  ings="docusate", sig="1 capsule by mouth twice daily", slug="docusate")
d("sennosides", "Senokot", "stimulant_laxative", "stimulant laxative", [("8.6 mg", T)],
  sig="2 tablets by mouth at bedtime")
d("lactulose", "Enulose", "osmotic_laxative", "osmotic laxative",
  [("10 g/15 mL", "oral solution", "15 to 30 mL by mouth once daily")])
d("linaclotide", "Linzess", "gc_c_agonist", "guanylate cyclase-C agonist", [("145 mcg", C), ("290 mcg", C), ("72 mcg", C)],
  sig="1 capsule by mouth once daily, 30 minutes before the first meal")
d("loperamide", "Imodium", "antidiarrheal", "antidiarrheal (opioid receptor agonist, peripheral)", [("2 mg", C)],
  sig="2 capsules by mouth after the first loose stool, then 1 after each loose stool; max 8 per day")
d("diphenoxylate / atropine", "Lomotil", "antidiarrheal", "antidiarrheal", [("2.5 mg / 0.025 mg", T)],
  ings="diphenoxylate / atropine", schedule="V", sig="2 tablets by mouth four times daily as needed for diarrhea",
  slug="diphenoxylate-atropine")
d("mesalamine", "Lialda, Apriso", "aminosalicylate", "aminosalicylate", [("0.375 g", ERC)],
  sig="4 capsules by mouth once daily in the morning")
d("budesonide", "Uceris", "corticosteroid_systemic", "corticosteroid (GI-targeted)", [("9 mg", ERT)], slug="budesonide-er")
d("ursodiol", "Actigall, Urso", "bile_acid", "bile acid", [("300 mg", C), ("250 mg", T)], sig="1 by mouth twice daily")
d("simethicone", "Gas-X", "antiflatulent", "antiflatulent", [("80 mg", "chewable tablet", "chew 1 tablet four times daily as needed")])
d("bisacodyl", "Dulcolax", "stimulant_laxative", "stimulant laxative",
  [("5 mg", DRT, "1 to 3 tablets by mouth once daily as needed"), ("10 mg", "rectal suppository", "insert 1 suppository rectally once daily as needed")])

# ---- neuro / psych
d("gabapentin", "Neurontin", "gabapentinoid anticonvulsant", "gabapentinoid",
  [("100 mg", C), ("300 mg", C), ("400 mg", C), ("600 mg", T), ("800 mg", T),
   ("250 mg/5 mL", "oral solution", "take by mouth three times daily as directed")],
  sig="1 by mouth three times daily")
d("pregabalin", "Lyrica", "gabapentinoid anticonvulsant", "gabapentinoid",
  [("25 mg", C), ("50 mg", C), ("75 mg", C), ("100 mg", C), ("150 mg", C)], schedule="V",
  sig="1 capsule by mouth twice daily")
d("topiramate", "Topamax", "anticonvulsant", "anticonvulsant", [("25 mg", T), ("50 mg", T), ("100 mg", T)],
  sig="1 tablet by mouth twice daily")
d("levetiracetam", "Keppra", "anticonvulsant", "anticonvulsant",
  [("250 mg", T), ("500 mg", T), ("750 mg", T), ("1000 mg", T), ("100 mg/mL", "oral solution", "take by mouth twice daily as directed")],
  sig="1 tablet by mouth twice daily")
d("lacosamide", "Vimpat", "anticonvulsant", "anticonvulsant", [("50 mg", T), ("100 mg", T), ("200 mg", T)],
  schedule="V", sig="1 tablet by mouth twice daily")
d("zonisamide", "Zonegran", "anticonvulsant", "anticonvulsant", [("25 mg", C), ("100 mg", C)])
d("primidone", "Mysoline", "anticonvulsant", "anticonvulsant (barbiturate-related)", [("50 mg", T), ("250 mg", T)],
  sig="1 tablet by mouth at bedtime")
d("lamotrigine ER", "Lamictal XR", "anticonvulsant", "anticonvulsant", [("100 mg", ERT), ("200 mg", ERT)],
  ings="lamotrigine", slug="lamotrigine-er")
d("divalproex sodium ER", "Depakote ER", "anticonvulsant valproate", "anticonvulsant", [("500 mg", ERT)],
  ings="divalproex sodium", slug="divalproex-er")
d("phenobarbital", "", "barbiturate anticonvulsant", "barbiturate", [("30 mg", T), ("64.8 mg", T)], schedule="IV",
  sig="1 tablet by mouth at bedtime")
d("sumatriptan", "Imitrex", "triptan", "triptan (5-HT1B/1D agonist)",
  [("25 mg", T), ("50 mg", T), ("100 mg", T), ("6 mg/0.5 mL", "auto-injector", "inject 6 mg subcutaneously at migraine onset; may repeat after 1 hour; max 12 mg per day"),
   ("20 mg", "nasal spray", "1 spray in one nostril at migraine onset; may repeat after 2 hours")],
  sig="1 tablet by mouth at migraine onset; may repeat after 2 hours; max 200 mg per day")
d("rizatriptan", "Maxalt, Maxalt-MLT", "triptan", "triptan (5-HT1B/1D agonist)",
  [("10 mg", T), ("10 mg", "orally disintegrating tablet"), ("5 mg", T)],
  sig="1 tablet by mouth at migraine onset; may repeat after 2 hours; max 30 mg per day")
d("zolmitriptan", "Zomig", "triptan", "triptan (5-HT1B/1D agonist)", [("2.5 mg", T), ("5 mg", T)],
  sig="1 tablet by mouth at migraine onset; may repeat after 2 hours; max 10 mg per day")
d("eletriptan", "Relpax", "triptan", "triptan (5-HT1B/1D agonist)", [("20 mg", T), ("40 mg", T)],
  sig="1 tablet by mouth at migraine onset; may repeat after 2 hours; max 80 mg per day")
d("naratriptan", "Amerge", "triptan", "triptan (5-HT1B/1D agonist)", [("2.5 mg", T)],
  sig="1 tablet by mouth at migraine onset; may repeat after 4 hours; max 5 mg per day")
d("ubrogepant", "Ubrelvy", "cgrp_antagonist", "CGRP receptor antagonist", [("50 mg", T), ("100 mg", T)],
  sig="1 tablet by mouth at migraine onset; may repeat after 2 hours")
d("rimegepant", "Nurtec ODT", "cgrp_antagonist", "CGRP receptor antagonist",
  [("75 mg", "orally disintegrating tablet", "dissolve 1 tablet on the tongue at migraine onset; max 75 mg per day")])
d("butalbital / acetaminophen / caffeine", "Fioricet", "barbiturate analgesic_antipyretic", "barbiturate-containing analgesic",
  [("50 mg / 325 mg / 40 mg", C)], ings="butalbital / acetaminophen / caffeine",
  sig="1 to 2 capsules by mouth every 4 hours as needed for tension headache; max 6 per day", slug="butalbital-apap-caffeine")
d("dihydroergotamine", "Migranal", "ergot", "ergot alkaloid",
  [("4 mg/mL", "nasal spray", "1 spray in each nostril, repeat in 15 minutes; max 4 sprays per attack")])
d("quetiapine", "Seroquel", "antipsychotic_atypical", "atypical antipsychotic",
  [("25 mg", T), ("50 mg", T), ("100 mg", T), ("200 mg", T), ("300 mg", T), ("150 mg", ERT), ("300 mg", ERT)],
  sig="1 tablet by mouth at bedtime")
d("ziprasidone", "Geodon", "antipsychotic_atypical", "atypical antipsychotic", [("20 mg", C), ("40 mg", C), ("80 mg", C)],
  sig="1 capsule by mouth twice daily with food")
d("lurasidone", "Latuda", "antipsychotic_atypical", "atypical antipsychotic", [("20 mg", T), ("40 mg", T), ("80 mg", T)],
  sig="1 tablet by mouth once daily with food")
d("paliperidone", "Invega", "antipsychotic_atypical", "atypical antipsychotic", [("3 mg", ERT), ("6 mg", ERT)])
d("brexpiprazole", "Rexulti", "antipsychotic_atypical", "atypical antipsychotic", [("1 mg", T), ("2 mg", T)])
d("cariprazine", "Vraylar", "antipsychotic_atypical", "atypical antipsychotic", [("1.5 mg", C), ("3 mg", C)])
d("risperidone", "Risperdal", "antipsychotic_atypical", "atypical antipsychotic", [("0.5 mg", T), ("3 mg", T)])
d("olanzapine", "Zyprexa", "antipsychotic_atypical", "atypical antipsychotic", [("2.5 mg", T), ("15 mg", T), ("20 mg", T)],
  sig="1 tablet by mouth at bedtime")
d("aripiprazole", "Abilify", "antipsychotic_atypical", "atypical antipsychotic", [("2 mg", T), ("15 mg", T)])
d("lithium carbonate", "Lithobid", "mood_stabilizer", "mood stabilizer",
  [("300 mg", C, "1 capsule by mouth two to three times daily"), ("300 mg", ERT, "1 tablet by mouth twice daily"),
   ("450 mg", ERT, "1 tablet by mouth twice daily")], ings="lithium", slug="lithium-carbonate")
d("buspirone", "Buspar", "anxiolytic_azapirone", "anxiolytic (azapirone)",
  [("5 mg", T), ("10 mg", T), ("15 mg", T), ("30 mg", T)], sig="1 tablet by mouth twice daily")
d("alprazolam", "Xanax", "benzodiazepine", "benzodiazepine",
  [("0.25 mg", T), ("0.5 mg", T), ("1 mg", T), ("2 mg", T), ("1 mg", ERT)], schedule="IV",
  sig="1 tablet by mouth three times daily as needed for anxiety")
d("clonazepam", "Klonopin", "benzodiazepine", "benzodiazepine",
  [("0.5 mg", T), ("1 mg", T), ("2 mg", T), ("0.5 mg", "orally disintegrating tablet")], schedule="IV",
  sig="1 tablet by mouth twice daily")
d("temazepam", "Restoril", "benzodiazepine", "benzodiazepine (hypnotic)", [("15 mg", C), ("30 mg", C)], schedule="IV",
  sig="1 capsule by mouth at bedtime as needed for sleep")
d("chlordiazepoxide", "Librium", "benzodiazepine", "benzodiazepine", [("25 mg", C)], schedule="IV",
  sig="1 capsule by mouth three times daily as needed")
d("zolpidem", "Ambien, Ambien CR", "sedative_hypnotic", "non-benzodiazepine hypnotic",
  [("5 mg", T), ("10 mg", T), ("6.25 mg", ERT), ("12.5 mg", ERT)], schedule="IV",
  sig="1 tablet by mouth at bedtime as needed for sleep")
d("eszopiclone", "Lunesta", "sedative_hypnotic", "non-benzodiazepine hypnotic", [("1 mg", T), ("2 mg", T), ("3 mg", T)],
  schedule="IV", sig="1 tablet by mouth immediately before bedtime as needed for sleep")
d("suvorexant", "Belsomra", "orexin_antagonist", "orexin receptor antagonist", [("10 mg", T), ("20 mg", T)], schedule="IV",
  sig="1 tablet by mouth within 30 minutes of bedtime")
d("ramelteon", "Rozerem", "melatonin_agonist", "melatonin receptor agonist", [("8 mg", T)],
  sig="1 tablet by mouth within 30 minutes of bedtime")
d("doxepin", "Silenor", "tca", "tricyclic (low-dose hypnotic)", [("3 mg", T), ("6 mg", T)], slug="doxepin-hypnotic",
  sig="1 tablet by mouth 30 minutes before bedtime")
d("dextroamphetamine / amphetamine", "Adderall, Adderall XR", "amphetamine stimulant", "CNS stimulant (amphetamine)",
  [("5 mg", T), ("10 mg", T), ("20 mg", T), ("30 mg", T), ("10 mg", ERC), ("20 mg", ERC), ("30 mg", ERC)],
  ings="dextroamphetamine / amphetamine", schedule="II", sig="1 by mouth once daily in the morning",
  slug="amphetamine-salts")
d("lisdexamfetamine", "Vyvanse", "amphetamine stimulant", "CNS stimulant (amphetamine prodrug)",
  [("20 mg", C), ("30 mg", C), ("40 mg", C), ("50 mg", C), ("70 mg", C)], schedule="II",
  sig="1 capsule by mouth once daily in the morning")
d("amphetamine sulfate", "Evekeo", "amphetamine stimulant", "CNS stimulant (amphetamine)", [("5 mg", T), ("10 mg", T)],
  ings="amphetamine", schedule="II", sig="1 tablet by mouth once or twice daily", slug="amphetamine-sulfate")
d("dextroamphetamine", "Dexedrine, Zenzedi", "amphetamine stimulant", "CNS stimulant (amphetamine)",
  [("5 mg", T), ("10 mg", T), ("15 mg", ERC)], schedule="II", sig="1 by mouth once daily in the morning")
d("dexmethylphenidate", "Focalin, Focalin XR", "stimulant", "CNS stimulant",
  [("5 mg", T), ("10 mg", T), ("10 mg", ERC), ("20 mg", ERC)], schedule="II", sig="1 by mouth once daily in the morning")
d("methylphenidate ER", "Concerta", "stimulant", "CNS stimulant", [("27 mg", ERT), ("54 mg", ERT)],
  ings="methylphenidate", schedule="II", sig="1 tablet by mouth once daily in the morning", slug="methylphenidate-er")
d("guanfacine ER", "Intuniv", "alpha2_agonist", "central alpha-2 agonist", [("1 mg", ERT), ("2 mg", ERT), ("3 mg", ERT)],
  ings="guanfacine", slug="guanfacine-er")
d("clonidine ER", "Kapvay", "alpha2_agonist", "central alpha-2 agonist", [("0.1 mg", ERT)], ings="clonidine",
  sig="1 tablet by mouth at bedtime", slug="clonidine-er")
d("clonidine transdermal", "Catapres-TTS", "alpha2_agonist", "central alpha-2 agonist",
  [("0.1 mg/24 hr", "transdermal system", "apply 1 patch once weekly")], ings="clonidine", slug="clonidine-patch")
d("armodafinil", "Nuvigil", "wakefulness_agent", "wakefulness-promoting agent", [("150 mg", T), ("250 mg", T)],
  schedule="IV", sig="1 tablet by mouth once daily in the morning")
d("phentermine", "Adipex-P", "anorectic_sympathomimetic", "sympathomimetic anorectic", [("37.5 mg", T), ("37.5 mg", C)],
  schedule="IV", sig="1 by mouth once daily before breakfast")
d("rivastigmine", "Exelon", "cholinesterase_inhibitor", "cholinesterase inhibitor",
  [("4.6 mg/24 hr", "transdermal system", "apply 1 patch once daily"), ("1.5 mg", C, "1 capsule by mouth twice daily with meals")])
d("donepezil", "Aricept", "cholinesterase_inhibitor", "cholinesterase inhibitor", [("23 mg", T)],
  sig="1 tablet by mouth once daily at bedtime")
d("memantine ER", "Namenda XR", "nmda_antagonist", "NMDA receptor antagonist", [("28 mg", ERC)], ings="memantine",
  slug="memantine-er")
d("carbidopa / levodopa", "Sinemet", "dopaminergic", "dopamine precursor + decarboxylase inhibitor",
  [("25 mg / 100 mg", T), ("25 mg / 250 mg", T), ("10 mg / 100 mg", T), ("50 mg / 200 mg", ERT)],
  ings="carbidopa / levodopa", sig="1 tablet by mouth three times daily", slug="carbidopa-levodopa")
d("ropinirole", "Requip", "dopamine_agonist", "dopamine agonist (non-ergot)", [("0.25 mg", T), ("0.5 mg", T), ("1 mg", T), ("2 mg", T)],
  sig="1 tablet by mouth 1 to 3 hours before bedtime")
d("pramipexole", "Mirapex", "dopamine_agonist", "dopamine agonist (non-ergot)", [("0.125 mg", T), ("0.25 mg", T), ("0.5 mg", T), ("1 mg", T)],
  sig="1 tablet by mouth 2 to 3 hours before bedtime")
d("benztropine", "Cogentin", "anticholinergic_antiparkinson", "anticholinergic antiparkinson agent", [("0.5 mg", T), ("1 mg", T)],
  sig="1 tablet by mouth twice daily")
d("amantadine", "", "antiparkinson_adamantane", "adamantane antiparkinson agent", [("100 mg", C)],
  sig="1 capsule by mouth twice daily")
d("rasagiline", "Azilect", "maoi", "MAO-B inhibitor", [("0.5 mg", T), ("1 mg", T)])
d("varenicline", "Chantix", "smoking_cessation", "nicotinic receptor partial agonist",
  [("0.5 mg", T, "1 tablet by mouth once daily for 3 days, then twice daily for 4 days"), ("1 mg", T, "1 tablet by mouth twice daily after meals")])
d("nicotine lozenge", "Nicorette lozenge", "nicotine_replacement", "nicotine replacement",
  [("2 mg", "lozenge", "dissolve 1 lozenge in the mouth every 1 to 2 hours as needed; max 20 per day"),
   ("4 mg", "lozenge", "dissolve 1 lozenge in the mouth every 1 to 2 hours as needed; max 20 per day")],
  ings="nicotine", slug="nicotine-lozenge")
d("naltrexone ER", "Vivitrol", "opioid_antagonist", "opioid antagonist (extended-release injection)",
  [("380 mg", "intramuscular injection", "380 mg intramuscularly (gluteal) every 4 weeks")], ings="naltrexone", slug="naltrexone-er-inj")
d("disulfiram", "Antabuse", "alcohol_deterrent", "aldehyde dehydrogenase inhibitor", [("250 mg", T)])
d("acamprosate", "Campral", "alcohol_deterrent", "alcohol dependence treatment", [("333 mg", DRT)],
  sig="2 tablets by mouth three times daily")
d("bupropion SR", "Wellbutrin SR, Zyban", "ndri", "norepinephrine-dopamine reuptake inhibitor", [("100 mg", ERT), ("200 mg", ERT)],
  ings="bupropion", sig="1 tablet by mouth twice daily", slug="bupropion-sr")
d("bupropion XL", "Wellbutrin XL", "ndri", "norepinephrine-dopamine reuptake inhibitor", [("450 mg", ERT)], ings="bupropion",
  slug="bupropion-xl")
d("venlafaxine", "Effexor", "snri", "SNRI", [("37.5 mg", T), ("75 mg", T)], sig="1 tablet by mouth twice daily with food")
d("duloxetine", "Cymbalta", "snri", "SNRI", [("40 mg", DRC)])
d("desvenlafaxine ER", "Pristiq", "snri", "SNRI", [("25 mg", ERT), ("100 mg", ERT)], ings="desvenlafaxine",
  slug="desvenlafaxine-er")
d("levomilnacipran ER", "Fetzima", "snri", "SNRI", [("40 mg", ERC), ("80 mg", ERC)], ings="levomilnacipran",
  slug="levomilnacipran-er")
d("fluoxetine", "Prozac", "ssri", "SSRI", [("10 mg", T), ("20 mg", T), ("20 mg/5 mL", "oral solution", "5 mL by mouth once daily")])
d("sertraline", "Zoloft", "ssri", "SSRI", [("20 mg/mL", "oral solution", "dilute the dose in 4 oz of water or juice; once daily")])
d("paroxetine", "Paxil", "ssri", "SSRI", [("30 mg", T)])
d("trazodone", "Desyrel", "serotonin_modulator", "serotonin modulator", [("150 mg", T)], sig="1 tablet by mouth at bedtime")
d("mirtazapine", "Remeron", "tetracyclic_antidepressant", "tetracyclic antidepressant", [("7.5 mg", T), ("45 mg", T)],
  sig="1 tablet by mouth at bedtime")
d("amitriptyline", "Elavil", "tca", "tricyclic antidepressant", [("75 mg", T), ("100 mg", T)], sig="1 tablet by mouth at bedtime")
d("nortriptyline", "Pamelor", "tca", "tricyclic antidepressant", [("50 mg", C), ("75 mg", C)], sig="1 capsule by mouth at bedtime")

# ---- analgesia / musculoskeletal
d("cyclobenzaprine", "Flexeril, Amrix", "muscle_relaxant", "skeletal muscle relaxant",
  [("5 mg", T), ("10 mg", T), ("15 mg", ERC, "1 capsule by mouth once daily")],
  sig="1 tablet by mouth three times daily as needed for muscle spasm")
d("tizanidine", "Zanaflex", "muscle_relaxant alpha2_agonist", "skeletal muscle relaxant (central alpha-2 agonist)",
  [("2 mg", T), ("4 mg", T), ("4 mg", C)], sig="1 tablet by mouth every 6 to 8 hours as needed for spasticity")
d("baclofen", "Lioresal", "muscle_relaxant", "skeletal muscle relaxant (GABA-B agonist)",
  [("5 mg", T), ("10 mg", T), ("20 mg", T)], sig="1 tablet by mouth three times daily")
d("methocarbamol", "Robaxin", "muscle_relaxant", "skeletal muscle relaxant", [("500 mg", T), ("750 mg", T)],
  sig="1 tablet by mouth four times daily as needed for muscle spasm")
d("metaxalone", "Skelaxin", "muscle_relaxant", "skeletal muscle relaxant", [("800 mg", T)],
  sig="1 tablet by mouth three to four times daily as needed")
d("etodolac", "", "nsaid", "NSAID", [("400 mg", T), ("500 mg", T)], sig="1 tablet by mouth twice daily with food")
d("ketorolac", "", "nsaid", "NSAID (short-term only)",
  [("10 mg", T, "1 tablet by mouth every 4 to 6 hours as needed; max 40 mg per day; max 5 days total"),
   ("0.5%", "ophthalmic solution", "1 drop in the affected eye(s) four times daily")])
d("diclofenac", "Voltaren", "nsaid", "NSAID (topical)", [("1%", "topical gel", "apply 4 g to the affected joint four times daily")],
  slug="diclofenac-topical")
d("oxaprozin", "Daypro", "nsaid", "NSAID", [("600 mg", T)], sig="2 tablets by mouth once daily")
d("sulindac", "", "nsaid", "NSAID", [("150 mg", T), ("200 mg", T)], sig="1 tablet by mouth twice daily with food")
d("acetaminophen / codeine", "Tylenol with Codeine #3, #4", "opioid analgesic_antipyretic", "opioid + analgesic",
  [("300 mg / 30 mg", T), ("300 mg / 60 mg", T), ("120 mg / 12 mg per 5 mL", "oral solution", "dose by weight; every 4 hours as needed")],
  ings="acetaminophen / codeine", schedule="III", sig="1 tablet by mouth every 4 to 6 hours as needed for pain",
  slug="apap-codeine")
d("tapentadol", "Nucynta", "opioid", "opioid analgesic", [("50 mg", T), ("75 mg", T)], schedule="II",
  sig="1 tablet by mouth every 4 to 6 hours as needed for pain")
d("tramadol / acetaminophen", "Ultracet", "opioid analgesic_antipyretic", "opioid + analgesic", [("37.5 mg / 325 mg", T)],
  ings="tramadol / acetaminophen", schedule="IV", sig="2 tablets by mouth every 4 to 6 hours as needed for pain; max 8 per day",
  slug="tramadol-apap")
d("tramadol ER", "Ultram ER", "opioid", "opioid analgesic", [("100 mg", ERT)], ings="tramadol", schedule="IV",
  slug="tramadol-er")
d("morphine ER", "MS Contin", "opioid", "opioid analgesic", [("60 mg", ERT)], ings="morphine", schedule="II",
  sig="1 tablet by mouth every 12 hours", slug="morphine-er")
d("buprenorphine transdermal", "Butrans", "opioid", "opioid analgesic (partial agonist)",
  [("5 mcg/hr", "transdermal system", "apply 1 patch every 7 days"), ("10 mcg/hr", "transdermal system", "apply 1 patch every 7 days")],
  ings="buprenorphine", schedule="III", slug="buprenorphine-patch")
d("naloxone", "Narcan", "opioid_antagonist", "opioid antagonist",
  [("0.4 mg/mL", "injectable solution", "0.4 mg intramuscularly or subcutaneously for suspected overdose; may repeat every 2 to 3 minutes")])
d("colchicine", "Colcrys, Mitigare", "antigout", "antigout agent",
  [("0.6 mg", T, "1 tablet by mouth once or twice daily"), ("0.6 mg", C, "1 capsule by mouth once or twice daily")])
d("febuxostat", "Uloric", "xanthine_oxidase_inhibitor", "xanthine oxidase inhibitor", [("40 mg", T), ("80 mg", T)])
d("prednisone", "Deltasone", "corticosteroid_systemic", "systemic corticosteroid", [("1 mg", T), ("2.5 mg", T), ("50 mg", T)])
d("methylprednisolone", "Medrol Dosepak", "corticosteroid_systemic", "systemic corticosteroid",
  [("4 mg", "oral tablet dose pack", "take by mouth as directed on the 6-day taper pack"), ("4 mg", T), ("16 mg", T)],
  sig="take by mouth as directed")
d("prednisolone", "Orapred, Millipred", "corticosteroid_systemic", "systemic corticosteroid",
  [("15 mg/5 mL", "oral solution", "dose by weight; by mouth once daily"), ("5 mg", T)])
d("dexamethasone", "Decadron", "corticosteroid_systemic", "systemic corticosteroid",
  [("0.5 mg", T), ("1 mg", T), ("4 mg", T), ("6 mg", T)], sig="take by mouth as directed")
d("triamcinolone topical", "Kenalog", "corticosteroid_topical", "topical corticosteroid (medium potency)",
  [("0.1%", "topical cream"), ("0.1%", "topical ointment"), ("0.025%", "topical cream")], ings="triamcinolone",
  slug="triamcinolone-topical")
d("triamcinolone injection", "Kenalog-40", "corticosteroid_systemic", "corticosteroid (injectable)",
  [("40 mg/mL", "intramuscular injection", "inject as directed (intramuscular or intra-articular)")],
  ings="triamcinolone", slug="triamcinolone-inj")
d("clobetasol", "Temovate", "corticosteroid_topical", "topical corticosteroid (super-high potency)",
  [("0.05%", "topical cream"), ("0.05%", "topical ointment"), ("0.05%", "topical solution", "apply to the affected scalp twice daily")],
  sig="apply a thin layer to the affected area twice daily; max 2 weeks")
d("betamethasone dipropionate", "Diprolene", "corticosteroid_topical", "topical corticosteroid (high potency)",
  [("0.05%", "topical cream"), ("0.05%", "topical ointment")], ings="betamethasone", slug="betamethasone-dipropionate")
d("betamethasone valerate", "Valisone", "corticosteroid_topical", "topical corticosteroid (medium potency)",
  [("0.1%", "topical cream")], ings="betamethasone", slug="betamethasone-valerate")
d("fluocinonide", "Lidex", "corticosteroid_topical", "topical corticosteroid (high potency)",
  [("0.05%", "topical cream"), ("0.05%", "topical ointment")])
d("mometasone topical", "Elocon", "corticosteroid_topical", "topical corticosteroid (medium potency)",
  [("0.1%", "topical cream", "apply a thin layer to the affected area once daily"),
   ("0.1%", "topical ointment", "apply a thin layer to the affected area once daily")], ings="mometasone",
  slug="mometasone-topical")
d("hydrocortisone", "Cortaid", "corticosteroid_topical", "topical corticosteroid (low potency)", [("2.5%", "topical cream")])
d("desonide", "DesOwen", "corticosteroid_topical", "topical corticosteroid (low potency)", [("0.05%", "topical cream")])
d("fluocinolone", "Synalar, DermOtic", "corticosteroid_topical", "topical corticosteroid",
  [("0.01%", "topical solution", "apply to the affected scalp twice daily")])
d("lidocaine", "Xylocaine", "local_anesthetic", "local anesthetic",
  [("2%", "topical jelly", "apply to the affected area as directed"), ("5%", "topical ointment", "apply to the affected area as directed")],
  slug="lidocaine-topical")
d("tretinoin", "Retin-A", "retinoid_topical", "topical retinoid",
  [("0.025%", "topical cream", "apply a pea-sized amount to the face at bedtime"), ("0.05%", "topical cream", "apply a pea-sized amount to the face at bedtime")])
d("adapalene", "Differin", "retinoid_topical", "topical retinoid", [("0.1%", "topical gel", "apply a thin layer to the face at bedtime")])
d("benzoyl peroxide / clindamycin", "BenzaClin, Duac", "lincosamide topical_antibiotic", "topical acne antibiotic",
  [("5% / 1%", "topical gel", "apply to the affected area once to twice daily")], ings="benzoyl peroxide / clindamycin",
  slug="benzoyl-peroxide-clindamycin")
d("silver sulfadiazine", "Silvadene", "sulfonamide_antibiotic", "topical sulfonamide (burns)",
  [("1%", "topical cream", "apply to the burn once to twice daily")])
d("terbinafine", "Lamisil AT", "allylamine_antifungal", "allylamine antifungal (topical)",
  [("1%", "topical cream", "apply to the affected area twice daily")], slug="terbinafine-topical")
d("tacrolimus topical", "Protopic", "calcineurin_inhibitor", "topical calcineurin inhibitor",
  [("0.1%", "topical ointment")], ings="tacrolimus", slug="tacrolimus-topical")
d("hydroxychloroquine", "Plaquenil", "antimalarial", "antimalarial / DMARD", [("300 mg", T)])
d("methotrexate", "Otrexup", "antimetabolite immunosuppressant", "antimetabolite / DMARD",
  [("25 mg/mL", "injectable solution", "inject subcutaneously once weekly as directed")])
d("leflunomide", "Arava", "dmard", "pyrimidine synthesis inhibitor (DMARD)", [("10 mg", T), ("20 mg", T)])
d("adalimumab", "Humira", "tnf_inhibitor immunosuppressant", "TNF blocker",
  [("40 mg/0.4 mL", "pen injector", "inject 40 mg subcutaneously every other week")])
d("etanercept", "Enbrel", "tnf_inhibitor immunosuppressant", "TNF blocker",
  [("50 mg/mL", "pen injector", "inject 50 mg subcutaneously once weekly")])
d("dupilumab", "Dupixent", "il4_il13_antagonist", "interleukin-4/13 receptor antagonist",
  [("300 mg/2 mL", "pen injector", "inject 300 mg subcutaneously every other week")])

# ---- urology / women's health / eye
d("oxybutynin", "Ditropan, Ditropan XL", "urinary_antimuscarinic", "urinary antimuscarinic",
  [("5 mg", T, "1 tablet by mouth two to three times daily"), ("5 mg", ERT), ("10 mg", ERT)])
d("solifenacin", "Vesicare", "urinary_antimuscarinic", "urinary antimuscarinic", [("5 mg", T), ("10 mg", T)])
d("trospium", "", "urinary_antimuscarinic", "urinary antimuscarinic", [("20 mg", T)],
  sig="1 tablet by mouth twice daily, 1 hour before meals")
d("mirabegron ER", "Myrbetriq", "beta3_agonist", "beta-3 adrenergic agonist", [("25 mg", ERT), ("50 mg", ERT)],
  ings="mirabegron", slug="mirabegron-er")
d("tadalafil", "Cialis", "pde5_inhibitor", "PDE5 inhibitor",
  [("5 mg", T, "1 tablet by mouth once daily"), ("10 mg", T, "1 tablet by mouth as needed before sexual activity; max once daily"),
   ("20 mg", T, "1 tablet by mouth as needed before sexual activity; max once daily")])
d("vardenafil", "Levitra", "pde5_inhibitor", "PDE5 inhibitor", [("10 mg", T), ("20 mg", T)],
  sig="1 tablet by mouth 60 minutes before sexual activity; max once daily")
d("nitrofurantoin macrocrystals", "Macrodantin", "nitrofuran", "nitrofuran antibacterial", [("50 mg", C)],
  ings="nitrofurantoin", sig="1 capsule by mouth four times daily with food", slug="nitrofurantoin-macro")
d("methenamine hippurate", "Hiprex", "urinary_antiseptic", "urinary antiseptic", [("1 g", T)], ings="methenamine",
  sig="1 tablet by mouth twice daily", slug="methenamine-hippurate")
d("letrozole", "Femara", "aromatase_inhibitor", "aromatase inhibitor", [("2.5 mg", T)])
d("anastrozole", "Arimidex", "aromatase_inhibitor", "aromatase inhibitor", [("1 mg", T)])
d("exemestane", "Aromasin", "aromatase_inhibitor", "aromatase inhibitor", [("25 mg", T)], sig="1 tablet by mouth once daily after a meal")
d("bicalutamide", "Casodex", "antiandrogen", "nonsteroidal antiandrogen", [("50 mg", T)])
d("megestrol", "Megace ES", "progestin", "progestin (appetite stimulant)", [("40 mg/mL", "oral suspension", "20 mL by mouth once daily"), ("40 mg", T)])
d("timolol", "Timoptic", "beta_blocker", "beta blocker (ophthalmic)", [("0.5%", "ophthalmic solution", "1 drop in the affected eye(s) twice daily")],
  slug="timolol-ophth")
d("brimonidine", "Alphagan P", "alpha2_agonist", "alpha-2 agonist (ophthalmic)",
  [("0.2%", "ophthalmic solution", "1 drop in the affected eye(s) three times daily"), ("0.1%", "ophthalmic solution", "1 drop in the affected eye(s) three times daily")])
d("dorzolamide / timolol", "Cosopt", "carbonic_anhydrase_inhibitor beta_blocker", "carbonic anhydrase inhibitor + beta blocker (ophthalmic)",
  [("2% / 0.5%", "ophthalmic solution", "1 drop in the affected eye(s) twice daily")], ings="dorzolamide / timolol",
  slug="dorzolamide-timolol")
d("dorzolamide", "Trusopt", "carbonic_anhydrase_inhibitor", "carbonic anhydrase inhibitor (ophthalmic)",
  [("2%", "ophthalmic solution", "1 drop in the affected eye(s) three times daily")])
d("travoprost", "Travatan Z", "prostaglandin_analog", "prostaglandin analog (ophthalmic)",
  [("0.004%", "ophthalmic solution", "1 drop in the affected eye(s) once daily in the evening")])
d("bimatoprost", "Lumigan", "prostaglandin_analog", "prostaglandin analog (ophthalmic)",
  [("0.01%", "ophthalmic solution", "1 drop in the affected eye(s) once daily in the evening")])
d("prednisolone acetate", "Pred Forte", "corticosteroid_ophthalmic", "corticosteroid (ophthalmic)",
  [("1%", "ophthalmic suspension", "1 drop in the affected eye(s) four times daily; shake well")], ings="prednisolone",
  slug="prednisolone-ophth")
d("cyclosporine ophthalmic", "Restasis", "calcineurin_inhibitor", "calcineurin inhibitor (ophthalmic)",
  [("0.05%", "ophthalmic emulsion")], ings="cyclosporine", slug="cyclosporine-ophth")
d("olopatadine", "Pataday, Patanol", "antihistamine_h1", "H1 antihistamine (ophthalmic)",
  [("0.1%", "ophthalmic solution", "1 drop in the affected eye(s) twice daily"), ("0.2%", "ophthalmic solution", "1 drop in the affected eye(s) once daily")])
d("erythromycin ophthalmic", "Ilotycin", "macrolide", "macrolide antibiotic (ophthalmic)",
  [("5 mg/g", "ophthalmic ointment", "apply a 1 cm ribbon to the affected eye(s) up to six times daily")], ings="erythromycin",
  slug="erythromycin-ophth")
d("polymyxin b / trimethoprim", "Polytrim", "antifolate_antibacterial", "antibiotic (ophthalmic)",
  [("10,000 units / 1 mg per mL", "ophthalmic solution", "1 drop in the affected eye(s) every 3 hours for 7 to 10 days")],
  ings="polymyxin b / trimethoprim", slug="polymyxin-trimethoprim")

d("caffeine", "NoDoz, Vivarin", "methylxanthine", "methylxanthine CNS stimulant", [("200 mg", T)],
  sig="1 tablet by mouth every 3 to 4 hours as needed for fatigue; max 2 per day")
d("mometasone inhalation", "Asmanex Twisthaler", "inhaled_corticosteroid", "inhaled corticosteroid",
  [("220 mcg/inhalation", "dry powder inhaler", "1 inhalation once daily in the evening; rinse mouth after use")],
  ings="mometasone", slug="mometasone-inh")
d("umeclidinium", "Incruse Ellipta", "anticholinergic_inhaled", "long-acting muscarinic antagonist",
  [("62.5 mcg/inhalation", "dry powder inhaler")])
d("emtricitabine", "Emtriva", "nrti", "HIV nucleoside reverse transcriptase inhibitor", [("200 mg", C)])
d("tenofovir disoproxil fumarate", "Viread", "nrti", "HIV nucleotide reverse transcriptase inhibitor", [("300 mg", T)],
  ings="tenofovir", slug="tenofovir-df")

# ---- anticoagulation / hematology
d("enoxaparin", "Lovenox", "anticoagulant", "low-molecular-weight heparin",
  [("30 mg/0.3 mL", "prefilled syringe", "30 mg subcutaneously every 12 hours"), ("60 mg/0.6 mL", "prefilled syringe", "60 mg subcutaneously every 12 hours"),
   ("80 mg/0.8 mL", "prefilled syringe", "80 mg subcutaneously every 12 hours"), ("100 mg/1 mL", "prefilled syringe", "100 mg subcutaneously every 12 hours")])
d("dabigatran etexilate", "Pradaxa", "anticoagulant", "direct thrombin inhibitor", [("110 mg", C)], ings="dabigatran",
  sig="1 capsule by mouth twice daily")
d("ferrous gluconate", "Fergon", "iron_supplement", "oral iron", [("324 mg", T)], sig="1 tablet by mouth once daily")

# forms used above that the map must know
FORMS.update({
    "vaginal gel": ("vaginal", "tube", "1 applicatorful vaginally at bedtime"),
    "vaginal ring": ("vaginal", "ring", "insert 1 ring vaginally as directed"),
    "otic solution": ("otic", "bottle", "drops in the affected ear as directed"),
    "oral troche": ("oral", "troche", "dissolve 1 troche in the mouth as directed"),
    "nasal powder": ("intranasal", "device", "1 spray in one nostril as directed"),
    "auto-injector": ("subcutaneous", "auto-injector", "inject as directed"),
    "lozenge": ("oral", "lozenge", "dissolve 1 lozenge in the mouth as directed"),
    "oral tablet dose pack": ("oral", "pack", "take by mouth as directed"),
    "topical jelly": ("topical", "tube", "apply to the affected area as directed"),
    "ophthalmic ointment": ("ophthalmic", "tube", "apply to the affected eye(s) as directed"),
})

# product (SCD) codes found in the public sample files shipped in tests/data/phr-samples
PRODUCT_CODES = {
    "amoxicillin-clavulanate-250mg125mg-tab": (
        "562251", "smart-on-fhir/generated-sample-data R4/SYNTHEA/Jorge_Brekke_ac7921e0-c949-4b42-97f2-fad5d171cd01.json "
        "(MedicationRequest.medicationCodeableConcept RxNorm coding 'Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet')"),
}

_ABBR = {"oral tablet": "tab", "oral capsule": "cap", "extended-release oral tablet": "er-tab",
         "extended-release oral capsule": "er-cap", "delayed-release oral tablet": "dr-tab",
         "delayed-release oral capsule": "dr-cap"}


def _slug(text: str) -> str:
    text = text.lower().replace("%", "pct").replace(".", "_")
    return re.sub(r"[^a-z0-9_]+", "-", text).strip("-")


def _strength_slug(strength: str) -> str:
    """"250 mg" -> "250", "200 mg/5 mL" -> "200mg5ml", "0.1%" -> "0_1pct" (the file's existing id style)."""
    s = strength.lower().replace(" ", "").replace(",", "")
    if re.fullmatch(r"[0-9.]+mg", s):
        s = s[:-2]
    return _slug(s.replace("/", ""))


def _codes() -> dict[str, tuple[str, str]]:
    """Verified ingredient codes: the shipped CSV, then the formulary's own (which win; they agree)."""
    codes: dict[str, tuple[str, str]] = {}
    with (KB / "rxnorm_ingredients.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            codes[row["name"]] = (row["rxcui"], f"{row['source']} (ingredient, TTY IN; via resources/kb/rxnorm_ingredients.csv)")
    return codes


def main() -> int:
    path = KB / "formulary.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    products = doc["products"]
    known: dict[str, dict] = {}
    for p in products:
        for ing in p["ingredients"]:
            known.setdefault(ing["name"], ing)
    codes = _codes()
    ids = {p["id"] for p in products}
    combos = {(p["generic"], p["strength"], p["dose_form"]) for p in products}
    added = 0
    for drug in DRUGS:
        ingredients = []
        for name in drug.ingredients:
            if name in known:
                ing = dict(known[name])
            elif name in codes:
                ing = {"name": name, "rxcui": codes[name][0], "source": codes[name][1]}
            else:
                listed = f"{LIST_SOURCE}; {LABEL_SOURCE} ({', '.join(drug.brands) or drug.generic})"
                ing = {"name": name, "rxcui": "", "source": f"{NO_CODE}. Product: {listed}"}
            known.setdefault(name, ing)
            ingredients.append(ing)
        for spec in drug.products:
            strength, form = spec[0], spec[1]
            route, unit, form_sig = FORMS[form]
            sig = spec[2] if len(spec) > 2 else drug.sig or form_sig
            if (drug.generic, strength, form) in combos:
                continue
            pid = f"{drug.slug or _slug(drug.generic)}-{_strength_slug(strength)}-{_ABBR.get(form, _slug(form))}"
            base, n = pid, 2
            while pid in ids:
                pid, n = f"{base}-{n}", n + 1
            ids.add(pid)
            combos.add((drug.generic, strength, form))
            if form in ("oral tablet", "oral capsule") and route == "oral" and "by mouth" not in sig and \
                    not sig.startswith(("take", "dose", "chew", "dissolve")):
                raise SystemExit(f"{pid}: sig {sig!r} does not say how to take an oral product")
            products.append({
                "id": pid,
                "generic": drug.generic,
                "display": f"{drug.generic} {strength} {form}",
                "brands": drug.brands,
                "ingredients": ingredients,
                "strength": strength,
                "dose_form": form,
                "route": route,
                "dispense_unit": unit,
                "drug_class": drug.label,
                "classes": drug.classes,
                "dea_schedule": drug.schedule,
                "product_rxcui": PRODUCT_CODES.get(pid, (None, None))[0],
                "product_source": PRODUCT_CODES.get(pid, (None, None))[1],
                "default_sig": sig,
            })
            added += 1
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"added {added} products; {len(products)} in all", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
