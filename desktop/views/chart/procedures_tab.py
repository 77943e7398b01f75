"""Procedures and surgical history tab: a type-ahead over the common primary-care procedures (code filled in
when the knowledge base has a verified one), free text when the procedure is not in the list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QCompleter, QHBoxLayout, QLineEdit, QPlainTextEdit, QWidget

from desktop.ops import bind
from desktop.services import procedure_history as svc
from desktop.services.permissions import Permission
from desktop.services.procedure_history import FIELD_LABELS, ProcedureInput, ProcedureRow
from desktop.widgets.table_model import Column

from .base import ChartContext
from .entry_dialogs import DateField, EntryDialog, combo, set_combo
from .list_tab import ListTab

STATUS_CHOICES = [("Completed", "completed"), ("In progress", "in-progress"), ("Not done", "not-done"),
                  ("Stopped", "stopped"), ("Unknown", "unknown")]
SYSTEM_CHOICES = [("— no code —", ""), ("SNOMED CT", "snomed"), ("CPT", "cpt"), ("HCPCS", "hcpcs")]


class ProcedureDialog(EntryDialog):
    input_type = ProcedureInput
    field_labels = FIELD_LABELS

    def __init__(self, chart: ChartContext, row: ProcedureRow | None = None, parent: QWidget | None = None):
        super().__init__(chart, row, parent)
        self.setWindowTitle(self.tr("Edit procedure") if row else self.tr("Add procedure"))
        self.catalog = svc.procedure_catalog()
        self.description = self.add_row(
            "description", self.tr("Procedure"), QLineEdit(), required=True,
            hint=self.tr("Type to pick a common procedure, or write any procedure in your own words"))
        self.description.setMaxLength(300)
        names = [p.name for p in self.catalog.items]
        self.completer = QCompleter(QStringListModel(names, self), self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.description.setCompleter(self.completer)
        self.completer.activated[str].connect(self._picked)
        code_row = QWidget()
        h = QHBoxLayout(code_row)
        h.setContentsMargins(0, 0, 0, 0)
        self.code_system = combo([(self.tr(a), b) for a, b in SYSTEM_CHOICES])
        self.code = QLineEdit()
        self.code.setMaxLength(18)
        self.code.setPlaceholderText(self.tr("code (optional)"))
        h.addWidget(self.code_system)
        h.addWidget(self.code, 1)
        self.add_row("code", self.tr("Code"), code_row)
        self.code_widget = self.code
        self.performed = self.add_row("performed_date", self.tr("Date"), DateField())
        self.performed_end = self.add_row("performed_end", self.tr("End date"), DateField())
        self.body_site = self.add_row("body_site", self.tr("Body site"), QLineEdit())
        self.performer = self.add_row("performer", self.tr("Surgeon / facility"), QLineEdit())
        self.status = self.add_row("status", self.tr("Status"), combo([(self.tr(a), b) for a, b in STATUS_CHOICES]))
        self.note = self.add_row("note", self.tr("Note"), QPlainTextEdit())
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(60)
        for a, b in ((self.description, self.code_system), (self.code_system, self.code), (self.code, self.performed),
                     (self.performed, self.performed_end), (self.performed_end, self.body_site),
                     (self.body_site, self.performer), (self.performer, self.status), (self.status, self.note)):
            self.setTabOrder(a, b)
        if row is not None:
            self.fill(row.as_input())
        self.description.setFocus()
        self.resize(640, 400)

    def error_target(self, key: str) -> str | None:
        return "code" if key == "code_system" else None

    def _picked(self, name: str) -> None:
        found = next((p for p in self.catalog.items if p.name == name), None)
        if found is None:
            return
        if found.snomed:
            set_combo(self.code_system, "snomed")
            self.code.setText(found.snomed)
        elif found.cpt:
            set_combo(self.code_system, "cpt")
            self.code.setText(found.cpt)
        else:  # listed by name only: no verified code
            set_combo(self.code_system, "")
            self.code.clear()
        self.performed.setFocus()

    def fill(self, inp: ProcedureInput) -> None:
        self.description.setText(inp.description)
        set_combo(self.code_system, inp.code_system)
        self.code.setText(inp.code)
        self.performed.set_value(inp.performed_date)
        self.performed_end.set_value(inp.performed_end)
        self.body_site.setText(inp.body_site)
        self.performer.setText(inp.performer)
        set_combo(self.status, inp.status)
        self.note.setPlainText(inp.note)

    def collect(self) -> ProcedureInput:
        return ProcedureInput(
            description=self.description.text(), code_system=self.code_system.currentData() or "",
            code=self.code.text(), performed_date=self.performed.value(), performed_end=self.performed_end.value(),
            body_site=self.body_site.text(), performer=self.performer.text(), status=self.status.currentData(),
            note=self.note.toPlainText())

    def submit(self, inp: ProcedureInput, version: int | None) -> Callable[[Any], Any]:
        if self.row is None:
            return bind(svc.add_procedure, self.chart.patient_id, inp)
        return bind(svc.update_procedure, self.row.id, inp, version)

    def reload(self) -> Callable[[Any], Any]:
        return bind(svc.get_procedure, self.row.id)


class ProceduresTab(ListTab):
    kind = "procedures"
    noun = "procedure"
    empty_text = "No procedures or operations recorded."
    edit_permission = Permission.RECORD_HISTORY

    def columns(self) -> list[Column]:
        return [
            Column(self.tr("Procedure"), lambda r: r.description, tooltip=lambda r: r.note or r.description),
            Column(self.tr("Date"), lambda r: r.performed_date),
            Column(self.tr("Code"), lambda r: f"{r.code_system.upper()} {r.code}" if r.code else self.tr("uncoded"),
                   color=lambda r: None if r.code else "#8a5a00"),
            Column(self.tr("Body site"), lambda r: r.body_site),
            Column(self.tr("Surgeon / facility"), lambda r: r.performer),
            Column(self.tr("Status"), lambda r: r.status),
            Column(self.tr("Source"), lambda r: r.source or self.tr("clinic")),
        ]

    def fetch(self, uow: Any, patient_id: int, include_errors: bool) -> list[ProcedureRow]:
        return svc.list_procedures(uow, patient_id, include_errors)

    def greyed(self, row: ProcedureRow) -> bool:
        return row.status in ("not-done", "stopped")

    def make_editor(self, row: ProcedureRow | None) -> ProcedureDialog:
        return ProcedureDialog(self.chart, row, self)

    def mark_error(self, row: ProcedureRow, reason: str) -> Callable[[Any], Any]:
        return bind(svc.mark_procedure_in_error, row.id, reason, row.version)
