"""Every source shipped in resources/ names a public origin, and every RxNorm code is digits or empty.

A source is citable when a reader can find it: a repository and path, a document or a web page. A code-search
index entry, a file id, or a path on the machine that built the data is not; such an entry is re-sourced, or its
code is emptied and the item listed by name.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
KB = RESOURCES / "kb"
NOT_CITABLE = re.compile(r"search-index|file id\b|/work/|\.\./shared", re.IGNORECASE)
JSON_FILES = sorted(RESOURCES.rglob("*.json"))
CSV_FILES = sorted(RESOURCES.rglob("*.csv"))
TEXT_FILES = sorted(p for p in RESOURCES.rglob("*") if p.suffix in (".md", ".txt"))


def _sources(node, path: str = ""):
    """(where, text) for every value held under a key naming a source; dicts of sources give each value."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}/{key}"
            if "source" in key.lower():
                if isinstance(value, dict):
                    yield from ((f"{where}/{k}", v) for k, v in value.items())
                else:
                    yield where, value
            yield from _sources(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _sources(value, f"{path}[{i}]")


def _codes(node, path: str = ""):
    """(where, value) for every RxNorm code: keys rxcui / *_rxcui, and the values of an ingredient_rxcui map."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}/{key}"
            if key == "rxcui" or key.endswith("_rxcui"):
                if isinstance(value, dict):
                    yield from ((f"{where}/{k}", v) for k, v in value.items())
                else:
                    yield where, value
            else:
                yield from _codes(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _codes(value, f"{path}[{i}]")


def test_the_scan_sees_the_knowledge_base():
    names = {p.name for p in JSON_FILES}
    assert {"formulary.json", "interactions.json", "vaccines.json", "lab_tests.json"} <= names
    assert KB / "rxnorm_ingredients.csv" in CSV_FILES
    assert KB / "README.md" in TEXT_FILES


@pytest.mark.parametrize("path", JSON_FILES, ids=[str(p.relative_to(RESOURCES)) for p in JSON_FILES])
def test_json_sources_are_present_and_citable(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    for where, text in _sources(doc):
        if where.endswith("/product_source") and text is None:
            continue  # a product without a verified SCD code (its product_rxcui is null too)
        assert isinstance(text, str) and text.strip(), f"{path.name}{where}: empty source"
        assert not NOT_CITABLE.search(text), f"{path.name}{where}: not a citable origin: {text}"


@pytest.mark.parametrize("path", CSV_FILES, ids=[str(p.relative_to(RESOURCES)) for p in CSV_FILES])
def test_csv_sources_are_present_and_citable(path):
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    columns = [c for c in (rows[0] if rows else {}) if "source" in c.lower()]
    for n, row in enumerate(rows, start=2):
        for column in columns:
            text = row[column] or ""
            assert text.strip(), f"{path.name} line {n}: empty {column}"
            assert not NOT_CITABLE.search(text), f"{path.name} line {n}: not a citable origin: {text}"


@pytest.mark.parametrize("path", TEXT_FILES, ids=[str(p.relative_to(RESOURCES)) for p in TEXT_FILES])
def test_documents_name_no_index_entry_or_machine_path(path):
    found = NOT_CITABLE.findall(path.read_text(encoding="utf-8"))
    assert found == [], f"{path.relative_to(ROOT)} cites {found}"


@pytest.mark.parametrize("path", JSON_FILES, ids=[str(p.relative_to(RESOURCES)) for p in JSON_FILES])
def test_every_rxnorm_code_is_digits_or_empty(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    for where, code in _codes(doc):
        if code is None or code == "":
            continue
        assert isinstance(code, str) and code.isdigit(), f"{path.name}{where}: {code!r}"


def test_the_ingredient_code_table_holds_digits_only():
    with (KB / "rxnorm_ingredients.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 150
    bad = [row for row in rows if not row["rxcui"].isdigit()]
    assert bad == []


def test_a_code_is_never_kept_beside_a_not_verified_source():
    products = json.loads((KB / "formulary.json").read_text(encoding="utf-8"))["products"]
    for p in products:
        for ing in p["ingredients"]:
            unverified = ing["source"].startswith("RxNorm ingredient code not verified")
            assert unverified == (ing["rxcui"] == ""), (p["id"], ing)


# ---------------------------------------------------------------- README counts match the data


def _readme_counts() -> dict[str, int]:
    readme = (KB / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Sources used", 1)[1].split("\nCross-checks are", 1)[0]
    items = section.split("\n- ")[1:]
    counts = {}
    for item in items:
        m = re.match(r"`([^`]+)`.*? — (\d+)", item, flags=re.S)
        assert m, item
        counts[m.group(1)] = int(m.group(2))
    return counts


def test_readme_source_counts_match_the_formulary():
    first: dict[str, dict] = {}
    for p in json.loads((KB / "formulary.json").read_text(encoding="utf-8"))["products"]:
        for ing in p["ingredients"]:
            first.setdefault(ing["name"], ing)
    coded = [ing for ing in first.values() if ing["rxcui"]]
    listed = _readme_counts()
    actual: Counter[str] = Counter()
    for ing in coded:
        main = ing["source"].split(" | cross-checked: ", 1)[0]
        prefixes = [p for p in listed if main.startswith(p)]
        assert prefixes, f"{ing['name']}: source not in the README list: {main}"
        actual[max(prefixes, key=len)] += 1
    assert dict(actual) == {k: v for k, v in listed.items() if v}
    readme = (KB / "README.md").read_text(encoding="utf-8")
    assert f"{len(first)} ingredients ({len(coded)} with a verified RXCUI)" in readme
