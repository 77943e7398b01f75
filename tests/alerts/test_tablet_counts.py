"""How many tablets to take, written after a strength ("metformin ER 500 mg 2 tabs with dinner", "ibuprofen 200mg
2 tabs q6h prn"), is a count, not a product number: the drug is checked on every path. Without a strength before
it, a number stays a possible product number ("Tylenol 3 tabs" is Tylenol #3, "APAP 5 mg 2 tabs" stays unknown)."""

from __future__ import annotations

import pytest

from tests.alerts.test_clinic_names import _cli_rules, _form_rules


@pytest.fixture
def patient(add_patient):
    return add_patient(given="Rosa", family="Lindqvist")


WARFARIN = ("warfarin 5 mg", "warfarin")


@pytest.mark.parametrize("typed", [
    "ibuprofen 200mg 2 tabs q6h prn", "ibuprofen 200 mg 2 tablets with food", "Advil 200 mg 1-2 tabs prn",
])
def test_a_tablet_count_after_the_strength_is_read_on_the_command_line_and_in_the_form(capsys, db, patient, typed):
    cli = _cli_rules(capsys, "warfarin", typed)
    form, unchecked = _form_rules(db, patient.id, WARFARIN, typed)
    assert cli and cli == form and not unchecked  # the NSAID + anticoagulant bleeding rule, the same on both


def test_the_count_does_not_change_which_product_a_number_names(capsys):
    from desktop.__main__ import main

    assert main(["alerts", "--json", "--drug", "metformin ER 500mg 2 tabs with dinner"]) == 0
    assert main(["alerts", "--json", "--drug", "Tylenol 3 tabs", "--drug", "tramadol"]) == 0  # Tylenol #3
    assert "codeine" in capsys.readouterr().out  # checked with its codeine (opioid with tramadol)
    assert main(["alerts", "--json", "--drug", "APAP 5 mg 2 tabs"]) == 2  # may be hydrocodone/APAP: not guessed
