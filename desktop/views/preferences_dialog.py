"""File › My preferences: what the logged-in user chooses for themselves (any role). Today: the units vitals are
shown in, the practice's (the administrator's setting) or the user's own US or metric choice."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QVBoxLayout,
    QWidget,
)

from desktop.services import display_units
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.hint_label import hint_label

from .context import AppContext


class PreferencesDialog(BaseDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.loaded = False
        self.setWindowTitle(self.tr("My preferences"))
        box = QGroupBox(self.tr("Units"))
        form = QFormLayout(box)
        self.unit_choice = QComboBox()
        self.unit_choice.setObjectName("userUnitSystem")
        self.unit_choice.addItem(self.tr("As the practice"), display_units.FOLLOW_PRACTICE)
        for system in display_units.SYSTEMS:
            self.unit_choice.addItem(self.tr(display_units.SYSTEM_LABELS[system]), system)
        form.addRow(self.tr("&Vitals shown in"), self.unit_choice)
        self.hint = hint_label(wrap=True)
        form.addRow("", self.hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.save_button.setEnabled(False)  # until the current choice is loaded
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(buttons)
        self.resize(460, 180)
        self.load()

    def load(self) -> None:
        def read(uow):
            return display_units.user_choice(uow), display_units.practice_system(uow)

        self.ctx.ops.run(read, done=self._show, failed=lambda exc: self.ctx.messages.error(self, exc))

    def _show(self, values: tuple[str, str]) -> None:
        choice, practice = values
        self.unit_choice.setItemText(0, self.tr("Same as the practice: {units}").format(
            units=self.tr(display_units.SYSTEM_LABELS[practice])))
        self.unit_choice.setCurrentIndex(max(0, self.unit_choice.findData(choice)))
        self.hint.setText(self.tr("Temperature, weight and height on your screens and printouts; the chart stores "
                                  "the same values either way. The vitals form starts in these units."))
        self.loaded = True
        self.save_button.setEnabled(True)
        self.unit_choice.setFocus()

    def save(self) -> None:
        if not self.loaded:
            return
        choice = self.unit_choice.currentData()
        self.save_button.setEnabled(False)
        self.ctx.ops.run(display_units.set_user_choice, choice, done=self._saved, failed=self._refused)

    def _refused(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.ctx.messages.error(self, exc)

    def _saved(self, _choice: str) -> None:
        self.ctx.ops.changed("vitals")  # open charts show their vitals again, in the new units
        self.accept()
