"""Allergies tab: substances (drug ingredient or class, food, environmental), reaction, severity, criticality and
status, plus the explicit "No known drug allergies" entry. Entering a listed substance again updates it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from desktop.ops import bind
from desktop.services import allergies
from desktop.services.allergies import FIELD_LABELS, AllergyInput, AllergyRow, AllergySaved
from desktop.services.errors import ServiceError
from desktop.widgets.hint_label import hint_label
from desktop.widgets.table_model import Column

from .base import ChartContext
from .entry_dialogs import DateField, EntryDialog, combo, set_combo
from .list_tab import ListTab

CATEGORY_CHOICES = [("Medication", "medication"), ("Food", "food"), ("Environmental", "environment"),
                    ("Biologic / vaccine", "biologic")]
KIND_CHOICES = [("Allergy", "allergy"), ("Intolerance", "intolerance")]
SEVERITY_CHOICES = [("", ""), ("Mild", "mild"), ("Moderate", "moderate"), ("Severe", "severe")]
CRITICALITY_CHOICES = [("", ""), ("Low", "low"), ("High", "high"), ("Unable to assess", "unable-to-assess")]
STATUS_CHOICES = [("Active", "active"), ("Inactive", "inactive"), ("Resolved", "resolved")]
COMMON_REACTIONS = ["", "Hives", "Rash", "Itching", "Anaphylaxis", "Angioedema", "Wheezing / bronchospasm",
                    "Shortness of breath", "Nausea / vomiting", "Diarrhea", "Swelling", "Cough",
                    "Stevens-Johnson syndrome", "Contact dermatitis"]


class AllergyDialog(EntryDialog):
    input_type = AllergyInput
    field_labels = FIELD_LABELS

    def __init__(self, chart: ChartContext, row: AllergyRow | None = None, listed: list[AllergyRow] | None = None,
                 parent: QWidget | None = None):
        super().__init__(chart, row, parent)
        self.setWindowTitle(self.tr("Edit allergy") if row else self.tr("Add allergy or intolerance"))
        self.listed = [r for r in (listed or []) if not r.entered_in_error and not r.no_known_allergies]
        self.options = {o.label.casefold(): o for o in allergies.all_substance_options()}
        self.substance = self.add_row("substance", self.tr("Substance"), QLineEdit(), required=True)
        self.substance.setPlaceholderText(self.tr("Drug, drug class (e.g. Penicillins, NSAIDs), food or "
                                                  "environmental"))
        self.substance.setMaxLength(200)
        completer = QCompleter(QStringListModel([o.label for o in self.options.values()], self), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(12)
        self.substance.setCompleter(completer)
        completer.activated.connect(self._completed)
        self.listed_hint = QLabel()
        self.listed_hint.setObjectName("listedHint")
        self.listed_hint.setWordWrap(True)
        self.listed_hint.setStyleSheet("color: #8a5a00; font-size: 9pt;")
        self.form.addRow("", self.listed_hint)
        # a drug allergy the alert check cannot read (a misspelling) would never raise an alert: say so, with
        # the name it is near, while the user can still correct it (after a pause in typing: it compares names)
        self.unknown_hint = QLabel()
        self.unknown_hint.setObjectName("unknownSubstanceHint")
        self.unknown_hint.setWordWrap(True)
        self.unknown_hint.setTextFormat(Qt.TextFormat.PlainText)
        self.unknown_hint.setStyleSheet("color: #8a5a00; font-size: 9pt;")
        self.form.addRow("", self.unknown_hint)
        self._unknown_timer = QTimer(self)
        self._unknown_timer.setSingleShot(True)
        self._unknown_timer.setInterval(350)
        self._unknown_timer.timeout.connect(self._check_known)
        self.form.setRowVisible(self.listed_hint, False)
        self.form.setRowVisible(self.unknown_hint, False)
        self.category = self.add_row("category", self.tr("Category"),
                                     combo([(self.tr(a), b) for a, b in CATEGORY_CHOICES]))
        self.kind = self.add_row("kind", self.tr("Type"), combo([(self.tr(a), b) for a, b in KIND_CHOICES]))
        self.reaction = self.add_row("reaction", self.tr("Reaction"), QComboBox())
        self.reaction.setEditable(True)
        self.reaction.addItems([self.tr(r) for r in COMMON_REACTIONS])
        self.reaction.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.severity = self.add_row("severity", self.tr("Severity"),
                                     combo([(self.tr(a), b) for a, b in SEVERITY_CHOICES]))
        self.criticality = self.add_row("criticality", self.tr("Criticality"),
                                        combo([(self.tr(a), b) for a, b in CRITICALITY_CHOICES]),
                                        hint=self.tr("High: a future exposure could be life-threatening"))
        self.status = self.add_row("status", self.tr("Status"), combo([(self.tr(a), b) for a, b in STATUS_CHOICES]))
        self.onset = self.add_row("onset_date", self.tr("Onset"), DateField())
        self.note = self.add_row("note", self.tr("Note"), QPlainTextEdit())
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(60)
        self.substance.textChanged.connect(self._check_listed)
        self.substance.textChanged.connect(lambda _t: self._unknown_timer.start())
        self.category.currentIndexChanged.connect(lambda _i: self._check_listed())
        self.category.currentIndexChanged.connect(lambda _i: self._check_known())
        if row is not None:
            self.fill(row.as_input())
        self.substance.setFocus()
        self.resize(600, 560)

    def _completed(self, text: str) -> None:
        option = self.options.get(text.casefold())
        if option is not None:
            set_combo(self.category, option.category)
        self._check_listed()

    def resolved_key(self) -> str:
        try:
            return allergies.resolve_substance(allergies.clean(self.collect())).key
        except ServiceError:
            return ""

    def _check_listed(self, *_a: Any) -> None:
        """Say before saving that this substance is already listed (saving then updates that entry)."""
        text = self.substance.text().strip()
        key = self.resolved_key() if text else ""
        same = next((r for r in self.listed if r.substance_key == key and (self.row is None or r.id != self.row.id)),
                    None)
        if same is None:
            self._show_hint(self.listed_hint, "")
        elif self.row is None:
            self._show_hint(self.listed_hint, self.tr("Already listed as “{name}”: saving updates that entry.").format(
                name=same.substance))
        else:
            self._show_hint(self.listed_hint, self.tr("“{name}” is already listed: edit that entry instead.").format(
                name=same.substance))

    def _check_known(self) -> None:
        self._unknown_timer.stop()
        try:
            note = allergies.unrecognised_note(allergies.clean(self.collect()))
        except ServiceError:
            note = ""
        self._show_hint(self.unknown_hint, self.tr("“{name}” is {why}").format(
            name=self.substance.text().strip(), why=note) if note else "")

    def _show_hint(self, label: QLabel, text: str) -> None:
        """A hint's row takes room only while it says something."""
        label.setText(text)
        self.form.setRowVisible(label, bool(text))

    def fill(self, inp: AllergyInput) -> None:
        self.substance.setText(inp.substance)
        set_combo(self.category, inp.category)
        set_combo(self.kind, inp.kind)
        self.reaction.setEditText(inp.reaction)
        set_combo(self.severity, inp.severity)
        set_combo(self.criticality, inp.criticality)
        set_combo(self.status, inp.status)
        self.onset.set_value(inp.onset_date)
        self.note.setPlainText(inp.note)

    def collect(self) -> AllergyInput:
        text = self.substance.text().strip()
        option = self.options.get(text.casefold())
        return AllergyInput(
            substance=text, category=self.category.currentData(),
            class_id=option.class_id if option else "", ingredient=option.ingredient if option else "",
            kind=self.kind.currentData(), reaction=self.reaction.currentText(),
            severity=self.severity.currentData(), criticality=self.criticality.currentData(),
            status=self.status.currentData(), onset_date=self.onset.value(), note=self.note.toPlainText(),
        )

    def submit(self, inp: AllergyInput, version: int | None) -> Callable[[Any], Any]:
        if self.row is None:
            return bind(allergies.add_allergy, self.chart.patient_id, inp)
        return bind(allergies.update_allergy, self.row.id, inp, version)

    def reload(self) -> Callable[[Any], Any]:
        return bind(allergies.get_allergy, self.row.id)


class NkdaEditDialog(EntryDialog):
    """The "No known drug allergies" entry: only its status and note can change."""

    input_type = AllergyInput
    field_labels = FIELD_LABELS

    def __init__(self, chart: ChartContext, row: AllergyRow, parent: QWidget | None = None):
        super().__init__(chart, row, parent)
        self.setWindowTitle(self.tr("No known drug allergies"))
        info = hint_label(self.tr("No known drug allergies (NKDA), recorded explicitly."), small=True)
        self.form.addRow("", info)
        self.status = self.add_row("status", self.tr("Status"), combo([(self.tr(a), b) for a, b in STATUS_CHOICES]))
        self.note = self.add_row("note", self.tr("Note"), QPlainTextEdit())
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(60)
        self.fill(row.as_input())
        self.resize(420, 240)

    def fill(self, inp: AllergyInput) -> None:
        set_combo(self.status, inp.status)
        self.note.setPlainText(inp.note)

    def collect(self) -> AllergyInput:
        base = self.row.as_input()
        return AllergyInput(substance=base.substance, category=base.category, status=self.status.currentData(),
                            note=self.note.toPlainText())

    def submit(self, inp: AllergyInput, version: int | None) -> Callable[[Any], Any]:
        return bind(allergies.update_allergy, self.row.id, inp, version)

    def reload(self) -> Callable[[Any], Any]:
        return bind(allergies.get_allergy, self.row.id)


class AllergiesTab(ListTab):
    kind = "allergies"
    noun = "allergy"
    empty_text = ("Allergies not recorded.\nAdd an allergy (Ins), or record “No known drug allergies” "
                  "(Ctrl+Shift+K) once you have asked.")

    def columns(self) -> list[Column]:
        return [
            Column(self.tr("Substance"), lambda r: r.substance,
                   color=lambda r: "#b00020" if self._live_allergy(r) else None,
                   tooltip=lambda r: r.note or r.substance),
            Column(self.tr("Category"), lambda r: r.category),
            Column(self.tr("Type"), lambda r: "" if r.no_known_allergies else r.kind),
            Column(self.tr("Reaction"), lambda r: r.reaction),
            Column(self.tr("Severity"), lambda r: r.severity,
                   color=lambda r: "#b00020" if r.severity == "severe" and not r.entered_in_error else None),
            Column(self.tr("Criticality"), lambda r: r.criticality),
            Column(self.tr("Status"), lambda r: r.status),
            Column(self.tr("Coding"), lambda r: {"class": self.tr("drug class"), "rxnorm": f"RxNorm {r.code}"}.get(
                r.code_system, r.code_system or "")),
            Column(self.tr("Onset"), lambda r: r.onset_date),
            Column(self.tr("Source"), lambda r: r.source or self.tr("clinic")),
        ]

    @staticmethod
    def _live_allergy(r: AllergyRow) -> bool:
        return r.status == "active" and not r.entered_in_error and not r.no_known_allergies

    def extra_buttons(self, bar: QHBoxLayout) -> None:
        self.nkda_button = QPushButton(self.tr("No &known drug allergies"))
        self.nkda_button.setObjectName("nkdaButton")
        self.nkda_button.setToolTip(self.tr("Record that the patient has no known drug allergies (Ctrl+Shift+K)"))
        self.nkda_button.clicked.connect(self.record_nkda)
        bar.addWidget(self.nkda_button)
        if self.can_edit:
            QShortcut(QKeySequence("Ctrl+Shift+K"), self, activated=self.record_nkda,
                      context=Qt.ShortcutContext.WindowShortcut)

    def on_rows(self, rows: list[AllergyRow]) -> None:
        live = [r for r in rows if not r.entered_in_error and r.status == "active"]
        drug = any(r.category == "medication" and not r.no_known_allergies for r in live)
        nkda = any(r.no_known_allergies for r in live)
        self.nkda_button.setVisible(self.can_edit)
        self.nkda_button.setEnabled(self.can_edit and not drug and not nkda)
        self.nkda_button.setToolTip(
            self.tr("The patient has active drug allergies") if drug else
            self.tr("Already recorded") if nkda else
            self.tr("Record that the patient has no known drug allergies (Ctrl+Shift+K)"))

    def fetch(self, uow: Any, patient_id: int, include_errors: bool) -> list[AllergyRow]:
        return allergies.list_allergies(uow, patient_id, include_errors)

    def greyed(self, row: AllergyRow) -> bool:
        return row.status != "active"

    def describe(self, row: AllergyRow) -> str:
        return row.substance

    def make_editor(self, row: AllergyRow | None) -> EntryDialog:
        if row is not None and row.no_known_allergies:
            return NkdaEditDialog(self.chart, row, self)
        return AllergyDialog(self.chart, row, self.rows, self)

    def after_save(self, saved: AllergySaved) -> None:
        if saved.merged:
            self.chart.app.messages.info(self, self.tr("{name} was already listed: that entry was updated.").format(
                name=saved.row.substance), self.tr("Allergy updated"))

    def mark_error(self, row: AllergyRow, reason: str) -> Callable[[Any], Any]:
        return bind(allergies.mark_allergy_in_error, row.id, reason, row.version)

    # every change goes out as ops.changed("allergies", patient): the chart view re-reads the banner on it

    def record_nkda(self) -> None:
        if not self.can_edit or not self.nkda_button.isEnabled():
            return
        if not self.chart.app.messages.confirm(
                self, self.tr("Record “No known drug allergies” for this patient?\nAsk the patient first."),
                title=self.tr("No known drug allergies"), yes=self.tr("Record NKDA"), no=self.tr("Cancel")):
            return
        # refused e.g. when an active drug allergy was recorded on another workstation meanwhile
        self.chart.ops.run(allergies.record_nkda, self.chart.patient_id, done=lambda _r: self.changed(),
                           failed=self._action_failed)
