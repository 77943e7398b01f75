"""Printed prescriptions (one visit's prescriptions, several to a page; controlled substances alone).

What each page carries (21 CFR 1306.05(a) for controlled substances, and what pharmacists expect):
practice header, prescriber name / credentials / NPI / license (DEA number when a controlled substance is
on the page), patient full name, date of birth and address, date written; per prescription the drug,
strength and form, directions in plain language, quantity (in numbers and words), days supply, refills,
substitution, note to pharmacist, and a unique prescription number with its Code128 barcode; the count of
prescriptions on the page ("nothing follows") and a signature line for the prescriber's manual signature.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.colors import black, white
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from desktop.domain.numwords import format_quantity, int_to_words, quantity_to_words

from .data import PatientInfo, PracticeInfo, PrescriberInfo, RxItem
from .fonts import BOLD, REGULAR, RENDER_LOCK, ensure_fonts
from .page import (
    FAINT,
    GREY,
    LIGHT,
    MARGIN,
    draw_footer,
    draw_practice_header,
    draw_watermark,
    fmt_date,
    fmt_datetime,
    name_lines,
    page_size,
    patient_id_line,
    practice_header_height,
    wrap,
)

MAX_PER_PAGE = 3
REPRINT_MARK = "COPY — REPRINT"
BARCODE_COL = 150.0  # width of the right column holding the Rx number and barcode
PAD = 8.0
RX_INDENT = 22.0  # text beside the ℞ symbol
SIGNATURE_BLOCK = 66.0  # height reserved at the bottom of each page
ITEM_GAP = 10.0
REPRINT_BANNER = 34.0


class RxRenderError(ValueError):
    """The prescriptions cannot be printed as given (the message says why)."""


@dataclass(frozen=True, slots=True)
class _Line:
    font: str
    size: float
    text: str
    indent: float = 0.0
    gap_before: float = 0.0
    label: str = ""  # drawn at the left edge before the indented text
    label_font: str = ""


def _plural_unit(unit: str, qty: float) -> str:
    return unit if not unit or qty == 1 or unit.endswith("s") or unit in ("mL", "g", "mg") else unit + "s"


def quantity_text(item: RxItem) -> str:
    """'30 (thirty) tablets' — numbers and words so the quantity cannot be altered unnoticed."""
    unit = _plural_unit(item.quantity_unit, item.quantity)
    return f"{format_quantity(item.quantity)} ({quantity_to_words(item.quantity)}) {unit}".strip()


def refills_text(item: RxItem) -> str:
    if item.refills == 0:
        return "0 (none)" + (" — Schedule II: no refills permitted" if item.dea_schedule == "II" else "")
    return f"{item.refills} ({int_to_words(item.refills)})"


def _hanging(prefix: str, text: str, font: str, size: float, width: float, *, gap: float = 0.0,
             prefix_font: str | None = None) -> list[_Line]:
    """'Sig:  take 1 tablet...' with continuation lines aligned under the text, not under the label."""
    indent = stringWidth(prefix, prefix_font or font, size)
    out: list[_Line] = []
    for i, t in enumerate(wrap(text, font, size, width - indent)):
        out.append(_Line(font, size, t, indent=indent, gap_before=gap if i == 0 else 0,
                         label=prefix if i == 0 else "", label_font=prefix_font or font))
    return out


def _item_lines(item: RxItem, text_width: float) -> list[_Line]:
    lines: list[_Line] = []
    for i, t in enumerate(wrap(item.drug_line, BOLD, 12.5, text_width - RX_INDENT)):
        lines.append(_Line(BOLD, 12.5, t, indent=RX_INDENT, gap_before=0 if i else 2))
    if item.route and item.route.lower() not in item.drug_line.lower():
        lines.append(_Line(REGULAR, 9, f"Route: {item.route}", indent=RX_INDENT))
    if item.controlled:
        lines.append(_Line(BOLD, 10, f"C-{item.dea_schedule}   Schedule {item.dea_schedule} controlled substance",
                           indent=RX_INDENT, gap_before=3))
    lines += _hanging("Sig:  ", item.sig_text or "(no directions)", REGULAR, 11, text_width, gap=6,
                      prefix_font=BOLD)
    qty_font = BOLD if item.controlled else REGULAR
    lines += _hanging("Dispense:  ", quantity_text(item), qty_font, 10.5, text_width, gap=6, prefix_font=REGULAR)
    supply = str(item.days_supply) if item.days_supply else "—"
    lines.append(_Line(REGULAR, 10.5, f"Days supply:  {supply}"))
    lines += _hanging("Refills:  ", refills_text(item), REGULAR, 10.5, text_width)
    if item.substitution_allowed:
        lines.append(_Line(REGULAR, 10.5, "Substitution permitted"))
    else:
        lines.append(_Line(BOLD, 10.5, "DISPENSE AS WRITTEN — no substitution"))
    if item.pharmacist_note.strip():
        lines += _hanging("Note to pharmacist:  ", item.pharmacist_note, REGULAR, 9.5, text_width, gap=4)
    return lines


def _box_height(lines: list[_Line]) -> float:
    text = sum(ln.size + 3 + ln.gap_before for ln in lines)
    return max(text, 78.0) + 2 * PAD


def _draw_item(c: Canvas, item: RxItem, lines: list[_Line], x0: float, x1: float, top: float) -> float:
    height = _box_height(lines)
    bottom = top - height
    c.setStrokeColor(GREY)
    c.setLineWidth(0.8)
    c.roundRect(x0, bottom, x1 - x0, height, 4, stroke=1, fill=0)
    # the prescription symbol
    c.setFillColor(black)
    c.setFont(BOLD, 18)
    c.drawString(x0 + PAD, top - PAD - 15, "℞")
    y = top - PAD
    for ln in lines:
        y -= ln.gap_before + ln.size
        if ln.label:
            c.setFont(ln.label_font or ln.font, ln.size)
            c.drawString(x0 + PAD, y, ln.label)
        c.setFont(ln.font, ln.size)
        c.drawString(x0 + PAD + ln.indent, y, ln.text)
        y -= 3
    # right column: number and barcode
    cx = x1 - BARCODE_COL
    c.setStrokeColor(LIGHT)
    c.line(cx, bottom + 6, cx, top - 6)
    c.setFont(REGULAR, 8)
    c.setFillColor(GREY)
    c.drawCentredString(cx + BARCODE_COL / 2, top - PAD - 8, "Rx number")
    c.setFillColor(black)
    c.setFont(BOLD, 11)
    c.drawCentredString(cx + BARCODE_COL / 2, top - PAD - 21, item.rx_number)
    code = Code128(item.rx_number, barHeight=30, barWidth=1.0, humanReadable=False, quiet=True)
    bw = code.width
    if bw > BARCODE_COL - 10:  # very long numbers: narrower bars rather than overflowing the box
        code = Code128(item.rx_number, barHeight=30, barWidth=(BARCODE_COL - 10) / bw, humanReadable=False)
        bw = code.width
    code.drawOn(c, cx + (BARCODE_COL - bw) / 2, top - PAD - 60)
    if item.written_date:
        c.setFont(REGULAR, 8)
        c.setFillColor(GREY)
        c.drawCentredString(cx + BARCODE_COL / 2, top - PAD - 72, f"written {fmt_date(item.written_date)}")
        c.setFillColor(black)
    return bottom


def _pages(items: Sequence[RxItem], text_width: float, room_plain: float, room_controlled: float,
           ) -> list[list[tuple[RxItem, list[_Line]]]]:
    """Pack items on pages in order, at most MAX_PER_PAGE; a controlled substance gets a page of its own."""
    pages: list[list[tuple[RxItem, list[_Line]]]] = []
    current: list[tuple[RxItem, list[_Line]]] = []
    used = 0.0
    for item in items:
        lines = _item_lines(item, text_width)
        h = _box_height(lines) + ITEM_GAP
        if h > (room_controlled if item.controlled else room_plain):
            raise RxRenderError(f"prescription {item.rx_number} is too long to fit a page: shorten the note")
        if item.controlled:
            if current:
                pages.append(current)
            pages.append([(item, lines)])
            current, used = [], 0.0
            continue
        if current and (len(current) >= MAX_PER_PAGE or used + h > room_plain):
            pages.append(current)
            current, used = [], 0.0
        current.append((item, lines))
        used += h
    if current:
        pages.append(current)
    return pages


def _right_lines(prescriber: PrescriberInfo, controlled: bool) -> list[tuple[str, str, float]]:
    right = [(BOLD, prescriber.name_with_credentials, 11.5)]
    if prescriber.specialty:
        right.append((REGULAR, prescriber.specialty, 8.5))
    right.append((REGULAR, f"NPI {prescriber.npi}", 9))
    if prescriber.state_licence:
        right.append((REGULAR, f"License {prescriber.state_licence}", 9))
    if controlled:
        right.append((BOLD, f"DEA {prescriber.dea_number}", 9.5))
    return right


def _patient_name(patient: PatientInfo, width: float) -> tuple[float, list[str]]:
    """The name's size and lines beside the date written (width: the patient block's)."""
    return name_lines(patient.full_name, 13, width - stringWidth("0000-00-00", BOLD, 13) - 12, 9)


def _patient_height(patient: PatientInfo, width: float) -> float:
    size, name = _patient_name(patient, width)
    return 12 + 14 + (len(name) - 1) * (size + 2) + 13 + 12 * max(1, len(patient.address_lines)) + \
        (12 if patient.phone else 0) + (12 if patient.weight_line else 0) + 8


def _draw_patient(c: Canvas, patient: PatientInfo, written: date | None, x0: float, x1: float, top: float) -> float:
    y = top - 12
    c.setFont(REGULAR, 7.5)
    c.setFillColor(GREY)
    c.drawString(x0, y, "PATIENT")
    c.drawRightString(x1, y, "DATE WRITTEN")
    c.setFillColor(black)
    y -= 14
    size, name = _patient_name(patient, x1 - x0)
    c.setFont(BOLD, 13)
    c.drawRightString(x1, y, fmt_date(written))
    c.setFont(BOLD, size)
    for line in name:
        c.drawString(x0, y, line)
        y -= size + 2
    y += size + 2 - 13
    c.setFont(REGULAR, 9.5)
    c.drawString(x0, y, patient_id_line(patient, written or date.today()))
    if patient.weight_line:  # a child's weight, both units: the pharmacist checks the dose per kg
        y -= 12
        c.setFont(BOLD, 9.5)
        c.drawString(x0, y, patient.weight_line)
        c.setFont(REGULAR, 9.5)
    for line in patient.address_lines or ("(no address on file)",):
        y -= 12
        c.drawString(x0, y, line)
    if patient.phone:
        y -= 12
        c.drawString(x0, y, f"Tel {patient.phone}")
    y -= 8
    c.setStrokeColor(LIGHT)
    c.line(x0, y, x1, y)
    return y


def _draw_reprint_banner(c: Canvas, reprint_on: date, original: date | None, x0: float, x1: float,
                         top: float) -> float:
    h = 22
    c.setFillColor(FAINT)
    c.setStrokeColor(black)
    c.setLineWidth(1.2)
    c.rect(x0, top - h - 4, x1 - x0, h, stroke=1, fill=1)
    c.setFillColor(black)
    c.setFont(BOLD, 12)
    c.drawString(x0 + 8, top - h + 3, REPRINT_MARK)
    c.setFont(REGULAR, 9)
    detail = f"reprinted {fmt_date(reprint_on)}"
    if original:
        detail += f" — original written {fmt_date(original)}"
    c.drawRightString(x1 - 8, top - h + 3, detail)
    return top - h - 8


def _draw_signature(c: Canvas, prescriber: PrescriberInfo, count: int, controlled: bool, x0: float, x1: float,
                    y: float, written: date | None) -> None:
    c.setFont(REGULAR, 9)
    c.setFillColor(black)
    noun = "prescription" if count == 1 else "prescriptions"
    c.drawString(x0, y, f"{count} ({int_to_words(count)}) {noun} on this page — nothing follows.")
    line_y = y - 34
    sig_x1 = x0 + (x1 - x0) * 0.62
    c.setStrokeColor(black)
    c.setLineWidth(0.8)
    c.line(x0, line_y, sig_x1, line_y)
    c.line(sig_x1 + 20, line_y, x1, line_y)
    c.setFillColor(GREY)
    label = "Prescriber's signature" + (" (manual signature required)" if controlled else "")
    caption = f"{label} — {prescriber.name_with_credentials}"
    room = sig_x1 - x0
    size = 8.0
    while size > 6 and stringWidth(caption, REGULAR, size) > room:
        size -= 0.5
    lines = wrap(caption, REGULAR, size, room)
    c.setFont(REGULAR, size)
    for i, line in enumerate(lines[:2]):
        c.drawString(x0, line_y - 10 - i * (size + 2), line)
    c.setFont(REGULAR, 8)
    c.drawString(sig_x1 + 20, line_y - 10, "Date")
    c.setFillColor(black)
    if written:
        c.setFont(REGULAR, 10)
        c.drawString(sig_x1 + 24, line_y + 4, fmt_date(written))


@dataclass(frozen=True, slots=True)
class RxGroup:
    """Prescriptions that share pages: one patient, one prescriber, all originals or all reprints."""

    items: Sequence[RxItem]
    prescriber: PrescriberInfo
    patient: PatientInfo
    reprint_of: date | None = None  # the reprint date; None for originals


def render_prescriptions(
    items: Sequence[RxItem],
    practice: PracticeInfo,
    prescriber: PrescriberInfo,
    patient: PatientInfo,
    *,
    page_size_name: str = "letter",
    reprint_of: date | None = None,
    printed_at: datetime | None = None,
) -> bytes:
    """The PDF for one patient's prescriptions by one prescriber.

    `reprint_of`: None for the original print; for a reprint, the date of the reprint — every page then
    carries the "COPY — REPRINT" mark with that date.
    """
    return render_prescription_groups([RxGroup(items, prescriber, patient, reprint_of)], practice,
                                      page_size_name=page_size_name, printed_at=printed_at)


def render_prescription_groups(groups: Sequence[RxGroup], practice: PracticeInfo, *, page_size_name: str = "letter",
                               printed_at: datetime | None = None) -> bytes:
    """Several groups in one PDF (e.g. new originals, then reprints), pages numbered through."""
    if not groups or not any(g.items for g in groups):
        raise RxRenderError("no prescription to print")
    for g in groups:
        if any(it.controlled for it in g.items) and not (g.prescriber.dea_number or "").strip():
            raise RxRenderError("a controlled-substance prescription needs the prescriber's DEA number")
    ensure_fonts()
    with RENDER_LOCK:
        return _render_groups(groups, practice, page_size_name, printed_at or datetime.now())


def _room(practice: PracticeInfo, g: RxGroup, width: float, height: float, controlled: bool) -> float:
    """The height left for prescriptions on a page of this group."""
    top = height - MARGIN - practice_header_height(practice, _right_lines(g.prescriber, controlled), width)
    top -= (REPRINT_BANNER if g.reprint_of else 0) + _patient_height(g.patient, width - 2 * MARGIN) + 10
    return top - (MARGIN + SIGNATURE_BLOCK)


SPARE = 24.0  # a line or two the patient block may gain by the time it is printed (a child's weight)


def fits_a_page(item: RxItem, practice: PracticeInfo, prescriber: PrescriberInfo, patient: PatientInfo, *,
                page_size_name: str = "letter") -> bool:
    """Whether this prescription fits a page on its own, reprint mark included. A prescription is printed after
    it is signed, and a signed one cannot change: one too long for a page would never reach the pharmacy, so
    the service asks this while it can still be edited."""
    ensure_fonts()
    width, height = page_size(page_size_name)
    text_width = width - 2 * MARGIN - BARCODE_COL - 2 * PAD
    room = _room(practice, RxGroup([item], prescriber, patient, reprint_of=date.today()), width, height,
                 item.controlled)
    return _box_height(_item_lines(item, text_width)) + ITEM_GAP + SPARE <= room


def _render_groups(groups: Sequence[RxGroup], practice: PracticeInfo, page_size_name: str,
                   printed_at: datetime) -> bytes:
    width, height = page_size(page_size_name)
    x0, x1 = MARGIN, width - MARGIN
    text_width = x1 - x0 - BARCODE_COL - 2 * PAD

    laid_out: list[tuple[RxGroup, list[tuple[RxItem, list[_Line]]]]] = []
    for g in groups:
        def room(controlled: bool, g: RxGroup = g) -> float:
            return _room(practice, g, width, height, controlled)

        for page in _pages(g.items, text_width, room(False), room(True)):
            laid_out.append((g, page))

    first = groups[0]
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width, height), pageCompression=1, invariant=0)
    c.setTitle(f"Prescription for {first.patient.full_name}")
    c.setAuthor(first.prescriber.name_with_credentials)
    c.setCreator("Clinic EMR")
    total = len(laid_out)
    for page_no, (g, page) in enumerate(laid_out, start=1):
        _draw_page(c, g, page, practice, width, height, printed_at, page_no, total)
    c.save()
    return buf.getvalue()


def _draw_page(c: Canvas, g: RxGroup, page: list[tuple[RxItem, list[_Line]]], practice: PracticeInfo,
               width: float, height: float, printed_at: datetime, page_no: int, total: int) -> None:
    x0, x1 = MARGIN, width - MARGIN
    controlled = any(it.controlled for it, _ in page)
    written = page[0][0].written_date
    if g.reprint_of:
        draw_watermark(c, width, height, REPRINT_MARK)
    y = draw_practice_header(c, practice, width, height - MARGIN, _right_lines(g.prescriber, controlled))
    if g.reprint_of:
        y = _draw_reprint_banner(c, g.reprint_of, written, x0, x1, y - 4)
    y = _draw_patient(c, g.patient, written, x0, x1, y)
    y -= 10
    for item, lines in page:
        y = _draw_item(c, item, lines, x0, x1, y) - ITEM_GAP
    _draw_signature(c, g.prescriber, len(page), controlled, x0, x1, y - 6, written)
    numbers = ", ".join(it.rx_number for it, _ in page)
    left = f"Rx {numbers}" + (f" · {REPRINT_MARK} {fmt_date(g.reprint_of)}" if g.reprint_of else "")
    draw_footer(c, width, left, f"Printed {fmt_datetime(printed_at)} · Page {page_no} of {total}")
    c.setFillColor(white)
    c.showPage()
