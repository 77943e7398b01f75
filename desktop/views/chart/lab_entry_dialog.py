"""Manual entry of results that arrive on paper: tests from the knowledge base by name or LOINC, value, unit,
collection date, laboratory. A typing slip (implausible value, a value in the other unit, a lost decimal
point) is shown beside the row as it is typed, and Save stays off until it is fixed."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.dates import QT_DATETIME
from desktop.services import results
from desktop.services.errors import ValidationError
from desktop.services.results import EntryContext, PanelInput, ResultInput, SavedResults
from desktop.widgets.dialog_base import BaseDialog

ROWS = 6


def _label(t: results.LabTest) -> str:
    code = t.loinc or "no code"
    return f"{t.short} — {t.name} ({code})"


class _Row:
    def __init__(self, dialog: LabEntryDialog, n: int, grid: QGridLayout):
        self.test = QComboBox()
        self.test.setObjectName(f"labTest{n}")
        self.test.setEditable(True)
        self.test.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.test.addItem("", None)
        for t in dialog.tests:
            self.test.addItem(_label(t), t.key)
        completer = QCompleter(self.test.model(), self.test)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.test.setCompleter(completer)
        self.test.setMinimumWidth(340)
        self.value = QLineEdit()
        self.value.setObjectName(f"labValue{n}")
        self.value.setPlaceholderText(dialog.tr("value"))
        self.value.setMinimumWidth(90)
        self.value.setMaximumWidth(120)
        self.unit = QComboBox()
        self.unit.setObjectName(f"labUnit{n}")
        self.unit.setMinimumWidth(110)
        self.error = QLabel()
        self.error.setObjectName(f"labError{n}")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        for col, w in enumerate((self.test, self.value, self.unit)):
            grid.addWidget(w, 2 * n + 1, col)
        grid.addWidget(self.error, 2 * n + 2, 0, 1, 3)
        self.error.hide()
        self.test.currentIndexChanged.connect(lambda _i: self._test_changed(dialog))
        self.value.textChanged.connect(lambda _t: dialog.check())
        self.unit.currentIndexChanged.connect(lambda _i: dialog.check())
        self.dialog = dialog

    def lab_test(self) -> results.LabTest | None:
        key = self.test.currentData()
        return self.dialog.by_key.get(key) if key else None

    def _test_changed(self, dialog: LabEntryDialog) -> None:
        t = self.lab_test()
        self.unit.blockSignals(True)
        self.unit.clear()
        if t is not None:
            units = results.entry_units(t)
            for u in units:
                self.unit.addItem(u or dialog.tr("(no unit)"), u)
        self.unit.blockSignals(False)
        dialog.check()

    def used(self) -> bool:
        return self.lab_test() is not None or bool(self.value.text().strip())

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.value.setStyleSheet("border: 1px solid #b00020;" if text else "")


class LabEntryDialog(BaseDialog):
    """Enter one panel of results. After a save, `saved` holds the service's answer (critical values too)."""

    sig_saved = Signal(object)

    def __init__(self, app, patient_id: int, context: EntryContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.app = app
        self.patient_id = patient_id
        self.tests = context.tests
        self.by_key = {t.key: t for t in self.tests}
        self.saved: SavedResults | None = None
        self.setWindowTitle(self.tr("Enter laboratory results"))
        self.setMinimumWidth(720)
        self.kb_error = QLabel(context.error)
        self.kb_error.setObjectName("labKbError")
        self.kb_error.setWordWrap(True)
        self.kb_error.setStyleSheet("background:#fde0dc;color:#7f0000;padding:6px;")
        self.kb_error.setVisible(bool(context.error))
        self.collected = QDateTimeEdit(QDateTime.currentDateTime())
        self.collected.setObjectName("labCollected")
        self.collected.setCalendarPopup(True)
        self.collected.setDisplayFormat(QT_DATETIME)
        self.collected.setMaximumDateTime(QDateTime.currentDateTime().addSecs(300))
        self.lab = QComboBox()
        self.lab.setObjectName("labPerforming")
        self.lab.setEditable(True)
        self.lab.addItems(["", *context.labs])
        self.panel_name = QLineEdit()
        self.panel_name.setObjectName("labPanelName")
        self.panel_name.setPlaceholderText(self.tr("e.g. Basic metabolic panel (optional)"))
        form = QFormLayout()
        form.addRow(self.tr("&Collected"), self.collected)
        form.addRow(self.tr("&Laboratory"), self.lab)
        form.addRow(self.tr("&Panel"), self.panel_name)
        grid = QGridLayout()
        for col, title in enumerate((self.tr("Test (name or LOINC)"), self.tr("Value"), self.tr("Unit"))):
            head = QLabel(f"<b>{title}</b>")
            grid.addWidget(head, 0, col)
        self.rows = [_Row(self, n, grid) for n in range(ROWS)]
        self.form_error = QLabel()
        self.form_error.setObjectName("labFormError")
        self.form_error.setStyleSheet("color: #b00020;")
        self.form_error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("labSave")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.kb_error)
        layout.addLayout(form)
        layout.addLayout(grid)
        layout.addWidget(self.form_error)
        layout.addWidget(self.buttons)
        self.check()

    # ---- live checks
    def _inputs(self) -> tuple[list[ResultInput], dict[int, str]]:
        out, errors = [], {}
        for n, row in enumerate(self.rows):
            if not row.used():
                row.show_error("")
                continue
            t = row.lab_test()
            if t is None:
                errors[n] = self.tr("Choose the test from the list")
                continue
            try:
                value, comparator = results.parse_value(row.value.text())
            except results.AmbiguousNumber as exc:  # "1,500": thousands or 1.5? the message says how to type it
                errors[n] = str(exc)
                continue
            except ValueError:
                errors[n] = self.tr("Not a number")
                continue
            if value is None:
                errors[n] = self.tr("Enter the value")
                continue
            unit = row.unit.currentData() or ""
            slip = results.check_entry(t, value, unit)
            if slip:
                errors[n] = slip
                continue
            out.append(ResultInput(name=t.name, loinc=t.loinc, value=value, unit=unit, comparator=comparator))
        return out, errors

    def check(self) -> bool:
        inputs, errors = self._inputs()
        for n, row in enumerate(self.rows):
            row.show_error(errors.get(n, ""))
        ok = bool(inputs) and not errors and not self.kb_error.isVisible()
        self.save_button.setEnabled(ok)
        return ok

    def save(self) -> None:
        if self._saving or not self.check():
            return
        inputs, _ = self._inputs()
        collected: datetime = self.collected.dateTime().toPython()
        panel = PanelInput(collected_at=collected.astimezone(), performing_lab=self.lab.currentText().strip(),
                           panel_name=self.panel_name.text().strip(), results=tuple(inputs))
        self._saving = True
        self.save_button.setEnabled(False)
        self.app.ops.run(results.record_results, self.patient_id, panel, done=self._saved, failed=self._refused)

    _saving = False

    def _saved(self, saved: SavedResults) -> None:
        self._saving = False
        self.saved = saved
        self.sig_saved.emit(saved)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self._saving = False
        self.check()
        if isinstance(exc, ValidationError):
            self.form_error.setText("; ".join(exc.errors.values()))
        else:  # shown and logged by the message service; the form keeps what was typed
            self.app.messages.error(self, exc)
