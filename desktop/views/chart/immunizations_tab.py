"""Immunizations tab: vaccines from the shipped CVX list, given here (lot, site, route) or historical (source)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QCompleter, QLineEdit, QPlainTextEdit, QWidget

from desktop.domain.dates import show_date
from desktop.ops import bind
from desktop.services import immunizations, knowledge
from desktop.services.immunizations import FIELD_LABELS, ROUTES, SITES, ImmunizationInput, ImmunizationRow
from desktop.widgets.table_model import Column

from .base import ChartContext
from .entry_dialogs import DateField, EntryDialog, combo, set_combo
from .list_tab import ListTab


def _catalog():
    return knowledge.vaccine_catalog()


class ImmunizationDialog(EntryDialog):
    input_type = ImmunizationInput
    field_labels = FIELD_LABELS

    def __init__(self, chart: ChartContext, row: ImmunizationRow | None = None, parent: QWidget | None = None):
        super().__init__(chart, row, parent)
        self.setWindowTitle(self.tr("Edit immunization") if row else self.tr("Record immunization"))
        self.vaccine = self.add_row("cvx_code", self.tr("Vaccine"), QComboBox(), required=True)
        self.vaccine.setEditable(True)
        self.vaccine.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.vaccine.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.vaccine.setMinimumContentsLength(40)
        self.vaccine.lineEdit().setPlaceholderText(self.tr("Type a name or CVX code, e.g. Tdap, flu, 115"))
        try:
            vaccines = _catalog().vaccines
        except knowledge.KnowledgeBaseError as exc:
            vaccines = ()
            self.show_errors({"cvx_code": self.tr("The vaccine list could not be loaded: {0}").format(exc)})
        self.vaccine.addItem("", None)
        for v in vaccines:
            self.vaccine.addItem(f"{v.short_name} — {v.name} (CVX {v.cvx})", v)
        self.vaccine.setCurrentIndex(0)
        completer = self.vaccine.completer()
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.given = self.add_row("date_given", self.tr("Date given"), DateField(), required=True)
        self.given_here = self.add_row("given_here", self.tr("Given here"),
                                       QCheckBox(self.tr("Administered in this clinic")))
        self.source = self.add_row("historical_source", self.tr("Source of record"), QLineEdit(),
                                   hint=self.tr("For a historical dose: e.g. vaccination card, state registry, "
                                                "previous clinic"))
        self.lot = self.add_row("lot_number", self.tr("Lot number"), QLineEdit())
        self.manufacturer = self.add_row("manufacturer", self.tr("Manufacturer"), QLineEdit())
        self.site = self.add_row("site", self.tr("Site"), combo([("", "")] + [(self.tr(s), s) for s in SITES]))
        self.route = self.add_row("route", self.tr("Route"), combo([("", "")] + [(self.tr(r), r) for r in ROUTES]))
        self.dose = self.add_row("dose_number", self.tr("Dose"), QLineEdit())
        self.dose.setPlaceholderText(self.tr("e.g. 1, 2 of 3, booster"))
        self.note = self.add_row("note", self.tr("Note"), QPlainTextEdit())
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(60)
        self.vaccine.currentIndexChanged.connect(self._vaccine_changed)
        self.given_here.toggled.connect(self._given_here_changed)
        if row is not None:
            self.fill(row.as_input())
        else:
            self.given.set_value(date.today())
            self.given_here.setChecked(True)
        self._given_here_changed()
        self.vaccine.setFocus()
        self.resize(620, 600)

    def _vaccine_changed(self, _i: int) -> None:
        v = self.vaccine.currentData()
        if v is None:
            return
        if v.manufacturer and not self.manufacturer.text():
            self.manufacturer.setText(v.manufacturer)
        if not self.route.currentData():
            set_combo(self.route, v.route)

    def _given_here_changed(self, *_a: Any) -> None:
        here = self.given_here.isChecked()
        self.source.setEnabled(not here)
        self.lot.setPlaceholderText(self.tr("required") if here else self.tr("if known"))

    def select_cvx(self, cvx: str) -> bool:
        for i in range(self.vaccine.count()):
            v = self.vaccine.itemData(i)
            if v is not None and v.cvx.lstrip("0") == cvx.lstrip("0"):
                self.vaccine.setCurrentIndex(i)
                return True
        return False

    def fill(self, inp: ImmunizationInput) -> None:
        if not self.select_cvx(inp.cvx_code):
            self.vaccine.setCurrentIndex(0)
        self.given.set_value(inp.date_given)
        self.given_here.setChecked(inp.given_here)
        self.source.setText(inp.historical_source)
        self.lot.setText(inp.lot_number)
        self.manufacturer.setText(inp.manufacturer)
        set_combo(self.site, inp.site)
        set_combo(self.route, inp.route)
        self.dose.setText(inp.dose_number)
        self.note.setPlainText(inp.note)
        self._given_here_changed()

    def collect(self) -> ImmunizationInput:
        v = self.vaccine.currentData()
        if v is not None and self.vaccine.currentText() != self.vaccine.itemText(self.vaccine.currentIndex()):
            v = None  # the text was edited after picking: not that vaccine any more
        return ImmunizationInput(
            cvx_code=v.cvx if v is not None else "", date_given=self.given.value(), lot_number=self.lot.text(),
            manufacturer=self.manufacturer.text(), site=self.site.currentData(), route=self.route.currentData(),
            dose_number=self.dose.text(), given_here=self.given_here.isChecked(),
            historical_source=self.source.text() if not self.given_here.isChecked() else "",
            note=self.note.toPlainText(),
        )

    def submit(self, inp: ImmunizationInput, version: int | None) -> Callable[[Any], Any]:
        if self.row is None:
            return bind(immunizations.add_immunization, self.chart.patient_id, inp)
        return bind(immunizations.update_immunization, self.row.id, inp, version)

    def reload(self) -> Callable[[Any], Any]:
        return bind(immunizations.get_immunization, self.row.id)


class ImmunizationsTab(ListTab):
    kind = "immunizations"
    noun = "immunization"
    empty_text = "No immunizations recorded."

    def columns(self) -> list[Column]:
        return [
            Column(self.tr("Date"), lambda r: r.date_given),
            Column(self.tr("Vaccine"), lambda r: r.vaccine, tooltip=lambda r: r.note or r.vaccine),
            Column(self.tr("CVX"), lambda r: r.cvx_code),
            Column(self.tr("Dose"), lambda r: r.dose_number),
            Column(self.tr("Lot"), lambda r: r.lot_number),
            Column(self.tr("Manufacturer"), lambda r: r.manufacturer),
            Column(self.tr("Site / route"), lambda r: " / ".join(x for x in (r.site, r.route) if x)),
            Column(self.tr("Given"), lambda r: r.source or r.origin,
                   color=lambda r: None if r.given_here else "#555555"),
        ]

    def fetch(self, uow: Any, patient_id: int, include_errors: bool) -> list[ImmunizationRow]:
        return immunizations.list_immunizations(uow, patient_id, include_errors)

    def describe(self, row: ImmunizationRow) -> str:
        return f"{row.vaccine}, {show_date(row.date_given)}"

    def make_editor(self, row: ImmunizationRow | None) -> ImmunizationDialog:
        return ImmunizationDialog(self.chart, row, self)

    def mark_error(self, row: ImmunizationRow, reason: str) -> Callable[[Any], Any]:
        return bind(immunizations.mark_immunization_in_error, row.id, reason, row.version)
