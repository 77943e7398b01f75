"""The alert modal, the override with a reason, the non-physician view, the red banner and the passive bar."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.alerts import AllergyRef
from desktop.services.alerts import OVERRIDE_REASONS
from desktop.widgets.alert_bar import AlertBar
from desktop.widgets.alert_dialog import AlertDialog, KbUnavailableBanner

from .conftest import check

pytestmark = pytest.mark.gui


def texts(widget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


@pytest.fixture
def interaction():
    (alert,) = check("warfarin", "ibuprofen")
    return alert


def test_modal_names_both_drugs_severity_why_and_what_to_do(qtbot, interaction):
    dialog = AlertDialog([interaction], can_override=True, reasons=OVERRIDE_REASONS)
    qtbot.addWidget(dialog)
    shown = texts(dialog)
    assert "warfarin" in shown and "ibuprofen" in shown
    assert "MAJOR" in shown
    assert interaction.why in shown.replace("&amp;", "&") or "Why:" in shown
    assert "What to do:" in shown and "Source:" in shown
    assert dialog.isModal()


def test_allergy_alert_names_drug_and_allergy(qtbot):
    (alert,) = check(proposed=("amoxicillin",), allergies=(AllergyRef("Penicillin"),))
    dialog = AlertDialog([alert], can_override=True, reasons=OVERRIDE_REASONS)
    qtbot.addWidget(dialog)
    assert "amoxicillin" in texts(dialog) and "Penicillin" in texts(dialog)


def test_override_disabled_until_a_reason_is_chosen(qtbot, interaction):
    dialog = AlertDialog([interaction], can_override=True, reasons=OVERRIDE_REASONS)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.override_button.isVisible()
    assert not dialog.override_button.isEnabled()
    qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)  # disabled: nothing happens
    assert dialog.isVisible() and dialog.overrides() == []
    dialog.reason_box.setCurrentIndex(OVERRIDE_REASONS.index("Will monitor"))
    assert dialog.override_button.isEnabled()
    qtbot.keyClicks(dialog.comment_edit, "INR on Friday")
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)
    assert dialog.overrides() == [(interaction, "Will monitor", "INR on Friday")]


def test_other_reason_needs_a_comment(qtbot, interaction):
    dialog = AlertDialog([interaction], can_override=True, reasons=OVERRIDE_REASONS)
    qtbot.addWidget(dialog)
    dialog.reason_box.setCurrentIndex(OVERRIDE_REASONS.index("Other"))
    assert not dialog.override_button.isEnabled()
    qtbot.keyClicks(dialog.comment_edit, "discussed with cardiology")
    assert dialog.override_button.isEnabled()


def test_every_alert_shown_is_overridden_with_the_reason(qtbot):
    alerts = check("lisinopril", proposed=("spironolactone", "losartan"))
    assert len(alerts) >= 2
    dialog = AlertDialog(alerts, can_override=True, reasons=OVERRIDE_REASONS)
    qtbot.addWidget(dialog)
    dialog.reason_box.setCurrentIndex(0)
    dialog.override_button.click()
    assert [a for a, _r, _c in dialog.overrides()] == alerts
    assert {r for _a, r, _c in dialog.overrides()} == {OVERRIDE_REASONS[0]}


def test_non_physician_sees_no_override(qtbot, interaction):
    dialog = AlertDialog([interaction], can_override=False, reasons=OVERRIDE_REASONS)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.override_button.isVisible()
    assert not dialog.override_box.isVisible()
    assert dialog.physician_only.isVisible()
    assert "Only a physician" in dialog.physician_only.text()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.overrides() == []


def test_cancel_is_the_default_button(qtbot, interaction):
    dialog = AlertDialog([interaction], can_override=True, reasons=OVERRIDE_REASONS)
    qtbot.addWidget(dialog)
    dialog.reason_box.setCurrentIndex(0)
    dialog.show()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.overrides() == []
    assert dialog.cancel_button.isDefault() and not dialog.override_button.isDefault()


def in_window(qtbot, widget):
    """Put a chart widget in a shown window, as the chart view does."""
    window = QWidget()
    QVBoxLayout(window).addWidget(widget)
    qtbot.addWidget(window)
    window.show()
    return window


def test_kb_unavailable_banner_appears_with_the_reason(qtbot):
    banner = KbUnavailableBanner()
    window = in_window(qtbot, banner)  # noqa: F841  (keeps the window alive)
    assert not banner.isVisible()  # hidden until there is a problem
    banner.set_reason("interactions.json is corrupt")
    assert banner.isVisible()
    assert banner.text() == "Interaction checking unavailable: interactions.json is corrupt"
    assert "#b00020" in banner.styleSheet()
    banner.clear()
    assert not banner.isVisible()


def test_acknowledgement_requires_the_tick(qtbot):
    """Nothing could be checked: the same alert dialog shows the red banner and goes on only once ticked."""
    from desktop.services.alert_decisions import NeedsDecision
    from desktop.services.alerts import AlertCheck

    need = NeedsDecision(AlertCheck(alerts=(), kb_available=False, error="interactions.json is corrupt"))
    dialog = AlertDialog.deciding(need, can_override=False, reasons=OVERRIDE_REASONS)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "Interaction checking unavailable" in dialog.banner.text() and dialog.banner.isVisible()
    assert not dialog.continue_button.isEnabled()
    dialog.continue_button.click()
    assert dialog.isVisible() and dialog.decision() is None
    dialog.acknowledge_box.click()
    assert dialog.acknowledge_box.isChecked() and dialog.continue_button.isEnabled()
    assert dialog.acknowledge_box.text() == "I understand these orders were not checked"
    dialog.continue_button.click()
    assert dialog.decision().acknowledged_no_checking


def test_alert_bar_collapsed_count_and_click_to_expand(qtbot):
    alerts = [a for a in check("lisinopril", "ibuprofen", "omeprazole", "pantoprazole") if a.severity in
              ("moderate", "minor")]
    assert len(alerts) == 2
    bar = AlertBar()
    window = in_window(qtbot, bar)  # noqa: F841
    assert bar.isVisible() and bar.title() == "Checking alerts…"  # said, not hidden, while the check runs
    bar.set_alerts(alerts)
    assert bar.isVisible() and bar.count() == 2
    assert bar.title().startswith("2 alert")
    assert "moderate" in bar.title() and "minor" in bar.title()
    assert not bar.is_expanded()
    with qtbot.waitSignal(bar.sig_toggled) as toggled:
        qtbot.mouseClick(bar.toggle, Qt.MouseButton.LeftButton)
    assert toggled.args == [True] and bar.is_expanded()
    assert bar.list.count() == 2
    assert "lisinopril" in bar.list.item(0).text() or "lisinopril" in bar.list.item(1).text()
    qtbot.mouseClick(bar.toggle, Qt.MouseButton.LeftButton)
    assert not bar.is_expanded()
    bar.set_alerts([])
    assert bar.isVisible() and bar.title() == "No alerts" and bar.count() == 0 and not bar.is_expanded()
    assert not bar.toggle.isEnabled()  # nothing to expand


def test_vital_sign_alerts_are_information_with_close_only(qtbot):
    alerts = check(vitals={"8480-6": 190}, age_years=60)
    dialog = AlertDialog(alerts, parent=None)  # the vitals tab's call: no override arguments
    qtbot.addWidget(dialog)
    dialog.show()
    assert "190" in texts(dialog)
    assert dialog.cancel_button.text() == "Close"
    assert not dialog.override_button.isVisible() and not dialog.physician_only.isVisible()


@pytest.mark.parametrize("wording", ["vitals", "merge"])
def test_vital_sign_alerts_that_need_a_decision_are_acknowledged_not_overridden(qtbot, wording):
    """The vitals form and a merge whose only pending alerts are vital signs: Acknowledge (anyone who may enter
    vitals), no override reason; the answer carries the acknowledgement for the service to store."""
    from desktop.services.alert_decisions import NeedsDecision
    from desktop.services.alerts import AlertCheck

    alerts = tuple(check(vitals={"8480-6": 190}, age_years=60))
    need = NeedsDecision(AlertCheck(alerts=alerts, kb_available=True), alerts, "saving vital signs")
    dialog = AlertDialog.deciding(need, True, OVERRIDE_REASONS, None, wording)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.acknowledge_button.isVisible() and not dialog.override_button.isVisible()
    assert not dialog.physician_only.isVisible()
    qtbot.mouseClick(dialog.acknowledge_button, Qt.MouseButton.LeftButton)
    decision = dialog.decision()
    assert [a.key for a, _c in decision.acknowledged] == [alerts[0].key] and not decision.overrides
