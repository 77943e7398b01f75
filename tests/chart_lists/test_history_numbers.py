"""Numbers typed into the family and social history forms: 10,000 pasted digits or a superscript "²" as an age at
onset, "nan" or "inf" as an AUDIT-C score, raised inside the form's own check (a traceback instead of a message);
now they are refused beside the field and nothing is saved."""

from __future__ import annotations

import pytest

from desktop.services import family_history, social_history

pytestmark = pytest.mark.gui


def _open(qtbot, chart_view, tab):
    view = chart_view(role="physician", tab=tab)
    page = view.page(tab)
    qtbot.waitUntil(lambda: page._loading == 0, timeout=5000)
    page.add()
    return page.editor


@pytest.mark.parametrize("typed", ["9" * 10_000, "²", "-5", "1e2", "4 5"])
def test_a_bad_age_at_onset_is_refused_at_the_field(qtbot, db, chart_view, patient, physician, messages, typed):
    dialog = _open(qtbot, chart_view, "family_history")
    dialog.relative.setCurrentIndex(1)
    dialog.condition.setText("Type 2 diabetes")
    dialog.onset.setText(typed)
    dialog.save()
    qtbot.wait(100)
    assert dialog.errors["onset_age"].isVisible() and dialog.isVisible() and messages.shown == []
    with db.uow(physician) as uow:
        assert family_history.list_family_history(uow, patient.id) == []


def test_an_age_in_other_digits_is_read(qtbot, db, chart_view, patient, physician):
    dialog = _open(qtbot, chart_view, "family_history")
    dialog.relative.setCurrentIndex(1)
    dialog.condition.setText("Type 2 diabetes")
    dialog.onset.setText(" 45 ")
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    with db.uow(physician) as uow:
        assert [r.onset_age for r in family_history.list_family_history(uow, patient.id)] == [45]


@pytest.mark.parametrize("typed", ["nan", "inf", "1e400", "-inf"])
def test_an_audit_c_that_is_not_a_number_is_refused_at_the_field(qtbot, db, chart_view, patient, physician,
                                                                 messages, typed):
    dialog = _open(qtbot, chart_view, "social_history")
    dialog.kind.setCurrentIndex(dialog.kind.findData("alcohol"))
    dialog.audit_c.setText(typed)
    dialog.save()
    qtbot.wait(100)
    assert dialog.errors["audit_c"].isVisible() and dialog.isVisible() and messages.shown == []
    with db.uow(physician) as uow:
        assert social_history.list_social_history(uow, patient.id) == []
