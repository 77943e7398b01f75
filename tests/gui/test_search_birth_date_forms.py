"""Front desk: a birth date typed the way lab reports and hospital letters print it ("14-Mar-1980") found no
patient in the search box and was "not a date" in the registration form; the other forms still work."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.views.main_window import MainWindow
from desktop.views.patient_dialog import PatientDialog

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("typed", ["14-Mar-1980", "lee 14-march-1980", "03/14/1980", "14 Mar 1980", "1980-03-14"])
def test_the_search_box_finds_the_patient_by_birth_date(qtbot, app_ctx, add_patient, typed):
    add_patient(given="Ann", family="Lee", birth_date=date(1980, 3, 14))
    add_patient(given="Ann", family="Lee", birth_date=date(1981, 3, 14))
    window = MainWindow(app_ctx("front_desk"))
    qtbot.addWidget(window)
    panel = window.search_panel
    qtbot.keyClicks(panel.search, typed)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)
    assert panel.model.row_at(0).birth_date == date(1980, 3, 14)


def test_registration_takes_the_printed_form_and_spells_out_the_month(qtbot, app_ctx, db):
    dialog = PatientDialog(app_ctx("front_desk"))
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.inputs["given_name"], "Ann")
    qtbot.keyClicks(dialog.inputs["family_name"], "Lee")
    qtbot.keyClicks(dialog.inputs["birth_date"], "14-Mar-1980")
    assert dialog.dob_hint.text() == "14 March 1980"
    dialog.inputs["sex"].setCurrentIndex(dialog.inputs["sex"].findData("female"))
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=5000)
    assert dialog.saved.data.birth_date == date(1980, 3, 14)
