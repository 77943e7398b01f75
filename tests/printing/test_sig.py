"""Directions print in plain language: the abbreviations prescribers type are expanded."""

from __future__ import annotations

import pytest

from desktop.domain.sig import SigParts, build_sig, days_supply, expand_sig, quantity_for, split_dose


@pytest.mark.parametrize("typed, printed", [
    ("1 tab po bid", "Take 1 tablet by mouth twice a day"),
    ("1 tab po tid", "Take 1 tablet by mouth three times a day"),
    ("2 tabs po qid", "Take 2 tablets by mouth four times a day"),
    ("1 cap po qd", "Take 1 capsule by mouth once a day"),
    ("1 tab po daily", "Take 1 tablet by mouth once a day"),
    ("1 tab po qhs", "Take 1 tablet by mouth at bedtime"),
    ("1 tab po q6h prn pain", "Take 1 tablet by mouth every 6 hours as needed for pain"),
    ("2 puffs inh q4-6h prn wheezing", "Inhale 2 puffs by mouth every 4 to 6 hours as needed for wheezing"),
    ("1 tab sl q5min prn chest pain x 3 doses",
     "Dissolve 1 tablet under the tongue every 5 minutes as needed for chest pain up to 3 doses"),
    ("1 gtt ou qid", "Instill 1 drop in both eyes four times a day"),
    ("apply top bid", "Apply to the skin twice a day"),
    ("1 cap po tid x 10d", "Take 1 capsule by mouth three times a day for 10 days"),
    ("1 tab po q4h prn", "Take 1 tablet by mouth every 4 hours as needed"),
    ("Take 1 tablet by mouth twice a day", "Take 1 tablet by mouth twice a day"),
    ("1 tab po qd w/ food", "Take 1 tablet by mouth once a day with food"),
])
def test_abbreviations_print_in_plain_language(typed, printed):
    assert expand_sig(typed) == printed


def test_sig_built_from_parts():
    assert build_sig(SigParts("1", "tablet", "po", "bid")) == "Take 1 tablet by mouth twice a day"
    assert build_sig(SigParts("2", "tablet", "oral", "q6h", 5, True, "pain", "with food")) == (
        "Take 2 tablets by mouth every 6 hours as needed for pain for 5 days, with food")
    assert build_sig(SigParts("1/2", "tab", "po", "qd")) == "Take 1/2 tablet by mouth once a day"
    assert build_sig(SigParts("5", "mL", "po", "tid")) == "Take 5 mL by mouth three times a day"


def test_days_supply():
    assert days_supply(30, "tablet", "1", "tablet", "bid") == 15
    assert days_supply(30, "capsules", "1", "cap", "tid") == 10
    assert days_supply(20, "tablet", "1-2", "tablet", "q6h") == 2  # computed at the most that may be taken
    assert days_supply(90, "tablet", "1", "tablet", "qod") == 180
    # a course with a duration ends with it, however many tablets are dispensed (an opioid for 3 days, 20
    # tablets q6h: 3 days, not 5)
    assert days_supply(30, "tablet", "1", "tablet", "bid", 10) == 10
    assert days_supply(20, "tablet", "1", "tablet", "q6h", 3) == 3
    assert days_supply(10, "tablet", "1", "tablet", "bid", 10) == 5  # fewer tablets than the course: they run out
    # an inhaler dosed in puffs cannot be computed: the duration is used, else unknown
    assert days_supply(1, "inhaler", "2", "puff", "q4h", 25) == 25
    assert days_supply(1, "inhaler", "2", "puff", "q4h") is None
    assert quantity_for(10, "1", "tid") == 30


def test_split_dose():
    assert split_dose("1 tablet") == ("1", "tablet")
    assert split_dose("2 tabs") == ("2", "tablet")
    assert split_dose("1-2 capsules") == ("1-2", "capsule")


@pytest.mark.parametrize("default_sig, printed, freq", [
    ("1 tablet by mouth once daily", "Take 1 tablet by mouth once a day", "qd"),
    ("1 tablet by mouth every 6 hours as needed for severe pain",
     "Take 1 tablet by mouth every 6 hours as needed for severe pain", "q6h"),
    ("2 puffs by inhalation every 4 to 6 hours as needed for wheezing",
     "Inhale 2 puffs by inhalation every 4 to 6 hours as needed for wheezing", "q4-6h"),
    ("1 tablet by mouth twice daily with meals", "Take 1 tablet by mouth twice a day with meals", "bid"),
])
def test_formulary_default_sigs(default_sig, printed, freq):
    from desktop.domain.sig import frequency_code, frequency_of, parse_sig

    assert expand_sig(default_sig) == printed
    parts = parse_sig(default_sig)
    assert frequency_of(parts.frequency) == frequency_of(freq)
    assert frequency_code(default_sig) == freq
