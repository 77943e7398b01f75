"""Drug type-ahead over the formulary: type part of a generic or brand name (and a strength), pick a product.

    box = DrugTypeahead(search=formulary.search)      # search(text, limit) -> products
    box.sig_chosen.connect(on_product)                 # a formulary Product
Keyboard: type, Down moves into the list, Enter picks (the first match when still in the text field).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .table_model import Column, DataclassTableModel

SearchFn = Callable[[str, int], Sequence[Any]]
BRANDS_FORM_MAX = 170  # px


def _schedule(p: Any) -> str:
    return f"C-{p.dea_schedule}" if getattr(p, "dea_schedule", "") else ""


def _full(p: Any) -> str:
    """The whole product in the tooltip: the list's columns are cut (in the middle) when narrow."""
    brands = ", ".join(p.brands)
    return " · ".join(x for x in (p.display, brands, p.dose_form, _schedule(p)) if x)


COLUMNS = (
    Column("Drug", lambda p: p.display, tooltip=_full),
    Column("Brands", lambda p: ", ".join(p.brands), tooltip=_full),
    Column("Form", lambda p: p.dose_form, tooltip=_full),
    Column("Sched.", _schedule, color=lambda p: "darkred" if getattr(p, "dea_schedule", "") else None),
)


class DrugTypeahead(QWidget):
    sig_chosen = Signal(object)  # the chosen product
    sig_cleared = Signal()  # the text no longer names the chosen product

    def __init__(self, search: SearchFn | None, parent: QWidget | None = None, limit: int = 25):
        super().__init__(parent)
        self._search = search
        self._limit = limit
        self._chosen: Any = None
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(self.tr("Type a generic or brand name, e.g. atorva 20 or Lipitor"))
        self.edit.setClearButtonEnabled(True)
        self.model = DataclassTableModel(COLUMNS, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        # a name too long for the list loses its middle ("oxycodone … oral tablet"), not its strength and form
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(130)
        self.table.setMaximumHeight(190)
        self.table.hide()
        self.status = QLabel(self)
        self.status.setStyleSheet("color: grey")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        if search is None:
            self.status.setText(self.tr("Formulary unavailable: type the drug name (it will be uncoded)"))
            self.status.setStyleSheet("color: darkred")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.refresh)
        self.edit.textEdited.connect(self._edited)
        self.edit.returnPressed.connect(self._enter_in_edit)
        self.table.activated.connect(self._choose_index)
        self.table.doubleClicked.connect(self._choose_index)
        self.edit.installEventFilter(self)
        self.table.installEventFilter(self)

    # --- state
    @property
    def chosen(self) -> Any:
        return self._chosen

    def text(self) -> str:
        return self.edit.text().strip()

    def set_product(self, product: Any) -> None:
        self._chosen = product
        self.edit.setText(product.display if product is not None else "")
        self.table.hide()

    def results(self) -> list[Any]:
        return self.model.rows()

    # --- searching
    def _edited(self, _text: str) -> None:
        if self._chosen is not None:
            self._chosen = None
            self.sig_cleared.emit()
        self._timer.start()

    def refresh(self) -> None:
        """Search now (the timer calls this ~120 ms after the last keystroke)."""
        self._timer.stop()
        text = self.edit.text()
        if self._search is None or len(text.strip()) < 2:
            self.model.set_rows([])
            self.table.hide()
            return
        rows = list(self._search(text, self._limit))
        self.model.set_rows(rows)
        self.table.setVisible(bool(rows))
        for col in (1, 2):  # brands and form as wide as they need, up to a limit: the drug's name gets the rest
            self.table.resizeColumnToContents(col)
            self.table.setColumnWidth(col, min(self.table.columnWidth(col), BRANDS_FORM_MAX))
        if rows:
            self.table.selectRow(0)
            self.status.setText(self.tr("%n match(es): Down to pick, Enter to choose", "", len(rows)))
        else:
            self.status.setText(self.tr("Not in the formulary: the drug will be saved uncoded"))

    def _enter_in_edit(self) -> None:
        if self._timer.isActive():
            self.refresh()
        if self.model.rowCount() and self._chosen is None:
            self._choose_row(max(self.table.currentIndex().row(), 0))

    def _choose_index(self, index) -> None:
        if index.isValid():
            self._choose_row(index.row())

    def _choose_row(self, row: int) -> None:
        product = self.model.row_at(row)
        self.set_product(product)
        self.status.setText(self.tr("Chosen: %1").replace("%1", product.display))
        self.sig_chosen.emit(product)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if obj is self.edit and key == Qt.Key.Key_Down and self.table.isVisible():
                self.table.setFocus()
                if not self.table.currentIndex().isValid():
                    self.table.selectRow(0)
                return True
            if obj is self.table and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._choose_index(self.table.currentIndex())
                self.edit.setFocus()
                return True
            if obj is self.table and key == Qt.Key.Key_Escape:
                self.table.hide()
                self.edit.setFocus()
                return True
        return super().eventFilter(obj, event)
