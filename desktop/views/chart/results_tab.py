"""Results tab: the flowsheet (tests grouped by panel as rows, dates as columns, newest left) over the trend of
the selected test, and the panel list (newest first, flags in colour). 'Enter results' is for paper reports;
a critical value raises the interrupting alert. Filter by panel group and date range."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.dates import show_date
from desktop.services import results
from desktop.services.permissions import Permission
from desktop.services.results import EntryContext, Flowsheet, LabTrend, ResultsView, SavedResults
from desktop.widgets.alert_dialog import AlertDialog, KbUnavailableBanner
from desktop.widgets.hint_label import hint_label
from desktop.widgets.lab_models import LabFlowsheetModel, PanelListModel
from desktop.widgets.lab_trend_chart import LabTrendChart

from .base import ChartContext, ChartTab
from .lab_entry_dialog import LabEntryDialog

log = logging.getLogger(__name__)
RANGES = (("All dates", 0), ("Last 3 months", 91), ("Last year", 365), ("Last 3 years", 3 * 365))


def load_results(uow: Any, patient_id: int, group: str | None, start: date | None,
                 panels: int | None = results.PAGE_PANELS) -> tuple[ResultsView, Flowsheet]:
    """Runs in a worker: the newest panels (a page, or all), the flowsheet built from the same read."""
    view = results.results_view(uow, patient_id, start=start, group=group, panels=panels)
    sheet = results.flowsheet_of(view)
    if group:  # the flowsheet keeps only the chosen group's rows
        rows = tuple(r for r in sheet.rows if r.group == group)
        sheet = Flowsheet(rows, sheet.columns, sheet.cells)
    return view, sheet


class ResultsTab(ChartTab):
    watches = ("results",)
    sig_ready = Signal()  # flowsheet shown and painted (bench and tests wait on it)

    def __init__(self, chart: ChartContext, parent: QWidget | None = None):
        super().__init__(chart, parent)
        self.can_edit = chart.app.can(Permission.EDIT_CHART)
        self.view: ResultsView | None = None
        self._generation = 0
        self._announce = False
        self.current_key = ""

        self.enter_button = QPushButton(self.tr("&Enter results…"))
        self.enter_button.setObjectName("enterResults")
        self.enter_button.setToolTip(self.tr("Results from a paper report (Ctrl+Shift+N)"))
        self.enter_button.setEnabled(self.can_edit)
        self.enter_button.clicked.connect(self.enter)
        # the other tabs' "add" key; Ctrl+Shift+L is File › Switch user (a shared key fires neither)
        QShortcut(QKeySequence("Ctrl+Shift+N"), self, activated=self.enter)
        self.error_button = QPushButton(self.tr("Entered in &error…"))
        self.error_button.setObjectName("resultError")
        self.error_button.setEnabled(False)
        self.error_button.clicked.connect(self.mark_in_error)
        self.group_combo = QComboBox()
        self.group_combo.setObjectName("resultsGroup")
        self.group_combo.addItem(self.tr("All panels"), None)
        for key in results.GROUP_ORDER:
            self.group_combo.addItem(self.tr(results.GROUP_TITLES[key]), key)
        self.group_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.range_combo = QComboBox()
        self.range_combo.setObjectName("resultsRange")
        for label, days in RANGES:
            self.range_combo.addItem(self.tr(label), days)
        self.range_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.older_button = QPushButton(self.tr("Show &older panels"))
        self.older_button.setObjectName("olderResults")
        self.older_button.setVisible(False)
        self.older_button.clicked.connect(self.show_all)
        self._all = False
        self.count_label = hint_label(name="resultsCount")
        self.failure = QLabel()
        self.failure.setObjectName("resultsFailure")
        self.failure.setWordWrap(True)
        self.failure.setStyleSheet("background:#fde0dc;color:#7f0000;padding:6px;font-weight:600;")
        self.failure.hide()
        self.kb_banner = KbUnavailableBanner()
        top = QHBoxLayout()
        top.addWidget(self.enter_button)
        top.addWidget(self.error_button)
        top.addSpacing(12)
        top.addWidget(QLabel(self.tr("Panel")))
        top.addWidget(self.group_combo)
        top.addWidget(self.range_combo)
        top.addStretch(1)
        top.addWidget(self.count_label)
        top.addWidget(self.older_button)

        self.sheet_model = LabFlowsheetModel(self)
        self.sheet_table = QTableView()
        self.sheet_table.setObjectName("labFlowsheet")
        self.sheet_table.setModel(self.sheet_model)
        self.sheet_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.sheet_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sheet_table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.sheet_table.horizontalHeader().setDefaultSectionSize(84)
        self.sheet_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.sheet_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.sheet_table.verticalHeader().setDefaultSectionSize(22)
        self.sheet_table.verticalHeader().setMinimumWidth(150)
        self.sheet_table.selectionModel().currentChanged.connect(self._sheet_cell)
        self.trend_chart = LabTrendChart()
        self.trend_chart.setObjectName("labTrend")
        self.trend_chart.clear(self.tr("Select a test in the flowsheet to see its trend"))
        sheet_page = QSplitter(Qt.Orientation.Vertical)
        sheet_page.addWidget(self.sheet_table)
        sheet_page.addWidget(self.trend_chart)
        sheet_page.setStretchFactor(0, 3)
        sheet_page.setStretchFactor(1, 2)

        self.panel_model = PanelListModel(self)
        self.panel_table = QTableView()
        self.panel_table.setObjectName("labPanels")
        self.panel_table.setModel(self.panel_model)
        self.panel_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.panel_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.panel_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.panel_table.verticalHeader().hide()
        self.panel_table.verticalHeader().setDefaultSectionSize(22)
        header = self.panel_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in ((1, 110), (2, 90), (3, 60), (4, 200), (5, 90)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(col, width)
        self.panel_table.selectionModel().currentChanged.connect(self._panel_row)

        self.pages = QTabWidget()
        self.pages.setObjectName("resultsPages")
        self.pages.addTab(sheet_page, self.tr("Flowsheet"))
        self.pages.addTab(self.panel_table, self.tr("Panels"))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.failure)
        layout.addWidget(self.kb_banner)
        layout.addWidget(self.pages, 1)

    # ---- loading
    def _start(self) -> date | None:
        days = self.range_combo.currentData()
        return date.today() - timedelta(days=days) if days else None

    def load(self) -> None:
        self._generation += 1
        gen = self._generation
        self.chart.ops.run(load_results, self.chart.patient_id, self.group_combo.currentData(), self._start(),
                           None if self._all else results.PAGE_PANELS,
                           done=lambda res: self._show(res, gen), failed=self._failed)

    def show_all(self) -> None:
        """Every panel of the chart (the first read shows the newest page only)."""
        self._all = True
        self.load()

    def _show(self, res: tuple[ResultsView, Flowsheet], gen: int) -> None:
        if gen != self._generation:
            return
        view, sheet = res
        self.view = view
        self.failure.hide()
        self.sheet_model.set_sheet(sheet)
        self.panel_model.set_panels(view.panels)
        self.sheet_table.horizontalHeader().setMinimumSectionSize(60)
        n = len(view.panels)
        if not n:
            self.count_label.setText(self.tr("No results recorded"))
        elif view.has_more:
            self.count_label.setText(self.tr("newest {n} of {t} panels").format(n=n, t=view.total_panels))
        else:
            self.count_label.setText(self.tr("{n} panels, {r} results").format(n=n, r=view.total))
        self.older_button.setVisible(view.has_more)
        self.error_button.setEnabled(False)
        if self.current_key:
            self.load_trend(self.current_key)
        self._announce = True
        self.update()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._announce:
            self._announce = False
            self.sig_ready.emit()

    def _failed(self, exc: BaseException) -> None:
        # loud: never an empty flowsheet for results that could not be read
        self.failure.setText(self.tr("The results could not be loaded: {error}").format(error=exc))
        self.failure.show()
        self.count_label.setText("")
        self.failed(self.tr("Results"), exc)

    def _sheet_cell(self, current, _previous) -> None:
        key = self.sheet_model.row_key(current.row()) if current.isValid() else ""
        self.error_button.setEnabled(self.can_edit and self.sheet_model.cell(current.row(), current.column())
                                     is not None if current.isValid() else False)
        if key and key != self.current_key:
            self.load_trend(key)

    def _panel_row(self, current, _previous) -> None:
        entry = self.panel_model.entry(current.row()) if current.isValid() else None
        self.error_button.setEnabled(self.can_edit and entry is not None)

    def load_trend(self, key: str) -> None:
        self.current_key = key
        self.chart.ops.run(results.trend, self.chart.patient_id, key, done=self._show_trend, failed=self._failed)

    def _show_trend(self, trend: LabTrend) -> None:
        if trend.key != self.current_key:
            return
        self.trend_chart.set_trend(trend)
        if trend.not_plotted:
            self.trend_chart.setToolTip(self.tr("Not plotted (unit not convertible): {items}")
                                        .format(items=", ".join(trend.not_plotted)))

    # ---- actions
    def enter(self) -> None:
        if not self.can_edit:
            return
        self.chart.ops.run(results.entry_context, self.chart.patient_id, done=self._open_entry,
                           failed=lambda exc: self.chart.app.messages.error(self, exc))

    def _open_entry(self, context: EntryContext) -> None:
        dialog = LabEntryDialog(self.chart.app, self.chart.patient_id, context, parent=self)
        self.entry_dialog = dialog  # tests drive it
        dialog.sig_saved.connect(self._saved)
        dialog.open()

    def _saved(self, saved: SavedResults) -> None:
        self.chart.ops.changed("results", self.chart.patient_id)
        self.show_critical(saved)

    def show_critical(self, saved: SavedResults) -> None:
        """Critical values interrupt; a check that could not run says so in red (never a silent pass)."""
        check = saved.critical
        if check.not_checked:
            self.kb_banner.set_reason("; ".join(check.not_checked))
        else:
            self.kb_banner.clear()
        if check.alerts:
            dialog = AlertDialog(check.alerts, parent=self)
            self.alert_dialog = dialog  # tests drive it
            dialog.open()

    def _selected(self) -> tuple[str, Any] | None:
        if self.pages.currentIndex() == 0:
            idx = self.sheet_table.currentIndex()
            r = self.sheet_model.cell(idx.row(), idx.column()) if idx.isValid() else None
            return ("result", r) if r is not None else None
        entry = self.panel_model.entry(self.panel_table.currentIndex().row())
        if entry is None:
            return None
        panel, r = entry
        return ("result", r) if r is not None else ("panel", panel)

    def mark_in_error(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        kind, item = selected
        when = show_date(item.collected_at)
        what = (self.tr("the result {name} of {when}").format(name=item.name, when=when) if kind == "result" else
                self.tr("every result of {title} ({when})").format(title=item.title, when=when))
        reason, ok = QInputDialog.getText(self, self.tr("Entered in error"),
                                          self.tr("Why is {what} wrong?").format(what=what))
        if not ok:
            return
        fn, ident = ((results.mark_result_in_error, item.id) if kind == "result"
                     else (results.mark_panel_in_error, item.panel_id))
        self.chart.ops.run(fn, self.chart.patient_id, ident, reason,
                           done=lambda _r: self.chart.ops.changed("results", self.chart.patient_id),
                           failed=lambda exc: self.chart.app.messages.error(self, exc))
