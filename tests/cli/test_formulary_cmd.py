"""`python -m desktop formulary TEXT [--json]`: the type-ahead's products, as a contract (issue 16)."""

from __future__ import annotations

import json

import pytest

from desktop.__main__ import main

KEYS = {"name", "ingredients", "strength", "dose_form", "route", "rxcui", "schedule"}


def run_json(capsys, *words: str) -> list[dict]:
    assert main(["formulary", *words, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_brand_name_finds_the_generic_products_with_their_codes(capsys):
    rows = run_json(capsys, "zithromax")
    assert rows and all(KEYS <= set(r) for r in rows)
    assert {r["ingredients"][0] for r in rows} == {"azithromycin"}
    tab = next(r for r in rows if r["strength"] == "250 mg" and r["dose_form"] == "oral tablet")
    assert tab["route"] == "oral" and tab["schedule"] is None and tab["rxcui"] == "18631"


def test_words_in_any_order_find_a_combination(capsys):
    rows = run_json(capsys, "hydrochlorothiazide", "losartan", "100")
    first = rows[0]
    assert first["ingredients"] == ["losartan", "hydrochlorothiazide"]
    assert first["strength"].startswith("100 mg")
    assert rows == run_json(capsys, "losar hydrochloro 100")


def test_unverified_code_is_null_and_controlled_drug_has_its_schedule(capsys):
    rows = run_json(capsys, "zolpidem", "10")
    z = rows[0]
    assert z["name"] == "zolpidem 10 mg oral tablet"
    assert z["rxcui"] is None and z["schedule"] == "IV"
    assert run_json(capsys, "adderall")[0]["schedule"] == "II"


def test_no_match_is_an_empty_list_and_exit_0(capsys):
    assert run_json(capsys, "unobtainium") == []
    assert main(["formulary", "unobtainium"]) == 0
    assert "no formulary product" in capsys.readouterr().out


def test_plain_output_is_one_line_per_product(capsys):
    assert main(["formulary", "alpraz", "0.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("alprazolam 0.5 mg oral tablet") and "C-IV" in lines[0]


@pytest.mark.parametrize("args", [["formulary"], ["formulary", "x", "--limit", "0"]])
def test_usage_errors_exit_2(args, capsys):
    with pytest.raises(SystemExit) as exc:
        rc = main(args)
        raise SystemExit(rc)
    assert exc.value.code == 2
