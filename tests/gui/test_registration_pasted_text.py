"""Front desk: text pasted into the registration form. A line break pasted into a name (a QLineEdit keeps it) used
to register "Ann<newline>Marie", a name that breaks the chart header, the lists and the printed prescription over
two lines; a NUL or bell character and a name of emoji were saved too (PostgreSQL refuses NUL with a database
error). Now the line break is a space, and the rest is refused at the field with nothing saved."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication

from desktop.services import patients
from desktop.views.patient_dialog import PatientDialog
from tests.conftest import type_text, user_for

pytestmark = pytest.mark.gui


def _form(qtbot, app_ctx, given: str, family: str):
    dialog = PatientDialog(app_ctx("front_desk"))
    qtbot.addWidget(dialog)
    dialog.show()
    for name, text in (("given_name", given), ("family_name", family)):
        QGuiApplication.clipboard().setText(text)
        dialog.inputs[name].setFocus()
        dialog.inputs[name].paste()
    qtbot.keyClicks(dialog.inputs["birth_date"], "03/14/1980")
    dialog.inputs["sex"].setCurrentIndex(dialog.inputs["sex"].findData("female"))
    return dialog


def _registered(db, text: str) -> list[str]:
    with db.uow(user_for("front_desk")) as uow:
        return [p.display_name for p in patients.search_patients(uow, text)]


def test_a_name_pasted_with_a_line_break_is_registered_on_one_line(qtbot, app_ctx, db):
    dialog = _form(qtbot, app_ctx, "Ann\nMarie\t", "Smith\r\n")
    assert "\n" in dialog.inputs["given_name"].text()  # what the pasted text left in the field
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=5000)
    assert (dialog.saved.data.given_name, dialog.saved.data.family_name) == ("Ann Marie", "Smith")
    assert _registered(db, "smith") == ["Smith, Ann Marie"]


@pytest.mark.parametrize(("given", "family", "field", "words"), [
    ("Ann", "😀", "family_name", "emoji"),
    ("✿✿", "Smith", "given_name", "letters"),
    ("An\x00n", "Smith", "given_name", "control"),
    ("Ann", "Sm\x07ith", "family_name", "control"),
    ("Ann", "Smi\u200bth", "family_name", "invisible"),  # a zero-width space: search for "smith" missed it
])
def test_emoji_and_control_characters_in_a_name_are_refused_at_the_field(qtbot, app_ctx, db, messages, given,
                                                                         family, field, words):
    dialog = _form(qtbot, app_ctx, given, family)
    dialog.save()
    qtbot.wait(200)
    assert dialog.errors[field].isVisible() and words in dialog.errors[field].text()
    assert dialog.saved is None and messages.shown == []  # a message at the field, no error box
    assert _registered(db, "smith") == [] and _registered(db, "ann") == []


def test_names_in_other_scripts_and_with_apostrophes_still_register(qtbot, app_ctx, db):
    dialog = PatientDialog(app_ctx("front_desk"))
    qtbot.addWidget(dialog)
    type_text(dialog.inputs["given_name"], "José-María")
    type_text(dialog.inputs["middle_name"], "李")
    type_text(dialog.inputs["family_name"], "O’Brien-Nguyễn")
    qtbot.keyClicks(dialog.inputs["birth_date"], "1980-03-14")
    dialog.inputs["sex"].setCurrentIndex(dialog.inputs["sex"].findData("male"))
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=5000)
    assert dialog.saved.data.family_name == "O’Brien-Nguyễn" and dialog.saved.data.middle_name == "李"
