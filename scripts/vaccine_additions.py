"""Add to resources/kb/vaccines.json the vaccines on the CDC child and adult schedules that were missing, the travel
vaccines a primary-care practice gives, and the historical/unspecified CVX codes imported records carry (run once;
idempotent: a CVX code already listed is left alone).

Codes and CDC names come from the CDC CVX table as copied in tests/data/references/cvx.csv (CDC CDSi 4.64 "CVX to
antigen map" via fhir-fli/cicada, MIT; CDC CVX table copy in HealthIntersections/fhirserver, BSD-3). Brand and
maker are from the products' US labels. A historical code is named "(historical record)": it is there so an
imported dose is shown by name and can be recorded from a vaccination card, not to be given.

    python scripts/vaccine_additions.py
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATH = ROOT / "resources" / "kb" / "vaccines.json"
CVX_TABLE = ROOT / "tests" / "data" / "references" / "cvx.csv"
IM, SC, PO, IN = "intramuscular", "subcutaneous", "oral", "intranasal"

# cvx, id, short name (brand), name (None: the CDC name), maker, route, contains
CURRENT: list[tuple[str, str, str, str | None, str, str, tuple[str, ...]]] = [
    ("187", "zoster-recombinant", "RZV (Shingrix)", "Zoster vaccine recombinant, adjuvanted", "GlaxoSmithKline", IM, ()),
    ("165", "hpv9", "HPV9 (Gardasil 9)", "Human papillomavirus 9-valent vaccine", "Merck", IM, ()),
    ("162", "menb-fhbp", "MenB-FHbp (Trumenba)", "Meningococcal B vaccine, fully recombinant", "Pfizer", IM, ()),
    ("163", "menb-4c", "MenB-4C (Bexsero)", "Meningococcal B vaccine, recombinant, OMV, adjuvanted", "GlaxoSmithKline",
     IM, ()),
    ("136", "menacwy-crm", "MenACWY-CRM (Menveo)",
     "Meningococcal oligosaccharide (groups A, C, Y and W-135) diphtheria toxoid conjugate vaccine (MCV4O)",
     "GlaxoSmithKline", IM, ()),
    ("203", "menacwy-tt", "MenACWY-TT (MenQuadfi)",
     "Meningococcal polysaccharide (groups A, C, Y, W-135) tetanus toxoid conjugate vaccine", "Sanofi Pasteur", IM, ()),
    ("316", "menabcwy-pfizer", "MenABCWY (Penbraya)",
     "Meningococcal polysaccharide (MenACWY-TT conjugate) and MenB vaccine, preservative free", "Pfizer", IM, ()),
    ("328", "menabcwy-gsk", "MenABCWY (Penmenvy)",
     "Meningococcal oligosaccharide (MenACWY) and MenB vaccine, preservative free", "GlaxoSmithKline", IM, ()),
    ("327", "pcv21", "PCV21 (Capvaxive)", "Pneumococcal conjugate vaccine, 21-valent", "Merck", IM, ()),
    ("303", "rsv-rsvpref3-adj", "RSV (Arexvy)",
     "RSV vaccine, recombinant, protein subunit RSVpreF, adjuvant reconstituted, 0.5 mL, preservative free",
     "GlaxoSmithKline", IM, ()),
    ("305", "rsv-rsvpref-bivalent", "RSV (Abrysvo)",
     "RSV vaccine, bivalent, protein subunit RSVpreF, diluent reconstituted, 0.5 mL, preservative free", "Pfizer",
     IM, ()),
    ("326", "rsv-mrna", "RSV mRNA (mResvia)", "RSV vaccine, mRNA, injectable, preservative free", "Moderna", IM, ()),
    ("306", "rsv-nirsevimab-50", "Nirsevimab 50 mg (Beyfortus)",
     "RSV immunization, monoclonal antibody nirsevimab-alip, 0.5 mL, neonate to 24 months", "Sanofi Pasteur", IM, ()),
    ("307", "rsv-nirsevimab-100", "Nirsevimab 100 mg (Beyfortus)",
     "RSV immunization, monoclonal antibody nirsevimab-alip, 1.0 mL, neonate to 24 months", "Sanofi Pasteur", IM, ()),
    ("332", "rsv-clesrovimab", "Clesrovimab (Enflonsia)",
     "RSV immunization, monoclonal antibody clesrovimab-cfor, 0.7 mL, neonate and infant, preservative free", "Merck", IM, ()),
    ("309", "covid19-pfizer-2024-30mcg", "COVID-19 2024-25 Pfizer 12+ y (30 mcg)",
     "COVID-19 vaccine, mRNA, LNP-S, preservative free, tris-sucrose, 30 mcg/0.3 mL", "Pfizer-BioNTech", IM, ()),
    ("310", "covid19-pfizer-2024-10mcg", "COVID-19 2024-25 Pfizer 5-11 y (10 mcg)",
     "COVID-19 vaccine, mRNA, LNP-S, preservative free, tris-sucrose, 10 mcg/0.3 mL", "Pfizer-BioNTech", IM, ()),
    ("308", "covid19-pfizer-2024-3mcg", "COVID-19 2024-25 Pfizer 6 mo-4 y (3 mcg)",
     "COVID-19 vaccine, mRNA, LNP-S, preservative free, tris-sucrose, 3 mcg/0.3 mL", "Pfizer-BioNTech", IM, ()),
    ("311", "covid19-moderna-2024-25mcg", "COVID-19 2024-25 Moderna 6 mo-11 y (25 mcg)",
     "COVID-19 vaccine, mRNA, LNP-S, preservative free, 25 mcg/0.25 mL", "Moderna", IM, ()),
    ("312", "covid19-moderna-2024-50mcg", "COVID-19 2024-25 Moderna 12+ y (50 mcg)",
     "COVID-19 vaccine, mRNA, LNP-S, preservative free, 50 mcg/0.5 mL", "Moderna", IM, ()),
    ("334", "covid19-moderna-10mcg", "COVID-19 Moderna (mNEXSPIKE, 10 mcg)",
     "COVID-19 vaccine, mRNA, LNP-S, preservative free, 10 mcg/0.2 mL", "Moderna", IM, ()),
    ("313", "covid19-novavax-2024", "COVID-19 2024-25 Novavax (5 mcg)",
     "COVID-19 vaccine, subunit, rS-nanoparticle, adjuvanted, preservative free, 5 mcg/0.5 mL", "Novavax", IM, ()),
    ("196", "td-adult-lf-unspecified", "Td (Tenivac, TdVax)",
     "Tetanus and diphtheria toxoids, adsorbed, preservative free, for adult use, Lf unspecified", "", IM, ()),
    ("09", "td-adult-adsorbed", "Td (adult), adsorbed", None, "", IM, ()),
    ("106", "dtap-5", "DTaP (Daptacel)", None, "Sanofi Pasteur", IM, ()),
    ("130", "dtap-ipv", "DTaP-IPV (Kinrix, Quadracel)", None, "", IM, ()),
    ("28", "dt-pediatric", "DT (pediatric)", None, "Sanofi Pasteur", IM, ()),
    ("104", "hepa-hepb", "HepA-HepB (Twinrix)", None, "GlaxoSmithKline", IM, ()),
    ("189", "hepb-cpg", "HepB-CpG (Heplisav-B)", "Hepatitis B vaccine (recombinant), adjuvanted", "Dynavax", IM, ()),
    ("220", "hepb-3antigen", "HepB-3 antigen (PreHevbrio)", "Hepatitis B vaccine, recombinant, 3-antigen, Al(OH)3",
     "VBI Vaccines", IM, ()),
    ("161", "flu-iiv4-pf-ped", "Flu (IIV4, PF, pediatric)",
     "Influenza vaccine, quadrivalent, injectable, preservative free, pediatric", "", IM, ("egg",)),
    ("320", "flu-cciiv3", "Flu cell-based (ccIIV3)", "Influenza vaccine, cell culture (MDCK), trivalent, with preservative",
     "Seqirus", IM, ()),
    ("333", "flu-laiv3-self", "Flu nasal, self/caregiver (FluMist Home)",
     "Influenza vaccine, live, trivalent, intranasal, self/caregiver administration, preservative free", "MedImmune",
     IN, ("egg", "gelatin")),
    ("206", "mpox-jynneos", "Mpox/smallpox (Jynneos)", "Vaccinia (smallpox, mpox) vaccine, live, non-replicating, "
     "preservative free", "Bavarian Nordic", SC, ()),
    ("101", "typhoid-vi", "Typhoid Vi (Typhim Vi)", None, "Sanofi Pasteur", IM, ()),
    ("25", "typhoid-oral", "Typhoid oral (Vivotif)", None, "", PO, ()),
    ("37", "yellow-fever", "Yellow fever (YF-Vax)", None, "Sanofi Pasteur", SC, ("egg", "gelatin")),
    ("134", "je-ixiaro", "Japanese encephalitis (Ixiaro)", None, "Valneva", IM, ()),
    ("175", "rabies-hdcv", "Rabies (Imovax, HDCV)", "Rabies vaccine, intramuscular, human diploid cell culture",
     "Sanofi Pasteur", IM, ()),
    ("176", "rabies-pcec", "Rabies (RabAvert, PCEC)", "Rabies vaccine, intramuscular, purified chick embryo cell culture",
     "Bavarian Nordic", IM, ("egg", "gelatin")),
    ("174", "cholera-live", "Cholera (Vaxchora)", "Cholera vaccine, live attenuated, oral", "", PO, ()),
]

# historical / unspecified codes that imported records carry: (cvx, id, short name, route)
HISTORICAL: list[tuple[str, str, str, str]] = [
    ("01", "hist-dtp", "DTP", IM), ("02", "hist-opv", "OPV", PO), ("22", "hist-dtp-hib", "DTP-Hib", IM),
    ("107", "hist-dtap-unspecified", "DTaP, unspecified", IM), ("112", "hist-tt-unspecified", "Tetanus toxoid, unspecified", IM),
    ("139", "hist-td-unspecified", "Td, unspecified", IM), ("35", "hist-tt-adsorbed", "Tetanus toxoid, adsorbed", IM),
    ("89", "hist-polio-unspecified", "Polio, unspecified", IM), ("17", "hist-hib-unspecified", "Hib, unspecified", IM),
    ("51", "hist-hib-hepb", "Hib-HepB", IM), ("148", "hist-mency-hib", "MenCY-Hib", IM),
    ("45", "hist-hepb-unspecified", "HepB, unspecified", IM), ("42", "hist-hepb-adolescent", "HepB, adolescent/high risk infant", IM),
    ("85", "hist-hepa-unspecified", "HepA, unspecified", IM), ("31", "hist-hepa-ped-unspecified", "HepA, pediatric, unspecified", IM),
    ("84", "hist-hepa-3dose", "HepA, ped/adol, 3 dose", IM), ("88", "hist-flu-unspecified", "Flu, unspecified", IM),
    ("151", "hist-flu-nasal-unspecified", "Flu nasal, unspecified", IN), ("15", "hist-flu-split", "Flu, split virus (retired code)", IM),
    ("144", "hist-flu-id", "Flu intradermal, PF", IM), ("166", "hist-flu-id4", "Flu intradermal, quadrivalent, PF", IM),
    ("109", "hist-pneumo-unspecified", "Pneumococcal, unspecified", IM),
    ("152", "hist-pcv-unspecified", "Pneumococcal conjugate, unspecified", IM), ("100", "hist-pcv7", "PCV7", IM),
    ("137", "hist-hpv-unspecified", "HPV, unspecified", IM), ("118", "hist-hpv2", "HPV2 (bivalent)", IM),
    ("108", "hist-mening-unspecified", "Meningococcal, unspecified", IM), ("32", "hist-mpsv4", "MPSV4", SC),
    ("147", "hist-mcv4-unspecified", "MCV4, unspecified", IM), ("164", "hist-menb-unspecified", "MenB, unspecified", IM),
    ("167", "hist-mening-unknown", "Meningococcal, unknown serogroups", IM),
    ("188", "hist-zoster-unspecified", "Zoster, unspecified", IM), ("122", "hist-rv-unspecified", "Rotavirus, unspecified", PO),
    ("74", "hist-rv-tetravalent", "Rotavirus, tetravalent", PO), ("38", "hist-rubella-mumps", "Rubella-mumps", SC),
    ("04", "hist-measles-rubella", "Measles-rubella", SC), ("05", "hist-measles", "Measles", SC),
    ("213", "hist-covid-unspecified", "COVID-19, unspecified", IM),
    ("207", "hist-covid-moderna-100", "COVID-19 Moderna (100 mcg, 2020-22)", IM),
    ("217", "hist-covid-pfizer-30-tris", "COVID-19 Pfizer 12+ y (tris-sucrose, 2021-22)", IM),
    ("218", "hist-covid-pfizer-10-tris", "COVID-19 Pfizer 5-11 y (2021-22)", IM),
    ("219", "hist-covid-pfizer-3-tris", "COVID-19 Pfizer 6 mo-4 y (2022)", IM),
    ("221", "hist-covid-moderna-50", "COVID-19 Moderna (50 mcg, 2022)", IM),
    ("227", "hist-covid-moderna-ped-50", "COVID-19 Moderna pediatric (50 mcg)", IM),
    ("228", "hist-covid-moderna-ped-25", "COVID-19 Moderna pediatric (25 mcg)", IM),
    ("229", "hist-covid-moderna-bivalent", "COVID-19 Moderna bivalent (2022-23)", IM),
    ("230", "hist-covid-moderna-bivalent-10", "COVID-19 Moderna bivalent (10 mcg)", IM),
    ("300", "hist-covid-pfizer-bivalent-30", "COVID-19 Pfizer bivalent (30 mcg, 2022-23)", IM),
    ("301", "hist-covid-pfizer-bivalent-10", "COVID-19 Pfizer bivalent (10 mcg)", IM),
    ("302", "hist-covid-pfizer-bivalent-3", "COVID-19 Pfizer bivalent (3 mcg)", IM),
    ("211", "hist-covid-novavax", "COVID-19 Novavax (2022-23)", IM),
    ("212", "hist-covid-janssen", "COVID-19 Janssen", IM),
    ("210", "hist-covid-astrazeneca", "COVID-19 AstraZeneca (non-US)", IM),
    ("500", "hist-covid-non-us", "COVID-19 non-US vaccine, product unknown", IM),
    ("304", "hist-rsv-unspecified", "RSV, unspecified", IM), ("314", "hist-rsv-vaccine-unspecified", "RSV vaccine, unspecified", IM),
    ("315", "hist-rsv-mab-unspecified", "RSV monoclonal antibody, unspecified", IM),
    ("90", "hist-rabies-unspecified", "Rabies, unspecified", IM), ("91", "hist-typhoid-unspecified", "Typhoid, unspecified", IM),
    ("184", "hist-yf-unspecified", "Yellow fever, unspecified", SC),
    ("129", "hist-je-unspecified", "Japanese encephalitis, unspecified", IM),
    ("19", "hist-bcg", "BCG", "intramuscular"),
]


# Merck's measles/mumps/rubella family (like M-M-R II) and yellow fever vaccine contain gelatin
HISTORICAL_GELATIN = {"38": ("gelatin",), "04": ("gelatin",), "05": ("gelatin",), "184": ("egg", "gelatin")}


def _cdc() -> dict[str, dict[str, str]]:
    with CVX_TABLE.open(encoding="utf-8", newline="") as f:
        return {row["cvx"]: row for row in csv.DictReader(f)}


def _source(cvx: str, row: dict[str, str], maker: str) -> str:
    label = row["full_name"] or row["short_name"]
    text = f"CDC CVX table: CVX {cvx} '{label}' ({row['source']})"
    return text + (f"; product and maker from the US label ({maker})" if maker else "")


def main() -> int:
    doc = json.loads(PATH.read_text(encoding="utf-8"))
    have = {v["cvx"].lstrip("0") for v in doc["vaccines"]}
    cdc = _cdc()
    added = 0
    for cvx, vid, short, name, maker, route, contains in CURRENT:
        if cvx.lstrip("0") in have:
            continue
        row = cdc[cvx]
        full = name or (row["full_name"][:1].upper() + row["full_name"][1:])
        doc["vaccines"].append({"id": vid, "name": full, "short_name": short, "cvx": cvx, "manufacturer": maker,
                                "route": route, "contains": list(contains), "source": _source(cvx, row, maker)})
        have.add(cvx.lstrip("0"))
        added += 1
    for cvx, vid, short, route in HISTORICAL:
        if cvx.lstrip("0") in have:
            continue
        row = cdc[cvx]
        cdc_name = row["full_name"] or row["short_name"]
        # the name says it is a vaccine (the allergy rules for "any vaccine" match on the word)
        kind = "" if any(w in cdc_name.lower() for w in ("vaccine", "toxoid", "immuniz")) else "vaccine, "
        doc["vaccines"].append({"id": vid, "name": f"{cdc_name[:1].upper()}{cdc_name[1:]} ({kind}historical record)",
                                "short_name": f"{short} (historical)", "cvx": cvx, "manufacturer": "",
                                "route": route, "contains": list(HISTORICAL_GELATIN.get(cvx, ())),
                                "source": _source(cvx, row, "")})
        have.add(cvx.lstrip("0"))
        added += 1
    PATH.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"added {added} vaccines; {len(doc['vaccines'])} in all", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
