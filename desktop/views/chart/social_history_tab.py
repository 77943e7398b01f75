"""Social history tab: dated statements (smoking status with pack-years, alcohol as AUDIT-C or drinks per week,
other tobacco, substances, occupation, sexual orientation, gender identity); the latest of each kind is bold,
earlier ones stay listed as history. Nurses and physicians record it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget

from desktop.ops import bind
from desktop.services import social_history as svc
from desktop.services.social_history import FIELD_LABELS, KIND_LABELS, KINDS, SocialInput, SocialRow
from desktop.widgets.table_model import Column

from .base import ChartContext
from .entry_dialogs import DateField, EntryDialog, combo, set_combo
from .list_tab import ListTab


def _number(text: str) -> float | None:
    """The typed number; ValueError for anything else, "nan" and "inf" included (int() of them crashed the
    form's check)."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


class SocialDialog(EntryDialog):
    input_type = SocialInput
    field_labels = FIELD_LABELS

    def __init__(self, chart: ChartContext, row: SocialRow | None = None, parent: QWidget | None = None,
                 kind: str = "smoking"):
        super().__init__(chart, row, parent)
        self.setWindowTitle(self.tr("Edit social history") if row else self.tr("Add social history"))
        self.kind = self.add_row("kind", self.tr("About"), combo([(self.tr(KIND_LABELS[k]), k) for k in KINDS]))
        answers = [(self.tr("— choose —"), "")] + [(a.name, a.snomed) for a in svc.smoking_answers()]
        self.smoking = self.add_row("value_code", self.tr("Smoking status"), combo(answers))
        self.pack_years = self.add_row("pack_years", self.tr("Pack-years"), QLineEdit(),
                                       hint=self.tr("packs per day × years smoked, when known"))
        self.audit_c = self.add_row("audit_c", self.tr("AUDIT-C score"), QLineEdit(), hint=self.tr("0 to 12"))
        self.drinks = self.add_row("drinks_per_week", self.tr("Drinks per week"), QLineEdit())
        self.value_text = self.add_row("value_text", self.tr("Answer"), QLineEdit(),
                                       hint=self.tr("In words: e.g. vapes daily, teacher, 2 beers most evenings"))
        self.value_text.setMaxLength(300)
        self.observed = self.add_row("observed_date", self.tr("Date"), DateField())
        self.end = self.add_row("end_date", self.tr("Until"), DateField())
        self.note = self.add_row("note", self.tr("Note"), QPlainTextEdit())
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(60)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        if row is not None:
            self.fill(row.as_input())
        else:
            set_combo(self.kind, kind)
            self.observed.setText("today")
            self.observed.set_value(self.observed.value())
        self._kind_changed()
        self.kind.setFocus()
        self.resize(600, 460)

    def _kind_changed(self, *_a: Any) -> None:
        kind = self.kind.currentData()
        for widget, show in ((self.smoking, kind == "smoking"), (self.pack_years, kind in ("smoking", "tobacco")),
                             (self.audit_c, kind == "alcohol"), (self.drinks, kind == "alcohol")):
            widget.setEnabled(show)

    def local_errors(self) -> dict[str, str]:
        errors = super().local_errors()
        for name, widget in (("pack_years", self.pack_years), ("audit_c", self.audit_c),
                             ("drinks_per_week", self.drinks)):
            if widget.isEnabled():
                try:
                    _number(widget.text())
                except ValueError:
                    errors[name] = self.tr("Not a number")
        if self.audit_c.isEnabled() and self.audit_c.text().strip() and "audit_c" not in errors:
            value = _number(self.audit_c.text())
            if value is not None and value != int(value):
                errors["audit_c"] = self.tr("A whole number from 0 to 12")
        return errors

    def fill(self, inp: SocialInput) -> None:
        set_combo(self.kind, inp.kind)
        set_combo(self.smoking, inp.value_code)
        self.pack_years.setText(f"{inp.pack_years:g}" if inp.pack_years is not None else "")
        self.audit_c.setText(str(inp.audit_c) if inp.audit_c is not None else "")
        self.drinks.setText(f"{inp.drinks_per_week:g}" if inp.drinks_per_week is not None else "")
        answer = svc.smoking_answer(inp.value_code)
        self.value_text.setText("" if answer and answer.name == inp.value_text else inp.value_text)
        self.observed.set_value(inp.observed_date)
        self.end.set_value(inp.end_date)
        self.note.setPlainText(inp.note)
        self._quantity = (inp.quantity, inp.unit, inp.loinc)

    def collect(self) -> SocialInput:
        kind = self.kind.currentData()
        code = self.smoking.currentData() if kind == "smoking" else ""
        text = self.value_text.text()
        if code and not text:
            text = self.smoking.currentText()
        audit = _number(self.audit_c.text()) if kind == "alcohol" else None
        quantity, unit, loinc = getattr(self, "_quantity", (None, "", ""))
        return SocialInput(
            kind=kind, value_text=text, value_code=code or "",
            loinc=loinc if self.row is not None and kind == self.row.kind else "",
            pack_years=_number(self.pack_years.text()) if kind in ("smoking", "tobacco") else None,
            audit_c=int(audit) if audit is not None else None,
            drinks_per_week=_number(self.drinks.text()) if kind == "alcohol" else None,
            quantity=quantity, unit=unit, observed_date=self.observed.value(), end_date=self.end.value(),
            note=self.note.toPlainText())

    def submit(self, inp: SocialInput, version: int | None) -> Callable[[Any], Any]:
        if self.row is None:
            return bind(svc.add_entry, self.chart.patient_id, inp)
        return bind(svc.update_entry, self.row.id, inp, version)

    def reload(self) -> Callable[[Any], Any]:
        return bind(svc.get_entry, self.row.id)


class SocialHistoryTab(ListTab):
    kind = "social_history"
    noun = "social history entry"
    empty_text = "No social history recorded (smoking, alcohol, occupation...)."

    current_ids: set[int] = set()

    def columns(self) -> list[Column]:
        return [
            Column(self.tr("About"), lambda r: self.tr(KIND_LABELS.get(r.kind, r.kind))),
            Column(self.tr("Now"), lambda r: self.tr("current") if r.id in self.current_ids else "",
                   color=lambda r: "#1e6b32"),
            Column(self.tr("Answer"), lambda r: r.summary, tooltip=lambda r: r.note or r.summary),
            Column(self.tr("Date"), lambda r: r.observed_date),
            Column(self.tr("Until"), lambda r: r.end_date),
            Column(self.tr("Code"), lambda r: r.value_code),
            Column(self.tr("Source"), lambda r: r.source or self.tr("clinic")),
        ]

    def fetch(self, uow: Any, patient_id: int, include_errors: bool) -> list[SocialRow]:
        return svc.list_social_history(uow, patient_id, include_errors)

    def on_rows(self, rows: list[SocialRow]) -> None:
        """The latest statement of each kind is marked current (what the Summary shows)."""
        self.current_ids = {r.id for r in svc.current(rows).values()}
        self.table.viewport().update()
        if rows:
            self.table.resizeColumnToContents(1)

    def describe(self, row: SocialRow) -> str:
        return f"{KIND_LABELS.get(row.kind, row.kind)}: {row.summary}"

    def make_editor(self, row: SocialRow | None) -> SocialDialog:
        return SocialDialog(self.chart, row, self)

    def mark_error(self, row: SocialRow, reason: str) -> Callable[[Any], Any]:
        return bind(svc.mark_entry_in_error, row.id, reason, row.version)


__all__ = ["SocialDialog", "SocialHistoryTab"]
