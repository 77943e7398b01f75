"""A long name (two family names and a particle, a long given name) fits the 1280-wide laptop: the chart header
wraps it instead of widening the window past the screen, which pushed the allergy badge out of sight."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from desktop.views.main_window import MainWindow

pytestmark = pytest.mark.gui

FAMILY = "Rodríguez-Villanueva de la Santísima Trinidad y Montenegro-Castellanos Wolfeschlegelsteinhausen"  # 95
GIVEN = "Maria-Fernanda Guadalupe Esperanza Concepción"


def test_a_long_name_keeps_the_window_on_a_laptop_screen_and_the_allergies_in_sight(qtbot, app_ctx, add_patient):
    patient = add_patient(given=GIVEN, family=FAMILY, birth_date=date(1990, 5, 17))
    window = MainWindow(app_ctx("physician"))
    qtbot.addWidget(window)
    window.resize(1280, 700)
    window.show()
    chart = window.open_chart(patient.id)
    qtbot.waitUntil(lambda: FAMILY in chart.banner.name.text(), timeout=5000)
    QApplication.processEvents()
    assert window.minimumSizeHint().width() <= 1280
    assert window.width() <= 1280
    badge = chart.banner.allergies
    right_edge = badge.mapTo(window, QPoint(badge.width(), 0)).x()
    assert badge.isVisible() and right_edge <= window.width()
    assert chart.banner.name.text().startswith(FAMILY)  # the whole name, wrapped, never cut
    window.ctx.ops.wait_idle()
