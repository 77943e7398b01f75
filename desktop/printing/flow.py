"""Multi-page flowing documents (summary, note): styles, tables, the running header and "Page X of Y"."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.lib.colors import black
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle

from .data import PatientInfo, PracticeInfo
from .fonts import BOLD, REGULAR, RENDER_LOCK, ensure_fonts
from .page import (
    FAINT,
    GREY,
    LIGHT,
    MARGIN,
    draw_footer,
    draw_practice_header,
    name_lines,
    page_size,
    patient_id_line,
    practice_header_height,
)


class Styles:
    """Paragraph styles, built once (after the fonts are registered)."""

    _built = False

    @classmethod
    def get(cls) -> type[Styles]:
        if not cls._built:
            ensure_fonts()
            cls.body = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=12.5)
            cls.small = ParagraphStyle("small", fontName=REGULAR, fontSize=8.5, leading=10.5)
            cls.cell = ParagraphStyle("cell", fontName=REGULAR, fontSize=8.5, leading=10.5)
            cls.muted = ParagraphStyle("muted", parent=cls.small, textColor=GREY)
            cls.h1 = ParagraphStyle("h1", fontName=BOLD, fontSize=14, leading=18, spaceAfter=2)
            # a heading never stays alone at a page's foot: it goes with what follows it
            cls.h2 = ParagraphStyle("h2", fontName=BOLD, fontSize=11, leading=14, spaceBefore=10, spaceAfter=4,
                                    keepWithNext=1)
            cls.h3 = ParagraphStyle("h3", fontName=BOLD, fontSize=9.5, leading=12.5, spaceBefore=6, spaceAfter=1,
                                    keepWithNext=1)
            cls.alert = ParagraphStyle("alert", fontName=BOLD, fontSize=9.5, leading=12.5)
            cls._built = True
        return cls


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """Plain text (escaped, line breaks kept) as a Paragraph."""
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def table(header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float],
          *, align_right: Sequence[int] = ()) -> Table:
    """A ruled table with a shaded header row, repeated on each page it spans."""
    st = Styles.get()
    data = [[_cell(h, w, st.muted) for h, w in zip(header, widths)]]
    for row in rows:
        data.append([c if isinstance(c, Paragraph) else _cell("" if c is None else str(c), w, st.cell)
                     for c, w in zip(row, widths)])
    t = Table(data, colWidths=list(widths), repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), REGULAR, 8.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), GREY),
        ("BACKGROUND", (0, 0), (-1, 0), FAINT),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, GREY),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, LIGHT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    t.setStyle(TableStyle(style))
    return t


def _cell(text: str, width: float, style: ParagraphStyle) -> str | Paragraph:
    """Short text as a plain string (fast); text that needs wrapping as a Paragraph."""
    if "\n" not in text and stringWidth(text, REGULAR, 8.5) <= width - 7:
        return text
    return para(text, style)


def none_line(text: str) -> Paragraph:
    return para(text, Styles.get().muted)


class _NumberedCanvas(Canvas):
    """Keeps each page until save() so the footer can say 'Page X of Y'."""

    footer_left = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict] = []

    def showPage(self) -> None:
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            width = self._pagesize[0]
            draw_footer(self, width, self.footer_left, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def build(story: list, *, page_size_name: str, title: str, author: str, practice: PracticeInfo,
          patient: PatientInfo, doc_title: str, footer_left: str, as_of: date | None = None,
          first_page_extra: Callable[[Canvas, float, float], None] | None = None) -> bytes:
    """Lay the story out under a running header (practice, document title, patient) on every page."""
    ensure_fonts()
    width, height = page_size(page_size_name)
    right = [(BOLD, doc_title, 12), (REGULAR, "Confidential patient information", 7.5)]
    name_size, name = name_lines(patient.full_name, 11, width - 2 * MARGIN)
    header_h = practice_header_height(practice, right, width) + 40 + (len(name) - 1) * (name_size + 2)
    buf = io.BytesIO()
    doc = BaseDocTemplate(buf, pagesize=(width, height), title=title, author=author, creator="Clinic EMR",
                          leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + header_h,
                          bottomMargin=MARGIN + 6)
    today = as_of or date.today()

    def on_page(c: Canvas, _doc) -> None:
        c.saveState()
        y = draw_practice_header(c, practice, width, height - MARGIN, right)
        c.setFont(BOLD, name_size)
        c.setFillColor(black)
        for line in name:
            c.drawString(MARGIN, y - 14, line)
            y -= name_size + 2
        y += name_size + 2
        c.setFont(REGULAR, 8.5)
        c.drawString(MARGIN, y - 26, patient_id_line(patient, today))
        c.setStrokeColor(LIGHT)
        c.line(MARGIN, y - 32, width - MARGIN, y - 32)
        c.restoreState()
        if first_page_extra and c.getPageNumber() == 1:
            first_page_extra(c, width, height)

    # no frame padding: tables and text line up with the header's margins
    frame = Frame(MARGIN, MARGIN + 6, width - 2 * MARGIN, height - 2 * MARGIN - header_h - 6,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page)])
    canvas_cls = type("NumberedCanvas", (_NumberedCanvas,), {"footer_left": footer_left})
    with RENDER_LOCK:
        doc.build(story, canvasmaker=canvas_cls)
    return buf.getvalue()


def spacer(h: float = 6) -> Spacer:
    return Spacer(1, h)


def when(ts: datetime | date | None) -> str:
    from .page import fmt_date, fmt_datetime

    if isinstance(ts, datetime):
        return fmt_datetime(ts)
    return fmt_date(ts)
