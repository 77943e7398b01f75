"""Family history tab: relative, condition (ICD-10-CM searched offline, or free text), age at onset, deceased
and age at death. Physicians record it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit, QWidget

from desktop.ops import bind
from desktop.services import family_history as svc
from desktop.services import icd10
from desktop.services.family_history import FIELD_LABELS, RELATIVES, FamilyInput, FamilyRow
from desktop.services.permissions import Permission
from desktop.widgets.icd_search import IcdSearch
from desktop.widgets.table_model import Column

from .base import ChartContext
from .entry_dialogs import EntryDialog, combo, set_combo
from .list_tab import ListTab


def _age(text: str) -> int | None:
    text = text.strip()
    return int(text) if text else None


class FamilyDialog(EntryDialog):
    input_type = FamilyInput
    field_labels = FIELD_LABELS

    def __init__(self, chart: ChartContext, row: FamilyRow | None = None, parent: QWidget | None = None):
        super().__init__(chart, row, parent)
        self.setWindowTitle(self.tr("Edit family history") if row else self.tr("Add family history"))
        self.relative = self.add_row("relative", self.tr("Relative"), combo(
            [(self.tr("— choose —"), "")] + [(self.tr(r.capitalize()), r) for r in RELATIVES]), required=True)
        self.icd = IcdSearch(run_plain=chart.ops.run_plain)
        self.add_row("search", self.tr("Find ICD-10-CM"), self.icd)
        self.code = self.add_row("icd10_code", self.tr("ICD-10-CM"), QLineEdit())
        self.code.setReadOnly(True)
        self.code.setPlaceholderText(self.tr("uncoded: pick a code above, or just name the condition"))
        self.condition = self.add_row("condition", self.tr("Condition"), QLineEdit(), required=True)
        self.condition.setMaxLength(300)
        self.onset = self.add_row("onset_age", self.tr("Age at onset"), QLineEdit())
        self.deceased = self.add_row("deceased", self.tr("Deceased"), QCheckBox(self.tr("The relative has died")))
        self.death_age = self.add_row("death_age", self.tr("Age at death"), QLineEdit())
        self.note = self.add_row("note", self.tr("Note"), QPlainTextEdit())
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(60)
        self.icd.sig_picked.connect(self._picked)
        self.deceased.toggled.connect(self.death_age.setEnabled)
        self.condition.textEdited.connect(lambda _t: self.code.clear())  # own words: the code no longer applies
        for a, b in ((self.relative, self.icd.edit), (self.icd.edit, self.icd.table), (self.icd.table, self.condition),
                     (self.condition, self.onset), (self.onset, self.deceased), (self.deceased, self.death_age),
                     (self.death_age, self.note)):
            self.setTabOrder(a, b)
        if row is not None:
            self.fill(row.as_input())
        self.death_age.setEnabled(self.deceased.isChecked())
        self.relative.setFocus()
        self.resize(680, 600)

    def _picked(self, code: icd10.IcdCode) -> None:
        self.code.setText(code.code)
        self.condition.setText(code.description)
        self.onset.setFocus()

    def local_errors(self) -> dict[str, str]:
        errors = super().local_errors()
        for name, widget in (("onset_age", self.onset), ("death_age", self.death_age)):
            text = widget.text().strip()
            # isdigit() let "²" and 10,000 pasted digits through to int(), which raised: the form crashed
            if text and not (text.isdecimal() and len(text) <= 3):
                errors[name] = self.tr("Age in whole years")
        return errors

    def fill(self, inp: FamilyInput) -> None:
        set_combo(self.relative, inp.relative)
        self.code.setText(inp.icd10_code)
        self.condition.setText(inp.condition)
        self.onset.setText("" if inp.onset_age is None else str(inp.onset_age))
        self.deceased.setChecked(inp.deceased)
        self.death_age.setText("" if inp.death_age is None else str(inp.death_age))
        self.note.setPlainText(inp.note)
        self._snomed = inp.snomed_code

    def collect(self) -> FamilyInput:
        dead = self.deceased.isChecked()
        return FamilyInput(
            relative=self.relative.currentData() or "", condition=self.condition.text(), icd10_code=self.code.text(),
            snomed_code=getattr(self, "_snomed", ""), onset_age=_age(self.onset.text()), deceased=dead,
            death_age=_age(self.death_age.text()) if dead else None, note=self.note.toPlainText())

    def submit(self, inp: FamilyInput, version: int | None) -> Callable[[Any], Any]:
        if self.row is None:
            return bind(svc.add_entry, self.chart.patient_id, inp)
        return bind(svc.update_entry, self.row.id, inp, version)

    def reload(self) -> Callable[[Any], Any]:
        return bind(svc.get_entry, self.row.id)


class FamilyHistoryTab(ListTab):
    kind = "family_history"
    noun = "family history entry"
    empty_text = "No family history recorded."
    edit_permission = Permission.RECORD_HISTORY

    def columns(self) -> list[Column]:
        return [
            Column(self.tr("Relative"), lambda r: self.tr(r.relative.capitalize())),
            Column(self.tr("Condition"), lambda r: r.condition, tooltip=lambda r: r.note or r.condition),
            Column(self.tr("Code"), lambda r: r.icd10_code or (f"SNOMED {r.snomed_code}" if r.snomed_code else
                                                              self.tr("uncoded")),
                   color=lambda r: None if (r.icd10_code or r.snomed_code) else "#8a5a00"),
            Column(self.tr("Age at onset"), lambda r: r.onset_age),
            Column(self.tr("Deceased"), lambda r: (self.tr("yes, at %s") % r.death_age if r.death_age is not None
                                                   else self.tr("yes")) if r.deceased else ""),
            Column(self.tr("Source"), lambda r: r.source or self.tr("clinic")),
        ]

    def fetch(self, uow: Any, patient_id: int, include_errors: bool) -> list[FamilyRow]:
        return svc.list_family_history(uow, patient_id, include_errors)

    def describe(self, row: FamilyRow) -> str:
        return row.summary

    def make_editor(self, row: FamilyRow | None) -> FamilyDialog:
        return FamilyDialog(self.chart, row, self)

    def mark_error(self, row: FamilyRow, reason: str) -> Callable[[Any], Any]:
        return bind(svc.mark_entry_in_error, row.id, reason, row.version)
