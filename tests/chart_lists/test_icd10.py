"""ICD-10-CM offline search: by words or code, billable first, fast after warm-up."""

from __future__ import annotations

from desktop.services import icd10


def test_words_in_any_order_find_type_2_diabetes():
    codes = [c.code for c in icd10.search("diabetes type 2", 20)]
    assert "E11.9" in codes
    assert all(c.startswith("E11") for c in codes[:5])


def test_code_with_or_without_dot():
    assert [c.code for c in icd10.search("E11.9")] == ["E11.9"]
    assert icd10.search("e119")[0].code == "E11.9"
    assert icd10.search("E11.9")[0].description == "Type 2 diabetes mellitus without complications"


def test_category_prefix_lists_the_category_then_billable_children():
    hits = icd10.search("E11", 50)
    assert hits[0].code == "E11" and not hits[0].billable
    assert all(h.billable for h in hits[1:]) and all(h.code.startswith("E11.") for h in hits[1:])


def test_common_code_first_and_billable_before_headers():
    hits = icd10.search("hypertension", 30)
    assert hits[0].code == "I10"
    flags = [h.billable for h in hits]
    assert flags == sorted(flags, reverse=True)


def test_inclusion_terms_are_searchable():
    hits = icd10.search("high blood pressure")
    assert hits and hits[0].code == "I10" and hits[0].matched_term == "high blood pressure"


def test_prefix_words_and_no_match():
    assert icd10.search("upper resp infect")[0].code == "J06.9"
    assert icd10.search("qqqzz") == []
    assert icd10.search("   ") == []


def test_lookup_and_normalise():
    assert icd10.lookup("i10").description == "Essential (primary) hypertension"
    assert icd10.lookup("Z99.999") is None
    assert icd10.normalise_code("e119") == "E11.9"


