"""Non-interruptive alert bar for the chart: moderate and minor alerts, collapsed to a count, click to expand.

The bar is always shown, "Checking alerts…" until the check arrives and "No alerts" when there are none: an empty
list is said, never implied by a missing bar. Staying visible also keeps a chart fast to open: showing a hidden
widget makes Qt lay out the whole tab at once (word-wrapped summary text included), 30-300 ms on a large chart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QListWidget, QListWidgetItem, QToolButton, QVBoxLayout, QWidget

from .alert_dialog import SEVERITY_COLOURS


class AlertBar(QFrame):
    sig_toggled = Signal(bool)  # expanded?
    sig_alert_activated = Signal(object)  # the alert double-clicked (the view may show details)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("alertBar")
        self.setStyleSheet("#alertBar { background: #fff8e1; border: 1px solid #ffcc80; }")
        self.alerts: list[Any] = []
        self.overridden: dict[str, str] = {}
        self.toggle = QToolButton()
        self.toggle.setObjectName("alertBarToggle")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.toggled.connect(self.set_expanded)
        self.list = QListWidget()
        self.list.setObjectName("alertBarList")
        self.list.setWordWrap(True)
        self.list.setVisible(False)
        self.list.itemActivated.connect(self._activated)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 2, 6, 2)
        lay.addWidget(self.toggle)
        lay.addWidget(self.list)
        self.toggle.setText(self.tr("Checking alerts…"))

    def set_alerts(self, alerts: Sequence[Any], overridden: dict[str, str] | None = None) -> None:
        """Show these alerts; hidden when there are none. `overridden`: alert key -> "overridden by NAME, DATE:
        reason" — an overridden combination that is still active stays listed, marked so (never hidden)."""
        self.alerts = list(alerts)
        self.overridden = dict(overridden or {})
        self.list.clear()
        for alert in self.alerts:
            note = self.overridden.get(getattr(alert, "key", "") or "")
            item = QListWidgetItem(f"{alert.severity.upper()}: {alert.message}" + (f" — {note}" if note else ""))
            bg, _fg = SEVERITY_COLOURS.get(alert.severity, ("#455a64", "#fff"))
            item.setForeground(Qt.GlobalColor.black)
            item.setData(Qt.ItemDataRole.UserRole, alert)
            tip = [t for t in (getattr(alert, "why", ""), getattr(alert, "management", "")) if t]
            if getattr(alert, "source", ""):
                tip.append(self.tr("Source: {0}").format(alert.source))
            item.setToolTip("\n".join(tip))
            item.setData(Qt.ItemDataRole.DecorationRole, _swatch(bg))
            self.list.addItem(item)
        self._update_title()
        self.toggle.setEnabled(bool(self.alerts))
        if not self.alerts:
            self.set_expanded(False)

    def count(self) -> int:
        return len(self.alerts)

    def is_expanded(self) -> bool:
        return self.list.isVisibleTo(self)

    def set_expanded(self, expanded: bool) -> None:
        expanded = bool(expanded) and bool(self.alerts)
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)  # re-enters here once through toggled
            return
        self.list.setVisible(expanded)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.sig_toggled.emit(expanded)

    def title(self) -> str:
        return self.toggle.text()

    def _update_title(self) -> None:
        counts: dict[str, int] = {}
        for a in self.alerts:
            counts[a.severity] = counts.get(a.severity, 0) + 1
        detail = ", ".join(f"{n} {sev}" for sev, n in counts.items())
        if not self.alerts:
            self.toggle.setText(self.tr("No alerts"))
            return
        self.toggle.setText(self.tr("%n alert(s)", "", len(self.alerts)) + (f" ({detail})" if detail else ""))

    def _activated(self, item: QListWidgetItem) -> None:
        self.sig_alert_activated.emit(item.data(Qt.ItemDataRole.UserRole))


def _swatch(colour: str):
    from PySide6.QtGui import QColor, QPixmap

    pix = QPixmap(10, 10)
    pix.fill(QColor(colour))
    return pix
