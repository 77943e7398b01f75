"""A drug allergy typed so the alert check cannot read it ("amoxacillin", "penicilin") would never raise an alert
when that drug is prescribed. The allergy form says so before saving, with the name it is near; the command line
warns the same way; a food or a known name gets no such hint."""

from __future__ import annotations

import subprocess
import sys

import pytest

from desktop.services import allergies
from desktop.services.allergies import AllergyInput


@pytest.mark.parametrize(("typed", "near"), [
    ("amoxacillin", "amoxicillin"),  # a drug
    ("penicilin", "penicillin"),  # a drug class (the allergy classes), not only drug names
    ("codiene", "codeine"),
    ("ibuprophen (hives)", "ibuprofen"),  # with its reaction written after it
])
def test_the_form_names_a_misspelled_drug_allergy_and_the_name_it_is_near(qtbot, app_ctx, patient, typed, near):
    from desktop.views.chart.allergies_tab import AllergyDialog
    from desktop.views.chart.base import ChartContext

    dialog = AllergyDialog(ChartContext(app=app_ctx("physician"), patient_id=patient.id, refresh_banner=lambda: None))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.substance, typed)
    qtbot.waitUntil(lambda: dialog.unknown_hint.text() != "", timeout=3000)
    hint = dialog.unknown_hint.text()
    assert f"“{typed}” is not a known drug, drug class or allergen" in hint
    assert f"did you mean '{near}'?" in hint
    dialog.substance.setText(near)  # corrected: the hint goes
    qtbot.waitUntil(lambda: dialog.unknown_hint.text() == "", timeout=3000)


@pytest.mark.parametrize(("substance", "category"), [
    ("amoxicillin", "medication"), ("Penicillins", "medication"), ("Keflex", "medication"), ("ASA", "medication"),
    ("sulfa", "medication"), ("latex", "environment"), ("strawberries", "food"), ("peanut", "food"),
])
def test_known_names_and_non_drug_allergies_get_no_hint(substance, category):
    assert allergies.unrecognised_note(allergies.clean(AllergyInput(substance=substance, category=category))) == ""


def test_an_unknown_drug_allergy_without_a_near_name_is_still_named():
    note = allergies.unrecognised_note(allergies.clean(AllergyInput(substance="zorblaxin", category="medication")))
    assert note.startswith("not a known drug, drug class or allergen") and "did you mean" not in note


def test_the_command_line_suggests_a_drug_class_for_a_misspelled_allergy():
    out = subprocess.run([sys.executable, "-m", "desktop", "alerts", "--drug", "amoxicillin", "--allergy", "penicilin"],
                         capture_output=True, text=True, timeout=60)
    assert "did you mean 'penicillin'?" in out.stderr
