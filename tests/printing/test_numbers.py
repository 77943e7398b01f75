"""NPI (Luhn over 80840 + 9 digits) and DEA number (format, registrant letter, check digit) validation."""

from __future__ import annotations

import pytest

from desktop.domain.numwords import format_quantity, int_to_words, quantity_to_words
from desktop.services.prescribers import dea_problem, npi_check_digit, npi_problem

from .conftest import VALID_DEA, VALID_NPI


@pytest.mark.parametrize("npi", [VALID_NPI, "1245319599", "1987654328", "1000000004"])
def test_valid_npis_pass(npi):
    assert npi_problem(npi) is None


def test_npi_check_digit_is_luhn_over_the_80840_prefix():
    # worked by hand for 123456789: "80840123456789" + check; the CMS example NPI is 1234567893
    assert npi_check_digit("123456789") == "3"


@pytest.mark.parametrize("npi, words", [
    ("1234567890", "check digit is wrong (expected 3"),  # last digit changed
    ("1234567839", "check digit is wrong"),  # two digits swapped
    ("123456789", "10 digits, not 9"),
    ("12345678931", "10 digits, not 11"),
    ("12345-7893", "digits only"),
    ("", "required"),
    ("3234567893", "starts with 1 or 2"),
])
def test_bad_npis_are_explained(npi, words):
    problem = npi_problem(npi)
    assert problem is not None and words in problem


@pytest.mark.parametrize("dea", [VALID_DEA, "AL1234563", "FM7654329", "MN0000012", "br1234563"])
def test_valid_dea_numbers_pass(dea):
    assert dea_problem(dea) is None


@pytest.mark.parametrize("dea, words", [
    ("BR1234564", "check digit is wrong (expected 3"),
    ("BR2134563", "check digit is wrong"),  # transposed digits
    ("BR123456", "9 characters"),
    ("B11234563", "second character"),
    ("1R1234563", "starts with a letter"),
    ("ZR1234563", "not a DEA registrant type"),
    ("BR12345X3", "7 digits"),
])
def test_bad_dea_numbers_are_explained(dea, words):
    problem = dea_problem(dea)
    assert problem is not None and words in problem


@pytest.mark.parametrize("n, words", [
    (0, "zero"), (1, "one"), (12, "twelve"), (20, "twenty"), (30, "thirty"), (42, "forty-two"),
    (100, "one hundred"), (120, "one hundred twenty"), (1000, "one thousand"),
    (2505, "two thousand five hundred five"),
])
def test_numbers_in_words(n, words):
    assert int_to_words(n) == words


def test_quantities_in_words():
    assert quantity_to_words(30) == "thirty"
    assert quantity_to_words(7.5) == "seven and one half"
    assert quantity_to_words(0.5) == "one half"
    assert quantity_to_words(2.4) == "two point four"
    assert format_quantity(30.0) == "30" and format_quantity(7.5) == "7.5"
