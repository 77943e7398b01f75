"""What a chart tab gets, and the empty state shown where a tab has nothing yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from desktop.views.context import AppContext


@dataclass
class ChartContext:
    app: AppContext
    patient_id: int
    refresh_banner: object  # callable(): re-read the banner after allergies change

    @property
    def ops(self):  # noqa: ANN201
        return self.app.ops


class ChartTab(QWidget):
    """Base for chart tabs: `load()` fetches (off the GUI thread) and shows; called when first shown
    and whenever data of this patient changes."""

    watches: tuple[str, ...] = ()  # data_changed kinds that make this tab reload

    def __init__(self, chart: ChartContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.chart = chart

    def load(self) -> None:  # pragma: no cover - overridden
        pass


class EmptyStateTab(ChartTab):
    def __init__(self, chart: ChartContext, text: str, parent: QWidget | None = None):
        super().__init__(chart, parent)
        label = QLabel(text)
        label.setObjectName("emptyState")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setStyleSheet("color: #666; font-size: 11pt;")
        layout = QVBoxLayout(self)
        layout.addWidget(label)
