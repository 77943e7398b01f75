"""ICD-10-CM search box: type words ("diabetes type 2") or a code ("E11.9"); results update as you type.

    box = IcdSearch(run_plain=ctx.ops.run_plain)   # searches in a worker (the index builds on first use)
    box.sig_picked.connect(on_code)                  # an icd10.IcdCode

Keyboard: type; Enter picks the highlighted result (the first one, highlighted as results arrive); Down moves
the highlight from the first result to the next. A category (header) code is shown but cannot be picked: the
user is asked for a more specific code. `set_patient(age, sex)` leaves out codes that cannot describe them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.services import icd10

from .hint_label import hint_label, hint_style
from .table_model import Column, DataclassTableModel

RunPlain = Callable[..., None]  # ops.run_plain(work, done=..., failed=...)

COLUMNS = (
    Column("Code", lambda c: c.code),
    Column("Description", lambda c: c.description + (f"  (“{c.matched_term}”)" if c.matched_term else ""),
           tooltip=lambda c: c.description if c.billable else f"{c.description}\nA category: not billable, pick a "
                                                              "more specific code where you can"),
    Column("", lambda c: "" if c.billable else "category", color=lambda c: None if c.billable else "#8a5a00",
           tooltip=lambda c: "" if c.billable else "Not billable: pick a more specific code below it"),
)


class IcdSearch(QWidget):
    sig_picked = Signal(object)  # icd10.IcdCode
    sig_results = Signal(int)  # number of results shown (tests wait on it)

    def __init__(self, run_plain: RunPlain | None = None, parent: QWidget | None = None, limit: int = 60):
        super().__init__(parent)
        self._run = run_plain
        self._limit = limit
        self._seq = 0
        self.picked: icd10.IcdCode | None = None
        self._age: float | None = None
        self._sex: str | None = None
        self.edit = QLineEdit(self)
        self.edit.setObjectName("icdSearch")
        self.edit.setPlaceholderText(self.tr("Type words or a code, e.g. diabetes type 2 or E11.9"))
        self.edit.setClearButtonEnabled(True)
        self.model = DataclassTableModel(COLUMNS, self)
        self.model.greyed = lambda c: not c.billable
        self.table = QTableView(self)
        self.table.setObjectName("icdResults")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(180)
        self.status = hint_label(parent=self, small=True, name="icdStatus")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(90)
        self._timer.timeout.connect(self.refresh)
        self.edit.textEdited.connect(lambda _t: self._timer.start())
        self.edit.returnPressed.connect(self._enter_in_edit)
        self.table.activated.connect(self._pick_index)
        self.table.doubleClicked.connect(self._pick_index)
        self.edit.installEventFilter(self)
        self.table.installEventFilter(self)
        self.setFocusProxy(self.edit)
        self._enter_pending = False

    def results(self) -> list[icd10.IcdCode]:
        return self.model.rows()

    def set_patient(self, age: float | None, sex: str | None) -> None:
        """Search for this patient: newborn, pregnancy and other-sex codes are left out."""
        self._age, self._sex = age, (sex if sex in ("female", "male") else None)
        if self.edit.text().strip():
            self.refresh()

    def set_text(self, text: str) -> None:
        """Type programmatically (and search now)."""
        self.edit.setText(text)
        self.refresh()

    # ---- searching
    def refresh(self) -> None:
        self._timer.stop()
        text = self.edit.text().strip()
        self._seq += 1
        seq = self._seq
        if len(text) < 2:
            self._show(seq, [])
            self.status.setText("")
            return
        limit, age, sex = self._limit, self._age, self._sex

        def work() -> list[Any]:
            return icd10.search(text, limit, age=age, sex=sex)

        if self._run is None:
            self._show(seq, work())
            return
        if not icd10.ready():
            self.status.setText(self.tr("Loading the ICD-10-CM code set (first search only)…"))
        self._run(work, done=lambda rows: self._show(seq, rows), failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(self.tr("ICD-10-CM search failed: {error}").format(error=exc))
        self.status.setStyleSheet("color: #b00020; font-size: 9pt;")

    def _show(self, seq: int, rows: list[Any]) -> None:
        if seq != self._seq:
            return  # an older query answered after a newer one was typed
        self.model.set_rows(rows)
        if rows:
            self.table.selectRow(0)
            self.status.setText(self.tr("%n code(s): Down to move, Enter to pick", "", len(rows)))
        elif self.edit.text().strip():
            self.status.setText(self.tr("No ICD-10-CM code matches; the problem can still be saved uncoded"))
        self.sig_results.emit(len(rows))
        if self._enter_pending:
            self._enter_pending = False
            self._enter_in_edit()

    def _enter_in_edit(self) -> None:
        if self._timer.isActive():  # Enter typed before the debounce fired: search, then pick
            self._enter_pending = True
            self.refresh()
            return
        if self.model.rowCount():
            self._pick_row(max(self.table.currentIndex().row(), 0))

    # ---- picking
    def _pick_index(self, index) -> None:
        if index.isValid():
            self._pick_row(index.row())

    def _pick_row(self, row: int) -> None:
        code = self.model.row_at(row)
        if not code.billable:  # a header (M54.5, N18.3, I48, E11.2): shown for orientation, not pickable
            self.status.setText(self.tr("{code} is a category, not a billable code: pick a more specific code "
                                        "below it").format(code=code.code))
            self.status.setStyleSheet("color: #8a5a00; font-size: 9pt; font-weight: 600;")
            self.table.setFocus()
            return
        self.status.setStyleSheet(hint_style(small=True))
        self.pick(code)

    def pick(self, code: icd10.IcdCode) -> None:
        self.picked = code
        self.status.setText(self.tr("Picked {code} {description}").format(code=code.code,
                                                                          description=code.description))
        self.sig_picked.emit(code)

    def select_code(self, code: str) -> bool:
        """Highlight a result by code (keyboard users do it with the arrows)."""
        for i, c in enumerate(self.model.rows()):
            if c.code == code:
                self.table.selectRow(i)
                return True
        return False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if obj is self.edit and key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown) and self.model.rowCount():
                # into the list: the highlighted (first) row is where the arrow lands, so Down + Enter takes
                # what the user saw highlighted; Down again in the list moves on
                self.table.setFocus()
                if not self.table.currentIndex().isValid():
                    self.table.selectRow(0)
                return True
            if obj is self.table and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._pick_index(self.table.currentIndex())
                return True
            if obj is self.table and key == Qt.Key.Key_Up and self.table.currentIndex().row() <= 0:
                self.edit.setFocus()
                return True
        return super().eventFilter(obj, event)
