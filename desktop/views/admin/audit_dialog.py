"""Admin › Audit report: filter by user, patient (MRN), dates and action; page through; export CSV."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.dates import QT_DATE, show_datetime
from desktop.services import audit_report, patients
from desktop.services.audit_report import AuditFilter, AuditPage, AuditRow
from desktop.services.errors import NotFound
from desktop.services.patients import PatientDetails
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.hint_label import hint_label, hint_style
from desktop.widgets.table_model import Column, DataclassTableModel

from ..context import AppContext

PAGE_SIZE = 100
ACTION_COLOURS = {"login_failed": "#b00020", "lockout": "#b00020", "login_refused": "#b00020",
                  "export": "#8a5a00"}


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(d: QDate) -> date:
    return date(d.year(), d.month(), d.day())


class AuditReportDialog(BaseDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.page = 0
        self.current: AuditPage | None = None
        self.patient_id: int | None = None
        self.setWindowTitle(self.tr("Audit report"))
        # filters
        self.user = QComboBox()
        self.user.setObjectName("filterUser")
        self.user.addItem(self.tr("Any user"), None)
        self.mrn = QLineEdit()
        self.mrn.setObjectName("filterMrn")
        self.mrn.setPlaceholderText(self.tr("MRN (blank: any patient)"))
        self.mrn.setClearButtonEnabled(True)
        self.patient_label = hint_label(name="patientName")
        today = date.today()
        self.use_from = QCheckBox(self.tr("From"))
        self.use_from.setObjectName("useFrom")
        self.date_from = QDateEdit(_qdate(today.replace(day=1)))
        self.date_from.setObjectName("dateFrom")
        self.use_to = QCheckBox(self.tr("To"))
        self.use_to.setObjectName("useTo")
        self.date_to = QDateEdit(_qdate(today))
        self.date_to.setObjectName("dateTo")
        for edit, box in ((self.date_from, self.use_from), (self.date_to, self.use_to)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(QT_DATE)
            edit.setEnabled(False)
            box.toggled.connect(edit.setEnabled)
        self.action = QComboBox()
        self.action.setObjectName("filterAction")
        self.action.addItem(self.tr("Any action"), None)
        self.search_button = QPushButton(self.tr("&Search"))
        self.search_button.setObjectName("searchAudit")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        self.mrn.returnPressed.connect(self.search)
        grid = QGridLayout()
        grid.addWidget(QLabel(self.tr("User")), 0, 0)
        grid.addWidget(self.user, 0, 1)
        grid.addWidget(QLabel(self.tr("Patient")), 0, 2)
        grid.addWidget(self.mrn, 0, 3)
        grid.addWidget(self.patient_label, 0, 4, 1, 2)
        grid.addWidget(QLabel(self.tr("Action")), 1, 0)
        grid.addWidget(self.action, 1, 1)
        dates = QHBoxLayout()
        dates.addWidget(self.use_from)
        dates.addWidget(self.date_from)
        dates.addSpacing(12)
        dates.addWidget(self.use_to)
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        grid.addWidget(QLabel(self.tr("Dates")), 1, 2)
        grid.addLayout(dates, 1, 3, 1, 2)
        grid.addWidget(self.search_button, 1, 5)
        grid.setColumnStretch(4, 1)
        self.mrn.setMinimumWidth(240)
        self.mrn.setMaximumWidth(300)
        self.user.setMinimumWidth(160)
        self.action.setMinimumWidth(160)
        # results
        self.model = DataclassTableModel([
            Column(self.tr("#"), lambda r: r.id, align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            Column(self.tr("Time"), lambda r: show_datetime(r.ts.astimezone(), seconds=True),
                   tooltip=lambda r: r.ts.strftime("%Y-%m-%d %H:%M:%S UTC")),
            Column(self.tr("User"), lambda r: r.username),
            Column(self.tr("Patient"), lambda r: f"{r.patient_name} ({r.patient_mrn})" if r.patient_mrn
                   else ("" if r.patient_id is None else f"#{r.patient_id}")),
            Column(self.tr("Action"), lambda r: r.action, color=lambda r: ACTION_COLOURS.get(r.action)),
            Column(self.tr("What"), lambda r: f"{r.entity} {r.entity_id}".strip()),
            Column(self.tr("Details"), lambda r: r.summary, tooltip=lambda r: r.summary),
        ])
        self.table = QTableView()
        self.table.setObjectName("auditTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.status = QLabel()
        self.status.setObjectName("auditStatus")
        self.prev_button = QPushButton(self.tr("◀ &Previous"))
        self.prev_button.setObjectName("prevPage")
        self.next_button = QPushButton(self.tr("&Next ▶"))
        self.next_button.setObjectName("nextPage")
        self.prev_button.clicked.connect(lambda: self.go(self.page - 1))
        self.next_button.clicked.connect(lambda: self.go(self.page + 1))
        self.export_button = QPushButton(self.tr("&Export CSV…"))
        self.export_button.setObjectName("exportCsv")
        self.export_button.clicked.connect(self.export)
        paging = QHBoxLayout()
        paging.addWidget(self.status, 1)
        paging.addWidget(self.prev_button)
        paging.addWidget(self.next_button)
        paging.addSpacing(16)
        paging.addWidget(self.export_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.table, 1)
        layout.addLayout(paging)
        layout.addWidget(close)
        self.resize(1100, 620)
        self._update_paging()
        self._load_choices()
        self.search()

    # ---- filters
    def _load_choices(self) -> None:
        def read(uow):
            return audit_report.audit_usernames(uow), audit_report.audit_actions(uow)

        self.ctx.ops.run(read, done=self._show_choices, failed=lambda exc: self.ctx.messages.error(self, exc))

    def _show_choices(self, values: tuple[list[str], list[str]]) -> None:
        names, actions = values
        for name in names:
            if self.user.findData(name) < 0:
                self.user.addItem(name, name)
        for action in actions:
            if self.action.findData(action) < 0:
                self.action.addItem(action, action)

    def current_filter(self, patient_id: int | None = None) -> AuditFilter:
        return AuditFilter(
            username=self.user.currentData(), patient_id=patient_id,
            date_from=_pydate(self.date_from.date()) if self.use_from.isChecked() else None,
            date_to=_pydate(self.date_to.date()) if self.use_to.isChecked() else None,
            action=self.action.currentData(),
        )

    # ---- results
    def search(self) -> None:
        self.page = 0
        self.go(0)

    def go(self, page: int) -> None:
        """The MRN is looked up and the page read in one worker call."""
        self.patient_id = None
        self.patient_label.clear()
        self.ctx.ops.run(_search, self.current_filter(), self.mrn.text().strip(), max(0, page), done=self._found,
                         failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, NotFound):
            self.patient_label.setText(self.tr("No patient with MRN {mrn}").format(mrn=self.mrn.text().strip()))
            self.patient_label.setStyleSheet("color: #b00020;")
            self.model.set_rows([])
            self.current = None
            self._update_paging()
            return
        self.ctx.messages.error(self, exc)  # database trouble: shown and logged

    def _found(self, found: tuple[AuditFilter, PatientDetails | None, AuditPage]) -> None:
        f, details, page = found
        self._filter = f
        if details is not None:
            self.patient_id = details.id
            self.patient_label.setText(details.display_name)
            self.patient_label.setStyleSheet(hint_style())
        self._show(page)

    def _show(self, page: AuditPage) -> None:
        self.current = page
        self.page = page.page
        self.model.set_rows(page.rows)
        self._update_paging()

    def rows(self) -> list[AuditRow]:
        return self.model.rows()

    def _update_paging(self) -> None:
        page = self.current
        if page is None or page.total == 0:
            self.status.setText(self.tr("No audit entries match.") if page is not None else "")
            self.prev_button.setEnabled(False)
            self.next_button.setEnabled(False)
            self.export_button.setEnabled(False)
            return
        first = page.page * page.page_size + 1
        last = first + len(page.rows) - 1
        self.status.setText(self.tr("Entries {first}–{last} of {total} (newest first)").format(
            first=f"{first:,}", last=f"{last:,}", total=f"{page.total:,}"))
        self.prev_button.setEnabled(page.has_previous)
        self.next_button.setEnabled(page.has_next)
        self.export_button.setEnabled(True)

    # ---- export
    def export(self) -> None:
        suggested = str(Path.home() / f"audit-{date.today():%Y-%m-%d}.csv")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export audit report"), suggested,
                                              self.tr("CSV files (*.csv)"))
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        f = getattr(self, "_filter", None)
        if f is None:
            return

        def done(count: int) -> None:
            self.ctx.messages.info(self, self.tr("{n} audit entries written to {path}.").format(
                n=f"{count:,}", path=path), title=self.tr("Audit report"))

        self.export_button.setEnabled(False)

        def finished_ok(count: int) -> None:
            self.export_button.setEnabled(True)
            done(count)

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            self.ctx.messages.error(self, exc)

        self.ctx.ops.run(audit_report.export_csv, f, path, done=finished_ok, failed=failed)


def _search(uow, f: AuditFilter, mrn: str, page: int):
    """(filter used, the patient of the MRN or None, the page); NotFound for an unknown MRN."""
    details = patients.get_patient_by_mrn(uow, mrn) if mrn else None
    if details is not None:
        f = replace(f, patient_id=details.id)
    return f, details, audit_report.search_audit(uow, f, page, PAGE_SIZE)
