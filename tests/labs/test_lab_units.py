"""Unit conversion for trending: one table, both directions, per analyte."""

from __future__ import annotations

import pytest

from desktop.kb import lab_units

# (analyte, value, from, to, expected) — expected from the molar masses / IFCC-NGSP equation, to 2 %
CASES = [
    ("glucose", 100, "mg/dL", "mmol/L", 5.55),
    ("glucose", 7.0, "mmol/L", "mg/dL", 126.1),
    ("glucose", 400, "mg/dL", "mmol/L", 22.2),
    ("creatinine", 1.0, "mg/dL", "umol/L", 88.4),
    ("creatinine", 177, "µmol/L", "mg/dL", 2.0),
    ("creatinine", 60, "umol/L", "mg/dL", 0.68),
    ("cholesterol", 200, "mg/dL", "mmol/L", 5.17),
    ("cholesterol", 3.0, "mmol/L", "mg/dL", 116.0),
    ("hba1c", 48, "mmol/mol", "%", 6.5),
    ("hba1c", 7.0, "%", "mmol/mol", 53.0),
    ("hba1c", 5.0, "%", "mmol/mol", 31.1),
    ("potassium", 5.1, "mEq/L", "mmol/L", 5.1),
    ("hemoglobin", 135, "g/L", "g/dL", 13.5),
    ("wbc", 6.7, "10*9/L", "10*3/uL", 6.7),
]


@pytest.mark.parametrize(("analyte", "value", "src", "dst", "expected"), CASES)
def test_conversion_table(analyte, value, src, dst, expected):
    assert lab_units.convert(analyte, value, src, dst) == pytest.approx(expected, rel=0.02)


@pytest.mark.parametrize(("analyte", "value", "src", "dst", "expected"), CASES)
def test_round_trip_returns_the_original(analyte, value, src, dst, expected):
    there = lab_units.convert(analyte, value, src, dst)
    assert lab_units.convert(analyte, there, dst, src) == pytest.approx(value, rel=1e-9)


def test_a_unit_of_another_analyte_is_refused():
    with pytest.raises(lab_units.UnknownLabUnit):
        lab_units.convert("glucose", 1.0, "umol/L", "mg/dL")
    with pytest.raises(lab_units.UnknownLabUnit):
        lab_units.convert("", 1.0, "mg/dL", "mmol/L")


def test_spellings_are_normalised():
    assert lab_units.knows("glucose", " MMOL/L ")
    assert lab_units.knows("creatinine", "μmol/L")  # Greek mu typed instead of the micro sign
