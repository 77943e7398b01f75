"""A word wider than its line (a free-text combination written with slashes, a web address in the directions)
was printed whole: on a prescription it ran over the Rx number and its barcode, which the pharmacy scans. Now
it is broken, after a slash or hyphen where one is near, and every piece stays in the prescription's column."""

from __future__ import annotations

import io

from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from desktop.printing import render_prescriptions
from desktop.printing.fonts import BOLD, REGULAR
from desktop.printing.page import MARGIN, wrap
from desktop.printing.rx import BARCODE_COL, PAD

from .conftest import flat, pdf_text
from .test_render import DOCTOR, PATIENT, PRACTICE, item

COMBINATION = "sulfamethoxazole/trimethoprim/phenazopyridine/hydrochloride"
ADDRESS = "https://www.example-pharmacy.com/instructions/patient-leaflets/amoxicillin-clavulanate"


def _runs(pdf: bytes) -> tuple[list[tuple[str, float]], float]:
    """(text, right edge) of every text run on page 1, and the page's width."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    runs: list[tuple[str, float]] = []

    def visit(text, _cm, tm, font, size) -> None:
        name = BOLD if "bold" in str((font or {}).get("/BaseFont", "")).lower() else REGULAR
        if text.strip():
            runs.append((text.strip(), tm[4] + stringWidth(text.strip(), name, size * (tm[0] or 1))))

    page.extract_text(visitor_text=visit)
    return runs, float(page.mediabox.width)


def test_a_long_drug_name_and_address_stay_clear_of_the_barcode_column():
    pdf = render_prescriptions([item(drug_name=COMBINATION, strength="800 mg", sig_text=f"Take 1 daily; see {ADDRESS}")],
                               PRACTICE, DOCTOR, PATIENT)
    runs, width = _runs(pdf)
    column_edge = width - MARGIN - BARCODE_COL - PAD + 0.5
    mine = [(t, right) for t, right in runs if t[:6] in COMBINATION + ADDRESS and len(t) > 5]
    assert mine and all(right <= column_edge for _t, right in mine), mine
    text = flat(pdf_text(pdf)).replace(" ", "")
    assert COMBINATION in text and ADDRESS in text  # every letter printed, in order


def test_wrap_breaks_after_a_slash_and_anything_unbroken_at_the_width():
    lines = wrap(f"{COMBINATION} 800 mg", BOLD, 12.5, 374)
    assert lines[0] == "sulfamethoxazole/trimethoprim/phenazopyridine/"
    assert "".join(lines).replace(" ", "") == f"{COMBINATION}800mg"
    lines = wrap("X" * 10_000, REGULAR, 11, 300)
    assert all(stringWidth(x, REGULAR, 11) <= 300 for x in lines) and "".join(lines) == "X" * 10_000
