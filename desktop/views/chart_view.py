"""One open chart: the patient banner over the chart's tabs (created lazily, filtered by role)."""

from __future__ import annotations

import importlib
import logging

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from desktop.services import patients
from desktop.services.patients import PatientDetails
from desktop.widgets.patient_banner import PatientBanner

from .chart import CHART_TABS, ChartTabSpec
from .chart.base import ChartContext, ChartTab, EmptyStateTab
from .context import AppContext

log = logging.getLogger(__name__)


class ChartView(QWidget):
    sig_title_changed = Signal(str)

    def __init__(self, ctx: AppContext, patient_id: int, parent: QWidget | None = None):
        super().__init__(parent)
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
        self.refresh_banner()
        self._ensure_page(0)

    def before_close(self) -> bool:
        """Closing the chart (or the app, or switching user): each tab may flush work or veto.
        The note editor autosaves and asks about an unsaved draft; False keeps the chart open."""
        for page in self._pages.values():
            closer = getattr(page, "before_close", None)
            if closer is not None and not closer():
                return False
        return True

    def refresh_banner(self) -> None:
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
        page.load()

    def _build(self, spec: ChartTabSpec) -> ChartTab:
        if spec.factory:
            module_name, cls_name = spec.factory.split(":")
            try:
                cls = getattr(importlib.import_module(module_name), cls_name)
            except (ImportError, AttributeError) as exc:
                log.warning("chart tab %s unavailable: %s", spec.key, exc)
            else:
                return cls(self.chart)
        return EmptyStateTab(self.chart, spec.empty_text or self.tr("Nothing recorded here yet."))

    def _data_changed(self, what: str, patient_id: int) -> None:
        if patient_id not in (0, self.patient_id):
            return
        if what in ("patient", "allergies"):
            self.refresh_banner()
        for page in self._pages.values():
            if what in page.watches or "*" in page.watches:
                page.load()
