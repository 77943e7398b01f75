"""What a chart tab gets, and what a tab shows when it could not be built or read."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from desktop.views.context import AppContext

log = logging.getLogger(__name__)


@dataclass
class ChartContext:
    app: AppContext
    patient_id: int
    refresh_banner: object  # callable(): re-read the banner after allergies change

    @property
    def ops(self):
        return self.app.ops


FAILED_STYLE = "color: #b00020; font-size: 11pt; font-weight: 600;"


class ChartTab(QWidget):
    """Base for chart tabs: `load()` fetches (off the GUI thread) and shows; called when first shown
    and whenever data of this patient changes. A tab that cannot read its data calls `failed()`: it says so
    in red, and the chart's banner says the chart is incomplete."""

    watches: tuple[str, ...] = ()  # data_changed kinds that make this tab reload
    sig_failed = Signal(str)  # what could not be shown, in the user's words (ChartView marks the chart)

    def __init__(self, chart: ChartContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.chart = chart

    def load(self) -> None:  # pragma: no cover - overridden
        pass

    def failed(self, what: str, exc: BaseException) -> None:
        """Reading or building this tab failed: log it, tell the chart."""
        log.error("chart tab could not load: %s", what, exc_info=(type(exc), exc, exc.__traceback__))
        self.sig_failed.emit(what)


def failure_text(title: str, exc: BaseException) -> str:
    """The sentence a tab shows in red when its data could not be read (never "nothing recorded")."""
    return (f"The {title.lower()} could not be loaded, so this list may be incomplete. Do not rely on it: "
            f"check the paper chart or ask your administrator ({type(exc).__name__}: {exc}).")


class FailedTab(ChartTab):
    """Stands in for a tab that could not be built: the reason in red."""

    def __init__(self, chart: ChartContext, title: str, exc: BaseException, parent: QWidget | None = None):
        super().__init__(chart, parent)
        self.label = QLabel(failure_text(title, exc))
        self.label.setObjectName("tabFailed")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        self.label.setStyleSheet(FAILED_STYLE)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
