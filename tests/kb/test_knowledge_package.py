"""desktop/kb is the one knowledge package: every file loads and validates (pydantic, strict, sourced), the
vitals catalog is the one table, the converter and the age function are the only ones, and no other module of
the application keeps its own copy of a clinical constant."""

from __future__ import annotations

import ast
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from desktop.kb import age, units
from desktop.kb import vitals as kv
from desktop.kb.errors import KnowledgeBaseError, KnowledgeBaseUnavailable
from desktop.kb.formulary import load_formulary
from desktop.kb.rules import FILES, default_dir, load_rule_files, rule_files
from desktop.kb.vaccines import load_vaccines

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "desktop"
KB_PACKAGE = APP / "kb"


# ---------------------------------------------------------------- the package loads, once

def test_every_knowledge_file_loads_and_is_cached():
    files, versions = rule_files()
    assert set(versions) == set(FILES.values())
    assert rule_files()[0] is files  # parsed once
    assert kv.load_catalog() is kv.load_catalog()
    assert load_formulary() is load_formulary() and load_vaccines() is load_vaccines()
    assert len(files.interactions.interactions) >= 80 and len(kv.load_catalog().vitals) >= 10


@pytest.fixture
def kb_copy(tmp_path) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir()
    for name in FILES.values():
        shutil.copyfile(default_dir() / name, folder / name)
    return folder


def _edit(folder: Path, name: str, change) -> None:
    path = folder / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(("name", "change", "words"), [
    ("vital_signs.json", lambda d: d["vitals"][0].update(colour="red"), "Extra inputs are not permitted"),
    ("vital_signs.json", lambda d: d["vitals"][0].pop("source"), "source"),
    ("vital_signs.json", lambda d: d["vitals"][0]["plausible"].update(low=500), "plausible low must be below high"),
    ("vital_signs.json", lambda d: d["vitals"][2]["normal"].pop(1), "without gaps"),
    ("vital_signs.json", lambda d: d.update(vitals=[v for v in d["vitals"] if v["loinc"] != "8480-6"]), "8480-6"),
    ("interactions.json", lambda d: d["interactions"][3].update(source=""), "source"),
    ("allergy_classes.json", lambda d: d["classes"]["penicillin"].update(colour="x"), "Extra inputs"),
    ("therapeutic_classes.json", lambda d: d["duplicates"][0].pop("source"), "source"),
    ("vital_ranges.json", lambda d: d["rules"][0].update(normal="high"), "either 'value' or 'normal'"),
    ("vital_ranges.json", lambda d: d["rules"][-1].update(min_age=0, max_age=18), "not inside one normal band"),
])
def test_a_damaged_file_is_refused_with_its_name(kb_copy, name, change, words):
    _edit(kb_copy, name, change)
    with pytest.raises(KnowledgeBaseUnavailable) as err:
        load_rule_files(kb_copy)
    assert name in str(err.value) and words in str(err.value)
    assert isinstance(err.value, KnowledgeBaseError)


# ---------------------------------------------------------------- one converter

@pytest.mark.parametrize(("value", "unit", "quantity", "expected"), [
    (98.6, "[degF]", "temperature", 37.0), (32, "degF", "temperature", 0.0), (37, "Cel", "temperature", 37.0),
    (150, "[lb_av]", "mass", 68.0389), (16, "[oz_av]", "mass", 0.4536), (70000, "g", "mass", 70.0),
    (11, "st", "mass", 69.8532), (70, "[in_i]", "length", 177.8), (6, "ft", "length", 182.88),
    (1.8, "m", "length", 180.0), (16, "kPa", "pressure", 120.0098), (120, "mm[Hg]", "pressure", 120.0),
    (0.97, "1", "percent", 97.0), (97, "%", "percent", 97.0), (5.5, "mmol/L", "glucose", 99.0858),
    (5.5, "mmol<180.1558800000541>/L", "glucose", 99.0858), (60, "{beats}/min", "rate", 60.0),
])
def test_to_canonical(value, unit, quantity, expected):
    assert units.to_canonical(value, unit, quantity) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(("value", "unit"), [(37.0, "[degF]"), (68.0389, "[lb_av]"), (177.8, "[in_i]"), (50, "kg")])
def test_from_canonical_undoes_to_canonical(value, unit):
    assert units.to_canonical(units.from_canonical(value, unit), unit) == pytest.approx(value)


@pytest.mark.parametrize(("value", "unit", "quantity", "error"), [
    (60, "mg", "rate", units.UnknownUnit), (70, "furlongs", None, units.UnknownUnit),
    (float("nan"), "Cel", "temperature", ValueError), (True, "Cel", "temperature", ValueError),
])
def test_the_converter_refuses(value, unit, quantity, error):
    with pytest.raises(error):
        units.to_canonical(value, unit, quantity)


def test_apple_health_fraction_percent_only_when_asked():
    assert units.to_canonical(0.97, "%", "percent", fraction_percent=True) == pytest.approx(97)
    assert units.to_canonical(0.97, "%", "percent") == pytest.approx(0.97)


# ---------------------------------------------------------------- one age

@pytest.mark.parametrize(("birth", "on", "years", "exact"), [
    (date(2008, 3, 1), date(2026, 2, 28), 17, None),  # the day before the 18th birthday
    (date(2008, 3, 1), date(2026, 3, 1), 18, 18.0),  # on it: an adult (days/365.25 said 17.998)
    (date(2013, 6, 15), date(2026, 6, 14), 12, None),
    (date(2013, 6, 15), date(2026, 6, 15), 13, 13.0),
    (date(2008, 2, 29), date(2026, 2, 28), 17, None),  # a leap-day birthday falls on 1 March
    (date(2008, 2, 29), date(2026, 3, 1), 18, 18.0),
    (date(2024, 2, 29), date(2028, 2, 29), 4, 4.0),
    (date(2025, 1, 1), date(2026, 1, 1), 1, 1.0),
    (date(2025, 12, 3), date(2025, 12, 31), 0, 28 / 365),
    (date(2026, 5, 1), date(2026, 4, 1), 0, 0.0),  # before birth
])
def test_age_by_the_calendar(birth, on, years, exact):
    assert age.completed_years(birth, on) == years
    got = age.age_years(birth, on)
    assert years <= got < years + 1
    if exact is not None:
        assert got == pytest.approx(exact)


def test_threshold_birthdays_cross_the_rule_boundary():
    # an 18th birthday is adult for the vitals bands and the alert rules alike
    band = kv.load_catalog().band(kv.HEART_RATE, age.age_years(date(2008, 3, 1), date(2026, 3, 1)))
    assert (band.age_from, band.age_to) == (18, None)
    band = kv.load_catalog().band(kv.HEART_RATE, age.age_years(date(2008, 3, 1), date(2026, 2, 28)))
    assert (band.age_from, band.age_to) == (12, 18)


@pytest.mark.parametrize(("birth", "on", "label"), [
    (date(2024, 12, 4), date(2026, 12, 3), "23 mo"), (date(2024, 12, 4), date(2026, 12, 4), "2 y"),
    (date(1980, 1, 2), date(2026, 1, 1), "45 y"), (None, date(2026, 1, 1), ""),
    (date(2026, 11, 13), date(2026, 11, 23), "10 d"), (date(2026, 10, 23), date(2026, 11, 23), "1 mo"),
])
def test_age_label(birth, on, label):
    assert age.age_label(birth, on) == label


# ---------------------------------------------------------------- the vitals catalog is the one table

@pytest.mark.parametrize(("loinc", "value", "age_years", "flag"), [
    (kv.HEART_RATE, 130, 2.0, None), (kv.HEART_RATE, 130, 40.0, "high"), (kv.HEART_RATE, 55, 14.0, None),
    (kv.HEART_RATE, 55, 20.0, "low"), (kv.PULSE_OX, 91, 40.0, "low"), (kv.RESP_RATE, 24, 0.5, "low"),
    (kv.WEIGHT, 150, 40.0, None), (kv.BMI, 31, 10.0, None), (kv.SYSTOLIC, 130, None, "high"),
])
def test_flags_come_from_the_one_table(loinc, value, age_years, flag):
    assert kv.flag(loinc, value, age_years) == flag


def test_the_phr_readers_and_the_intake_form_share_the_plausibility_bounds():
    from desktop.phr.vitals import VITALS
    from desktop.services import vitals as intake

    for code, lim in intake.limits().items():
        assert (VITALS[code].low, VITALS[code].high) == (lim.hard_low, lim.hard_high), code


# ---------------------------------------------------------------- each clinical constant defined once

def _modules():
    for path in sorted(APP.rglob("*.py")):
        if KB_PACKAGE in path.parents or "migrations" in path.parts:
            continue
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _catalog_codes() -> set[str]:
    c = kv.load_catalog()
    return set(c.vitals) | set(c.aliases) | set(c.bp_panels) | {c.data.vital_signs_panel.loinc}


def test_no_module_outside_the_knowledge_package_spells_a_vital_loinc_code():
    codes = _catalog_codes()
    found = [f"{p.relative_to(ROOT)}:{n.lineno} {n.value}" for p, tree in _modules() for n in ast.walk(tree)
             if isinstance(n, ast.Constant) and n.value in codes]
    assert not found, "import the code from desktop.kb.vitals instead: " + ", ".join(found)


def test_no_module_outside_the_knowledge_package_reads_a_knowledge_file():
    names = set(FILES.values()) | {"formulary.json", "vaccines.json", "vital_limits.json"}
    found = [f"{p.relative_to(ROOT)}:{n.lineno}" for p, tree in _modules() for n in ast.walk(tree)
             if isinstance(n, ast.Constant) and n.value in names]
    assert not found


def test_no_module_outside_the_knowledge_package_keeps_a_class_list():
    """A literal list of three or more ingredients of one knowledge-base class (a copied penicillin or opioid
    list) belongs in resources/kb."""
    files, _ = rule_files()
    classes = [set(m) for m in files.class_namespace().values()]
    classes += [set(c.members) for c in files.allergy.classes.values()]
    found = []
    for p, tree in _modules():
        for n in ast.walk(tree):
            if isinstance(n, (ast.List, ast.Tuple, ast.Set)) and len(n.elts) >= 3:
                items = {e.value for e in n.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
                if len(items) >= 3 and any(items <= members for members in classes):
                    found.append(f"{p.relative_to(ROOT)}:{n.lineno} {sorted(items)}")
    assert not found


def test_no_module_outside_the_knowledge_package_computes_age_from_days():
    found = [f"{p.relative_to(ROOT)}:{n.lineno}" for p, tree in _modules() for n in ast.walk(tree)
             if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) and isinstance(n.right, ast.Constant)
             and n.right.value in (365, 365.25)]
    assert not found, "age from days / 365.25 disagrees with the calendar on birthdays: use desktop.kb.age"


@pytest.mark.parametrize(("constant", "what"), [
    (0.45359237, "pounds (use desktop.kb.units)"), (7.500617, "kPa (use desktop.kb.units)"),
    (18.0156, "glucose mmol/L (use desktop.kb.units)"),
])
def test_no_module_outside_the_knowledge_package_converts_on_its_own(constant, what):
    found = [f"{p.relative_to(ROOT)}:{n.lineno}" for p, tree in _modules() for n in ast.walk(tree)
             if isinstance(n, ast.Constant) and n.value == constant]
    assert not found, what


@pytest.mark.parametrize(("name", "key", "loader"), [
    ("formulary.json", "products", load_formulary), ("vaccines.json", "vaccines", load_vaccines),
])
def test_formulary_and_vaccines_refuse_unknown_fields_and_unsourced_entries(tmp_path, name, key, loader):
    entry = json.loads((default_dir() / name).read_text(encoding="utf-8"))[key][0]
    path = tmp_path / name
    path.write_text(json.dumps({key: [dict(entry, sevrity="x")]}), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="unknown field 'sevrity'"):
        loader(path)
    unsourced = json.loads(json.dumps(entry))
    (unsourced["ingredients"][0] if key == "products" else unsourced).pop("source")
    path.write_text(json.dumps({key: [unsourced]}), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="missing field 'source'"):
        loader(path)


@pytest.mark.parametrize(("section", "change", "words"), [
    ("tests", lambda e: e.update(colour="red"), "unknown field 'colour'"),
    ("tests", lambda e: e.update(code_source=""), "no code source"),
    ("tests", lambda e: e["plausible"].pop("high"), "missing field 'high'"),
    ("critical", lambda e: e.update(source=""), "a threshold without its source"),
    ("drug_lab", lambda e: e.update(severity="serious"), "severity"),
])
def test_the_lab_catalog_and_rules_are_validated_by_their_models(section, change, words):
    from desktop.kb import labs

    path = labs.TESTS_PATH if section == "tests" else labs.ALERTS_PATH
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data[section][0])
    with pytest.raises(KnowledgeBaseError, match=re.escape(words)):
        (labs.parse_catalog if section == "tests" else labs.parse_rules)(data)
