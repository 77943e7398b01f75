"""The nurse's vitals intake form: paper-form tab order, units per field, colours as you type, Enter saves.

A typing slip (BP 1200, weight 7000) is refused with a message beside its field and nothing is saved.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.dates import QT_DATETIME, show_date
from desktop.services import display_units, vitals
from desktop.services.alert_decisions import NeedsDecision
from desktop.services.errors import ValidationError
from desktop.services.vitals import FormCheck, IntakeContext, SavedSet
from desktop.widgets.alert_dialog import decide
from desktop.widgets.dialog_base import BaseDialog, app_settings
from desktop.widgets.hint_label import hint_style

from .context import AppContext

HIGH_STYLE = "QLineEdit { background: #fde0dc; color: #b3261e; font-weight: 600; }"
LOW_STYLE = "QLineEdit { background: #dde8fb; color: #1a4fa0; font-weight: 600; }"
ERROR_STYLE = "QLineEdit { border: 2px solid #b00020; }"
UNIT_CHOICES = {
    "temperature": (("°C", "Cel"), ("°F", "[degF]")),
    "weight": (("kg", "kg"), ("lb", "[lb_av]")),
    "height": (("cm", "cm"), ("in", "[in_i]")),
}
FIXED_UNITS = {"systolic": "mmHg", "diastolic": "mmHg", "heart_rate": "/min", "resp_rate": "/min", "spo2": "%",
               "pain": "/ 10"}
PLACEHOLDERS = {"systolic": "sys", "diastolic": "dia", "pain": "0–10"}


# how the form names each field in its messages (the service names them "bp systolic")
FORM_LABELS = {"systolic": "systolic blood pressure", "diastolic": "diastolic blood pressure",
               "heart_rate": "heart rate", "resp_rate": "respiratory rate", "temperature": "temperature",
               "spo2": "SpO2", "weight": "weight", "height": "height", "pain": "pain (0–10)"}


class _UnitBox(QComboBox):
    """Typing a unit's letter picks it: F for °F, C for °C, L for lb, K for kg, I for in."""

    def keyPressEvent(self, event) -> None:
        letter = event.text().lower()
        if letter.isalpha():
            for i in range(self.count()):
                if self.itemText(i).lstrip("°").lower().startswith(letter):
                    self.setCurrentIndex(i)
                    return
        super().keyPressEvent(event)


class _TimeEdit(QDateTimeEdit):
    """Tab leaves the field (QDateTimeEdit would walk its year/month/day sections first): the time taken is
    rarely changed and must not cost the nurse five Tab presses on her way to Save."""

    def focusNextPrevChild(self, next_: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next_)


class VitalsForm(BaseDialog):
    sig_saved = Signal(object)  # SavedSet

    def __init__(self, ctx: AppContext, context: IntakeContext, patient_name: str = "",
                 encounter_id: int | None = None, parent: QWidget | None = None, unit_system: str | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.unit_system = unit_system  # the reader's units (us | metric): the unit boxes start there
        self.context = context
        self.encounter_id = encounter_id
        self.saved: SavedSet | None = None
        self.check: FormCheck | None = None
        self._shown_errors: dict[str, str] = {}
        self.setWindowTitle(self.tr("Record vitals") + (f" — {patient_name}" if patient_name else ""))
        self.inputs: dict[str, QLineEdit] = {}
        self.units: dict[str, QComboBox] = {}
        self.errors: dict[str, QLabel] = {}

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        row = 0

        def add_row(label: str, keys: list[str]) -> None:
            nonlocal row
            grid.addWidget(QLabel(label), row, 0)
            cell = QHBoxLayout()
            for i, key in enumerate(keys):
                if i:
                    cell.addWidget(QLabel("/"))
                cell.addWidget(self._make_input(key))
            last = keys[-1]
            if last in UNIT_CHOICES:
                cell.addWidget(self._make_unit(last))
            else:
                cell.addWidget(QLabel(FIXED_UNITS[last]))
            cell.addStretch(1)
            grid.addLayout(cell, row, 1)
            row += 1
            for key in keys:
                error = QLabel()
                error.setObjectName(f"error_{key}")
                error.setStyleSheet("color: #b00020; font-size: 9pt;")
                error.setWordWrap(False)  # one line, never clipped over the field above (the dialog widens)
                error.setVisible(False)
                self.errors[key] = error
                grid.addWidget(error, row, 0, 1, 2)
                row += 1

        add_row(self.tr("Blood pressure"), ["systolic", "diastolic"])
        add_row(self.tr("Heart rate"), ["heart_rate"])
        add_row(self.tr("Respiratory rate"), ["resp_rate"])
        add_row(self.tr("Temperature"), ["temperature"])
        add_row(self.tr("SpO2"), ["spo2"])
        add_row(self.tr("Weight"), ["weight"])
        add_row(self.tr("Height"), ["height"])
        grid.addWidget(QLabel(self.tr("BMI")), row, 0)
        self.bmi_label = QLabel("—")
        self.bmi_label.setObjectName("bmi")
        self.bmi_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(self.bmi_label, row, 1)
        row += 1
        add_row(self.tr("Pain (0–10)"), ["pain"])
        grid.addWidget(QLabel(self.tr("Taken at")), row, 0)
        self.taken_at = _TimeEdit(QDateTime.currentDateTime())
        self.taken_at.setObjectName("taken_at")
        self.taken_at.setDisplayFormat(QT_DATETIME)
        self.taken_at.setMaximumDateTime(QDateTime.currentDateTime().addSecs(300))
        self.taken_at.setCalendarPopup(True)
        grid.addWidget(self.taken_at, row, 1)
        row += 1
        self.errors["taken_at"] = QLabel()
        self.errors["taken_at"].setStyleSheet("color: #b00020; font-size: 9pt;")
        self.errors["taken_at"].setVisible(False)
        grid.addWidget(self.errors["taken_at"], row, 1)

        self.legend = QLabel(self.tr(
            "<span style='background:#fde0dc;color:#b3261e'>&nbsp;high&nbsp;</span> "
            "<span style='background:#dde8fb;color:#1a4fa0'>&nbsp;low&nbsp;</span> "
            "for age {age}. Enter saves.").format(age=self._age_text()))
        self.legend.setStyleSheet(hint_style(small=True))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)  # Enter in any field saves (keyPressEvent makes sure of it)
        self.save_button.setAutoDefault(False)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAutoDefault(False)  # a focused Cancel never becomes the Enter key's default
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)  # a long message widens the form
        layout.addLayout(grid)
        layout.addWidget(self.legend)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)
        self._set_tab_order()
        self._restore_units()
        self.inputs["systolic"].setFocus(Qt.FocusReason.OtherFocusReason)
        self.refresh()

    # ---- building
    def _make_input(self, key: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(key)
        edit.setMaxLength(8)
        edit.setFixedWidth(70)
        edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        edit.setPlaceholderText(PLACEHOLDERS.get(key, ""))
        edit.setAccessibleName(self.tr(vitals.BY_KEY[key].label))
        edit.textChanged.connect(lambda _t, k=key: self._typed(k))
        edit.editingFinished.connect(lambda k=key: self._left(k))
        self.inputs[key] = edit
        return edit

    def _make_unit(self, key: str) -> QComboBox:
        combo = _UnitBox()
        combo.setObjectName(f"{key}_unit")
        for label, code in UNIT_CHOICES[key]:
            combo.addItem(label, code)
        combo.currentIndexChanged.connect(lambda _i, k=key: self._unit_changed(k))
        self.units[key] = combo
        return combo

    def tab_chain(self) -> list[QWidget]:
        """The paper form's order: BP sys, BP dia, HR, RR, temp + unit, SpO2, weight + unit, height + unit,
        pain, time taken, then the buttons."""
        i, u = self.inputs, self.units
        return [i["systolic"], i["diastolic"], i["heart_rate"], i["resp_rate"], i["temperature"], u["temperature"],
                i["spo2"], i["weight"], u["weight"], i["height"], u["height"], i["pain"], self.taken_at,
                self.save_button]

    def _set_tab_order(self) -> None:
        chain = self.tab_chain()
        for a, b in zip(chain, chain[1:]):
            QWidget.setTabOrder(a, b)

    def _restore_units(self) -> None:
        """The nurse types in the units she reads (°F, lb, in for a US practice or user); the box still takes
        the other. Without a known unit system: the units last used on this workstation."""
        if self.unit_system in display_units.SYSTEMS:
            for key, combo in self.units.items():
                unit = display_units.display_unit(vitals.BY_KEY[key].loinc, self.unit_system)
                combo.blockSignals(True)  # a default, not the nurse's choice: the workstation memory stays
                combo.setCurrentIndex(max(0, combo.findData(unit)))
                combo.blockSignals(False)
            return
        settings = app_settings()
        for key, combo in self.units.items():
            saved = settings.value(f"vitals/unit_{key}")
            index = combo.findData(saved) if saved else -1
            if index >= 0:
                combo.setCurrentIndex(index)

    def _age_text(self) -> str:
        age = self.context.age
        if age is None:
            return "?"
        return f"{int(age)} y" if age >= 2 else f"{int(age * 12)} mo"

    def _bmi_note(self) -> str:
        """'with height 64 in from 2024-05-01': the carried height in the units the nurse reads."""
        c = self.context
        if self.unit_system not in display_units.SYSTEMS or not c.last_height_cm:
            return self.check.bmi_note
        shown = display_units.text(vitals.HEIGHT, c.last_height_cm, self.unit_system)
        return f"with height {shown}" + (f" from {show_date(c.last_height_date)}" if c.last_height_date else "")

    # ---- live checking
    def texts(self) -> dict[str, str]:
        return {k: e.text() for k, e in self.inputs.items()}

    def unit_codes(self) -> dict[str, str]:
        return {k: c.currentData() for k, c in self.units.items()}

    def refresh(self) -> FormCheck:
        self.check = vitals.check_form(self.texts(), self.unit_codes(), self.context.age,
                                       carried_height_cm=self.context.last_height_cm,
                                       carried_height_date=self.context.last_height_date)
        for key, edit in self.inputs.items():
            if key in self._shown_errors:
                edit.setStyleSheet(ERROR_STYLE)
            elif self.check.flags.get(key) == "high":
                edit.setStyleSheet(HIGH_STYLE)
            elif self.check.flags.get(key) == "low":
                edit.setStyleSheet(LOW_STYLE)
            else:
                edit.setStyleSheet("")
            edit.setProperty("flag", self.check.flags.get(key, ""))
        if self.check.bmi is None:
            self.bmi_label.setText("—")
            self.bmi_label.setStyleSheet("")
        else:
            note = f"  ({self.tr(self._bmi_note())})" if self.check.bmi_note else ""
            self.bmi_label.setText(f"{self.check.bmi:.1f} kg/m²{note}")
            colour = {"high": "#b3261e", "low": "#1a4fa0"}.get(self.check.flags.get("bmi", ""), "")
            self.bmi_label.setStyleSheet(f"color: {colour}; font-weight: 600;" if colour else "")
        self.bmi_label.setProperty("flag", self.check.flags.get("bmi", ""))
        return self.check

    def _typed(self, key: str) -> None:
        # colours follow every keystroke; a slip message waits until the field is left (typing "1" on the
        # way to "120" is not a slip)
        self._show_error(key, "")
        if key in ("systolic", "diastolic"):
            self._show_error("diastolic" if key == "systolic" else "systolic", "")
        self.refresh()

    def _left(self, key: str) -> None:
        check = self.refresh()
        message = check.errors.get(key, "")
        if key == "systolic" and message.startswith("Enter both"):
            message = ""  # diastolic comes next; only complain on save
        self._show_error(key, message)
        self.refresh()

    def _unit_changed(self, key: str) -> None:
        app_settings().setValue(f"vitals/unit_{key}", self.units[key].currentData())
        self._show_error(key, "")
        self.refresh()

    def _show_error(self, key: str, message: str) -> None:
        label = self.errors.get(key)
        if label is None:
            return
        if message and key in vitals.BY_KEY:  # the form's words, not the catalog's ("bp systolic")
            message = message.replace(vitals.BY_KEY[key].label.lower(), FORM_LABELS.get(key, key))
        label.setText(self.tr(message) if message else "")
        label.setVisible(bool(message))
        if message:
            self._shown_errors[key] = message
        else:
            self._shown_errors.pop(key, None)

    def show_errors(self, errors: dict[str, str]) -> None:
        for key in self.errors:
            self._show_error(key, errors.get(key, ""))
        self.refresh()
        first = next((w for w in self.tab_chain() if w.objectName() in errors), None)
        if first is not None:
            first.setFocus()
            if isinstance(first, QLineEdit):
                first.selectAll()

    # ---- saving
    def values(self) -> vitals.VitalsInput:
        from dataclasses import replace

        assert self.check is not None
        taken = self.taken_at.dateTime().toPython()
        return replace(self.check.values, taken_at=taken.astimezone() if isinstance(taken, datetime) else None,
                       encounter_id=self.encounter_id)

    def save(self) -> None:
        if self._saving:
            return  # one save at a time
        check = self.refresh()
        if check.errors:
            self.show_errors(check.errors)
            return
        if check.empty:
            self.show_errors({"systolic": "Enter at least one vital sign"})
            return
        self._saving = True
        self.save_button.setEnabled(False)
        self.ctx.ops.run(vitals.record_vitals, self.context.patient_id, self.values(), self._decision,
                         done=self._saved_set, failed=self._refused)

    _saving = False
    _decision = None  # the alert dialog's answer for these values (None: nothing decided yet)
    alert_dialog = None  # the open alert dialog (tests drive it)

    def _saved_set(self, saved: SavedSet | NeedsDecision) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        if isinstance(saved, NeedsDecision):  # nothing saved: a value far outside safe limits, decide first
            self.alert_dialog = decide(self, saved, False, self._decided, wording="vitals")
            return
        self.saved = saved
        self.ctx.ops.changed("vitals", self.context.patient_id)
        self.sig_saved.emit(saved)
        self.accept()

    def _decided(self, decision) -> None:
        """Acknowledged: the same save with the decision. Re-check (cancel): back to the values, nothing saved."""
        self.alert_dialog = None
        if decision is None:
            self._decision = None
            field = next((self.inputs[f.key] for f in vitals.FIELDS if f.key in self.inputs
                          and self.inputs[f.key].text().strip()), None)
            if field is not None:
                field.setFocus()
                field.selectAll()
            return
        self._decision = decision
        self.save()

    def _refused(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        else:  # shown and logged by the message service; the form stays open with its values
            self.ctx.messages.error(self, exc)

    # ---- Enter saves; closing with typed values asks first
    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            focus = self.focusWidget()
            if isinstance(focus, QPushButton) and focus is not self.save_button:
                focus.click()  # Enter on a focused Cancel means Cancel (which still asks)
            else:
                self.save()  # from any field, whatever button was focused before: the form says "Enter saves"
            return
        super().keyPressEvent(event)

    def typed_anything(self) -> bool:
        return any(e.text().strip() for e in self.inputs.values())

    def reject(self) -> None:
        if self.saved is None and self.typed_anything() and not self.ctx.messages.confirm(
                self, self.tr("Discard the vitals you typed? Nothing has been saved."),
                title=self.tr("Record vitals"), yes=self.tr("Discard"), no=self.tr("Keep editing")):
            return
        super().reject()
