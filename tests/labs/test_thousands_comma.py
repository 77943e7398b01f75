"""A result typed from a US lab report with a thousands comma: "1,500" was read as a decimal comma, so an
NT-proBNP of 1,500 pg/mL (heart failure) was saved as 1.5, a normal value, without a word. It is now refused
beside the value, asking which was meant; a decimal comma ("5,2") and "1,500.5" still read as before."""

from __future__ import annotations

import pytest

from desktop.services import results as svc
from tests.conftest import user_for

from .test_results_gui import _ready


@pytest.mark.parametrize(("typed", "value"), [("5,2", 5.2), ("1,500.5", 1500.5), (">=1,000.0", 1000.0),
                                              ("< 0,5", 0.5), ("0,500", 0.5), ("1500", 1500.0)])
def test_unambiguous_numbers_read_as_before(typed, value):
    assert svc.parse_value(typed)[0] == value


@pytest.mark.parametrize("typed", ["1,500", "12,000", "1,500,000", "<1,000"])
def test_a_comma_before_three_digits_is_refused(typed):
    with pytest.raises(svc.AmbiguousNumber):
        svc.parse_value(typed)


@pytest.mark.gui
def test_nt_probnp_typed_with_a_thousands_comma_is_not_saved_as_1_5(qtbot, db, patient, chart_view, messages):
    view = chart_view("nurse", "results")
    tab = _ready(qtbot, view)
    tab.enter_button.click()
    qtbot.waitUntil(lambda: getattr(tab, "entry_dialog", None) is not None and tab.entry_dialog.isVisible(),
                    timeout=5000)
    dialog = tab.entry_dialog
    row = dialog.rows[0]
    row.test.setCurrentIndex(row.test.findData("33762-6"))
    qtbot.keyClicks(row.value, "1,500")
    assert not dialog.save_button.isEnabled()
    assert row.error.isVisible() and row.error.text() == "Is 1,500 1500 or 1.5? Type it that way"
    dialog.save()  # Enter or Ctrl+Enter: still nothing saved
    with db.uow(user_for("physician")) as uow:
        assert svc.results_view(uow, patient.id).total == 0
    row.value.clear()
    qtbot.keyClicks(row.value, "1500")
    assert row.error.isHidden() and dialog.save_button.isEnabled()
