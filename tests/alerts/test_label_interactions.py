"""Label interactions beyond the ONC list that a clinic meets every week, as a clinician types the drugs: an NSAID
with an oral corticosteroid, a CYP3A4-cleared opioid or salmeterol or quetiapine with a strong CYP3A4 inhibitor,
an SSRI with aspirin, naltrexone with an opioid, an opioid with a muscle relaxant, serotonergic pairs beyond the
SSRI list, a fluoroquinolone with a sulfonylurea or insulin, colchicine with a statin. Each comes from the
knowledge base with its label source."""

from __future__ import annotations

import json

import pytest

from desktop.__main__ import main


@pytest.mark.parametrize(("first", "second", "rule", "severity"), [
    ("prednisone 20 mg", "naproxen", "nsaid-corticosteroid", "moderate"),
    ("Medrol dosepak", "ibuprofen 800", "nsaid-corticosteroid", "moderate"),
    ("oxycodone/APAP 5/325", "clarithromycin", "opioid-strong-cyp3a4-inhibitor", "major"),
    ("fentanyl", "ritonavir", "opioid-strong-cyp3a4-inhibitor", "major"),
    ("fluticasone-salmeterol", "ketoconazole", "salmeterol-strong-cyp3a4-inhibitor", "major"),
    ("quetiapine", "itraconazole", "quetiapine-strong-cyp3a4-inhibitor", "major"),
    ("ASA 81", "Lexapro", "ssri-nsaid-bleeding", "moderate"),
    ("naltrexone", "Percocet", "naltrexone-opioid", "contraindicated"),
    ("baclofen 10 mg", "oxycodone", "opioid-other-cns-depressant", "moderate"),
    ("tramadol 50 mg", "Zofran", "tramadol-other-serotonergic", "moderate"),
    ("trazodone 50 mg at bedtime", "citalopram", "antidepressant-other-serotonergic", "moderate"),
    ("glipizide XL", "ciprofloxacin", "fluoroquinolone-antidiabetic", "moderate"),
    ("Lantus", "levofloxacin", "fluoroquinolone-antidiabetic", "moderate"),
    ("colchicine", "atorvastatin 40 mg", "colchicine-statin-fibrate", "moderate"),
])
def test_label_interaction_fires_with_its_source(capsys, first, second, rule, severity):
    assert main(["alerts", "--drug", first, "--drug", second, "--json"]) == 0
    alerts = {a["rule"]: a for a in json.loads(capsys.readouterr().out)}
    assert rule in alerts
    assert alerts[rule]["severity"] == severity
    assert "label" in alerts[rule]["source"]


@pytest.mark.parametrize(("first", "second"), [
    ("prednisone", "acetaminophen"),  # no NSAID
    ("hydromorphone", "clarithromycin"),  # glucuronidated, not a CYP3A4 substrate
    ("oxycodone", "fluconazole"),  # a moderate inhibitor, not in the strong group
    ("quetiapine", "sertraline"),
])
def test_neighbours_of_those_pairs_stay_quiet(capsys, first, second):
    assert main(["alerts", "--drug", first, "--drug", second, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
