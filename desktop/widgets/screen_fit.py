"""Every window fits the screen it opens on, down to a 1280x720 laptop with a title bar and a panel: a saved or
requested size larger than the free area is shrunk to it (layouts and scroll areas take up the difference)."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QWidget

SMALLEST_SCREEN = QRect(0, 0, 1280, 720)
WINDOW_FRAME = 60  # px taken by a title bar and a desktop panel on a small laptop screen (720 -> 660 usable)


def free_area(widget: QWidget) -> QRect:
    screen = widget.screen()
    area = screen.availableGeometry() if screen is not None else SMALLEST_SCREEN
    return area


def fit_into(widget: QWidget, area: QRect) -> None:
    """Shrink (never grow) the window to the area less its frame, and keep it inside the area."""
    width = min(widget.width(), area.width())
    height = min(widget.height(), area.height() - WINDOW_FRAME)
    if (width, height) != (widget.width(), widget.height()):
        widget.resize(width, height)
    x = min(max(widget.x(), area.left()), area.right() - width)
    y = min(max(widget.y(), area.top()), area.bottom() - height - WINDOW_FRAME)
    if (x, y) != (widget.x(), widget.y()) and widget.isWindow() and widget.isVisible():
        widget.move(max(x, area.left()), max(y, area.top()))


def fit_to_screen(widget: QWidget) -> None:
    fit_into(widget, free_area(widget))
