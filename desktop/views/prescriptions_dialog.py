"""A patient's prescriptions: history, and the actions each role may take (physician: new, renew, modify,
discontinue; everyone who may print: print and reprint)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.services import prescriptions
from desktop.services.permissions import Permission
from desktop.services.prescriptions import RxView
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.table_model import Column, DataclassTableModel

from .context import AppContext


class PrescriptionsDialog(BaseDialog):
    def __init__(self, ctx: AppContext, patient_id: int, patient_label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.patient_id = patient_id
        self.patient_label = patient_label
        self.setWindowTitle(self.tr("Prescriptions — {name}").format(name=patient_label))
        self.model = DataclassTableModel([
            Column(self.tr("Rx number"), lambda r: r.rx_number),
            Column(self.tr("Written"), lambda r: r.written_date),
            Column(self.tr("Drug"), lambda r: r.drug_line if r.interaction_checked
                   else self.tr("{drug} — not checked for interactions").format(drug=r.drug_line),
                   color=lambda r: None if r.interaction_checked else "#8a5a00", tooltip=lambda r: r.drug_line),
            Column(self.tr("Directions"), lambda r: r.sig_text, tooltip=lambda r: r.sig_text),
            Column(self.tr("Qty"), lambda r: f"{r.quantity:g} {r.quantity_unit}".strip()),
            Column(self.tr("Refills"), lambda r: r.refills),
            Column(self.tr("Schedule"), lambda r: f"C-{r.dea_schedule}" if r.dea_schedule else ""),
            Column(self.tr("Status"), lambda r: r.status,
                   color=lambda r: {"active": "#1e6b32", "draft": "#8a5a00"}.get(r.status)),
            Column(self.tr("Prescriber"), lambda r: r.prescriber_name),
        ])
        self.model.greyed = lambda r: r.status in ("discontinued", "replaced")
        self.table = QTableView()
        self.table.setObjectName("rxTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for col in range(self.model.columnCount()):  # the short columns as wide as their text ...
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        for col in (2, 3):  # ... the drug and its directions get the rest of the width
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel(self.tr("No prescriptions yet."))
        self.empty.setStyleSheet("color: #666;")
        can_rx = ctx.can(Permission.PRESCRIBE)
        can_print = ctx.can(Permission.PRINT)
        self.new_button = self._button(self.tr("&New…"), self.new, can_rx, "Ctrl+Shift+N")
        self.renew_button = self._button(self.tr("&Renew…"), self.renew, can_rx)
        self.modify_button = self._button(self.tr("&Modify…"), self.modify, can_rx)
        self.stop_button = self._button(self.tr("&Discontinue…"), self.discontinue, can_rx)
        self.print_button = self._button(self.tr("&Print / reprint…"), self.print_selected, can_print, "Ctrl+P")
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.renew_button, self.modify_button, self.stop_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self.resize(980, 420)
        self.table.doubleClicked.connect(lambda _i: self.print_selected())
        ctx.ops.data_changed.connect(self._changed)
        self.load()

    def _button(self, text: str, slot, visible: bool, shortcut: str = "") -> QPushButton:
        b = QPushButton(text)
        b.clicked.connect(slot)
        b.setVisible(visible)
        if shortcut and visible:
            QShortcut(QKeySequence(shortcut), self, activated=slot)
        return b

    def load(self) -> None:
        self.ctx.ops.run(prescriptions.history, self.patient_id, done=self._show)

    def _show(self, rows: list[RxView]) -> None:
        rows = sorted(rows, key=lambda r: (r.written_date or date.min, r.id), reverse=True)  # newest first
        self.model.set_rows(rows)
        self.empty.setVisible(not rows)
        if rows and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    def _changed(self, what: str, patient_id: int) -> None:
        if what in ("prescriptions", "medications") and patient_id in (0, self.patient_id):
            self.load()

    def selected(self) -> list[RxView]:
        """The selected rows; none selected: the focused row (what the user sees as "this one")."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        if not rows and self.table.currentIndex().isValid():
            rows = [self.table.currentIndex().row()]
        return [self.model.row_at(r) for r in rows]

    def _one(self) -> RxView | None:
        chosen = self.selected()
        if len(chosen) != 1:
            self.ctx.messages.info(self, self.tr("Select one prescription first."))
            return None
        return chosen[0]

    # ---- actions
    def _editor(self, draft: RxView | None = None) -> None:
        from .prescription_editor import open_prescription_editor

        editor = open_prescription_editor(self.ctx, self.patient_id, self.patient_label, draft=draft, parent=self)
        editor.finished.connect(lambda _r: self._after_edit())

    def _after_edit(self) -> None:
        self.ctx.ops.changed("prescriptions", self.patient_id)
        self.ctx.ops.changed("medications", self.patient_id)

    def new(self) -> None:
        self._editor()

    def renew(self) -> None:
        rx = self._one()
        if rx is None:
            return
        self.ctx.ops.run(prescriptions.renew, rx.id, done=self._editor, failed=self._refused)

    def modify(self) -> None:
        rx = self._one()
        if rx is None:
            return
        if rx.status == "draft":
            self._editor(rx)
            return
        self.ctx.ops.run(prescriptions.modify, rx.id, rx.as_input(), done=self._editor, failed=self._refused)

    def discontinue(self) -> None:
        rx = self._one()
        if rx is None:
            return
        reason, ok = QInputDialog.getText(self, self.tr("Discontinue prescription"),
                                          self.tr("Why is {drug} being stopped?").format(drug=rx.drug_line))
        if not ok:
            return
        self.ctx.ops.run(prescriptions.discontinue, rx.id, reason, expected_version=rx.version,
                         done=lambda _r: self._after_edit(), failed=self._refused)

    def _refused(self, exc: BaseException) -> None:
        self.ctx.messages.error(self, exc)  # shown to the user; nothing changed

    def print_selected(self) -> None:
        from .pdf_preview import show_document

        chosen = [r for r in self.selected() if r.status != "draft"]
        if not chosen:
            self.ctx.messages.info(self, self.tr("Select one or more signed prescriptions to print."))
            return
        show_document(self.ctx, prescriptions.prepare_rx_print, [r.id for r in chosen], parent=self)


def open_prescriptions(ctx: AppContext, patient_id: int, patient_label: str, parent: QWidget | None = None) -> None:
    dialog = PrescriptionsDialog(ctx, patient_id, patient_label, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
