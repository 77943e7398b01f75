"""Sig builder: dose, unit, route, frequency, duration, PRN with indication, extra words — or typed directions —
with the plain-language sentence as it will print ("Take 1 tablet by mouth twice a day").

Abbreviations may be typed anywhere (bid, tid, qhs, prn, po...): the preview shows them in plain language.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from desktop.domain.sig import (
    FREQUENCIES,
    FREQUENCY_CHOICES,
    ROUTE_CHOICES,
    ROUTES,
    UNITS,
    SigParts,
    build_sig,
    expand_sig,
    frequency_code,
    parse_sig,
    route_of,
)

DOSE_UNITS = ("tablet", "capsule", "mL", "puff", "drop", "spray", "patch", "application", "suppository", "unit",
              "packet", "lozenge")


def _combo(items: list[tuple[str, str]], editable: bool = True) -> QComboBox:
    box = QComboBox()
    box.setEditable(editable)
    for code, label in items:
        box.addItem(label, code)
    return box


def _code_of(box: QComboBox) -> str:
    """The code of the chosen item, or what the user typed (abbreviations allowed)."""
    text = box.currentText().strip()
    idx = box.findText(text)
    if idx >= 0 and box.itemData(idx):
        return str(box.itemData(idx))
    return text


class SigBuilder(QWidget):
    sig_changed = Signal(str)  # the plain-language directions

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.dose = QLineEdit("1")
        self.dose.setMaximumWidth(70)
        self.dose.setToolTip(self.tr("Amount per dose: 1, 1/2, 1-2, 5"))
        self.unit = _combo([(u, u) for u in DOSE_UNITS])
        self.route = _combo([(c, f"{c} — {ROUTES[c].text}") for c in ROUTE_CHOICES])
        self.frequency = _combo([(c, f"{c} — {FREQUENCIES[c].text}") for c in FREQUENCY_CHOICES])
        self.frequency.setCurrentIndex(FREQUENCY_CHOICES.index("bid"))
        self.duration = QSpinBox()
        self.duration.setRange(0, 365)
        self.duration.setSpecialValueText(self.tr("no end"))
        self.duration.setSuffix(self.tr(" days"))
        self.prn = QCheckBox(self.tr("as needed (PRN) for"))
        self.prn_indication = QLineEdit()
        self.prn_indication.setPlaceholderText(self.tr("pain, wheezing, nausea…"))
        self.prn_indication.setEnabled(False)
        self.extra = QLineEdit()
        self.extra.setPlaceholderText(self.tr("with food, on an empty stomach…"))
        self.typed = QLineEdit()
        self.typed.setPlaceholderText(self.tr("or type the directions: 1 tab po bid prn pain x 10d"))
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setStyleSheet("font-weight: bold")

        row1 = QHBoxLayout()
        for w in (self.dose, self.unit, self.route):
            row1.addWidget(w)
        row2 = QHBoxLayout()
        row2.addWidget(self.frequency, 2)
        row2.addWidget(QLabel(self.tr("for")))
        row2.addWidget(self.duration, 1)
        row3 = QHBoxLayout()
        row3.addWidget(self.prn)
        row3.addWidget(self.prn_indication, 1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("Dose / route"), row1)
        form.addRow(self.tr("Frequency"), row2)
        form.addRow("", row3)
        form.addRow(self.tr("Also"), self.extra)
        form.addRow(self.tr("Typed sig"), self.typed)
        form.addRow(self.tr("Prints as"), self.preview)

        for w in (self.dose, self.prn_indication, self.extra, self.typed):
            w.textChanged.connect(self._update)
        for box in (self.unit, self.route, self.frequency):
            box.currentTextChanged.connect(self._update)
        self.duration.valueChanged.connect(self._update)
        self.prn.toggled.connect(self._prn_toggled)
        self._update()

    # --- reading
    def parts(self) -> SigParts:
        """The structured directions; with typed directions, what could be read from them."""
        if self.typed.text().strip():
            found = parse_sig(self.typed.text())
            return SigParts(found.dose, found.dose_unit, found.route, found.frequency, found.duration_days,
                            found.prn, self.prn_indication.text().strip() if found.prn else "")
        return SigParts(
            dose=self.dose.text().strip(), dose_unit=_code_of(self.unit), route=_code_of(self.route),
            frequency=_code_of(self.frequency), duration_days=self.duration.value() or None,
            prn=self.prn.isChecked(), prn_indication=self.prn_indication.text().strip(),
            extra=self.extra.text().strip(),
        )

    def typed_text(self) -> str:
        return self.typed.text().strip()

    def sig_text(self) -> str:
        if self.typed_text():
            return expand_sig(self.typed_text())
        return build_sig(self.parts())

    # --- writing
    def set_defaults(self, dose_unit: str = "", route: str = "", default_sig: str = "") -> None:
        """Fill from a formulary product: its dispense unit, route and usual directions."""
        unit = UNITS.get(dose_unit.lower(), dose_unit) if dose_unit else ""
        if unit:
            self.unit.setCurrentText(unit)
        code = next((c for c in ROUTE_CHOICES if route_of(route) and ROUTES[c] == route_of(route)), "")
        if code:
            self.route.setCurrentIndex(ROUTE_CHOICES.index(code))
        if default_sig:
            found = parse_sig(default_sig)
            if found.dose:
                self.dose.setText(found.dose)
            if found.dose_unit:
                self.unit.setCurrentText(found.dose_unit)
            freq = found.frequency if found.frequency in FREQUENCY_CHOICES else frequency_code(default_sig)
            if freq in FREQUENCY_CHOICES:
                self.frequency.setCurrentIndex(FREQUENCY_CHOICES.index(freq))
            elif freq:
                self.frequency.setCurrentText(freq)
            self.prn.setChecked(found.prn)
            low = default_sig.lower()
            if found.prn and "as needed for " in low:
                self.prn_indication.setText(low.split("as needed for ", 1)[1].strip())
        self._update()

    def set_parts(self, parts: SigParts, typed: str = "") -> None:
        self.dose.setText(parts.dose)
        if parts.dose_unit:
            self.unit.setCurrentText(parts.dose_unit)
        if parts.route in ROUTE_CHOICES:
            self.route.setCurrentIndex(ROUTE_CHOICES.index(parts.route))
        elif parts.route:
            self.route.setCurrentText(parts.route)
        if parts.frequency in FREQUENCY_CHOICES:
            self.frequency.setCurrentIndex(FREQUENCY_CHOICES.index(parts.frequency))
        elif parts.frequency:
            self.frequency.setCurrentText(parts.frequency)
        self.duration.setValue(parts.duration_days or 0)
        self.prn.setChecked(parts.prn)
        self.prn_indication.setText(parts.prn_indication)
        self.extra.setText(parts.extra)
        self.typed.setText(typed)
        self._update()

    # --- internals
    def _prn_toggled(self, on: bool) -> None:
        self.prn_indication.setEnabled(on)
        self._update()

    def _update(self) -> None:
        structured = not self.typed.text().strip()
        for w in (self.dose, self.unit, self.route, self.frequency, self.duration, self.prn, self.extra):
            w.setEnabled(structured)
        self.prn_indication.setEnabled(structured and self.prn.isChecked())
        text = self.sig_text()
        self.preview.setText(text or self.tr("(no directions yet)"))
        self.sig_changed.emit(text)
