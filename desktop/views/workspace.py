"""The logged-in workspace: patient search and recent patients on the first tab, one tab per open chart."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.dates import show_date
from desktop.memory import release_freed_memory
from desktop.ops import Debouncer
from desktop.services import patients
from desktop.services.patients import PatientRow
from desktop.services.permissions import Permission
from desktop.widgets.table_model import Column, DataclassTableModel

from .chart_view import ChartView
from .context import AppContext

log = logging.getLogger(__name__)

SEX_SHORT = {"female": "F", "male": "M", "other": "Other", "unknown": "Unknown"}
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class PatientSearchPanel(QWidget):
    """Type-ahead search: each pause in typing sends one query to a worker; stale answers are dropped."""

    sig_open = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._seq = 0
        self.search = QLineEdit()
        self.search.setObjectName("patientSearch")
        self.search.setPlaceholderText(self.tr("Find patient: name (any order), birth date, MRN or phone   (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search.setStyleSheet("font-size: 12pt; padding: 4px;")
        self.status = QLabel()
        self.status.setObjectName("searchStatus")
        self.model = DataclassTableModel([
            Column(self.tr("Name"), lambda r: r.display_name),
            Column(self.tr("Date of birth"), lambda r: r.birth_date),
            Column(self.tr("Age"), lambda r: r.age, align=RIGHT),
            Column(self.tr("Sex"), lambda r: SEX_SHORT.get(r.sex, r.sex)),
            Column(self.tr("MRN"), lambda r: r.mrn),
            Column(self.tr("Phone"), lambda r: r.phone),
        ])
        self.table = QTableView()
        self.table.setObjectName("patientResults")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setAlternatingRowColors(True)
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)
        self.recent = QListWidget()
        self.recent.setObjectName("recentPatients")
        self.recent.itemActivated.connect(lambda item: self.sig_open.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.new_button = QPushButton(self.tr("&New patient…"))
        self.new_button.setEnabled(ctx.can(Permission.EDIT_DEMOGRAPHICS))
        left = QVBoxLayout()
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.new_button)
        left.addLayout(row)
        left.addWidget(self.status)
        left.addWidget(self.table, 1)
        lw = QWidget()
        lw.setLayout(left)
        right = QVBoxLayout()
        title = QLabel(self.tr("Recent patients"))
        title.setStyleSheet("font-weight: 600;")
        right.addWidget(title)
        right.addWidget(self.recent, 1)
        rw = QWidget()
        rw.setLayout(right)
        split = QSplitter()
        split.addWidget(lw)
        split.addWidget(rw)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self._debounce = Debouncer(120, self.run_search, self)
        self.search.textChanged.connect(lambda _t: self._debounce.poke())
        self.search.returnPressed.connect(self._open_first)
        self.search.installEventFilter(self)
        ctx.ops.data_changed.connect(self._data_changed)

    def eventFilter(self, obj, event) -> bool:
        # Down arrow from the search box moves into the results, as in every type-ahead
        if obj is self.search and event.type() == event.Type.KeyPress and event.key() == Qt.Key.Key_Down:
            if self.model.rowCount():
                self.table.setFocus()
                self.table.selectRow(0)
                return True
        return super().eventFilter(obj, event)

    def run_search(self) -> None:
        text = self.search.text()
        self._seq += 1
        seq = self._seq
        if not text.strip():
            self.model.set_rows([])
            self.status.setText("")
            return
        self.ctx.ops.run(patients.search_patients, text, done=lambda rows: self._show(seq, rows))

    def _show(self, seq: int, rows: list[PatientRow]) -> None:
        if seq != self._seq:  # an answer to an older keystroke
            return
        self.model.set_rows(rows)
        if not rows:
            self.status.setText(self.tr("No patient found. Check the spelling, or register a new patient."))
        elif len(rows) >= 50:
            self.status.setText(self.tr("First 50 matches; type more to narrow down."))
        else:
            self.status.setText(self.tr("{n} found").format(n=len(rows)))
        if rows:
            self.table.selectRow(0)

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.sig_open.emit(self.model.row_at(index.row()).id)

    def _open_first(self) -> None:
        rows = self.model.rows()
        if len(rows) >= 1:
            current = self.table.currentIndex()
            self.sig_open.emit(rows[current.row() if current.isValid() else 0].id)

    def load_recent(self) -> None:
        self.ctx.ops.run(patients.recent_patients, done=self._show_recent)

    def _show_recent(self, rows: list[PatientRow]) -> None:
        self.recent.clear()
        for r in rows:
            item = QListWidgetItem(f"{r.display_name}  ·  {show_date(r.birth_date)}  ·  {r.mrn}")
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            self.recent.addItem(item)

    def _data_changed(self, what: str, _patient_id: int) -> None:
        if what in ("patient", "recent"):
            self.load_recent()
            if self.search.text().strip():
                self.run_search()



class Workspace(QWidget):
    """Everything a logged-in user works in; the main window shows it after login and hides it when locked."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.search_panel = PatientSearchPanel(ctx)
        self.search_panel.sig_open.connect(self.open_chart)
        self.search_panel.new_button.clicked.connect(self.new_patient)
        self.tabs.addTab(self.search_panel, self.tr("Patients"))
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.charts: dict[int, ChartView] = {}
        self._closing: set[int] = set()  # charts whose close is under way
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.search_panel.load_recent()

    def focus_search(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.search_panel.search.setFocus()
        self.search_panel.search.selectAll()

    def new_patient(self) -> None:
        from .patient_dialog import PatientDialog

        dialog = PatientDialog(self.ctx, parent=self)
        self.patient_dialog = dialog  # tests drive it
        dialog.sig_saved.connect(lambda saved: self.open_chart(saved.id))
        dialog.sig_open_existing.connect(self.open_chart)
        dialog.open()

    def current_chart(self) -> ChartView | None:
        w = self.tabs.currentWidget()
        return w if isinstance(w, ChartView) else None

    def edit_current_patient(self) -> None:
        chart = self.current_chart()
        if chart is None or chart.details is None:
            self.ctx.messages.info(self, self.tr("Open a chart first."))
            return
        from .patient_dialog import PatientDialog

        dialog = PatientDialog(self.ctx, chart.details, self)
        self.patient_dialog = dialog
        dialog.open()

    def open_chart(self, patient_id: int) -> ChartView | None:
        """The chart's tab at once; its opening is audited (in a worker) before it reads anything. If the audit
        is refused, the tab goes again and the reason is shown."""
        if patient_id in self.charts:
            self.tabs.setCurrentWidget(self.charts[patient_id])
            return self.charts[patient_id]
        view = ChartView(self.ctx, patient_id, start=False)
        self.charts[patient_id] = view
        index = self.tabs.addTab(view, self.tr("Loading…"))
        view.sig_title_changed.connect(lambda title, v=view: self.tabs.setTabText(self.tabs.indexOf(v), title))
        self.tabs.setCurrentIndex(index)
        self.ctx.ops.run(patients.record_chart_open, patient_id, done=lambda _r: self._chart_audited(view),
                         failed=lambda exc: self._chart_refused(view, exc))
        return view

    def _chart_audited(self, view: ChartView) -> None:
        if self.charts.get(view.patient_id) is not view:  # closed meanwhile
            return
        view.start()
        self.ctx.ops.changed("recent", view.patient_id)

    def _chart_refused(self, view: ChartView, exc: BaseException) -> None:
        if self.charts.get(view.patient_id) is view:
            self._remove(view)
        self.ctx.messages.error(self, exc)  # shown and logged; no chart is opened

    def _remove(self, view: ChartView) -> None:
        index = self.tabs.indexOf(view)
        if index >= 0:
            self.tabs.removeTab(index)
        self.charts.pop(view.patient_id, None)
        view.deleteLater()
        # after the chart's widgets and data are gone (the deferred delete runs first), return the memory
        QTimer.singleShot(1000, release_freed_memory)

    def close_tab(self, index: int, then: Callable[[bool], None] | None = None) -> None:
        """Close a chart once its tabs agree (the note editor may save first, in a worker); then(closed)."""
        answer = then or (lambda _closed: None)
        widget = self.tabs.widget(index)
        if not isinstance(widget, ChartView):
            answer(True)
            return
        if widget.patient_id in self._closing:  # Ctrl+W again while the first close still asks or saves
            answer(False)
            return
        self._closing.add(widget.patient_id)

        def decided(ok: bool) -> None:
            self._closing.discard(widget.patient_id)
            if ok and self.charts.get(widget.patient_id) is widget:
                self._remove(widget)
            answer(ok)

        widget.before_close(decided)

    def close_all_charts(self, then: Callable[[bool], None]) -> None:
        """Close every chart, the last first; then(False) as soon as one stays open."""
        views = list(self.charts.values())
        if not views:
            then(True)
            return
        view = views[-1]

        def closed(ok: bool) -> None:
            if not ok or view.patient_id in self.charts:
                then(False)
                return
            self.close_all_charts(then)

        self.close_tab(self.tabs.indexOf(view), closed)
