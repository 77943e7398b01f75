"""A rich-text QLabel that measures itself cheaply: the chart's Summary sections (problem and medication lists,
the vitals and encounters tables).

QLabel answers every size question (its size hint, its height at each width a layout tries: a Summary section is
asked about 15 times, at five widths, while the tab is first laid out) by laying its whole text out at the asked
width and then once more at its own width, and its size hint alone costs six layouts. This label measures the
same text, with the same font and wrapping, on a document of its own that is never put back, and remembers each
answer until the text, font or wrapping changes: the same sizes with a third of the layouts. It also paints that
document, as QLabel paints its own, so QLabel's copy of the text is read and laid out only when the user selects
in it (QLabel then paints the selection).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QAbstractTextDocumentLayout, QPainter, QPalette, QTextDocument, QTextOption
from PySide6.QtWidgets import QLabel, QStyleOption, QWidget

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum" (not exported by PySide6)

# events after which the measured sizes may be wrong (QLabel forgets its own size hint on the same ones)
_FORGET_ON = frozenset({QEvent.Type.FontChange, QEvent.Type.ApplicationFontChange, QEvent.Type.StyleChange,
                        QEvent.Type.ContentsRectChange, QEvent.Type.LayoutDirectionChange})


class RichTextLabel(QLabel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self._doc: QTextDocument | None = None
        self._hints: tuple[QSize, QSize] | None = None  # (sizeHint, minimumSizeHint)
        self._heights: dict[int, int] = {}

    # ---- what makes the measured sizes stale
    def _forget(self) -> None:
        self._doc = None
        self._hints = None
        self._heights.clear()

    def setText(self, text: str) -> None:
        if text != self.text():
            self._forget()
        super().setText(text)

    def setWordWrap(self, on: bool) -> None:
        self._forget()
        super().setWordWrap(on)

    def setAlignment(self, alignment) -> None:
        self._forget()
        super().setAlignment(alignment)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in _FORGET_ON:
            self._forget()
        super().changeEvent(event)

    # ---- sizes, as QLabel computes them for a rich-text label without margin, indent or frame
    def _plain_label(self) -> bool:
        """Anything QLabel adds around its text (margin, indent, frame, pixmap): let QLabel measure."""
        return (self.margin() != 0 or self.indent() > 0 or self.frameWidth() != 0 or self.minimumWidth() > 0
                or not self.text() or self.textFormat() != Qt.TextFormat.RichText)

    def _document(self) -> QTextDocument:
        if self._doc is None:
            doc = QTextDocument()
            doc.setUndoRedoEnabled(False)
            doc.setDefaultFont(self.font())
            doc.setDocumentMargin(0)  # QLabel's own document has no margin either
            doc.setHtml(self.text())
            option = doc.defaultTextOption()
            option.setAlignment(self.alignment())
            option.setWrapMode(QTextOption.WrapMode.WordWrap if self.wordWrap()
                               else QTextOption.WrapMode.ManualWrap)
            doc.setDefaultTextOption(option)
            self._doc = doc
        return self._doc

    def _size_for(self, width: int) -> QSize:
        """QLabel's size for this width (-1: its preferred size: the document's own adjustSize when wrapped)."""
        doc = self._document()
        m = self.contentsMargins()
        extra_w, extra_h = m.left() + m.right(), m.top() + m.bottom()
        if not self.wordWrap():
            doc.setTextWidth(-1)
        elif width < 0:
            doc.adjustSize()
        else:
            doc.setTextWidth(max(width - extra_w, 0))
        size = doc.size()
        return QSize(math.ceil(size.width()) + extra_w, math.ceil(size.height()) + extra_h).expandedTo(
            self.minimumSize())

    def _measured_hints(self) -> tuple[QSize, QSize]:
        if self._hints is None:
            self.ensurePolished()  # the font a style sheet gives is the one measured
            hint = self._size_for(-1)
            if self.wordWrap():
                minimum = QSize(self._size_for(0).width(),  # its longest word
                                min(self._size_for(QWIDGETSIZE_MAX).height(), hint.height()))  # one line each
            else:
                minimum = QSize(hint)
            self._hints = (hint, minimum)
        return self._hints

    def sizeHint(self) -> QSize:
        if self._plain_label():
            return super().sizeHint()
        return QSize(self._measured_hints()[0])

    def minimumSizeHint(self) -> QSize:
        if self._plain_label():
            return super().minimumSizeHint()
        return QSize(self._measured_hints()[1])

    def paintEvent(self, event) -> None:
        """Draws the measured document, as QLabel draws its own (which it would first have to read and lay out
        again); while text is selected, or the label has focus, QLabel draws it with its selection."""
        if self._plain_label() or self.hasSelectedText() or self.hasFocus():
            super().paintEvent(event)
            return
        doc = self._document()
        area = self.contentsRect()
        if self.wordWrap():  # wrapped at its width; unwrapped, left-aligned text sits where it was measured
            doc.setTextWidth(area.width())
        option = QStyleOption()
        option.initFrom(self)  # the palette in the window's current state (active, inactive, disabled)
        palette = QPalette(option.palette)
        if self.foregroundRole() != QPalette.ColorRole.Text and self.isEnabled():
            palette.setColor(QPalette.ColorRole.Text, palette.color(self.foregroundRole()))
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette = palette
        painter = QPainter(self)
        painter.translate(area.topLeft())
        painter.setClipRect(QRect(0, 0, area.width(), area.height()))
        doc.documentLayout().draw(painter, context)
        painter.end()

    def heightForWidth(self, width: int) -> int:
        if self._plain_label():
            return super().heightForWidth(width)
        height = self._heights.get(width)
        if height is None:
            height = self._heights[width] = (self._size_for(width).height() if self.wordWrap()
                                              else self._measured_hints()[0].height())
        return height
