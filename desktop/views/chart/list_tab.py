"""Shared base for the chart's list tabs (problems, medications, allergies, immunizations; reusable by others).

A table over a DataclassTableModel, an honest empty state, Add / Edit / Entered in error buttons with
shortcuts (Ins or Ctrl+Shift+N, Enter or F2, Ctrl+Del), a "Show entered in error" toggle (rows struck through
and grey), and edit controls hidden for roles without EDIT_CHART. Subclasses supply the columns, the fetch
function and the dialogs:

    class ProblemsTab(ListTab):
        kind = "problems"                     # the data_changed kind this tab watches and emits
        noun = "problem"
        empty_text = "No problems recorded."
        def columns(self): ...
        def fetch(self, uow, patient_id, include_errors): ...   # runs in a worker
        def make_editor(self, row): ...        # row None: add; an EntryDialog (opened window-modal)
        def mark_error(self, row, reason): ... # the service call, bound: desktop.ops.bind(fn, ...)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.services.permissions import Permission
from desktop.widgets.hint_label import hint_label
from desktop.widgets.table_model import Column, DataclassTableModel

from .base import FAILED_STYLE, ChartContext, ChartTab, failure_text


class ChartListModel(DataclassTableModel):
    """Rows entered in error are struck through (and greyed by the base model)."""

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.FontRole and index.isValid() and getattr(
                self.row_at(index.row()), "entered_in_error", False):
            font = QFont()
            font.setStrikeOut(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid():
            row = self.row_at(index.row())
            if getattr(row, "entered_in_error", False):
                return self.tr("Entered in error: {reason}").format(reason=getattr(row, "error_reason", ""))
        return super().data(index, role)


class ListTab(ChartTab):
    kind: str = ""
    noun: str = "entry"
    empty_text: str = "Nothing recorded."
    edit_permission: Permission = Permission.EDIT_CHART  # what Add / Edit / Entered in error need
    sig_loaded = Signal()  # rows shown (tests and the bench wait on it)

    def __init__(self, chart: ChartContext, parent: QWidget | None = None):
        super().__init__(chart, parent)
        self.watches = (self.kind,)
        self.can_edit = chart.app.can(self.edit_permission)
        self.rows: list[Any] = []
        self._loading = 0

        self.model = ChartListModel(self.columns(), self)
        self.model.greyed = lambda r: getattr(r, "entered_in_error", False) or self.greyed(r)
        self.table = QTableView(self)
        self.table.setObjectName(f"{self.kind}Table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.table.selectionModel().currentRowChanged.connect(self._selection_changed)

        self.empty = QLabel(self.tr(self.empty_text))
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #666; font-size: 11pt;")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)

        self.add_button = QPushButton(self.tr("&Add…"))
        self.add_button.setToolTip(self.tr("Add (Ins or Ctrl+Shift+N)"))
        self.add_button.clicked.connect(self.add)
        self.edit_button = QPushButton(self.tr("&Edit…"))
        self.edit_button.setToolTip(self.tr("Edit the selected entry (Enter or F2)"))
        self.edit_button.clicked.connect(self.edit_selected)
        self.error_button = QPushButton(self.tr("Entered in e&rror…"))
        self.error_button.setToolTip(self.tr("Mark the selected entry entered in error, with a reason (Ctrl+Del)"))
        self.error_button.clicked.connect(self.mark_selected_in_error)
        self.show_errors = QCheckBox(self.tr("Show entered in error"))
        self.show_errors.setObjectName("showErrors")
        self.show_errors.toggled.connect(lambda _on: self.load())
        self.count_label = hint_label()

        self.toolbar = QHBoxLayout()
        self.toolbar.setContentsMargins(0, 0, 0, 0)
        for b in (self.add_button, self.edit_button, self.error_button):
            self.toolbar.addWidget(b)
        self.extra_buttons(self.toolbar)
        self.toolbar.addStretch(1)
        self.toolbar.addWidget(self.count_label)
        self.toolbar.addSpacing(12)
        self.toolbar.addWidget(self.show_errors)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self.toolbar)
        layout.addWidget(self.stack, 1)
        # only after the layout gave them a parent: setVisible on a parentless widget opens a window
        for b in (self.add_button, self.edit_button, self.error_button):
            b.setVisible(self.can_edit)

        if self.can_edit:
            # window-wide while this tab is visible (Qt ignores shortcuts of hidden tabs), so they work from the
            # tab bar and from the empty state too
            window = Qt.ShortcutContext.WindowShortcut
            for seq in (QKeySequence(Qt.Key.Key_Insert), QKeySequence("Ctrl+Shift+N")):
                QShortcut(seq, self, activated=self.add, context=window)
            QShortcut(QKeySequence(Qt.Key.Key_F2), self, activated=self.edit_selected, context=window)
            QShortcut(QKeySequence("Ctrl+Del"), self, activated=self.mark_selected_in_error, context=window)
            for seq in (QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)):
                QShortcut(seq, self.table, activated=self.edit_selected, context=Qt.ShortcutContext.WidgetShortcut)
        self.setFocusProxy(self.table)
        self._selection_changed()

    # ---- for subclasses
    def columns(self) -> Sequence[Column]:  # pragma: no cover - overridden
        raise NotImplementedError

    def fetch(self, uow: Any, patient_id: int, include_errors: bool) -> list[Any]:  # pragma: no cover
        raise NotImplementedError

    def make_editor(self, row: Any | None) -> Any:  # pragma: no cover - overridden
        """An EntryDialog for a new entry (row None) or for editing row."""
        raise NotImplementedError

    def after_save(self, saved: Any) -> None:
        """Hook after an editor saved (e.g. say that an allergy was merged into the existing entry)."""

    def mark_error(self, row: Any, reason: str) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def extra_buttons(self, bar: QHBoxLayout) -> None:
        """Add tab-specific buttons to the toolbar (e.g. Stop…, No known drug allergies)."""

    def greyed(self, row: Any) -> bool:
        """Rows shown grey besides entered-in-error ones (e.g. resolved problems, stopped medications)."""
        return False

    def describe(self, row: Any) -> str:
        """How a row is named in questions ("Mark 'Essential hypertension' entered in error?")."""
        return str(getattr(row, "description", "") or getattr(row, "substance", "") or getattr(row, "drug_name", ""))

    def on_rows(self, rows: list[Any]) -> None:
        """Hook after rows are shown (e.g. enable buttons that depend on the list)."""

    # ---- loading
    def load(self) -> None:
        self._loading += 1
        self.chart.ops.run(self.fetch, self.chart.patient_id, self.show_errors.isChecked(),
                           done=self._loaded, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        """The list could not be read: say so in red where the rows would be (never "No … recorded")."""
        self._loading = max(0, self._loading - 1)
        self.rows = []
        self.model.set_rows([])
        self.empty.setText(failure_text(self.tr(self.kind.capitalize()), exc))
        self.empty.setStyleSheet(FAILED_STYLE)
        self.empty.setProperty("failed", True)
        self.stack.setCurrentWidget(self.empty)
        self.count_label.setText("")
        self.failed(self.tr(self.kind.capitalize()), exc)

    def _loaded(self, rows: list[Any]) -> None:
        self._loading = max(0, self._loading - 1)
        if self._loading:
            return  # a newer load is on its way: show that one
        selected = self.selected()
        keep_id = getattr(selected, "id", None)
        self.rows = list(rows)
        self.model.set_rows(self.rows)
        if self.empty.property("failed"):  # read again successfully: the honest empty state is back
            self.empty.setProperty("failed", False)
            self.empty.setText(self.tr(self.empty_text))
            self.empty.setStyleSheet("color: #666; font-size: 11pt;")
        self.stack.setCurrentWidget(self.table if self.rows else self.empty)
        self.setFocusProxy(self.table if self.rows else (self.add_button if self.can_edit else None))
        live = sum(1 for r in self.rows if not getattr(r, "entered_in_error", False))
        self.count_label.setText(self.tr("%n entries", "", live) if self.rows else "")
        if self.rows:
            self.table.resizeColumnsToContents()
            for col in range(self.model.columnCount()):
                if self.table.columnWidth(col) > 360:
                    self.table.setColumnWidth(col, 360)
            target = next((i for i, r in enumerate(self.rows) if getattr(r, "id", None) == keep_id), 0)
            self.table.selectRow(target)
        self._selection_changed()
        self.on_rows(self.rows)
        self.sig_loaded.emit()

    # ---- selection and actions
    def selected(self) -> Any | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= self.model.rowCount():
            return None
        return self.model.row_at(index.row())

    def select_id(self, row_id: int) -> None:
        for i, r in enumerate(self.model.rows()):
            if getattr(r, "id", None) == row_id:
                self.table.selectRow(i)
                return

    def _selection_changed(self, *_args: QModelIndex) -> None:
        row = self.selected()
        editable = self.can_edit and row is not None and not getattr(row, "entered_in_error", False)
        self.edit_button.setEnabled(editable)
        self.error_button.setEnabled(editable)
        self.selection_changed(row)

    def selection_changed(self, row: Any | None) -> None:
        """Hook for tab-specific buttons."""

    def add(self) -> None:
        if self.can_edit:
            self._open_editor(self.make_editor(None))

    def edit_selected(self) -> None:
        row = self.selected()
        if not self.can_edit or row is None or getattr(row, "entered_in_error", False):
            return
        self._open_editor(self.make_editor(row))

    def _open_editor(self, dialog: Any) -> None:
        # open(), not exec(): window-modal without a nested event loop (and tests drive `self.editor`)
        self.editor = dialog
        dialog.accepted.connect(lambda: self._editor_saved(dialog))
        dialog.open()

    def _editor_saved(self, dialog: Any) -> None:
        saved = dialog.saved
        self.after_save(saved)
        self.changed()
        row_id = getattr(getattr(saved, "row", saved), "id", None)
        if row_id is not None:
            self.sig_loaded.connect(lambda: self.select_id(row_id), Qt.ConnectionType.SingleShotConnection)

    def mark_selected_in_error(self) -> None:
        row = self.selected()
        if not self.can_edit or row is None or getattr(row, "entered_in_error", False):
            return
        from .entry_dialogs import ReasonDialog

        dialog = ReasonDialog(
            self.tr("Entered in error"),
            self.tr("Mark “{what}” as entered in error? It stays in the chart, struck through, with your "
                    "reason.").format(what=self.describe(row)),
            self,
        )
        self.reason_dialog = dialog  # tests drive it
        dialog.accepted.connect(lambda: self._mark(row, dialog.reason()))
        dialog.open()

    def _mark(self, row: Any, reason: str) -> None:
        self.chart.ops.run(self.mark_error(row, reason), done=lambda _r: self.changed(), failed=self._action_failed)

    def _action_failed(self, exc: BaseException) -> None:
        """An action on a row was refused (validation, conflict, permission): say why, show what is stored."""
        self.chart.app.messages.error(self, exc)
        self.load()

    def changed(self) -> None:
        """Something was saved: tell every view of this patient (this tab reloads through the bus)."""
        self.chart.ops.changed(self.kind, self.chart.patient_id)
