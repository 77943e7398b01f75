"""Problem list tab: ICD-10-CM coded problems (searched offline), onset/resolved dates and status."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPlainTextEdit, QPushButton, QWidget

from desktop.ops import bind
from desktop.services import icd10, patients, problems
from desktop.services.problems import FIELD_LABELS, ProblemInput, ProblemRow
from desktop.widgets.icd_search import IcdSearch
from desktop.widgets.table_model import Column

from .base import ChartContext
from .entry_dialogs import DateField, EntryDialog, combo, set_combo
from .list_tab import ListTab

log = logging.getLogger(__name__)

STATUS_CHOICES = [("Active", "active"), ("Inactive", "inactive"), ("Resolved", "resolved")]


class ProblemDialog(EntryDialog):
    input_type = ProblemInput
    field_labels = FIELD_LABELS

    def __init__(self, chart: ChartContext, row: ProblemRow | None = None, parent: QWidget | None = None):
        super().__init__(chart, row, parent)
        self.setWindowTitle(self.tr("Edit problem") if row else self.tr("Add problem"))
        self.icd = IcdSearch(run_plain=chart.ops.run_plain)
        # codes that cannot describe this patient (newborn, pregnancy, other sex) are left out of the search
        chart.ops.run(patients.get_patient, chart.patient_id,
                      done=lambda d: self.icd.set_patient(patients.age_years(d.data.birth_date), d.data.sex),
                      failed=lambda exc: log.warning("patient not read for the ICD-10 search: %s", exc))
        self.add_row("search", self.tr("Find ICD-10-CM"), self.icd)
        code_row = QWidget()
        h = QHBoxLayout(code_row)
        h.setContentsMargins(0, 0, 0, 0)
        self.code = QLineEdit()
        self.code.setReadOnly(True)
        self.code.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.code.setPlaceholderText(self.tr("uncoded: pick a code above"))
        self.clear_code = QPushButton(self.tr("Clear code"))
        self.clear_code.setAutoDefault(False)
        self.clear_code.clicked.connect(lambda: self.set_code(""))
        h.addWidget(self.code, 1)
        h.addWidget(self.clear_code)
        self.add_row("icd10_code", self.tr("ICD-10-CM"), code_row)
        self.code_widget = self.code
        self.description = self.add_row("description", self.tr("Problem"), QLineEdit(), required=True)
        self.description.setMaxLength(300)
        self.snomed = self.add_row("snomed_code", self.tr("SNOMED CT"), QLineEdit(),
                                   hint=self.tr("Optional concept id, digits only"))
        self.snomed.setMaxLength(18)
        self.onset = self.add_row("onset_date", self.tr("Onset"), DateField())
        self.status = self.add_row("status", self.tr("Status"), combo([(self.tr(a), b) for a, b in STATUS_CHOICES]))
        self.resolved = self.add_row("resolved_date", self.tr("Resolved"), DateField())
        self.note = self.add_row("note", self.tr("Note"), QPlainTextEdit())
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(60)
        self.icd.sig_picked.connect(self._picked)
        self.status.currentIndexChanged.connect(self._status_changed)
        self.setTabOrder(self.icd.edit, self.icd.table)
        self.setTabOrder(self.icd.table, self.description)
        self.setTabOrder(self.description, self.snomed)
        self.setTabOrder(self.snomed, self.onset)
        self.setTabOrder(self.onset, self.status)
        self.setTabOrder(self.status, self.resolved)
        self.setTabOrder(self.resolved, self.note)
        if row is not None:
            self.fill(row.as_input())
        else:
            self.set_code("")
            self._status_changed()
        self.icd.edit.setFocus()
        self.resize(720, 620)

    def _picked(self, code: icd10.IcdCode) -> None:
        self.set_code(code.code)
        self.description.setText(code.description)
        self.description.setFocus()
        self.description.selectAll()

    def set_code(self, code: str) -> None:
        self.code.setText(code)
        self.clear_code.setEnabled(bool(code))

    def _status_changed(self, *_a: Any) -> None:
        resolved = self.status.currentData() == "resolved"
        self.resolved.setEnabled(resolved or bool(self.resolved.text()))

    def fill(self, inp: ProblemInput) -> None:
        self.set_code(inp.icd10_code)
        self.description.setText(inp.description)
        self.snomed.setText(inp.snomed_code)
        self.onset.set_value(inp.onset_date)
        set_combo(self.status, inp.status)
        self.resolved.set_value(inp.resolved_date)
        self.note.setPlainText(inp.note)
        self._status_changed()

    def collect(self) -> ProblemInput:
        return ProblemInput(
            description=self.description.text(), icd10_code=self.code.text(), snomed_code=self.snomed.text(),
            onset_date=self.onset.value(), resolved_date=self.resolved.value() if self.resolved.isEnabled() else None,
            status=self.status.currentData(), note=self.note.toPlainText(),
        )

    def submit(self, inp: ProblemInput, version: int | None) -> Callable[[Any], Any]:
        if self.row is None:
            return bind(problems.add_problem, self.chart.patient_id, inp)
        return bind(problems.update_problem, self.row.id, inp, version)

    def reload(self) -> Callable[[Any], Any]:
        return bind(problems.get_problem, self.row.id)


class ProblemsTab(ListTab):
    kind = "problems"
    noun = "problem"
    empty_text = "No problems recorded."

    def columns(self) -> list[Column]:
        return [
            Column(self.tr("Problem"), lambda r: r.description, tooltip=lambda r: r.note or r.description),
            Column(self.tr("ICD-10-CM"), lambda r: r.icd10_code or self.tr("uncoded"),
                   color=lambda r: None if r.icd10_code else "#8a5a00"),
            Column(self.tr("Status"), lambda r: r.status,
                   color=lambda r: "#1e6b32" if r.status == "active" and not r.entered_in_error else None),
            Column(self.tr("Onset"), lambda r: r.onset_date),
            Column(self.tr("Resolved"), lambda r: r.resolved_date),
            Column(self.tr("SNOMED CT"), lambda r: r.snomed_code),
            Column(self.tr("Source"), lambda r: r.source or self.tr("clinic")),
        ]

    def load(self) -> None:
        super().load()
        if not icd10.ready():  # build the code index now, so the first search in the dialog is instant
            self.chart.ops.run_plain(icd10.warm_up)

    def fetch(self, uow: Any, patient_id: int, include_errors: bool) -> list[ProblemRow]:
        return problems.list_problems(uow, patient_id, include_errors)

    def greyed(self, row: ProblemRow) -> bool:
        return row.status != "active"

    def make_editor(self, row: ProblemRow | None) -> ProblemDialog:
        return ProblemDialog(self.chart, row, self)

    def mark_error(self, row: ProblemRow, reason: str) -> Callable[[Any], Any]:
        return bind(problems.mark_problem_in_error, row.id, reason, row.version)
