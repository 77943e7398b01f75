"""Issue 16: the formulary covers the drugs a US practice prescribes most, coded where a code is verified and
prescribable by name where it is not, with schedules, and checked for interactions by ingredient name."""

from __future__ import annotations

import pytest

from desktop.alerts import AlertContext, drug_ref_from_name, evaluate
from desktop.kb.formulary import load_formulary

# The most prescribed US outpatient drugs as ClinCalc DrugStats ranks them (Top 300, MEPS data; single
# ingredients and the combination products it ranks separately), written as generic names.
TOP_DRUGS = """
atorvastatin; metformin; levothyroxine; lisinopril; amlodipine; metoprolol; albuterol; omeprazole; losartan;
gabapentin; hydrochlorothiazide; sertraline; simvastatin; montelukast; escitalopram; rosuvastatin; bupropion;
furosemide; pantoprazole; trazodone; dextroamphetamine / amphetamine; fluticasone; tamsulosin; fluoxetine;
carvedilol; duloxetine; meloxicam; clopidogrel; prednisone; citalopram; insulin glargine; potassium chloride;
pravastatin; tramadol; aspirin; alprazolam; ibuprofen; cyclobenzaprine; amoxicillin; methylphenidate; allopurinol;
venlafaxine; clonazepam; ergocalciferol; norethindrone / ethinyl estradiol; glipizide; zolpidem; atenolol; apixaban;
oxycodone; cetirizine; spironolactone; hydrocodone / acetaminophen; losartan / hydrochlorothiazide; empagliflozin;
lamotrigine; quetiapine; topiramate; semaglutide; buspirone; ondansetron; famotidine; sitagliptin; propranolol;
estradiol; diclofenac; lorazepam; hydroxyzine; aripiprazole; folic acid; rivaroxaban; valsartan; cephalexin;
azithromycin; lisinopril / hydrochlorothiazide; doxycycline; tizanidine; amoxicillin / clavulanate; latanoprost;
glimepiride; insulin lispro; dulaglutide; mirtazapine; finasteride; paroxetine; ezetimibe; methocarbamol;
clonidine; diltiazem; insulin aspart; hydralazine; triamterene / hydrochlorothiazide; oxybutynin; pregabalin;
celecoxib; sumatriptan; risperidone; lisdexamfetamine; budesonide / formoterol; cyanocobalamin; naproxen;
tiotropium; fenofibrate; baclofen; warfarin; donepezil; valacyclovir; amitriptyline; fluticasone / salmeterol;
nifedipine; metronidazole; sulfamethoxazole / trimethoprim; prednisolone; benzonatate; chlorthalidone; olmesartan;
acetaminophen; nitrofurantoin; levetiracetam; isosorbide mononitrate; methotrexate; dexmethylphenidate;
insulin detemir; ciprofloxacin; pioglitazone; esomeprazole; triamcinolone; mupirocin; guanfacine; lithium;
promethazine; benazepril; levocetirizine; famciclovir; hydroxychloroquine; oxcarbazepine; verapamil; meclizine;
sacubitril / valsartan; dapagliflozin; temazepam; enalapril; linagliptin; desvenlafaxine; tadalafil; ramipril;
sildenafil; morphine; buprenorphine / naloxone; nortriptyline; lurasidone; progesterone; ropinirole; dicyclomine;
colchicine; ketorolac; levofloxacin; irbesartan; clobetasol; liothyronine; telmisartan; fluconazole; labetalol;
medroxyprogesterone; liraglutide; mometasone; ipratropium; magnesium oxide; digoxin; solifenacin; timolol;
carbidopa / levodopa; doxazosin; tirzepatide; brimonidine; dorzolamide / timolol; memantine; terazosin;
amlodipine / benazepril; ketoconazole; methylprednisolone; dexamethasone; ziprasidone; nebivolol; metoclopramide;
hydrocortisone; valsartan / hydrochlorothiazide; levonorgestrel / ethinyl estradiol; bumetanide; acyclovir;
lansoprazole; carbamazepine; calcium carbonate; olanzapine; nitroglycerin; clindamycin; phentermine;
amphetamine; divalproex sodium; testosterone; eszopiclone; mirabegron; ticagrelor; adalimumab; rizatriptan;
emtricitabine / tenofovir; bictegravir / emtricitabine / tenofovir; cholecalciferol; alendronate; raloxifene;
letrozole; anastrozole; tamoxifen; sucralfate; polyethylene glycol 3350; docusate; sennosides; loperamide;
lactulose; linaclotide; mesalamine; ursodiol; insulin degludec; canagliflozin; glyburide; sitagliptin / metformin;
glyburide / metformin; empagliflozin / metformin; insulin isophane; glucagon; thyroid; methimazole; cabergoline;
dutasteride; alfuzosin; trospium; tolterodine; phenazopyridine; vardenafil; conjugated estrogens;
drospirenone / ethinyl estradiol; norgestimate / ethinyl estradiol; desogestrel / ethinyl estradiol;
fluticasone / vilanterol; fluticasone / umeclidinium / vilanterol; umeclidinium / vilanterol;
ipratropium / albuterol; beclomethasone; azelastine; olopatadine; loratadine; fexofenadine; diphenhydramine;
guaifenesin; pseudoephedrine; prochlorperazine; hyoscyamine; zolmitriptan; eletriptan; ubrogepant; rimegepant;
butalbital / acetaminophen / caffeine; acetaminophen / codeine; oxycodone / acetaminophen; tapentadol;
hydromorphone; methadone; buprenorphine; naloxone; naltrexone; fentanyl; carisoprodol; metaxalone; etodolac;
nabumetone; indomethacin; oxaprozin; diazepam; chlordiazepoxide; suvorexant; ramelteon; doxepin; atomoxetine;
armodafinil; modafinil; varenicline; nicotine; disulfiram; acamprosate; benztropine; pramipexole; rasagiline;
amantadine; primidone; zonisamide; lacosamide; phenytoin; phenobarbital; paliperidone; brexpiprazole; cariprazine;
haloperidol; rivastigmine; galantamine; amiodarone; flecainide; sotalol; dofetilide; dronedarone; ranolazine;
isosorbide dinitrate; eplerenone; torsemide; indapamide; metolazone; amiloride; dabigatran; enoxaparin; prasugrel;
cilostazol; gemfibrozil; icosapent ethyl; omega-3-acid ethyl esters; niacin; ezetimibe / simvastatin;
amlodipine / olmesartan; amlodipine / valsartan; amlodipine / atorvastatin; bisoprolol / hydrochlorothiazide;
olmesartan / hydrochlorothiazide; irbesartan / hydrochlorothiazide; benazepril / hydrochlorothiazide; bisoprolol;
minocycline; clarithromycin; cefdinir; cefuroxime; cefadroxil; cefprozil; penicillin v; dicloxacillin; tetracycline;
trimethoprim; vancomycin; linezolid; rifampin; isoniazid; oseltamivir; ivermectin; permethrin; nystatin;
clotrimazole; terbinafine; tretinoin; adapalene; fluocinonide; betamethasone; desonide; silver sulfadiazine;
ofloxacin; tobramycin; moxifloxacin; travoprost; bimatoprost; cyclosporine; ferrous sulfate; sodium bicarbonate;
leflunomide; etanercept; dupilumab; febuxostat; ibandronate; risedronate; megestrol; bicalutamide; exemestane
"""


def _top() -> list[str]:
    return [n.strip() for n in TOP_DRUGS.replace("\n", " ").split(";") if n.strip()]


@pytest.fixture(scope="module")
def formulary():
    return load_formulary()


def test_the_list_holds_at_least_300_distinct_drugs():
    names = _top()
    assert len(names) == len(set(names))
    assert len(names) >= 300


@pytest.mark.parametrize("name", _top())
def test_each_top_drug_is_prescribable_from_the_typeahead(formulary, name):
    wanted = tuple(i.strip() for i in name.split("/"))
    # the prescriber types the first word of each ingredient, in any order
    typed = " ".join(reversed([w.split()[0][:5] for w in wanted]))
    hits = [p for p in formulary.search(typed, limit=200) if set(wanted) <= set(p.ingredient_names)]
    assert hits, f"{name!r}: nothing offered for {typed!r}"
    p = hits[0]
    assert p.strength and p.dose_form and p.route and p.default_sig


def test_count_of_coded_entries_and_the_uncoded_rest(formulary):
    products = formulary.products
    coded = [p for p in products if all(i.rxcui for i in p.ingredients)]
    uncoded = [p for p in products if not all(i.rxcui for i in p.ingredients)]
    print(f"{len(products)} products: {len(coded)} with every ingredient coded, {len(uncoded)} uncoded; "
          f"{sum(1 for p in products if p.product_rxcui)} with a product (SCD) code")
    assert len(products) >= 900
    assert len(coded) >= 650 and len(uncoded) >= 100
    for p in uncoded:  # never an invented code: empty, and the ingredient's source says it was not verified
        assert all(i.rxcui == "" or i.rxcui.isdigit() for i in p.ingredients)
        if len(p.ingredients) == 1:
            assert p.ingredient_rxcui is None  # the chart then stores text only


@pytest.mark.parametrize("text, schedule", [
    ("alprazolam", "IV"), ("zolpidem", "IV"), ("clonazepam", "IV"), ("temazepam", "IV"),
    ("adderall", "II"), ("vyvanse", "II"), ("focalin", "II"), ("tapentadol", "II"), ("tylenol codeine", "III"),
    ("testosterone", "III"), ("butrans", "III"), ("pregabalin", "V"), ("lacosamide", "V"), ("lomotil", "V"),
    ("phentermine", "IV"), ("phenobarbital", "IV"), ("azithromycin", ""), ("gabapentin", ""),
])
def test_controlled_substances_carry_their_schedule(formulary, text, schedule):
    products = formulary.search(text, limit=50)
    assert products
    assert {p.dea_schedule for p in products} == {schedule}


@pytest.mark.parametrize("proposed, active, severity", [
    ("clarithromycin", "simvastatin", "contraindicated"),  # ONC pair 11; clarithromycin has no verified code
    ("tizanidine", "ciprofloxacin", "contraindicated"),  # ONC pair 13
    ("sumatriptan", "phenelzine", "contraindicated"),  # ONC pair 15
    ("fluconazole", "warfarin", "major"),
    ("lithium", "ibuprofen", "major"),
    ("zolpidem", "oxycodone", "moderate"),
    ("alprazolam", "hydrocodone", "major"),
])
def test_uncoded_ingredients_are_checked_by_name(formulary, proposed, active, severity):
    product = formulary.search(proposed, limit=1)[0]
    assert product.ingredient_rxcui is None or proposed in ("alprazolam", "sumatriptan")
    new = drug_ref_from_name(product.display, formulary)
    old = drug_ref_from_name(active, formulary)
    alerts = evaluate(AlertContext(active_meds=(old,), proposed=(new,)))
    assert severity in {a.severity for a in alerts if a.kind == "interaction"}, alerts


def test_an_ingredient_code_resolves_to_the_ingredient_alone_before_its_combinations(formulary):
    """A PHR medication coded with metformin's RXCUI is metformin, not empagliflozin / metformin."""
    products = formulary.resolve("6809")
    assert products[0].ingredient_names == ("metformin",)
    assert {("empagliflozin", "metformin"), ("metformin",)} <= {p.ingredient_names for p in products}
    assert formulary.resolve("hydrochlorothiazide")[0].ingredient_names == ("hydrochlorothiazide",)
