"""Prescriptions from the chart menu: the front desk reprints, the physician renews and discontinues."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QInputDialog

from desktop.services import prescriptions as rxs
from desktop.views.main_window import MainWindow
from desktop.views.pdf_preview import PdfPreviewDialog
from desktop.views.prescriptions_dialog import PrescriptionsDialog
from tests.conftest import user_for
from tests.printing.conftest import flat, pdf_text


def _actions(window) -> dict:
    return {a.objectName(): a for a in window.chart_menu.actions() if a.objectName()}


def test_front_desk_can_list_and_reprint_but_not_prescribe(qtbot, app_ctx, signed_rx, patient, db, monkeypatch):
    rx = signed_rx()
    window = MainWindow(app_ctx("front_desk"))
    qtbot.addWidget(window)
    window.open_chart(patient.id)
    actions = _actions(window)
    assert actions["actPrescriptions"].isEnabled() and "actNewPrescription" not in actions
    dialog = PrescriptionsDialog(window.ctx, patient.id, "Núñez, José", window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=5000)
    assert not dialog.new_button.isVisible() and not dialog.stop_button.isVisibleTo(dialog)
    dialog.table.selectRow(0)
    shown: list[PdfPreviewDialog] = []
    import desktop.views.pdf_preview as preview

    real = preview.show_document
    monkeypatch.setattr(preview, "show_document", lambda *a, **k: real(*a, on_shown=shown.append, **k))
    dialog.print_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    text = flat(pdf_text(shown[0].pdf))
    assert rx.rx_number in text and "amoxicillin" in text.lower()
    shown[0].close()


def test_physician_discontinues_with_a_reason(qtbot, app_ctx, signed_rx, patient, db, monkeypatch):
    rx = signed_rx()
    dialog = PrescriptionsDialog(app_ctx("physician"), patient.id, "Núñez, José")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=5000)
    dialog.table.selectRow(0)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Rash on day 3", True))
    dialog.discontinue()
    dialog.ctx.ops.wait_idle(5000)  # discontinued in a worker
    with db.uow(user_for("physician")) as uow:
        after = rxs.get_prescription(uow, rx.id)
    assert after.status == "discontinued" and after.discontinued_reason == "Rash on day 3"
    qtbot.waitUntil(lambda: dialog.model.row_at(0).status == "discontinued", timeout=5000)
    assert QApplication.activeModalWidget() is None


def test_prescriptions_list_newest_first_and_the_focused_row_prints(qtbot, app_ctx, signed_rx, patient, db,
                                                                    messages):
    """Issue 14.11: a focused row was not a selected row ("Select one or more"), Drug and Directions were cut
    off while Qty/Refills/Status were wide, rows were not newest first."""
    from datetime import date, timedelta

    from desktop.models import Prescription

    old, new = signed_rx(), signed_rx()
    with db.uow(user_for("physician")) as uow:  # the older one written a month ago, the newer today
        uow.session.get(Prescription, old.id).written_date = date.today() - timedelta(days=30)
        uow.session.get(Prescription, new.id).written_date = date.today()
    dialog = PrescriptionsDialog(app_ctx("front_desk"), patient.id, "Núñez, José")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.resize(1100, 420)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2, timeout=5000)
    assert [r.id for r in dialog.model.rows()] == [new.id, old.id]
    header = dialog.table.horizontalHeader()
    assert header.sectionSize(2) > 2 * header.sectionSize(4) and header.sectionSize(3) > header.sectionSize(7)
    dialog.table.selectionModel().clearSelection()
    dialog.table.setCurrentIndex(dialog.model.index(1, 0))  # focused by the keyboard, not selected
    dialog.table.selectionModel().clearSelection()
    assert [r.id for r in dialog.selected()] == [old.id]
    dialog.print_selected()
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), PdfPreviewDialog), timeout=15000)
    assert not any("Select one or more" in text for _t, text in messages.shown)
    QApplication.activeModalWidget().reject()
