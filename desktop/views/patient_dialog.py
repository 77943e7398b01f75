"""Register or edit a patient; messages beside the fields; duplicate warning; conflict dialog on stale save."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.dates import show_date
from desktop.services import patients
from desktop.services.errors import ConflictError, ValidationError
from desktop.services.patients import FIELD_LABELS, PatientDetails, PatientInput, PossibleDuplicate
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.hint_label import hint_label

from .conflict_dialog import ConflictDialog
from .context import AppContext

SEX_CHOICES = [("", ""), ("Female", "female"), ("Male", "male"), ("Other", "other"), ("Unknown", "unknown")]

SECTIONS = [
    ("Patient", ["given_name", "middle_name", "family_name", "birth_date", "sex", "gender_identity"]),
    ("Contact", ["address_line1", "address_line2", "city", "state", "postal_code", "country", "phone_home",
                 "phone_mobile", "email", "preferred_language"]),
    ("Emergency contact", ["emergency_name", "emergency_relation", "emergency_phone"]),
    ("Insurance", ["insurance_payer", "insurance_member_id"]),
]
REQUIRED = {"given_name", "family_name", "birth_date", "sex"}


class PatientDialog(BaseDialog):
    sig_saved = Signal(object)  # PatientDetails
    sig_open_existing = Signal(int)  # the user chose the already registered patient instead

    def __init__(self, ctx: AppContext, details: PatientDetails | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.details = details
        self.saved: PatientDetails | None = None
        self.existing = None  # the registered patient chosen at a duplicate warning
        self.setWindowTitle(self.tr("Edit patient") if details else self.tr("Register patient"))
        self.inputs: dict[str, QLineEdit | QComboBox] = {}
        self.errors: dict[str, QLabel] = {}
        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        for i, (title, names) in enumerate(SECTIONS):
            box = QGroupBox(self.tr(title))
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for name in names:
                widget = self._make_input(name)
                error = QLabel()
                error.setObjectName(f"error_{name}")
                error.setStyleSheet("color: #b00020; font-size: 9pt;")
                error.setVisible(False)
                self.errors[name] = error
                cell = QVBoxLayout()
                cell.setSpacing(1)
                cell.addWidget(widget)
                cell.addWidget(error)
                label = FIELD_LABELS[name] + (" *" if name in REQUIRED else "")
                form.addRow(self.tr(label), cell)
            (left if i == 0 or i == 2 else right).addWidget(box)
        left.addStretch(1)
        right.addStretch(1)
        columns.addLayout(left)
        columns.addLayout(right)
        self.dob_hint = hint_label(small=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        note = hint_label(self.tr("* required. Date of birth: 1980-01-02, 01/02/1980 or 2 Jan 1980."))
        layout = QVBoxLayout(self)
        if details:
            mrn = QLabel(self.tr("MRN {mrn}").format(mrn=details.mrn))
            mrn.setStyleSheet("font-weight: 600;")
            layout.addWidget(mrn)
        layout.addLayout(columns)
        layout.addWidget(note)
        layout.addWidget(buttons)
        if details:
            self._fill(details.data)
        self.inputs["given_name"].setFocus(Qt.FocusReason.OtherFocusReason)

    # ---- form
    def _make_input(self, name: str) -> QLineEdit | QComboBox:
        if name == "sex":
            combo = QComboBox()
            for label, value in SEX_CHOICES:
                combo.addItem(self.tr(label), value)
            combo.setObjectName("sex")
            self.inputs[name] = combo
            return combo
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setMaxLength(200)
        if name == "birth_date":
            edit.setPlaceholderText("YYYY-MM-DD")
            edit.textChanged.connect(self._dob_changed)
        if name in ("phone_home", "phone_mobile", "emergency_phone"):
            edit.setPlaceholderText("(555) 123-4567")
        edit.editingFinished.connect(lambda n=name: self._validate_field(n))
        self.inputs[name] = edit
        return edit

    def _fill(self, data: PatientInput) -> None:
        for name, value in asdict(data).items():
            widget = self.inputs[name]
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, widget.findData(value or "")))
            elif isinstance(value, date):
                widget.setText(value.isoformat())
            else:
                widget.setText(value or "")

    def _dob_changed(self, text: str) -> None:
        parsed = patients.parse_date(text)
        self.dob_hint.setText(parsed.strftime("%d %B %Y") if parsed else "")
        self.inputs["birth_date"].setToolTip(self.dob_hint.text())

    def form_input(self) -> PatientInput:
        values: dict = {}
        for name, widget in self.inputs.items():
            if isinstance(widget, QComboBox):
                values[name] = widget.currentData() or ""
            elif name == "birth_date":
                values[name] = patients.parse_date(widget.text())
            else:
                values[name] = widget.text()
        return PatientInput(**values)

    def _form_errors(self) -> dict[str, str]:
        errors = patients.validate(patients.clean_input(self.form_input()))
        dob_text = self.inputs["birth_date"].text().strip()  # type: ignore[union-attr]
        if dob_text and patients.parse_date(dob_text) is None:
            errors["birth_date"] = "Not a date; type e.g. 1980-01-02 or 01/02/1980"
        return errors

    def _validate_field(self, name: str) -> None:
        errors = self._form_errors()
        text = self.inputs[name].text() if isinstance(self.inputs[name], QLineEdit) else "x"  # type: ignore[union-attr]
        # only complain about an empty required field once the user has tried to save
        message = errors.get(name, "") if (text or getattr(self, "_tried", False)) else ""
        self._show_error(name, message)

    def _show_error(self, name: str, message: str) -> None:
        label = self.errors[name]
        label.setText(self.tr(message) if message else "")
        label.setVisible(bool(message))

    def show_errors(self, errors: dict[str, str]) -> None:
        for name in self.errors:
            self._show_error(name, errors.get(name, ""))
        first = next((n for s in SECTIONS for n in s[1] if n in errors), None)
        if first:
            self.inputs[first].setFocus()

    # ---- saving (in a worker; the answer comes back to _done or _refused)
    def save(self) -> None:
        if self._saving:
            return
        self._tried = True
        errors = self._form_errors()
        self.show_errors(errors)
        if errors:
            return
        inp = self.form_input()
        if self.details is None:
            self._register(inp)
        else:
            self._update(inp, self.details.version)

    _saving = False

    def _busy(self, busy: bool) -> None:
        self._saving = busy
        self.save_button.setEnabled(not busy)

    def _register(self, inp: PatientInput, allow_duplicate: bool = False) -> None:
        self._busy(True)
        self.ctx.ops.run(patients.register_patient, inp, allow_duplicate=allow_duplicate, done=self._done,
                         failed=lambda exc: self._refused(exc, inp))

    def _update(self, inp: PatientInput, version: int) -> None:
        self._busy(True)
        self.ctx.ops.run(patients.update_patient, self.details.id, inp, version,  # type: ignore[union-attr]
                         done=self._done, failed=lambda exc: self._refused(exc, inp))

    def _refused(self, exc: BaseException, inp: PatientInput) -> None:
        self._busy(False)
        if isinstance(exc, PossibleDuplicate):
            self._possible_duplicate(exc, inp)
        elif isinstance(exc, ConflictError):
            self._conflict(exc)
        elif isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        else:  # shown to the user, logged by the message service; the dialog stays open
            self.ctx.messages.error(self, exc)

    def _possible_duplicate(self, dup: PossibleDuplicate, inp: PatientInput) -> None:
        lines = "\n".join(f"• {c.display_name}, DOB {show_date(c.birth_date)}, MRN {c.mrn}" for c in dup.candidates)
        choice = self.ctx.messages.choose(
            self,
            self.tr("This may be a patient who is already registered:\n\n{lines}\n\n"
                    "Open the existing chart, or register a new patient only if this is a different person.")
            .format(lines=lines),
            title=self.tr("Possible duplicate"),
            choices=[self.tr("Open existing chart"), self.tr("Register anyway"), self.tr("Go back")],
            default=0, cancel=2)
        if choice == 0:
            self.existing = dup.candidates[0]
            self.sig_open_existing.emit(dup.candidates[0].id)
            self.reject()
        elif choice == 1:
            self._register(inp, allow_duplicate=True)

    def _conflict(self, conflict: ConflictError) -> None:
        base = asdict(self.details.data) if self.details is not None else None
        dialog = ConflictDialog(conflict, FIELD_LABELS, self, base=base)
        self.conflict_dialog = dialog  # tests drive it
        dialog.accepted.connect(lambda: self._conflict_decided(dialog, conflict))
        dialog.open()

    def _conflict_decided(self, dialog: ConflictDialog, conflict: ConflictError) -> None:
        if dialog.discarded:
            self.ctx.ops.run(patients.get_patient, self.details.id, done=self._reread,  # type: ignore[union-attr]
                             failed=lambda exc: self.ctx.messages.error(self, exc))
            return
        merged = PatientInput(**dialog.merged())
        self._fill(merged)
        self._update(merged, conflict.their_version)

    def _reread(self, details: PatientDetails) -> None:
        self.details = details
        self._fill(details.data)

    def _done(self, saved: PatientDetails) -> None:
        self._busy(False)
        self.saved = saved
        self.ctx.ops.changed("patient", saved.id)
        self.sig_saved.emit(saved)
        self.accept()
