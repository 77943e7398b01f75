"""A small form helper for the admin screens: labelled inputs with the service's message under each one."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget


class FieldForm(QFormLayout):
    """addRow(name, label, widget) keeps an error label per field; show_errors({name: message}) fills them."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.order: list[str] = []

    def add_field(self, name: str, label: str, widget: QWidget) -> QWidget:
        widget.setObjectName(name)
        error = QLabel()
        error.setObjectName(f"error_{name}")
        error.setStyleSheet("color: #b00020; font-size: 9pt;")
        error.setWordWrap(True)
        error.setVisible(False)
        cell = QVBoxLayout()
        cell.setSpacing(1)
        cell.addWidget(widget)
        cell.addWidget(error)
        self.addRow(label, cell)
        self.inputs[name] = widget
        self.errors[name] = error
        self.order.append(name)
        return widget

    def line(self, name: str, label: str, max_length: int = 200, password: bool = False) -> QLineEdit:
        edit = QLineEdit()
        edit.setMaxLength(max_length)
        if password:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.add_field(name, label, edit)
        return edit

    def text(self, name: str) -> str:
        widget = self.inputs[name]
        return widget.text() if isinstance(widget, QLineEdit) else ""

    def show_errors(self, errors: dict[str, str]) -> bool:
        """Show each message under its field, clear the others; focus the first bad field. True if any."""
        for name, label in self.errors.items():
            message = errors.get(name, "")
            label.setText(message[:1].upper() + message[1:] if message else "")
            label.setVisible(bool(message))
        first = next((n for n in self.order if n in errors), None)
        if first is not None:
            self.inputs[first].setFocus()
        return first is not None
