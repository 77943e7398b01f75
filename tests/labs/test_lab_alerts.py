"""Critical values on arrival and drug-lab checks at order time (pure rules)."""

from __future__ import annotations

import pytest

from desktop.alerts import labs as rules
from desktop.alerts.labs import LabValue
from desktop.kb import labs as kb
from desktop.kb.errors import KnowledgeBaseError


@pytest.mark.parametrize(("loinc", "value", "unit", "critical"), [
    ("6298-4", 6.0, "mmol/L", True), ("6298-4", 5.9, "mmol/L", False), ("6298-4", 2.8, "mEq/L", True),
    ("6298-4", 2.9, "mmol/L", False),
    ("2951-2", 120, "mmol/L", True), ("2947-0", 160, "mmol/L", True), ("2951-2", 121, "mmol/L", False),
    ("2339-0", 50, "mg/dL", True), ("2345-7", 400, "mg/dL", True), ("2339-0", 399, "mg/dL", False),
    ("14749-6", 2.5, "mmol/L", True), ("14749-6", 23.0, "mmol/L", True), ("14749-6", 5.5, "mmol/L", False),
    ("6301-6", 5.0, "{INR}", True), ("6301-6", 4.9, "{INR}", False),
    ("718-7", 7.0, "g/dL", True), ("718-7", 65, "g/L", True), ("718-7", 7.1, "g/dL", False),
    ("2093-3", 900, "mg/dL", False),
])
def test_critical_values(loinc, value, unit, critical):
    check = rules.check_critical([LabValue(loinc, "x", value, unit)])
    assert bool(check.alerts) is critical
    assert check.complete
    if critical:
        assert check.alerts[0].source and check.alerts[0].severity == "critical"


def test_an_unconvertible_unit_is_reported_not_passed():
    check = rules.check_critical([LabValue("6298-4", "Potassium", 7.0, "mg/dL")])
    assert not check.alerts and not check.complete
    assert "not checked" in check.not_checked[0]


def test_rules_that_cannot_load_are_never_silent(monkeypatch):
    def broken():
        raise KnowledgeBaseError("the lab knowledge file lab_alerts.json is not valid JSON")

    monkeypatch.setattr(rules, "rules", broken)
    check = rules.check_critical([LabValue("6298-4", "Potassium", 7.0, "mmol/L")])
    assert not check.complete and "lab_alerts.json" in check.not_checked[0]
    drug = rules.check_drug_labs([("metformin", ["metformin"])], {})
    assert not drug.complete


def test_drug_lab_rules():
    latest = {"potassium": LabValue("6298-4", "Potassium", 5.6, "mmol/L"),
              "egfr": LabValue("33914-3", "eGFR", 25, "mL/min/{1.73_m2}"),
              "inr": LabValue("6301-6", "INR", 4.2, "{INR}")}
    check = rules.check_drug_labs([("Spironolactone 25 MG", ["spironolactone"]), ("metformin", ["metformin"]),
                                   ("warfarin", ["warfarin"]), ("amlodipine", ["amlodipine"])], latest)
    ids = sorted(a.rule_id for a in check.alerts)
    assert ids == ["druglab-metformin-egfr", "druglab-potassium-raising", "druglab-warfarin-inr"]
    metformin = next(a for a in check.alerts if a.rule_id == "druglab-metformin-egfr")
    assert metformin.severity == "contraindicated" and "25" in metformin.message


def test_drug_lab_below_thresholds_is_quiet():
    latest = {"potassium": LabValue("6298-4", "Potassium", 5.4, "mmol/L"),
              "egfr": LabValue("33914-3", "eGFR", 30, "mL/min/{1.73_m2}"),
              "inr": LabValue("6301-6", "INR", 3.9, "{INR}")}
    check = rules.check_drug_labs([("lisinopril", ["lisinopril"]), ("metformin", ["metformin"]),
                                   ("warfarin", ["warfarin"])], latest)
    assert check.alerts == () and check.complete


def test_catalog_analytes_have_unit_tables():
    from desktop.kb import lab_units
    for t in kb.catalog().tests:
        if t.analyte in lab_units.CONVERSIONS:
            assert lab_units.knows(t.analyte, t.unit), t.name
