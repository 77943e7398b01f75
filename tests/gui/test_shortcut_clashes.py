"""No two live shortcuts of the main window share a key: Qt fires neither of them ("Ambiguous shortcut
overload"), so both the menu's command and the tab's would silently do nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import QApplication

from desktop.services import encounters
from desktop.views.main_window import MainWindow
from tests.conftest import user_for

pytestmark = pytest.mark.gui

_LIVE_CONTEXTS = (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)


def _live_keys(window: MainWindow) -> Counter:
    """Every key sequence Qt would match in the window now: its enabled actions, and the enabled window-wide
    QShortcuts whose widget is on screen (Qt ignores those of hidden tabs)."""
    keys: Counter = Counter()
    for action in window.findChildren(QAction):
        if action.isEnabled() and action.shortcutContext() in _LIVE_CONTEXTS:
            for seq in action.shortcuts():
                keys[seq.toString()] += 1
    for shortcut in window.findChildren(QShortcut):
        owner = shortcut.parent()
        if (shortcut.isEnabled() and shortcut.context() in _LIVE_CONTEXTS and owner is not None
                and owner.isVisible() and owner.isEnabled()):
            keys[shortcut.key().toString()] += 1
    keys.pop("", None)
    return keys


def test_no_shortcut_is_claimed_twice_on_any_chart_tab_or_in_an_open_note(qtbot, app_ctx, add_patient, db):
    patient = add_patient(given="Ann", family="Lee")
    with db.uow(user_for("physician")) as uow:
        note = encounters.create_encounter(uow, patient.id, encounters.EncounterInput(reason="Cough"))
    window = MainWindow(app_ctx("physician"))  # the physician has every menu entry (New prescription)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    chart = window.open_chart(patient.id)
    clashes: dict[str, list[str]] = {}
    opened: list[bool] = []
    for spec in chart.specs:
        chart.show_tab(spec.key)
        QApplication.processEvents()
        if spec.key == "encounters":  # the note editor's own shortcuts join while a note is open
            chart.page("encounters").open_encounter(note.id, then=opened.append)
            qtbot.waitUntil(lambda: bool(opened), timeout=5000)
            assert chart.page("encounters").editor.isVisible()
        doubled = [key for key, n in _live_keys(window).items() if n > 1]
        if doubled:
            clashes[spec.key] = doubled
    assert clashes == {}
    window.ctx.ops.wait_idle()
