"""Vitals tab: the flowsheet (dates as columns, loaded a page at a time as the user scrolls right) over trend
charts of one vital with a selectable date range. 'Record vitals' opens the nurse's intake form."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.dates import QT_DATE, show_datetime
from desktop.services import display_units, vitals
from desktop.services.alerts import AlertCheck
from desktop.services.permissions import Permission
from desktop.services.vitals import FlowsheetPage, SavedSet, Trend
from desktop.widgets.alert_dialog import KbUnavailableBanner
from desktop.widgets.flowsheet_model import FlowsheetModel
from desktop.widgets.hint_label import hint_label
from desktop.widgets.trend_chart import TrendChart

from .base import ChartContext, ChartTab

log = logging.getLogger(__name__)

PAGE = 60


# each read brings the reader's display units with it (practice setting or the user's own): one worker call
def _flowsheet(uow, patient_id: int, **kw) -> tuple[FlowsheetPage, str]:
    return vitals.flowsheet(uow, patient_id, **kw), display_units.unit_system(uow)


def _trend(uow, *args) -> tuple[Trend, str]:
    return vitals.trend(uow, *args), display_units.unit_system(uow)


def _intake(uow, patient_id: int) -> tuple[vitals.IntakeContext, str]:
    return vitals.intake_context(uow, patient_id), display_units.unit_system(uow)
RANGES = (("Last 3 months", 91), ("Last year", 365), ("Last 3 years", 3 * 365), ("All", 0), ("Custom…", -1))


class VitalsTab(ChartTab):
    watches = ("vitals",)

    def __init__(self, chart: ChartContext, parent: QWidget | None = None):
        super().__init__(chart, parent)
        self._loading_more = False
        self._generation = 0  # results of a superseded load are dropped
        self.can_edit = chart.app.can(Permission.EDIT_CHART)

        self.record_button = QPushButton(self.tr("&Record vitals…"))
        self.record_button.setObjectName("recordVitals")
        self.record_button.setToolTip(self.tr("Open the intake form (Ctrl+Shift+N)"))
        self.record_button.setEnabled(self.can_edit)
        self.record_button.clicked.connect(self.record)
        QShortcut(QKeySequence("Ctrl+Shift+N"), self, activated=self.record)
        self.error_button = QPushButton(self.tr("Entered in &error…"))
        self.error_button.setToolTip(self.tr("Mark the selected column's vitals as entered in error"))
        self.error_button.setEnabled(False)
        self.error_button.clicked.connect(self.mark_in_error)
        self.readings_box = QCheckBox(self.tr("Show &home/device readings"))
        self.readings_box.toggled.connect(lambda _on: self.load_flowsheet())
        self.count_label = hint_label()
        self.alert_bar = QLabel()
        self.alert_bar.setObjectName("alertBar")
        self.alert_bar.setWordWrap(True)
        self.alert_bar.setVisible(False)
        self.kb_banner = KbUnavailableBanner()
        top = QHBoxLayout()
        top.addWidget(self.record_button)
        top.addWidget(self.error_button)
        top.addSpacing(12)
        top.addWidget(self.readings_box)
        top.addStretch(1)
        top.addWidget(self.count_label)

        self.model = FlowsheetModel(self)
        self.table = QTableView()
        self.table.setObjectName("flowsheet")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.horizontalHeader().setDefaultSectionSize(92)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalScrollBar().valueChanged.connect(self._scrolled)
        self.table.horizontalScrollBar().rangeChanged.connect(lambda *_: self._scrolled())
        self.table.selectionModel().currentChanged.connect(self._cell_changed)

        self.groups = QListWidget()
        self.groups.setObjectName("trendGroups")
        for g in vitals.TREND_GROUPS:
            self.groups.addItem(self.tr(g.title))
        self.groups.setMaximumWidth(170)
        self.groups.setCurrentRow(0)
        self.groups.currentRowChanged.connect(lambda _r: self.load_trend())
        self.range_combo = QComboBox()
        self.range_combo.setObjectName("trendRange")
        for label, days in RANGES:
            self.range_combo.addItem(self.tr(label), days)
        self.range_combo.setCurrentIndex(2)
        self.range_combo.currentIndexChanged.connect(self._range_changed)
        self.from_date = QDateEdit(QDate.currentDate().addYears(-3))
        self.to_date = QDateEdit(QDate.currentDate())
        for edit in (self.from_date, self.to_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(QT_DATE)
            edit.setVisible(False)
            edit.dateChanged.connect(lambda _d: self.load_trend())
        self.chart_view = TrendChart()
        self.chart_view.setObjectName("trendChart")
        left = QVBoxLayout()
        left.addWidget(QLabel(self.tr("Trend")))
        left.addWidget(self.groups, 1)
        left.addWidget(QLabel(self.tr("Date range")))
        left.addWidget(self.range_combo)
        left.addWidget(self.from_date)
        left.addWidget(self.to_date)
        trend_box = QWidget()
        trend_layout = QHBoxLayout(trend_box)
        trend_layout.setContentsMargins(0, 0, 0, 0)
        trend_layout.addLayout(left)
        trend_layout.addWidget(self.chart_view, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(trend_box)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([290, 420])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.kb_banner)
        layout.addWidget(self.alert_bar)
        layout.addWidget(splitter, 1)

    # ---- loading
    def load(self) -> None:
        self.load_flowsheet()
        self.load_trend()

    def load_flowsheet(self) -> None:
        self._generation += 1
        gen = self._generation
        self._loading_more = False
        self.chart.ops.run(_flowsheet, self.chart.patient_id, limit=PAGE,
                           include_readings=self.readings_box.isChecked(),
                           done=lambda result: self._show_page(*result, gen), failed=self._failed)

    def _show_page(self, page: FlowsheetPage, system: str, gen: int) -> None:
        if gen != self._generation:
            return
        self.model.set_page(page, system)
        self._update_count()
        self.error_button.setEnabled(False)

    def _scrolled(self, *_args) -> None:
        bar = self.table.horizontalScrollBar()
        near_end = bar.maximum() == 0 or bar.value() >= bar.maximum() - 2 * self.table.horizontalHeader().defaultSectionSize()
        if near_end and self.model.has_more and not self._loading_more and self.model.columnCount():
            self.load_more()

    def load_more(self) -> None:
        self._loading_more = True
        gen = self._generation
        self.chart.ops.run(vitals.flowsheet, self.chart.patient_id, before=self.model.cursor, limit=PAGE,
                           include_readings=self.readings_box.isChecked(),
                           done=lambda page: self._append_page(page, gen), failed=self._failed)

    def _append_page(self, page: FlowsheetPage, gen: int) -> None:
        if gen != self._generation:
            return
        self._loading_more = False
        self.model.append_page(page)
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.model.columnCount(), self.model.total_sets
        if not shown:
            self.count_label.setText(self.tr("No vitals recorded yet"))
        elif total is not None and total > shown:
            self.count_label.setText(self.tr("{shown} of {total} sets; scroll right for older")
                                     .format(shown=shown, total=total))
        else:
            self.count_label.setText(self.tr("{shown} sets").format(shown=shown))

    def _range(self) -> tuple[date | None, date | None]:
        days = self.range_combo.currentData()
        if days == -1:
            return self.from_date.date().toPython(), self.to_date.date().toPython()
        if days == 0:
            return None, None
        return date.today() - timedelta(days=days), None

    def _range_changed(self) -> None:
        custom = self.range_combo.currentData() == -1
        self.from_date.setVisible(custom)
        self.to_date.setVisible(custom)
        self.load_trend()

    def current_group(self) -> str:
        return vitals.TREND_GROUPS[max(0, self.groups.currentRow())].key

    def load_trend(self) -> None:
        start, end = self._range()
        self.chart.ops.run(_trend, self.chart.patient_id, self.current_group(), start, end,
                           done=lambda result: self._show_trend(*result), failed=self._failed)

    def _show_trend(self, trend: Trend, system: str = display_units.METRIC) -> None:
        if trend.group.key != self.current_group():
            return  # the user moved on to another vital meanwhile
        self.chart_view.set_trend(trend, system)

    def _failed(self, exc: BaseException) -> None:
        self._loading_more = False
        self.chart.app.messages.error(self, exc)
        self.failed(self.tr("Vitals"), exc)

    def _cell_changed(self, current, _previous) -> None:
        self.error_button.setEnabled(self.can_edit and current.isValid())
        key = FlowsheetModel.trend_key(current.row()) if current.isValid() else None
        if key:
            row = next(i for i, g in enumerate(vitals.TREND_GROUPS) if g.key == key)
            if row != self.groups.currentRow():
                self.groups.setCurrentRow(row)

    # ---- actions
    def record(self) -> None:
        if not self.can_edit:
            return
        # no form without the patient's age (read in a worker); failures are shown and logged
        self.chart.ops.run(_intake, self.chart.patient_id, done=lambda result: self._open_form(*result),
                           failed=lambda exc: self.chart.app.messages.error(self, exc))

    def _open_form(self, context: vitals.IntakeContext, system: str | None = None) -> None:
        from desktop.views.vitals_form import VitalsForm

        form = VitalsForm(self.chart.app, context, parent=self, unit_system=system)
        self.form = form  # tests drive it
        form.sig_saved.connect(self.check_alerts)
        form.open()

    def mark_in_error(self) -> None:
        col = self.model.column_at(self.table.currentIndex().column())
        if col is None:
            return
        reason, ok = QInputDialog.getText(
            self, self.tr("Entered in error"),
            self.tr("Why are the vitals of {when} wrong?").format(when=show_datetime(col.taken_at)))
        if not ok:
            return
        self.chart.ops.run(vitals.mark_set_entered_in_error, self.chart.patient_id, col.set_id, reason,
                           done=lambda _r: self.chart.ops.changed("vitals", self.chart.patient_id),
                           failed=lambda exc: self.chart.app.messages.error(self, exc))

    # ---- alerts on the values just saved
    def check_alerts(self, saved: SavedSet) -> None:
        """The saved set's own check (the form decided on the interrupting ones before saving): the others in the
        bar, a check that could not run in the red banner."""
        if saved.check is not None:
            self.show_alerts(saved.check)

    def show_alerts(self, check: AlertCheck) -> None:
        if not check.kb_available:
            self.kb_banner.set_reason(check.error)
            return
        self.kb_banner.clear()
        passive = check.passive
        if passive:
            self._show_bar("\n".join(a.message for a in passive), "alert")
        else:
            self.alert_bar.setVisible(False)

    def _show_bar(self, text: str, kind: str = "alert") -> None:
        colours = {"alert": "background:#fff4ce;color:#5c4400;"}
        self.alert_bar.setStyleSheet(f"QLabel{{{colours[kind]}padding:6px;border-radius:3px;}}")
        self.alert_bar.setText(text)
        self.alert_bar.setVisible(True)
