"""Issue 14.4: what clinicians type finds the right ICD-10-CM codes; the synonym table is sourced and every code
in it is a real billable code."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest

from desktop.config import RESOURCES
from desktop.kb.icd10_synonyms import synonyms
from desktop.services import icd10

ROOT = RESOURCES.parent


@pytest.fixture(scope="module", autouse=True)
def _index():
    icd10.warm_up()


def test_the_table_covers_the_common_primary_care_diagnoses_with_real_billable_codes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm
    table = synonyms()
    doc = json.loads((RESOURCES / "kb" / "icd10_synonyms.json").read_text("utf-8"))
    assert len(table.entries) >= 200
    assert all(e["source"] in doc["sources"] for e in doc["entries"])
    for e in table.entries:
        for code in e.codes:
            assert cm.is_valid_item(code) and cm.is_leaf(code), f"{e.terms[0]}: {code} is not a billable code"
        assert e.name == cm.get_description(e.codes[0])


@pytest.mark.parametrize(("typed", "first", "at_least"), [
    ("htn", "I10", 5), ("gerd", "K21.9", 5), ("dm2", "E11.9", 5), ("ckd 3", "N18.30", 3), ("copd", "J44.9", 5),
    ("afib", "I48.91", 4), ("reflux", "K21.9", 3), ("HTN", "I10", 5),
])
def test_abbreviations_clinicians_type_find_the_codes(typed, first, at_least):
    found = icd10.search(typed, 50)
    assert found[0].code == first and len(found) >= at_least, [c.code for c in found[:5]]


def test_afib_is_atrial_fibrillation_not_afibrinogenemia():
    codes = [c.code for c in icd10.search("afib", 10, age=78, sex="male")]
    assert codes[:4] == ["I48.91", "I48.0", "I48.19", "I48.20"]
    assert not any(c.startswith("O46") for c in codes)


def test_codes_that_cannot_describe_the_patient_are_left_out():
    man = [c.code for c in icd10.search("reflux", 60, age=78, sex="male")]
    assert man[0] == "K21.9" and not any(c.startswith(("P", "O")) for c in man)
    newborn = [c.code for c in icd10.search("reflux", 60, age=0.1, sex="female")]
    assert "P78.83" in newborn  # newborn esophageal reflux fits a newborn
    woman = [c.code for c in icd10.search("pregnancy", 60, age=30, sex="female")]
    assert any(c.startswith(("O", "Z3")) for c in woman)
    assert not any(c.code.startswith(("O", "Z3")) for c in icd10.search("pregnancy", 60, age=40, sex="male"))
    unknown = [c.code for c in icd10.search("reflux", 60)]  # no patient: newborn codes after the adult ones
    assert unknown.index("P78.83") > unknown.index("K21.9")


@pytest.mark.parametrize("header", ["M54.5", "N18.3", "I48", "E11.2"])
def test_expired_header_codes_are_shown_as_not_billable(header):
    found = icd10.search(header, 10)
    assert found[0].code == header and not found[0].billable
    assert any(c.billable and c.code.startswith(header) for c in found[1:])


def test_command_line_contract():
    out = subprocess.run([sys.executable, "-m", "desktop", "icd10", "afib", "--age", "78", "--sex", "male", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows[0] == {"code": "I48.91", "description": "Unspecified atrial fibrillation", "billable": True,
                       "matched_term": "afib"}
    assert all({"code", "description", "billable"} <= set(r) for r in rows)
    text = subprocess.run([sys.executable, "-m", "desktop", "icd10", "M54.5"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert text.returncode == 0 and "M54.5" in text.stdout and "pick a more specific code" in text.stdout
    nothing = subprocess.run([sys.executable, "-m", "desktop", "icd10", "zzzqqq", "--json"], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert nothing.returncode == 1 and json.loads(nothing.stdout) == []
