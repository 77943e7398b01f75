"""The lab catalog and alert rules: sources on every range and threshold, loud failure when malformed."""

from __future__ import annotations

import json
import re

import pytest

from desktop.kb import labs
from desktop.kb.errors import KnowledgeBaseError


def test_every_default_range_and_threshold_names_its_source():
    cat = labs.catalog()
    assert len(cat.tests) >= 40
    for t in cat.tests:
        assert t.code_source
        if t.range is not None:
            assert t.range.source.startswith("range:")
    crit, drug = labs.rules()
    assert {r.analyte for r in crit} == {"potassium", "sodium", "glucose", "inr", "hemoglobin"}
    assert all(r.source for r in crit + drug)


def test_every_default_range_names_a_web_page_and_lies_inside_the_plausible_limits():
    cat = labs.catalog()
    web = re.compile(r"\b[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|org|gov|net)\b")
    ranged = [t for t in cat.tests if t.range is not None]
    for t in ranged:
        assert web.search(t.range.source), t.name
        assert t.plausible_low <= (t.range.low if t.range.low is not None else t.plausible_low)
        assert (t.range.high if t.range.high is not None else t.plausible_high) <= t.plausible_high
        if t.range.low is not None and t.range.high is not None:
            assert t.range.low < t.range.high, t.name
    # the common CBC and liver tests now carry a default adult range
    for name in ("Leukocytes", "Erythrocytes", "MCV", "MCH ", "MCHC", "Albumin", "Bilirubin.total",
                 "Alanine aminotransferase", "Aspartate aminotransferase", "Alkaline phosphatase"):
        assert any(t.name.startswith(name) for t in ranged), name


def test_issue_thresholds():
    crit, drug = labs.rules()
    by = {r.analyte: r for r in crit}
    assert (by["potassium"].low, by["potassium"].high) == (2.8, 6.0)
    assert (by["sodium"].low, by["sodium"].high) == (120, 160)
    assert (by["glucose"].low, by["glucose"].high, by["glucose"].unit) == (50, 400, "mg/dL")
    assert by["inr"].high == 5.0 and by["hemoglobin"].low == 7.0
    rules = {r.id: r for r in drug}
    assert rules["druglab-metformin-egfr"].below == 30
    assert rules["druglab-warfarin-inr"].at_or_above == 4.0
    assert rules["druglab-potassium-raising"].at_or_above == 5.5


def test_tests_without_a_verified_code_have_an_empty_code():
    tsh = labs.catalog().search("TSH")[0]
    assert tsh.loinc == "" and tsh.key.startswith("name:")
    assert labs.catalog().find("", tsh.name) is tsh


def test_search_by_name_short_name_or_code():
    cat = labs.catalog()
    assert cat.search("potassium")[0].loinc == "6298-4"
    assert cat.search("4548-4")[0].short == "HbA1c"
    assert cat.search("ldl")[0].loinc == "18262-6"


def test_a_range_without_source_is_refused():
    data = json.loads(labs.TESTS_PATH.read_text(encoding="utf-8"))
    data["tests"][0]["range"]["source"] = ""
    with pytest.raises(KnowledgeBaseError, match="without its source"):
        labs.parse_catalog(data)


def test_interpretation_prefers_what_arrived():
    hb = labs.catalog().by_loinc("718-7")
    assert labs.interpret(hb, 11.0, "g/dL", received_flag="N").flag == "N"  # the lab's flag wins
    lab = labs.interpret(hb, 11.0, "g/dL", ref_low=10.0, ref_high=14.0)
    assert (lab.flag, lab.range_source) == ("N", "lab")
    default = labs.interpret(hb, 11.0, "g/dL")
    assert (default.flag, default.flag_source, default.range_source) == ("L", "default range", "default")
    assert labs.interpret(hb, 110, "g/L").flag == ""  # another unit: the default range does not apply
    ntprobnp = labs.catalog().by_loinc("33762-6")
    assert labs.interpret(ntprobnp, 900, "pg/mL").range_source == ""  # no range in the catalog: no flag
    ldl = labs.catalog().by_loinc("18262-6")  # a one-sided desirable level: only a high flag
    assert [labs.interpret(ldl, v, "mg/dL").flag for v in (40, 190)] == ["N", "H"]


def test_guideline_cut_points_flag_at_the_threshold():
    """HbA1c below the ADA prediabetes threshold, eGFR and HDL above their low limits; each one-sided."""
    cat = labs.catalog()
    flags = {code: [labs.interpret(cat.by_loinc(code), v, unit).flag for v in values]
             for code, unit, values in (("4548-4", "%", (5.6, 5.7, 9.0)), ("17856-6", "%", (5.6, 5.7, 9.0)),
                                        ("33914-3", "mL/min/{1.73_m2}", (59, 60, 130)),
                                        ("2085-9", "mg/dL", (39, 40, 95)))}
    assert flags == {"4548-4": ["N", "H", "H"], "17856-6": ["N", "H", "H"], "33914-3": ["L", "N", "N"],
                     "2085-9": ["L", "N", "N"]}


def test_every_source_names_a_public_origin_not_a_file_of_ours():
    data = json.loads(labs.TESTS_PATH.read_text(encoding="utf-8"))
    texts = [t["code_source"] for t in data["tests"]] + [t["range"]["source"] for t in data["tests"] if t["range"]]
    assert not [t for t in texts if "kb-sources" in t or "../" in t or ".csv" in t]
