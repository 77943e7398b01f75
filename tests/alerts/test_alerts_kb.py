"""The knowledge base itself: every file loads, every entry has a source, every rule fires for every expanded
member pair, names agree with the formulary, codes agree with CLINICAL-REFERENCES, and damage is never silent."""

from __future__ import annotations

import csv
import difflib
import json
import re
from pathlib import Path

import pytest

from desktop.alerts import SEVERITIES, AlertContext, KnowledgeBaseUnavailable, evaluate, load_kb, norm
from desktop.alerts.kb import FILES, default_dir
from desktop.kb.formulary import load_formulary

from .conftest import drug

KB_DIR = default_dir()
VERIFIED = Path(__file__).resolve().parents[2] / "resources" / "kb" / "rxnorm_ingredients.csv"


def _raw(name: str) -> dict:
    return json.loads((KB_DIR / FILES[name]).read_text(encoding="utf-8"))


def _entries_with_source():  # every object in the four files that must carry a source
    ther, inter, allg, vit = (_raw(n) for n in ("therapeutic_classes", "interactions", "allergy_classes",
                                                 "vital_ranges"))
    for cid, e in ther["classes"].items():
        yield f"class {cid}", e
    for e in ther["duplicates"]:
        yield f"duplicate {e['id']}", e
    for gid, e in inter["groups"].items():
        yield f"group {gid}", e
    for e in inter["interactions"]:
        yield f"interaction {e['id']}", e
    for cid, e in allg["classes"].items():
        yield f"allergy class {cid}", e
    for e in allg["cross_reactivity"]:
        yield f"cross {e['id']}", e
    for aid, a in allg["allergens"].items():
        for e in a["alerts"]:
            yield f"allergen {aid} {e['id']}", e
    for e in allg["not_cross_reactive"]:
        yield f"not cross-reactive {e['allergy']}", e
    for e in vit["rules"]:
        yield f"vital {e['id']}", e


ALL_SOURCED = list(_entries_with_source())


def test_the_knowledge_base_loads_with_all_its_parts(kb):
    counts = kb.counts()
    assert counts["onc_pairs"] == 15
    assert counts["interactions"] >= 80
    assert counts["duplicate_rules"] >= 15
    assert counts["allergy_classes"] >= 12
    assert counts["non_drug_allergens"] == 3  # egg, gelatin, latex
    assert counts["vital_rules"] >= 30
    assert len(kb.version) == 12


@pytest.mark.parametrize(("where", "entry"), ALL_SOURCED, ids=[w for w, _ in ALL_SOURCED])
def test_every_entry_names_its_source(where, entry):
    assert isinstance(entry.get("source"), str) and len(entry["source"].strip()) > 10, where


# ---------------------------------------------------------------- every interaction, every member pair

def _member_pairs(kb, rule):
    for a in sorted(rule.a_ings):
        for b in sorted(rule.b_ings):
            if a != b:
                yield a, b


INTERACTIONS = load_kb().interactions


@pytest.mark.parametrize("rule", INTERACTIONS, ids=[r.id for r in INTERACTIONS])
def test_every_interaction_fires_for_every_member_pair(kb, rule):
    """Class expansion: each ingredient of side a against each of side b gives an interaction alert at the rule's
    severity or higher (a more specific rule of the same topic may win), in either order on the list."""
    pairs = list(_member_pairs(kb, rule))
    assert pairs, rule.id
    topic_rules = {r.id for r in kb.interactions if r.topic == rule.topic}
    for a, b in pairs:
        for order in ((a, b), (b, a)):
            alerts = [x for x in evaluate(AlertContext(active_meds=(drug(order[0]), drug(order[1]))), kb)
                      if x.kind == "interaction" and x.rule_id in topic_rules]
            assert alerts, f"{rule.id}: {a} + {b} gave no alert"
            assert min(x.rank for x in alerts) <= SEVERITIES.index(rule.severity), (rule.id, a, b, alerts)


ONC = [r for r in INTERACTIONS if r.onc]


@pytest.mark.parametrize("rule", ONC, ids=[r.id for r in ONC])
def test_onc_high_priority_pairs_always_interrupt(kb, rule):
    assert rule.severity in ("contraindicated", "major")
    for a, b in _member_pairs(kb, rule):
        alerts = evaluate(AlertContext(active_meds=(drug(a),), proposed=(drug(b),)), kb)
        assert any(x.kind == "interaction" and x.severity in ("contraindicated", "major") for x in alerts), (a, b)


@pytest.mark.parametrize(("number", "a", "b"), [
    (1, "dextroamphetamine", "phenelzine"), (1, "methylphenidate", "selegiline"), (1, "pseudoephedrine", "isocarboxazid"),
    (2, "atazanavir", "omeprazole"), (2, "atazanavir", "dexlansoprazole"), (3, "febuxostat", "azathioprine"),
    (3, "febuxostat", "mercaptopurine"), (4, "fluoxetine", "tranylcypromine"), (4, "duloxetine", "phenelzine"),
    (5, "irinotecan", "ketoconazole"), (5, "irinotecan", "clarithromycin"), (6, "meperidine", "phenelzine"),
    (6, "dextromethorphan", "selegiline"), (7, "amitriptyline", "phenelzine"), (8, "pimozide", "citalopram"),
    (8, "dofetilide", "levofloxacin"), (9, "ramelteon", "fluvoxamine"), (9, "ramelteon", "ciprofloxacin"),
    (10, "rifampin", "ritonavir"), (10, "carbamazepine", "darunavir"), (11, "simvastatin", "clarithromycin"),
    (11, "lovastatin", "itraconazole"), (11, "simvastatin", "ritonavir"), (12, "ergotamine", "clarithromycin"),
    (12, "dihydroergotamine", "ritonavir"), (13, "tizanidine", "ciprofloxacin"), (13, "tizanidine", "fluvoxamine"),
    (14, "tranylcypromine", "procarbazine"), (15, "sumatriptan", "phenelzine"), (15, "rizatriptan", "methylene blue"),
])
def test_onc_list_examples(kb, number, a, b):
    alerts = [x for x in evaluate(AlertContext(active_meds=(drug(a), drug(b))), kb) if x.kind == "interaction"]
    assert alerts and alerts[0].severity in ("contraindicated", "major")
    assert any(kb.interactions[[r.id for r in kb.interactions].index(x.rule_id)].onc == number for x in alerts)
    assert a in alerts[0].message and b in alerts[0].message  # the message names both drugs


# ---------------------------------------------------------------- names and codes

def _kb_names(kb) -> set[str]:
    names = set(kb.known_ingredients)
    return {n for n in names if n}


def test_ingredient_names_are_lower_case_generic_words(kb):
    for name in _kb_names(kb):
        assert re.fullmatch(r"[a-z0-9][a-z0-9 ]*", name), name


# reviewed look-alikes: different drugs, not misspellings
DISTINCT = {("ampicillin", "amoxicillin"), ("dexmethylphenidate", "methylphenidate"), ("enalaprilat", "enalapril"),
            ("fosphenytoin", "phenytoin"), ("isosorbide mononitrate", "isosorbide dinitrate"),
            ("ofloxacin", "moxifloxacin"), ("ofloxacin", "levofloxacin"), ("penicillin g", "penicillin v"),
            ("prednisolone", "prednisone"), ("trimipramine", "imipramine"),
            ("magnesium hydroxide", "magnesium oxide")}


def test_names_agree_with_the_formulary(kb):
    """Each KB name is either a formulary ingredient or not close to one (catches 'esmoprazole' typos)."""
    formulary = load_formulary()
    ours = _kb_names(kb)
    theirs = {norm(n) for n in formulary.ingredient_names()}
    for name in sorted(ours - theirs):
        for close in difflib.get_close_matches(name, theirs, n=3, cutoff=0.85):
            assert (name, close) in DISTINCT, f"knowledge base spells {name!r}, formulary spells {close!r}"


def test_formulary_classes_agree_with_ours(kb):
    """A formulary ingredient in one of our classes is in it in the formulary too, and vice versa; the one
    documented difference is aspirin (the formulary calls it an NSAID, we treat it as an antiplatelet)."""
    formulary = load_formulary()
    # route-dependent: the formulary ships betamethasone only as topical, triamcinolone also as an injection
    allowed = {("aspirin", "nsaid"), ("budesonide", "corticosteroid_systemic"),
               ("betamethasone", "corticosteroid_systemic"), ("triamcinolone", "corticosteroid_systemic")}
    problems = []
    for ing in sorted(formulary.ingredient_names()):
        theirs = {c for c in formulary.classes_of(ing) if c in kb.classes}
        ours = set(kb.ingredient_classes.get(norm(ing), ()))
        ours &= set(formulary_class_ids(formulary))
        for c in sorted(theirs ^ ours):
            if (ing, c) not in allowed:
                problems.append((ing, c, "formulary" if c in theirs else "knowledge base"))
    assert not problems


def formulary_class_ids(formulary) -> set[str]:
    return {c for p in formulary.products for c in p.classes}


def test_every_formulary_drug_resolves_to_known_ingredients(kb):
    formulary = load_formulary()
    from desktop.alerts import drug_ref_from_name

    for p in formulary.products:
        for name in (p.display, p.generic, *p.brands):
            ref = drug_ref_from_name(name, formulary, kb)
            assert set(ref.ingredients) <= set(p.ingredient_names) or name in p.brands, (name, ref)
        assert set(drug_ref_from_name(p.display, formulary, kb).ingredients) == set(p.ingredient_names)


def test_rxcuis_are_the_verified_ones_from_clinical_references(kb):
    with VERIFIED.open(encoding="utf-8", newline="") as f:
        verified = {norm(row["name"]): row["rxcui"] for row in csv.DictReader(f)}
    assert kb.ingredient_rxcui, "no codes at all"
    for ing, code in kb.ingredient_rxcui.items():
        assert verified.get(ing) == code, f"{ing} {code} is not a verified code"


# ---------------------------------------------------------------- a damaged knowledge base is loud

def _edit(folder: Path, name: str, change) -> None:
    path = folder / FILES[name]
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _first_interaction(data):
    return data["interactions"][0]


CORRUPTIONS = {
    "truncated JSON": ("interactions", None),
    "missing file": ("vital_ranges", "delete"),
    "entry without source": ("interactions", lambda d: _first_interaction(d).pop("source")),
    "unknown severity": ("interactions", lambda d: _first_interaction(d).update(severity="serious")),
    "unknown class": ("interactions", lambda d: _first_interaction(d).update(b=["class:no_such_class"])),
    "misspelt ingredient": ("interactions", lambda d: _first_interaction(d).update(a=["esmoprazole"])),
    "typo in a field name": ("interactions", lambda d: _first_interaction(d).update(sevrity="major")),
    "an ONC pair removed": ("interactions", lambda d: d.update(
        interactions=[e for e in d["interactions"] if e.get("onc") != 14])),
    "empty class": ("therapeutic_classes", lambda d: d["classes"]["ssri"].update(members=[])),
    "duplicate rule on unknown class": ("therapeutic_classes", lambda d: d["duplicates"][1].update(classes=["xyz"])),
    "cross-reactivity to unknown class": ("allergy_classes", lambda d: d["cross_reactivity"][0].update(
        to=["class:cefalosporin"])),
    "vital rule with bad operator": ("vital_ranges", lambda d: d["rules"][0].update(op="=>")),
    "vital rule on unknown LOINC": ("vital_ranges", lambda d: d["rules"][0].update(loinc="1234-5")),
    "wrong schema": ("allergy_classes", lambda d: d.update(schema="something/9")),
}


@pytest.mark.parametrize("damage", CORRUPTIONS, ids=list(CORRUPTIONS))
def test_damage_raises_knowledge_base_unavailable(kb_copy, damage):
    name, change = CORRUPTIONS[damage]
    path = kb_copy / FILES[name]
    if change is None:
        path.write_text(path.read_text(encoding="utf-8")[:500], encoding="utf-8")
    elif change == "delete":
        path.unlink()
    else:
        _edit(kb_copy, name, change)
    with pytest.raises(KnowledgeBaseUnavailable) as err:
        load_kb(kb_copy)
    assert FILES[name].split(".")[0] in str(err.value) or str(kb_copy) in str(err.value)


def test_an_edited_file_is_reloaded(kb_copy):
    first = load_kb(kb_copy)
    assert load_kb(kb_copy) is first  # cached
    _edit(kb_copy, "interactions", lambda d: _first_interaction(d).update(severity="major"))
    second = load_kb(kb_copy)
    assert second is not first and second.interactions[0].severity == "major"
