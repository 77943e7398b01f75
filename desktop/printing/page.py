"""Shared page furniture: page sizes, text wrapping, the practice header and the page footer."""

from __future__ import annotations

from datetime import date, datetime

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from desktop.domain.dates import show_date, show_datetime
from desktop.kb.age import age_label

from .data import PatientInfo, PracticeInfo
from .fonts import BOLD, REGULAR

MARGIN = 36.0  # half an inch: inside every printer's unprintable border
GREY = Color(0.35, 0.35, 0.35)
LIGHT = Color(0.85, 0.85, 0.85)
FAINT = Color(0.93, 0.93, 0.93)
PAGE_SIZES = {"letter": LETTER, "a4": A4}


def page_size(name: str | None) -> tuple[float, float]:
    """'letter' | 'A4' (case-insensitive); anything else is an error, not a silent default."""
    key = (name or "letter").strip().lower()
    try:
        return PAGE_SIZES[key]
    except KeyError:
        raise ValueError(f"unknown page size {name!r}: use 'letter' or 'A4'") from None


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines that fit `width`, keeping the text's own line breaks; very long words are broken."""
    lines: list[str] = []
    for para in (text or "").splitlines() or [""]:
        para = " ".join(para.split())
        if not para:
            lines.append("")
            continue
        for line in simpleSplit(para, font, size, width) or [""]:
            # simpleSplit leaves a word wider than the line whole: it ran into the barcode column or off the page
            lines.extend(_pieces(line, font, size, width) if stringWidth(line, font, size) > width else [line])
    return lines


def _pieces(word: str, font: str, size: float, width: float) -> list[str]:
    """A word wider than the line ("sulfamethoxazole/trimethoprim/...", a web address) in pieces that fit:
    after a slash or hyphen when there is one in the second half of the piece, else at the last letter that fits."""
    pieces: list[str] = []
    while len(word) > 1 and stringWidth(word, font, size) > width:
        lo, hi = 1, len(word) - 1  # the longest start that fits (at least one letter a line)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if stringWidth(word[:mid], font, size) <= width else (lo, mid - 1)
        cut = lo
        soft = max(word.rfind("/", 0, cut), word.rfind("-", 0, cut))
        if soft >= cut // 2:
            cut = soft + 1
        pieces.append(word[:cut])
        word = word[cut:]
    pieces.append(word)
    return pieces


def fmt_date(d: date | datetime | None) -> str:
    """The practice's one date form (desktop.domain.dates), as on screen; "—" when there is none."""
    return show_date(d, "—")


def fmt_datetime(ts: datetime | None) -> str:
    return show_datetime(ts, "—")


def age_on(birth: date | None, on: date) -> str:
    return age_label(birth, on)


def sex_label(sex: str) -> str:
    return {"female": "F", "male": "M", "other": "Other", "unknown": "Unknown"}.get((sex or "").lower(), sex or "")


def _fit(text: str, font: str, size: float, width: float, smallest: float) -> float:
    """The largest size (down to `smallest`) at which `text` fits `width`."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def name_lines(name: str, size: float, width: float, smallest: float = 9.0) -> tuple[float, list[str]]:
    """A patient's name at the largest size (down to `smallest`) that fits `width`, wrapped beyond that: the
    whole name is printed (it identifies the patient), never cut at the paper's edge or drawn over the date."""
    size = _fit(name, BOLD, size, width, smallest)
    return size, wrap(name, BOLD, size, width)


def _header_layout(practice: PracticeInfo, right_lines: list[tuple[str, str, float]] | None,
                   width: float) -> tuple[list[tuple[str, float, str, float]], list[tuple[str, float, str, float]]]:
    """(left, right) lines as (font, size, text, gap below). The right column takes what it needs, up to 45 %
    of the line; the practice name wraps in the rest, so the two never overlap."""
    inner = width - 2 * MARGIN
    right: list[tuple[str, float, str, float]] = []
    for font, text, size in right_lines or []:
        fitted = _fit(text, font, size, inner * 0.45, 6.5)
        right.append((font, fitted, text, 3))
    right_w = max((stringWidth(t, f, sz) for f, sz, t, _g in right), default=0)
    left_w = inner - right_w - 18
    left: list[tuple[str, float, str, float]] = []
    name_size = _fit(practice.name, BOLD, 15, left_w, 12)
    for line in simpleSplit(practice.name, BOLD, name_size, left_w) or [practice.name]:
        left.append((BOLD, name_size, line, 2))
    left[-1] = (*left[-1][:3], 4)  # room for the descenders above the address
    lines = list(practice.address_lines)
    contact = "   ".join(p for p in (f"Tel {practice.phone}" if practice.phone else "",
                                     f"Fax {practice.fax}" if practice.fax else "") if p)
    if contact:
        lines.append(contact)
    for line in lines:
        for part in simpleSplit(line, REGULAR, 9, left_w) or [line]:
            left.append((REGULAR, 9, part, 2))
    return left, right


def _column_height(lines: list[tuple[str, float, str, float]]) -> float:
    return sum(size + gap for _f, size, _t, gap in lines)


def practice_header_height(practice: PracticeInfo, right_lines: list[tuple[str, str, float]] | None = None,
                           width: float = 612) -> float:
    """How far below `top` draw_practice_header puts its rule (kept in step with the drawing)."""
    left, right = _header_layout(practice, right_lines, width)
    return max(_column_height(left), _column_height(right)) + 6


def draw_practice_header(c: Canvas, practice: PracticeInfo, width: float, top: float,
                         right_lines: list[tuple[str, str, float]] | None = None) -> float:
    """Practice name and address on the left, `right_lines` (font, text, size) right-aligned.

    Returns the y just below the header's rule.
    """
    x0, x1 = MARGIN, width - MARGIN
    left, right = _header_layout(practice, right_lines, width)
    c.setFillColor(black)
    y = top
    for font, size, text, gap in left:
        y -= size
        c.setFont(font, size)
        c.drawString(x0, y, text)
        y -= gap
    ry = top
    for font, size, text, gap in right:
        ry -= size
        c.setFont(font, size)
        c.drawRightString(x1, ry, text)
        ry -= gap
    bottom = top - max(_column_height(left), _column_height(right)) - 6
    c.setStrokeColor(black)
    c.setLineWidth(1)
    c.line(x0, bottom, x1, bottom)
    return bottom


def patient_id_line(p: PatientInfo, on: date) -> str:
    parts = []
    if p.birth_date:
        age = age_on(p.birth_date, on)
        parts.append(f"DOB {fmt_date(p.birth_date)}" + (f" ({age})" if age else ""))
    if p.sex:
        parts.append(f"Sex {sex_label(p.sex)}")
    if p.mrn:
        parts.append(f"MRN {p.mrn}")
    return "    ".join(parts)


def draw_footer(c: Canvas, width: float, left: str, right: str) -> None:
    c.setFont(REGULAR, 7.5)
    c.setFillColor(GREY)
    c.drawString(MARGIN, MARGIN - 14, left)
    c.drawRightString(width - MARGIN, MARGIN - 14, right)
    c.setFillColor(black)


def draw_watermark(c: Canvas, width: float, height: float, text: str) -> None:
    """Large diagonal light-grey text behind the page content."""
    c.saveState()
    c.setFillColor(FAINT)
    c.setFont(BOLD, 54)
    c.translate(width / 2, height / 2)
    c.rotate(35)
    c.drawCentredString(0, -18, text)
    c.restoreState()
