"""Demographics as read-only text with an Edit button (the only tab front desk sees), and the printing front desk
may do from the chart as from the Chart menu: the patient summary and the prescriptions (print and reprint)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.services import patients
from desktop.services.patients import FIELD_LABELS, PatientDetails
from desktop.services.permissions import Permission
from desktop.widgets.table_model import display

from .base import FAILED_STYLE, ChartContext, ChartTab, failure_text


class DemographicsTab(ChartTab):
    watches = ("patient",)

    def __init__(self, chart: ChartContext, parent: QWidget | None = None):
        super().__init__(chart, parent)
        self.details: PatientDetails | None = None
        self.text = QLabel()
        self.text.setObjectName("demographicsText")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.edit_button = QPushButton(self.tr("&Edit demographics…"))
        self.edit_button.setEnabled(chart.app.can(Permission.EDIT_DEMOGRAPHICS))
        self.edit_button.clicked.connect(self.edit)
        self.summary_button = QPushButton(self.tr("Print patient &summary…"))
        self.summary_button.setObjectName("printSummary")
        self.summary_button.clicked.connect(self.print_summary)
        self.rx_button = QPushButton(self.tr("&Prescriptions (print, reprint)…"))
        self.rx_button.setObjectName("printPrescriptions")
        self.rx_button.clicked.connect(self.prescriptions)
        top = QHBoxLayout()
        top.addWidget(self.summary_button)
        top.addWidget(self.rx_button)
        top.addStretch(1)
        top.addWidget(self.edit_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        can_print = chart.app.can(Permission.PRINT)  # the same right as the Chart menu's print entries
        self.summary_button.setVisible(can_print)
        self.rx_button.setVisible(can_print)

    def load(self) -> None:
        self.chart.ops.run(patients.get_patient, self.chart.patient_id, done=self.show_details,
                           failed=self._load_failed)

    def _load_failed(self, exc: BaseException) -> None:
        self.text.setText(failure_text(self.tr("Demographics"), exc))
        self.text.setStyleSheet(FAILED_STYLE)
        self.failed(self.tr("Demographics"), exc)

    def show_details(self, details: PatientDetails) -> None:
        self.details = details
        rows = "".join(
            f"<tr><td style='color:#555;padding-right:16px'>{escape(label)}</td>"
            f"<td>{escape(display(getattr(details.data, key)))}</td></tr>"
            for key, label in FIELD_LABELS.items()
        )
        self.text.setText(f"<p><b>MRN</b> {escape(details.mrn)}</p><table>{rows}</table>")

    def edit(self) -> None:
        from desktop.views.patient_dialog import PatientDialog

        if self.details is None:
            return
        dialog = PatientDialog(self.chart.app, self.details, self)
        self.dialog = dialog  # tests drive it
        dialog.open()

    def print_summary(self) -> None:
        from desktop.services import documents
        from desktop.views.pdf_preview import show_document

        if self.details is not None:
            show_document(self.chart.app, documents.summary_document, self.details.mrn, parent=self)

    def prescriptions(self) -> None:
        from desktop.views.prescriptions_dialog import open_prescriptions

        if self.details is not None:
            open_prescriptions(self.chart.app, self.chart.patient_id, self.details.display_name, self)
