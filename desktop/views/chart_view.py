"""One open chart: the patient banner over the chart's tabs (created lazily, filtered by role)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from desktop.ops import run_closers
from desktop.services import patients
from desktop.services.patients import PatientDetails
from desktop.widgets.patient_banner import PatientBanner

from .chart import CHART_TABS, ChartTabSpec
from .chart.base import ChartContext, ChartTab, FailedTab
from .context import AppContext

log = logging.getLogger(__name__)


class ChartView(QWidget):
    sig_title_changed = Signal(str)

    def __init__(self, ctx: AppContext, patient_id: int, parent: QWidget | None = None, *, start: bool = True):
        """start=False: build the chart's widgets but read nothing until start() (the workspace first audits
        the chart's opening, in a worker)."""
        super().__init__(parent)
        self.started = False
        self.ctx = ctx
        self.patient_id = patient_id
        self.details: PatientDetails | None = None
        self.chart = ChartContext(app=ctx, patient_id=patient_id, refresh_banner=self.refresh_banner)
        self.banner = PatientBanner()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("chartTabs")
        self.tabs.setDocumentMode(True)
        self.specs: list[ChartTabSpec] = [s for s in CHART_TABS if ctx.can(s.permission)]
        self._pages: dict[str, ChartTab] = {}
        self.failed_parts: list[str] = []  # tabs that could not be read (named in the banner, in red)
        for spec in self.specs:
            holder = QWidget()
            holder.setObjectName(f"tab_{spec.key}")
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self.tabs.addTab(holder, self.tr(spec.title))
            if spec.shortcut:
                QShortcut(QKeySequence(spec.shortcut), self, activated=lambda k=spec.key: self.show_tab(k))
        self.tabs.currentChanged.connect(self._ensure_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        ctx.ops.data_changed.connect(self._data_changed)
        self._ensure_page(0)
        if start:
            self.start()

    def start(self) -> None:
        """Read the banner and every tab built so far; from now on tabs read their data when first shown."""
        if self.started:
            return
        self.started = True
        self.refresh_banner()
        for page in self._pages.values():
            page.load()

    def before_close(self, then: Callable[[bool], None]) -> None:
        """Closing the chart (or the app, or switching user): each tab may flush work or veto, one after the
        other, each answering by callback (the note editor autosaves, asks about an unsaved draft and saves
        it in a worker). then(False) keeps the chart open."""
        run_closers([getattr(page, "before_close", None) for page in self._pages.values()], then)

    def refresh_banner(self) -> None:
        if not self.started:
            return
        self.ctx.ops.run(patients.get_patient, self.patient_id, done=self._show_details)

    def _show_details(self, details: PatientDetails) -> None:
        self.details = details
        self.banner.set_patient(details)
        self.sig_title_changed.emit(details.display_name)

    def show_tab(self, key: str) -> None:
        for i, spec in enumerate(self.specs):
            if spec.key == key:
                self.tabs.setCurrentIndex(i)
                page = self._pages.get(key)
                if page is not None:  # keyboard first: the tab's shortcuts work at once
                    page.setFocus()
                return

    def page(self, key: str) -> ChartTab | None:
        return self._pages.get(key)

    def _ensure_page(self, index: int) -> None:
        if index < 0 or index >= len(self.specs):
            return
        spec = self.specs[index]
        if spec.key in self._pages:
            return
        page = self._build(spec)
        self._pages[spec.key] = page
        self.tabs.widget(index).layout().addWidget(page)
        if self.started:
            page.load()

    def _build(self, spec: ChartTabSpec) -> ChartTab:
        try:
            page = spec.factory(self.chart)
        except Exception as exc:  # e.g. its knowledge file is missing: the tab says so in red, the chart too
            log.error("chart tab %s could not be built", spec.key, exc_info=True)
            page = FailedTab(self.chart, self.tr(spec.title), exc)
            self._incomplete(self.tr(spec.title))
        page.sig_failed.connect(self._incomplete)
        return page

    def _incomplete(self, what: str) -> None:
        """Part of the chart could not be read: the banner says the chart is incomplete, naming the part."""
        if what not in self.failed_parts:
            self.failed_parts.append(what)
        self.banner.set_incomplete(self.failed_parts)

    def _data_changed(self, what: str, patient_id: int) -> None:
        if patient_id not in (0, self.patient_id) or not self.started:
            return
        if what in ("patient", "allergies"):
            self.refresh_banner()
        for page in self._pages.values():
            if what in page.watches or "*" in page.watches:
                page.load()
