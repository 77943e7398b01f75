"""Pieces every chart-list dialog shares: the add/edit dialog base (messages beside fields, conflict dialog on a
stale save, Ctrl+Enter saves), a date field that accepts what people type, and the entered-in-error reason.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services.errors import ConflictError, ValidationError
from desktop.services.patients import parse_date
from desktop.views.conflict_dialog import ConflictDialog
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.hint_label import hint_label

from .base import ChartContext

ERROR_STYLE = "color: #b00020; font-size: 9pt;"


class DateField(QLineEdit):
    """A date as people type it: 2024-03-01, 03/01/2024, 1 Mar 2024; "t" or "today" for today."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setPlaceholderText("YYYY-MM-DD")
        self.setMaxLength(40)
        self.setClearButtonEnabled(True)
        self.setToolTip(self.tr("2024-03-01, 03/01/2024 or 1 Mar 2024; t = today"))

    def value(self) -> date | None:
        text = self.text().strip()
        if text.lower() in ("t", "today"):
            return date.today()
        return parse_date(text) if text else None

    def invalid(self) -> bool:
        return bool(self.text().strip()) and self.value() is None

    def set_value(self, value: date | None) -> None:
        self.setText(value.isoformat() if value else "")

    def focusOutEvent(self, event) -> None:
        value = self.value()
        if value is not None:  # show what was understood
            self.setText(value.isoformat())
        super().focusOutEvent(event)


def combo(choices: list[tuple[str, str]], parent: QWidget | None = None) -> QComboBox:
    """A combo of (label, value) pairs."""
    box = QComboBox(parent)
    for label, value in choices:
        box.addItem(label, value)
    return box


def set_combo(box: QComboBox, value: str) -> None:
    i = box.findData(value)
    if i < 0 and value:
        box.addItem(value, value)  # a value this form does not offer (e.g. from a PHR import): keep it
        i = box.count() - 1
    box.setCurrentIndex(max(i, 0))


class EntryDialog(BaseDialog):
    """Add or edit one chart-list entry. Subclasses build the form with `add_row`, then implement
    `collect()` (form -> input dataclass), `fill(input)`, `submit(input, version)` and `reload()` (fresh row
    after "discard my changes"). Both return the service call as a callable of the unit of work
    (`desktop.ops.bind(service_fn, ...)`), which the runner calls in a worker."""

    sig_saved = Signal(object)
    input_type: type = object
    field_labels: dict[str, str] = {}
    first_field: str = ""

    def __init__(self, chart: ChartContext, row: Any | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.chart = chart
        self.ctx = chart.app
        self.row = row
        self.version: int | None = row.version if row is not None else None
        self.saved: Any = None
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._tried = False
        self.general_error = QLabel()
        self.general_error.setObjectName("generalError")
        self.general_error.setStyleSheet(ERROR_STYLE)
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip(self.tr("Save (Ctrl+Enter)"))
        self.save_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self, activated=self.save)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.general_error)
        self.layout_.addLayout(self.form)
        self.layout_.addStretch(1)
        self.layout_.addWidget(self.buttons)

    def keyPressEvent(self, event) -> None:
        # Enter picks in a type-ahead (which then moves the focus on); it never saves half a form by
        # accident through the default button. Ctrl+Enter saves; Enter on a focused button presses it.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            focus = self.focusWidget()
            if isinstance(focus, QPushButton):
                focus.click()
            return
        super().keyPressEvent(event)

    # ---- building
    def add_row(self, name: str, label: str, widget: QWidget, required: bool = False,
                hint: str = "") -> QWidget:
        widget.setObjectName(name)
        error = QLabel()
        error.setObjectName(f"error_{name}")
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.hide()
        cell = QVBoxLayout()
        cell.setSpacing(1)
        cell.addWidget(widget)
        if hint:
            cell.addWidget(hint_label(hint, small=True, wrap=True))
        cell.addWidget(error)
        self.form.addRow(label + (" *" if required else ""), cell)
        self.inputs[name] = widget
        self.errors[name] = error
        return widget

    # ---- for subclasses
    def collect(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def fill(self, inp: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def submit(self, inp: Any, version: int | None) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def reload(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def local_errors(self) -> dict[str, str]:
        """Errors the form can see before asking the service (unparseable dates)."""
        return {name: self.tr("Not a date; type e.g. 2024-03-01 or 03/01/2024")
                for name, w in self.inputs.items() if isinstance(w, DateField) and w.invalid()}

    # ---- messages beside fields
    def show_errors(self, errors: dict[str, str]) -> None:
        unknown = []
        for key, message in errors.items():
            target = key if key in self.errors else self.error_target(key)
            if target is None:
                unknown.append(message)
        for name, label in self.errors.items():
            message = errors.get(name) or next(
                (m for k, m in errors.items() if k not in self.errors and self.error_target(k) == name), "")
            label.setText(self.tr(message) if message else "")
            label.setVisible(bool(message))
        self.general_error.setText("\n".join(unknown))
        self.general_error.setVisible(bool(unknown))
        first = next((n for n in self.inputs if self.errors[n].isVisible()), None)
        if first:
            self.inputs[first].setFocus()

    def error_target(self, key: str) -> str | None:
        """Which field shows a service error whose key is not a form field (override in subclasses)."""
        return None

    # ---- saving (the service call runs in a worker; the answer comes back to _submitted / _submit_failed)
    def save(self) -> None:
        if self.saving:
            return  # one save at a time: a second Ctrl+Enter does not submit twice
        self._tried = True
        errors = self.local_errors()
        self.show_errors(errors)
        if errors:
            return
        self.resubmit(self.collect())

    @property
    def saving(self) -> bool:
        return self._in_flight

    _in_flight = False

    def resubmit(self, inp: Any) -> None:
        """Send the form's input to the service (again, e.g. after an alert decision)."""
        self._in_flight = True
        self.save_button.setEnabled(False)
        self.ctx.ops.run(self.submit(inp, self.version), done=lambda result: self._submitted(inp, result),
                         failed=lambda exc: self._submit_failed(inp, exc))

    def _settle(self) -> None:
        self._in_flight = False
        self.save_button.setEnabled(True)

    def _submitted(self, inp: Any, result: Any) -> None:
        self._settle()
        if not self.handle_result(inp, result):
            return  # the subclass took over (e.g. alerts need a decision first)
        self.saved = result
        self.sig_saved.emit(result)
        self.accept()

    def _submit_failed(self, inp: Any, exc: BaseException) -> None:
        self._settle()
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        elif isinstance(exc, ConflictError):
            self._conflict(exc)
        elif not self.handle_error(exc, inp):  # shown and logged; the dialog stays open with what was typed
            self.ctx.messages.error(self, exc)

    def handle_result(self, inp: Any, result: Any) -> bool:
        """Subclass hook for a result that is not yet a save (alerts to decide); False when handled."""
        return True

    def handle_error(self, exc: BaseException, inp: Any) -> bool:
        """Subclass hook for errors with their own dialog; True when handled."""
        return False

    def _conflict(self, conflict: ConflictError) -> None:
        if not conflict.theirs:  # a write raced ours between read and save: nothing to compare, reopen
            self.ctx.messages.error(self, conflict)
            self._reload()
            return
        base = asdict(self.row.as_input()) if self.row is not None and hasattr(self.row, "as_input") else None
        dialog = ConflictDialog(conflict, self.field_labels, self, base=base)
        self.conflict_dialog = dialog  # tests drive it
        dialog.accepted.connect(lambda: self._conflict_decided(dialog, conflict))
        dialog.open()

    def _conflict_decided(self, dialog: ConflictDialog, conflict: ConflictError) -> None:
        if dialog.discarded:
            self._reload()
            return
        names = {f.name for f in fields(self.input_type)}
        merged = self.input_type(**{k: v for k, v in dialog.merged().items() if k in names})
        self.fill(merged)
        self.version = conflict.their_version
        self.save()

    def _reload(self) -> None:
        self.ctx.ops.run(self.reload(), done=self._use, failed=lambda exc: self.ctx.messages.error(self, exc))

    def _use(self, row: Any) -> None:
        self.row = row
        self.version = row.version
        self.fill(row.as_input())


class ReasonDialog(BaseDialog):
    """Ask why an entry is in error; a reason is required."""

    REASONS = ("Wrong patient", "Duplicate entry", "Typing error", "Recorded in error by the patient's report")

    def __init__(self, title: str, question: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        text = QLabel(question)
        text.setWordWrap(True)
        self.reason_box = QComboBox()
        self.reason_box.setObjectName("reason")
        self.reason_box.setEditable(True)
        self.reason_box.addItem("")
        self.reason_box.addItems([self.tr(r) for r in self.REASONS])
        self.reason_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.reason_box.lineEdit().setPlaceholderText(self.tr("Why? (required)"))
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("detail")
        self.detail.setPlaceholderText(self.tr("Details (optional)"))
        self.detail.setTabChangesFocus(True)
        self.detail.setFixedHeight(60)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Mark entered in error"))
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(QLabel(self.tr("Reason *")))
        layout.addWidget(self.reason_box)
        layout.addWidget(self.error)
        layout.addWidget(self.detail)
        layout.addWidget(buttons)
        self.reason_box.setFocus()
        self.resize(460, 240)

    def set_reason(self, text: str) -> None:
        self.reason_box.setEditText(text)

    def reason(self) -> str:
        main = " ".join(self.reason_box.currentText().split())
        extra = self.detail.toPlainText().strip()
        return f"{main}: {extra}" if main and extra else main or extra

    def _accept(self) -> None:
        if not " ".join(self.reason_box.currentText().split()):
            self.error.setText(self.tr("Say why this entry is in error"))
            self.error.show()
            self.reason_box.setFocus()
            return
        self.accept()
