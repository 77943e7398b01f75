"""The shipped vaccine list: every entry, CVX look-up (as PHR imports use it), search and broken files."""

from __future__ import annotations

import glob
import json
import re
from pathlib import Path

import pytest

from desktop.kb import vaccines
from desktop.kb.errors import KnowledgeBaseError
from desktop.kb.vaccines import by_cvx, load_vaccines, search

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "data" / "phr-samples"
RAW = json.loads((ROOT / "resources" / "kb" / "vaccines.json").read_text(encoding="utf-8"))["vaccines"]


@pytest.mark.parametrize("entry", RAW, ids=[e["id"] for e in RAW])
def test_every_vaccine_is_complete_and_sourced(entry):
    assert re.fullmatch(r"\d+", entry["cvx"])
    assert entry["name"] and entry["short_name"] and len(entry["source"]) > 20
    assert entry["route"] in ("intramuscular", "subcutaneous", "oral", "intranasal")
    assert set(entry["contains"]) <= {"egg", "gelatin"}
    assert (
        f"CVX {entry['cvx']}" in entry["source"]
        or f"'{entry['cvx']}'" in entry["source"]
        or "Immunization.vaccineCode" in entry["source"]
    )


def test_ids_and_codes_are_unique():
    catalog = load_vaccines()
    assert len(catalog.vaccines) >= 30
    assert len({v.id for v in catalog.vaccines}) == len(catalog.vaccines)
    assert len({v.cvx for v in catalog.vaccines}) == len(catalog.vaccines)


def _phr_cvx_codes() -> set[str]:
    codes: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if node.get("system") == "http://hl7.org/fhir/sid/cvx" and "code" in node:
                codes.add(node["code"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in glob.glob(str(SAMPLES / "synthea" / "*.json")) + glob.glob(
        str(SAMPLES / "ips" / "*.json")
    ):
        walk(json.loads(Path(path).read_text(encoding="utf-8")))
    return codes


def test_every_cvx_code_in_the_phr_samples_is_known():
    codes = _phr_cvx_codes()
    assert len(codes) >= 10
    for code in codes:
        assert by_cvx(code) is not None, code


def test_cvx_lookup_ignores_leading_zeros():
    assert by_cvx("03").short_name == "MMR"
    assert by_cvx("3") == by_cvx("03")
    assert by_cvx("8").id == "hepb-ped"
    assert by_cvx("115").short_name == "Tdap"
    assert by_cvx("") is None and by_cvx("abc") is None and by_cvx("99999") is None


def test_known_facts_about_contents_and_routes():
    assert "gelatin" in by_cvx("03").contains
    assert "gelatin" in by_cvx("21").contains
    assert "egg" in by_cvx("150").contains
    assert "egg" not in by_cvx("185").contains  # recombinant influenza
    assert "egg" not in by_cvx("171").contains  # cell-culture influenza
    assert by_cvx("116").route == "oral"
    assert by_cvx("149").route == "intranasal"
    assert by_cvx("03").route == "subcutaneous"


def test_search():
    assert search("MMR")[0].short_name == "MMR"
    assert {v.cvx for v in search("MMR")} == {"03", "94"}
    flu = search("influenza")
    assert len(flu) >= 10 and all("influenza" in v.name.lower() for v in flu)
    assert [v.cvx for v in search("flu recomb quadr")] == ["185"]
    assert search("pneumo 20")[0].cvx == "216"
    assert search("PNEUMOCÓCCAL")  # case and accents folded
    assert search("") == [] and search("zzz") == []
    assert search("133")[0].short_name == "PCV13"


def test_default_catalog_is_cached():
    assert load_vaccines() is load_vaccines()


def _write(tmp_path: Path, entries) -> Path:
    path = tmp_path / "vaccines.json"
    path.write_text(json.dumps({"vaccines": entries}), encoding="utf-8")
    return path


def test_broken_files_raise(tmp_path):
    with pytest.raises(KnowledgeBaseError, match="missing"):
        load_vaccines(tmp_path / "absent.json")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("[{", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="not valid JSON"):
        load_vaccines(bad_json)
    good = dict(RAW[0])
    for mutate, message in [
        (lambda e: e.update(cvx="O3"), "digits"),
        (lambda e: e.pop("cvx"), "'cvx'"),
        (lambda e: e.update(source=""), "'source'"),
        (lambda e: e.update(route="by mouth"), "route"),
        (lambda e: e.update(contains="egg"), "contains"),
    ]:
        entry = dict(good)
        mutate(entry)
        with pytest.raises(KnowledgeBaseError, match=re.escape(message)) as err:
            load_vaccines(_write(tmp_path, [entry]))
        assert "entry #1" in str(err.value)
    with pytest.raises(KnowledgeBaseError, match="duplicate"):
        load_vaccines(_write(tmp_path, [good, dict(good, id="other")]))


def test_module_exposes_the_documented_api():
    assert callable(vaccines.load_vaccines) and callable(vaccines.search) and callable(vaccines.by_cvx)
