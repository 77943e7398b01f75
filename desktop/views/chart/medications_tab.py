"""Medication list tab: what the patient takes, coded from the formulary (RxNorm) or free text marked uncoded.

Saving a new drug runs the alert checks first (the service answers NeedsDecision until they are decided): the
alert dialog lists every alert found; interrupting ones need a physician's override with a reason (others
cancel), moderate and minor ones are listed without blocking; when the knowledge base is unavailable the user
must acknowledge that nothing was checked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ops import bind
from desktop.services import knowledge, medications
from desktop.services.alert_decisions import Decision, NeedsDecision
from desktop.services.medications import FIELD_LABELS, MedicationInput, MedicationRow
from desktop.services.permissions import Permission
from desktop.widgets.alert_dialog import decide
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.drug_typeahead import DrugTypeahead
from desktop.widgets.hint_label import hint_style
from desktop.widgets.table_model import Column

from .base import ChartContext
from .entry_dialogs import ERROR_STYLE, DateField, EntryDialog, combo, set_combo
from .list_tab import ListTab

STATUS_CHOICES = [("Active", "active"), ("On hold", "on-hold"), ("Stopped", "stopped"), ("Completed", "completed")]
SOURCE_CHOICES = [("Clinic", "clinic"), ("Patient-reported", "patient-reported")]
CODED_STYLE = "color: #1e6b32; font-size: 9pt;"
UNCODED_STYLE = "color: #8a5a00; background: #fff3cd; padding: 2px 4px; font-size: 9pt;"


def _formulary():
    return knowledge.formulary()


class MedicationDialog(EntryDialog):
    input_type = MedicationInput
    field_labels = FIELD_LABELS

    def __init__(self, chart: ChartContext, row: MedicationRow | None = None, parent: QWidget | None = None):
        super().__init__(chart, row, parent)
        self.setWindowTitle(self.tr("Edit medication") if row else self.tr("Add medication"))
        try:
            self.formulary = _formulary()
            search = self.formulary.search
        except knowledge.KnowledgeBaseError:
            self.formulary, search = None, None  # the type-ahead says so; free text still works (uncoded)
        self.drug = DrugTypeahead(search)
        self.add_row("formulary_id", self.tr("Drug"), self.drug, required=True)
        self.coding = QLabel()
        self.coding.setObjectName("coding")
        self.coding.setWordWrap(True)
        self.form.addRow("", self.coding)
        self.strength = self.add_row("strength", self.tr("Strength"), QLineEdit())
        self.dose_form = self.add_row("dose_form", self.tr("Form"), QLineEdit())
        self.route = self.add_row("route", self.tr("Route"), QLineEdit())
        self.sig = self.add_row("sig", self.tr("Directions (sig)"), QLineEdit())
        self.sig.setPlaceholderText(self.tr("e.g. 1 tablet by mouth once daily"))
        self.start = self.add_row("start_date", self.tr("Start"), DateField())
        self.status = self.add_row("status", self.tr("Status"), combo([(self.tr(a), b) for a, b in STATUS_CHOICES]))
        self.stop = self.add_row("stop_date", self.tr("Stop"), DateField())
        self.source = self.add_row("source", self.tr("Source"), combo([(self.tr(a), b) for a, b in SOURCE_CHOICES]))
        self.note = self.add_row("note", self.tr("Note"), QPlainTextEdit())
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(60)
        self.drug.sig_chosen.connect(self._chosen)
        self.drug.sig_cleared.connect(self._update_coding)
        self.drug.model.modelReset.connect(self._update_coding)  # after each search: say "uncoded" only if no match
        for a, b in ((self.drug.edit, self.drug.table), (self.drug.table, self.sig), (self.sig, self.start),
                     (self.start, self.status), (self.status, self.stop), (self.stop, self.source),
                     (self.source, self.note), (self.note, self.strength), (self.strength, self.dose_form),
                     (self.dose_form, self.route)):
            self.setTabOrder(a, b)
        if row is not None:
            self.fill(row.as_input())
        self._update_coding()
        self.drug.edit.setFocus()
        self.resize(700, 640)

    def error_target(self, key: str) -> str | None:
        return "formulary_id" if key == "drug_name" else None

    # ---- coded or not
    def _chosen(self, product: Any) -> None:
        self.strength.setText(product.strength)
        self.dose_form.setText(product.dose_form)
        self.route.setText(product.route)
        if not self.sig.text().strip():
            self.sig.setText(product.default_sig)
        self._update_coding()
        self.sig.setFocus()
        self.sig.selectAll()

    def _update_coding(self) -> None:
        product = self.drug.chosen
        coded = product is not None
        for w in (self.strength, self.dose_form, self.route):
            w.setReadOnly(coded)  # a formulary product defines these
            w.setStyleSheet(hint_style() if coded else "")
        if coded:
            codes = f"RxNorm {product.product_rxcui}" if product.product_rxcui else self.tr("RxNorm ingredient")
            ingredients = ", ".join(f"{i.name} {i.rxcui}" for i in product.ingredients)
            extra = f" · C-{product.dea_schedule}" if product.dea_schedule else ""
            self.coding.setText(self.tr("Coded: {codes} ({ingredients}) · {cls}{extra}").format(
                codes=codes, ingredients=ingredients, cls=product.drug_class, extra=extra))
            self.coding.setStyleSheet(CODED_STYLE)
        elif self.drug.text() and not self.drug.results():
            self.coding.setText(self.tr("Uncoded free text: saved as typed. Interaction and allergy checks work "
                                        "only if the name is recognised."))
            self.coding.setStyleSheet(UNCODED_STYLE)
        else:
            self.coding.setText("")
            self.coding.setStyleSheet("")

    # ---- form
    def fill(self, inp: MedicationInput) -> None:
        product = None
        if inp.formulary_id and self.formulary is not None:
            product = self.formulary.by_id(inp.formulary_id)
        if product is not None:
            self.drug.set_product(product)
        else:
            self.drug.set_product(None)
            self.drug.edit.setText(inp.drug_name or (self.row.drug_name if self.row else ""))
        self.strength.setText(inp.strength or (self.row.strength if self.row else ""))
        self.dose_form.setText(inp.dose_form or (self.row.dose_form if self.row else ""))
        self.route.setText(inp.route or (self.row.route if self.row else ""))
        self.sig.setText(inp.sig)
        self.start.set_value(inp.start_date)
        set_combo(self.status, inp.status)
        self.stop.set_value(inp.stop_date)
        set_combo(self.source, inp.source)
        self.note.setPlainText(inp.note)
        self._update_coding()

    def collect(self) -> MedicationInput:
        product = self.drug.chosen
        return MedicationInput(
            formulary_id=product.id if product is not None else "",
            drug_name="" if product is not None else self.drug.text(),
            strength=self.strength.text(), dose_form=self.dose_form.text(), route=self.route.text(),
            sig=self.sig.text(), start_date=self.start.value(), stop_date=self.stop.value(),
            status=self.status.currentData(), source=self.source.currentData(), note=self.note.toPlainText(),
        )

    # ---- saving, with the alert checks: the service answers NeedsDecision (a result, nothing saved) until the
    # alerts are decided in the alert dialog; the same call then goes again with the decision
    decision: Decision = Decision.listing()  # first attempt: list every alert found, moderate ones too

    def submit(self, inp: MedicationInput, version: int | None) -> Callable[[Any], Any]:
        if self.row is None:
            return bind(medications.add_medication, self.chart.patient_id, inp, self.decision)
        return bind(medications.update_medication, self.row.id, inp, version, self.decision)

    def handle_result(self, inp: MedicationInput, result: Any) -> bool:
        if not isinstance(result, NeedsDecision):
            return True
        self.alert_dialog = decide(self, result, self.ctx.can(Permission.OVERRIDE_ALERT),
                                   lambda answer: self._decided(inp, answer))  # tests drive it
        return False

    def _decided(self, inp: MedicationInput, answer: Decision | None) -> None:
        if answer is None:
            self.decision = Decision.listing()  # cancelled: the dialog stays open with what was typed
            return
        self.decision = self.decision.then(answer)
        self.resubmit(inp)

    def reload(self) -> Callable[[Any], Any]:
        return bind(medications.get_medication, self.row.id)


class StopDialog(BaseDialog):
    """Stop (discontinue) or complete a medication, with the date and a required reason."""

    def __init__(self, row: MedicationRow, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Stop medication"))
        self.status = combo([(self.tr("Stopped (discontinued)"), "stopped"), (self.tr("Completed (course finished)"),
                                                                             "completed")])
        self.status.setObjectName("stopStatus")
        self.when = DateField()
        self.when.set_value(date.today())
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("stopReason")
        self.reason_edit.setPlaceholderText(self.tr("e.g. dry cough, course finished, replaced by losartan"))
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        form = QFormLayout()
        name = QLabel(row.drug_name)  # as typed or imported: text, never markup
        name.setTextFormat(Qt.TextFormat.PlainText)
        name.setStyleSheet("font-weight: 600;")
        form.addRow(self.tr("Medication"), name)
        form.addRow(self.tr("Status"), self.status)
        form.addRow(self.tr("Stop date"), self.when)
        form.addRow(self.tr("Reason *"), self.reason_edit)
        form.addRow("", self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Stop medication"))
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.reason_edit.setFocus()
        self.resize(480, 220)

    def _ok(self) -> None:
        problems = []
        if not self.reason_edit.text().strip():
            problems.append(self.tr("Say why the medication is stopped"))
        if self.when.value() is None:
            problems.append(self.tr("Not a date; type e.g. 2024-03-01"))
        if problems:
            self.error.setText("\n".join(problems))
            self.error.show()
            return
        self.accept()


class MedicationsTab(ListTab):
    kind = "medications"
    noun = "medication"
    empty_text = "No medications recorded."

    def columns(self) -> list[Column]:
        return [
            Column(self.tr("Drug"), lambda r: r.drug_name, tooltip=lambda r: r.note or r.drug_name),
            Column(self.tr("Coding"), lambda r: r.coding, color=lambda r: None if r.coded else "#8a5a00",
                   tooltip=lambda r: (f"ingredient RXCUI {r.ingredient_rxcui} ({r.ingredients})" if r.coded
                                      else self.tr("Free text: not coded"))),
            Column(self.tr("Directions"), lambda r: r.sig),
            Column(self.tr("Status"), lambda r: r.status,
                   color=lambda r: "#1e6b32" if r.status == "active" and not r.entered_in_error else None),
            Column(self.tr("Start"), lambda r: r.start_date),
            Column(self.tr("Stop"), lambda r: r.stop_date),
            Column(self.tr("Source"), lambda r: r.source_system or r.source),
        ]

    def extra_buttons(self, bar: QHBoxLayout) -> None:
        self.stop_button = QPushButton(self.tr("&Stop…"))
        self.stop_button.setToolTip(self.tr("Stop or complete the selected medication, with a reason (Ctrl+Shift+S)"))
        self.stop_button.clicked.connect(self.stop_selected)
        bar.addWidget(self.stop_button)
        if self.can_edit:
            QShortcut(QKeySequence("Ctrl+Shift+S"), self, activated=self.stop_selected,
                      context=Qt.ShortcutContext.WindowShortcut)

    def fetch(self, uow: Any, patient_id: int, include_errors: bool) -> list[MedicationRow]:
        return medications.list_medications(uow, patient_id, include_errors)

    def greyed(self, row: MedicationRow) -> bool:
        return row.status in ("stopped", "completed")

    def describe(self, row: MedicationRow) -> str:
        return row.drug_name

    def selection_changed(self, row: MedicationRow | None) -> None:
        if hasattr(self, "stop_button"):
            self.stop_button.setVisible(self.can_edit)
            self.stop_button.setEnabled(self.can_edit and row is not None and not row.entered_in_error
                                        and row.status in ("active", "on-hold"))

    def make_editor(self, row: MedicationRow | None) -> MedicationDialog:
        return MedicationDialog(self.chart, row, self)

    def mark_error(self, row: MedicationRow, reason: str) -> Callable[[Any], Any]:
        return bind(medications.mark_medication_in_error, row.id, reason, row.version)

    def stop_selected(self) -> None:
        row = self.selected()
        if not self.can_edit or row is None or row.entered_in_error or row.status not in ("active", "on-hold"):
            return
        dialog = StopDialog(row, self)
        self.stop_dialog = dialog  # tests drive it
        dialog.accepted.connect(lambda: self._stop(row, dialog))
        dialog.open()

    def _stop(self, row: MedicationRow, dialog: StopDialog) -> None:
        self.chart.ops.run(medications.stop_medication, row.id, dialog.reason_edit.text(), row.version,
                           dialog.when.value(), dialog.status.currentData(),
                           done=lambda _r: self.changed(), failed=self._action_failed)
