"""Admin › Practice settings: the practice's details, the idle-lock minutes, the printed page size and which
alert severities interrupt the prescriber. Saved in one transaction; every change is audited by the services."""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.services import alerts as alert_service
from desktop.services import display_units, prescribers, settings
from desktop.services.errors import ConflictError, ValidationError
from desktop.services.settings import PracticeForm, PracticeInput
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.hint_label import hint_label

from ..context import AppContext
from .forms import FieldForm

log = logging.getLogger(__name__)

PRACTICE_LABELS = (
    ("name", "Practice name *", 200), ("address_line1", "Address", 200), ("address_line2", "Address line 2", 200),
    ("city", "City", 100), ("state", "State", 50), ("postal_code", "Postal code", 20), ("phone", "Phone", 40),
    ("fax", "Fax", 40),
)
PAGE_SIZES = (("Letter (8.5 × 11 in)", "letter"), ("A4 (210 × 297 mm)", "A4"))


class SettingsDialog(BaseDialog):
    sig_saved = Signal(str)  # practice name

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.version: int | None = None
        self.loaded_system = ""  # the practice's units as loaded (saved again only when changed)
        self.loaded = False
        self.setWindowTitle(self.tr("Practice settings"))
        practice_box = QGroupBox(self.tr("Practice"))
        self.form = FieldForm()
        for name, label, length in PRACTICE_LABELS:
            self.form.line(name, self.tr(label), length)
        self.form.inputs["phone"].setPlaceholderText("(555) 123-4567")  # type: ignore[attr-defined]
        practice_box.setLayout(self.form)

        security_box = QGroupBox(self.tr("Security"))
        self.security = FieldForm()
        self.idle_minutes = QSpinBox()
        self.idle_minutes.setRange(settings.IDLE_LOCK_MIN, settings.IDLE_LOCK_MAX)
        self.idle_minutes.setValue(settings.IDLE_LOCK_DEFAULT)
        self.idle_minutes.setSuffix(self.tr(" min"))
        self.security.add_field("idle_lock_minutes", self.tr("Lock after idle"), self.idle_minutes)
        hint = hint_label(self.tr("Each workstation locks itself after this many minutes without use and asks for "
                                  "the password again; open work is kept."), wrap=True)
        self.security.addRow("", hint)
        security_box.setLayout(self.security)

        print_box = QGroupBox(self.tr("Printing"))
        self.printing = FieldForm()
        self.page_size = QComboBox()
        for label, value in PAGE_SIZES:
            self.page_size.addItem(self.tr(label), value)
        self.printing.add_field("page_size", self.tr("Page size"), self.page_size)
        print_box.setLayout(self.printing)

        units_box = QGroupBox(self.tr("Units"))
        self.units_form = FieldForm()
        self.unit_system = QComboBox()
        self.unit_system.setObjectName("practiceUnitSystem")
        for system in display_units.SYSTEMS:
            self.unit_system.addItem(self.tr(display_units.SYSTEM_LABELS[system]), system)
        self.units_form.add_field("unit_system", self.tr("Vitals shown in"), self.unit_system)
        units_hint = hint_label(self.tr("Temperature, weight and height on screens and paper; each user may "
                                        "choose otherwise (File › My preferences)."), wrap=True)
        self.units_form.addRow("", units_hint)
        units_box.setLayout(self.units_form)

        self.severity_boxes: dict[str, QCheckBox] = {}
        alerts_box = QGroupBox(self.tr("Clinical alerts"))
        alerts_layout = QVBoxLayout(alerts_box)
        intro = QLabel(self.tr("Alerts of these severities interrupt prescribing and need a reason to "
                               "override; the others are listed without interrupting."))
        intro.setWordWrap(True)
        alerts_layout.addWidget(intro)
        row = QHBoxLayout()
        for severity in alert_service.SEVERITIES:
            box = QCheckBox(self.tr(severity.capitalize()))
            box.setObjectName(f"severity_{severity}")
            if severity == alert_service.ALWAYS_INTERRUPTING:  # the service's floor: shown ticked, not offered
                box.setChecked(True)
                box.setEnabled(False)
                box.setToolTip(self.tr("Contraindicated alerts always interrupt"))
            self.severity_boxes[severity] = box
            row.addWidget(box)
        row.addStretch(1)
        alerts_layout.addLayout(row)
        self.alerts_error = QLabel()
        self.alerts_error.setStyleSheet("color: #b00020;")
        alerts_layout.addWidget(self.alerts_error)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.save_button.setEnabled(False)  # until the current values are loaded
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        right = QVBoxLayout()
        right.addWidget(security_box)
        right.addWidget(print_box)
        right.addWidget(units_box)
        right.addWidget(alerts_box)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addWidget(practice_box, 3)
        columns.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(buttons)
        self.resize(820, 560)
        self.setMinimumHeight(min(self.sizeHint().height(), 640))  # wrapped hints are never cut (fits 720)
        self.load()

    # ---- loading
    def load(self) -> None:
        def read(uow):
            form = settings.get_practice_form(uow)
            minutes = settings.get_idle_lock_minutes(uow)
            try:
                page = prescribers.get_page_size(uow)
            except ValidationError:
                page = "letter"  # a damaged value: the admin saves a good one here
            severities = tuple(alert_service.interrupting_severities(uow))
            return form, minutes, page, severities, display_units.practice_system(uow)

        self.ctx.ops.run(read, done=self._show, failed=lambda exc: self.ctx.messages.error(self, exc))

    def _show(self, values: tuple[PracticeForm, int, str, tuple[str, ...], str]) -> None:
        form, minutes, page, severities, unit_system = values
        self.loaded_system = unit_system
        self.unit_system.setCurrentIndex(max(0, self.unit_system.findData(unit_system)))
        self.version = form.version
        for name, _label, _len in PRACTICE_LABELS:
            self.form.inputs[name].setText(getattr(form.data, name))  # type: ignore[attr-defined]
        self.idle_minutes.setValue(minutes)
        self.page_size.setCurrentIndex(max(0, self.page_size.findData(page)))
        for severity, box in self.severity_boxes.items():
            box.setChecked(severity in severities or not box.isEnabled())
        self.loaded = True
        self.save_button.setEnabled(True)
        self.form.inputs["name"].setFocus()

    # ---- saving
    def practice(self) -> PracticeInput:
        return PracticeInput(**{name: self.form.text(name) for name, _l, _n in PRACTICE_LABELS})

    def save(self) -> None:
        if not self.loaded:
            return
        practice = self.practice()
        minutes = self.idle_minutes.value()
        page = self.page_size.currentData()
        unit_system, loaded_system = self.unit_system.currentData(), self.loaded_system
        severities = tuple(s for s, box in self.severity_boxes.items() if box.isChecked())
        version = self.version

        def write(uow):
            saved = settings.save_practice(uow, practice, expected_version=version)
            settings.set_idle_lock_minutes(uow, minutes)
            try:
                current_page = prescribers.get_page_size(uow)
            except ValidationError:
                current_page = None  # a damaged value is replaced
            if page != current_page:
                prescribers.set_page_size(uow, page)
            if set(severities) != set(alert_service.interrupting_severities(uow)):
                alert_service.set_interrupting_severities(uow, severities)
            if unit_system != loaded_system:  # chosen here; untouched, the address keeps deciding
                display_units.set_practice_system(uow, unit_system)
            return saved

        errors = settings.validate_practice(settings.clean_practice(practice))
        if self.form.show_errors(errors):
            return
        self.save_button.setEnabled(False)
        self.ctx.ops.run(write, done=self._saved, failed=self._refused)

    def _refused(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self.form.show_errors(exc.errors)
            if set(exc.errors) - {n for n, _l, _x in PRACTICE_LABELS}:  # minutes, page size, severities
                self.ctx.messages.error(self, exc)
        elif isinstance(exc, ConflictError):
            self.ctx.messages.error(self, exc)
            self.load()
        else:  # shown and logged; the transaction was rolled back, nothing saved
            self.ctx.messages.error(self, exc)

    def _saved(self, saved) -> None:
        self.save_button.setEnabled(True)
        self.version = saved.version
        self.ctx.ops.changed("settings")
        self.ctx.ops.changed("vitals")  # the practice's units may have changed: open charts show vitals again
        self.sig_saved.emit(saved.data.name)
        self.accept()
