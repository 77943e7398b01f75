"""The PHR import as a user starts it (issue 14): Chart menu > Import health record, the file chooser, the review,
Merge; the dialog is found as the active modal window, never constructed by the test, and it fits 1280x720."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit
from sqlalchemy import func, select

from desktop.models import PhrImport, Problem
from desktop.widgets.screen_fit import SMALLEST_SCREEN, WINDOW_FRAME, fit_into
from tests.conftest import SAMPLES

pytestmark = pytest.mark.gui

REYNA = SAMPLES / "synthea/Reyna_Ziemann_08f8bfce-34cf-4b5a-a398-8e49650c6e3c.json"


def test_import_from_the_chart_menu_reviews_and_merges(qtbot, app_ctx, add_patient, db, messages):
    from desktop.views.main_window import MainWindow
    from desktop.views.phr_import_dialog import PhrImportDialog

    patient = add_patient(given="Reyna", family="Ziemann", birth_date=date(1974, 2, 28), sex="female")
    window = MainWindow(app_ctx("physician"))
    qtbot.addWidget(window)
    window.show()
    window.open_chart(patient.id)
    qtbot.waitUntil(lambda: window.workspace.current_chart() is not None
                    and window.workspace.current_chart().details is not None, timeout=10000)
    action = window.findChild(QAction, "actImportPhr")
    assert action is not None and action.isEnabled()

    chosen = []

    def choose_file() -> None:  # the file chooser is modal (a nested loop): answer it from a timer, as typed
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QFileDialog):
            name = modal.findChild(QLineEdit, "fileNameEdit")
            name.setText(str(REYNA))
            chosen.append(modal)
            modal.accept()
        if not chosen or (isinstance(modal, QFileDialog) and modal.isVisible()):
            QTimer.singleShot(20, choose_file)

    QTimer.singleShot(0, choose_file)
    QTimer.singleShot(0, action.trigger)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), PhrImportDialog), timeout=10000)
    dialog = QApplication.activeModalWidget()
    assert chosen and dialog.path == REYNA
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=30000)

    # fits a 1280x720 laptop with its title bar and panel; Merge stays on screen
    fit_into(dialog, SMALLEST_SCREEN)
    qtbot.wait(10)
    assert dialog.width() <= SMALLEST_SCREEN.width() and dialog.height() <= SMALLEST_SCREEN.height() - WINDOW_FRAME
    merge = dialog.apply_button
    corner = merge.mapTo(dialog, merge.rect().bottomRight())
    assert merge.isVisible() and corner.y() <= dialog.height() and corner.x() <= dialog.width()

    problems = dialog.tabs_by_category["problems"].model
    assert problems.rowCount() == 9
    with qtbot.waitSignal(dialog.sig_applied, timeout=30000):
        merge.click()
    with db.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(Problem)).scalar_one() == 9
        assert uow.session.execute(select(PhrImport.file_name)).scalar_one() == REYNA.name
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
