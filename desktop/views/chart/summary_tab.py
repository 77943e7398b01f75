"""Summary tab: allergies, active problems, active medications, last vitals (abnormal values in colour), last
encounters, and the passive list of unresolved alerts. One service call for the chart data, one for alerts;
both off the GUI thread."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.dates import show_date, show_datetime
from desktop.services import alerts as alert_service
from desktop.services import results
from desktop.services import summary as summary_service
from desktop.services.summary import ChartSummary
from desktop.widgets.alert_bar import AlertBar
from desktop.widgets.alert_dialog import KbUnavailableBanner
from desktop.widgets.rich_text_label import RichTextLabel

from .base import FAILED_STYLE, ChartContext, ChartTab, failure_text
from .history_summary_html import history_html

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum" (not exported by PySide6)
RED, AMBER, GREEN, BLUE, GREY = "#b00020", "#8a5a00", "#1e6b32", "#1f4e9c", "#666666"
MAX_LINES = 40  # a section longer than this ends with "… and N more" (the list tab has them all)


def _more(n: int, shown: int) -> str:
    return f"<div style='color:{GREY}'>… and {n - shown} more</div>" if n > shown else ""


def _summary_and_alerts(uow: Any, patient_id: int) -> tuple[ChartSummary, Any, BaseException | None]:
    """Runs in a worker. An alert check that fails is reported beside the summary, never as "no alerts"."""
    summary = summary_service.chart_summary(uow, patient_id)
    try:
        return summary, alert_service.check_for_patient(uow, patient_id), None
    except Exception as exc:
        return summary, None, exc


REASON_CHARS = 32  # an encounter's reason in the summary's table (the Encounters tab shows it whole)


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _fold(widget: QWidget, folded: bool) -> None:
    """Collapse a line to no height instead of hiding it: showing a hidden widget makes Qt lay out the whole tab
    at once (every word-wrapped section), which costs a large chart 30-300 ms; a height change waits for the
    next layout pass with everything else."""
    widget.setMaximumHeight(0 if folded else QWIDGETSIZE_MAX)


class SummaryTab(ChartTab):
    watches = ("problems", "medications", "allergies", "immunizations", "vitals", "results", "encounters", "patient",
               "alerts", "settings", "procedures", "social_history", "family_history")
    sig_ready = Signal()  # summary and alerts shown and painted (the bench and tests wait on it)

    def __init__(self, chart: ChartContext, parent: QWidget | None = None):
        super().__init__(chart, parent)
        self.summary: ChartSummary | None = None
        self.alert_check: Any = None
        self._pending = 0
        self._announced = True
        self.kb_banner = KbUnavailableBanner(self)
        self.alert_bar = AlertBar(self)
        self.unchecked = QLabel()
        self.unchecked.setObjectName("uncheckedMeds")
        self.unchecked.setTextFormat(Qt.TextFormat.PlainText)  # medication names as typed or imported
        self.unchecked.setWordWrap(True)
        self.unchecked.setStyleSheet(f"color: {AMBER}; background: #fff3cd; padding: 3px 6px;")
        _fold(self.unchecked, True)

        self.boxes: dict[str, QGroupBox] = {}
        self.allergies = self._section("allergies", self.tr("Allergies (Alt+4)"))
        self.problems = self._section("problems", self.tr("Active problems (Alt+2)"))
        self.medications = self._section("medications", self.tr("Active medications (Alt+3)"))
        self.vitals = self._section("vitals", self.tr("Last vitals (Alt+6)"))
        self.labs = self._section("labs", self.tr("Latest results (Alt+9)"))
        self.encounters = self._section("encounters", self.tr("Last encounters (Alt+7)"))
        # the table sections hold short cells (dates, values, a reason cut to REASON_CHARS): laid out at their own
        # width, without word wrap, which spares Qt a rich-text table layout for every width it tries (a large
        # chart opened ~13 ms sooner)
        for table in (self.vitals, self.labs, self.encounters):
            table.setWordWrap(False)
        self.history = self._section("history", self.tr("Smoking, surgical and family history"))
        self.counts = QLabel()
        self.counts.setObjectName("summaryCounts")
        self.counts.setStyleSheet(f"color: {GREY};")
        self.loading = QLabel(self.tr("Loading the chart…"))
        self.loading.setStyleSheet(f"color: {GREY};")

        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        grid.addWidget(self.boxes["allergies"], 0, 0)
        grid.addWidget(self.boxes["problems"], 1, 0)
        grid.addWidget(self.boxes["medications"], 2, 0)
        grid.addWidget(self.boxes["vitals"], 0, 1)
        grid.addWidget(self.boxes["labs"], 1, 1)
        grid.addWidget(self.boxes["encounters"], 2, 1)
        grid.addWidget(self.boxes["history"], 3, 0, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(4, 1)
        body = QWidget()
        body.setObjectName("summaryBody")
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.loading)
        inner.addLayout(grid, 1)
        inner.addWidget(self.counts)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.kb_banner)
        layout.addWidget(self.alert_bar)
        layout.addWidget(self.unchecked)
        layout.addWidget(scroll, 1)

    def _section(self, name: str, title: str) -> RichTextLabel:
        box = QGroupBox(title, self)
        box.setObjectName(f"summary_{name}")
        self.boxes[name] = box
        label = RichTextLabel()
        label.setObjectName(f"summaryText_{name}")
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v = QVBoxLayout(box)
        v.addWidget(label)
        return label

    # ---- loading
    def load(self) -> None:
        self._pending = 2
        self._announced = False
        # one worker for both: two threads fighting over the GIL deliver later than one doing them in turn
        self.chart.ops.run(_summary_and_alerts, self.chart.patient_id, done=self._both, failed=self._failed)

    def _both(self, result: tuple[ChartSummary, Any, BaseException | None]) -> None:
        summary, check, alert_error = result
        self.show_summary(summary)
        if alert_error is not None:
            self._alerts_failed(alert_error)
        else:
            self.show_alerts(check)

    def _arrived(self) -> None:
        self._pending = max(0, self._pending - 1)
        if self._pending == 0:
            self.update()  # paint once more with everything; paintEvent announces it

    def _failed(self, exc: BaseException) -> None:
        self.loading.setText(failure_text(self.tr("Summary"), exc))
        self.loading.setStyleSheet(FAILED_STYLE)
        self.failed(self.tr("Summary"), exc)
        self._pending = 0
        self.update()

    def _alerts_failed(self, exc: BaseException) -> None:
        # the check itself failed (not just the knowledge base): say so loudly, never show "no alerts"
        self.kb_banner.set_reason(str(exc) or type(exc).__name__)
        self._arrived()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._pending == 0 and not self._announced:
            self._announced = True
            QTimer.singleShot(0, self.sig_ready.emit)  # after this paint pass has finished (children included)

    # ---- showing
    def show_alerts(self, check: Any) -> None:
        self.alert_check = check
        if not check.kb_available:
            self.kb_banner.set_reason(check.error)
            self.alert_bar.set_alerts([])
        else:
            self.kb_banner.clear()
            self.alert_bar.set_alerts(list(check.listed), check.overridden)  # overridden ones stay, marked
        names = list(getattr(check, "unchecked", ()) or ())
        notes = getattr(check, "unchecked_notes", None) or {}  # a supplement, or "did you mean 'amoxicillin'?"
        self.unchecked.setText(self.tr("Not checked for interactions (not recognised): {names}").format(
            names=", ".join(f"{n} ({notes[n]})" if n in notes else n for n in names)))
        _fold(self.unchecked, not names)
        self._arrived()

    def show_summary(self, s: ChartSummary) -> None:
        self.summary = s
        self.loading.hide()
        self.allergies.setText(self._allergies_html(s))
        self.problems.setText(self._problems_html(s))
        self.medications.setText(self._medications_html(s))
        self.vitals.setText(self._vitals_html(s))
        self.labs.setText(self._labs_html(s))
        self.encounters.setText(self._encounters_html(s))
        self.history.setText(history_html(s.histories, self.tr))
        c = s.counts
        self.counts.setText(self.tr(
            "{p} problems ({pa} active) · {m} medications ({ma} active) · {a} allergies · {i} immunizations · "
            "{e} encounters · {v} vital-sign readings").format(
            p=c.problems, pa=c.active_problems, m=c.medications, ma=c.active_medications, a=c.allergies,
            i=c.immunizations, e=c.encounters, v=c.vitals))
        self._arrived()

    def _allergies_html(self, s: ChartSummary) -> str:
        real = [a for a in s.allergies if not a.no_known_allergies]
        if real:
            lines = []
            for a in real:
                detail = ", ".join(x for x in (a.reaction, a.severity, a.kind if a.kind != "allergy" else "") if x)
                lines.append(f"<div><b style='color:{RED}'>{escape(a.substance)}</b>"
                             + (f" <span style='color:{GREY}'>— {escape(detail)}</span>" if detail else "") + "</div>")
            return "".join(lines)
        if s.allergy_status == "NKDA":
            return f"<b style='color:{GREEN}'>{escape(self.tr('No known drug allergies (NKDA)'))}</b>"
        return f"<b style='color:{AMBER}'>{escape(self.tr('Allergies not recorded'))}</b>"

    def _problems_html(self, s: ChartSummary) -> str:
        if not s.problems:
            return f"<span style='color:{GREY}'>{escape(self.tr('No active problems.'))}</span>"
        lines = []
        for p in s.problems[:MAX_LINES]:
            code = (f"<span style='color:{GREY}'>{escape(p.icd10_code)}</span> " if p.icd10_code
                    else f"<span style='color:{AMBER}'>{escape(self.tr('uncoded'))}</span> ")
            since = f" <span style='color:{GREY}'>since {show_date(p.onset_date)}</span>" if p.onset_date else ""
            lines.append(f"<div>{code}{escape(p.description)}{since}</div>")
        return "".join(lines) + _more(len(s.problems), MAX_LINES)

    def _medications_html(self, s: ChartSummary) -> str:
        if not s.medications:
            return f"<span style='color:{GREY}'>{escape(self.tr('No active medications.'))}</span>"
        lines = []
        for m in s.medications[:MAX_LINES]:
            marks = []
            if not m.coded:
                marks.append(f"<span style='color:{AMBER}'>{escape(self.tr('uncoded'))}</span>")
            if m.status != "active":
                marks.append(f"<span style='color:{AMBER}'>{escape(m.status)}</span>")
            sig = f" <span style='color:{GREY}'>— {escape(m.sig)}</span>" if m.sig else ""
            lines.append(f"<div>{escape(m.drug_name)}{sig}{' ' + ' '.join(marks) if marks else ''}</div>")
        return "".join(lines) + _more(len(s.medications), MAX_LINES)

    def _vitals_html(self, s: ChartSummary) -> str:
        if not s.vitals:
            return f"<span style='color:{GREY}'>{escape(self.tr('No vitals recorded.'))}</span>"
        rows = []
        for v in s.vitals:
            colour = RED if v.flag == "high" else BLUE if v.flag == "low" else ""
            arrow = " ▲" if v.flag == "high" else " ▼" if v.flag == "low" else ""
            value = (f"<b style='color:{colour}'>{escape(v.text)}{arrow}</b>" if colour else escape(v.text))
            rows.append(f"<tr><td style='color:{GREY}; padding-right:14px'>{escape(self.tr(v.label))}</td>"
                        f"<td>{value}</td></tr>")
        when = f"<div style='color:{GREY}'>{show_datetime(s.vitals_taken_at)}</div>" if s.vitals_taken_at else ""
        return when + "<table cellspacing='0' cellpadding='1'>" + "".join(rows) + "</table>"

    def _labs_html(self, s: ChartSummary) -> str:
        if s.labs_error:
            return f"<b style='color:{RED}'>{escape(self.tr('Results could not be shown: {e}').format(e=s.labs_error))}</b>"
        if not s.labs:
            return f"<span style='color:{GREY}'>{escape(self.tr('No key results recorded.'))}</span>"
        rows = []
        for r in s.labs:
            high, low = r.flag in ("H", "HH"), r.flag in ("L", "LL")
            colour = RED if high else BLUE if low else AMBER if r.flag == "A" else ""
            arrow = " ▲" if high else " ▼" if low else ""
            text = escape(f"{r.value_display} {results.unit_label(r.unit)}".strip())
            value = f"<b style='color:{colour}'>{text}{arrow}</b>" if colour else text
            origin = "" if r.origin == "clinic" else f" <i style='color:{GREY}'>{escape(self.tr('imported'))}</i>"
            rows.append(f"<tr><td style='color:{GREY}; padding-right:14px'>{escape(r.short)}</td><td>{value}</td>"
                        f"<td style='color:{GREY}; padding-left:10px'>{show_date(r.collected_at)}{origin}</td></tr>")
        return "<table cellspacing='0' cellpadding='1'>" + "".join(rows) + "</table>"

    def _encounters_html(self, s: ChartSummary) -> str:
        if not s.encounters:
            return f"<span style='color:{GREY}'>{escape(self.tr('No encounters yet.'))}</span>"
        rows = []
        for e in s.encounters:
            status = (f"<span style='color:{AMBER}'>{escape(self.tr('draft'))}</span>" if e.status != "signed"
                      else f"<span style='color:{GREY}'>{escape(self.tr('signed'))}</span>")
            rows.append(f"<tr><td style='padding-right:10px'>{show_date(e.encounter_date)}</td>"
                        f"<td style='color:{GREY}; padding-right:10px'>{escape(e.kind)}</td>"
                        f"<td style='padding-right:10px'>{escape(_cut(e.reason or '—', REASON_CHARS))}</td>"
                        f"<td>{status}</td></tr>")
        more = ""
        if s.counts.encounters > len(s.encounters):
            more = f"<div style='color:{GREY}'>{s.counts.encounters} in all: see Encounters (Alt+7)</div>"
        return "<table cellspacing='0' cellpadding='1'>" + "".join(rows) + "</table>" + more
