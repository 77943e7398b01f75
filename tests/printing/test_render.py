"""The PDFs themselves: every field a pharmacist needs, the reprint mark, page counts, accents, page sizes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from desktop.printing import (
    AddendumLine,
    AllergyLine,
    EncounterLine,
    MedicationLine,
    NoteData,
    PatientInfo,
    PracticeInfo,
    PrescriberInfo,
    ProblemLine,
    RxItem,
    SummaryData,
    TrendPoint,
    VitalsRow,
    render_note,
    render_prescriptions,
    render_summary,
)
from desktop.printing.rx import RxGroup, RxRenderError, render_prescription_groups

from .conftest import VALID_DEA, VALID_NPI, flat, pdf_pages, pdf_text

PRACTICE = PracticeInfo("Riverside Family Medicine", ("1200 Riverside Drive, Suite 300", "Springfield, IL 62704"),
                        "(217) 555-0142", "(217) 555-0143")
DOCTOR = PrescriberInfo("Ana Ramírez", "MD", VALID_NPI, VALID_DEA, "IL 036-123456", "Family Medicine")
PATIENT = PatientInfo("José Núñez", date(1958, 3, 14), "male", "MRN000123",
                      ("48 Oak Street, Apt 2B", "Springfield, IL 62701"), "(217) 555-0199")
WRITTEN = date(2025, 1, 6)


def item(n: int = 1, **over) -> RxItem:
    base = dict(rx_number=f"RX000000{n}{n}", drug_name="amoxicillin", strength="500 mg", dose_form="oral capsule",
                route="oral", sig_text="Take 1 capsule by mouth three times a day for 10 days", quantity=30,
                quantity_unit="capsule", days_supply=10, refills=0, written_date=WRITTEN)
    base.update(over)
    return RxItem(**base)


OXY = dict(drug_name="oxycodone hydrochloride", strength="5 mg", dose_form="oral tablet", quantity=12,
           quantity_unit="tablet", sig_text="Take 1 tablet by mouth every 6 hours as needed for severe pain",
           days_supply=3, dea_schedule="II")


def test_prescription_carries_every_required_field():
    pdf = render_prescriptions([item(1, refills=2, substitution_allowed=False,
                                     pharmacist_note="Please counsel on diarrhoea.")],
                               PRACTICE, DOCTOR, PATIENT)
    text = flat(pdf_text(pdf))
    for expected in [
        "Riverside Family Medicine", "1200 Riverside Drive, Suite 300", "Springfield, IL 62704", "(217) 555-0142",
        "Ana Ramírez, MD", f"NPI {VALID_NPI}", "License IL 036-123456",
        "José Núñez", "DOB 1958-03-14", "48 Oak Street, Apt 2B", "Springfield, IL 62701",
        "DATE WRITTEN", "2025-01-06",
        "amoxicillin 500 mg oral capsule",
        "Take 1 capsule by mouth three times a day for 10 days",
        "Dispense: 30 (thirty) capsules", "Days supply: 10", "Refills: 2 (two)",
        "DISPENSE AS WRITTEN — no substitution", "Note to pharmacist: Please counsel on diarrhoea.",
        "Rx number", "RX00000011", "Prescriber's signature", "1 (one) prescription on this page — nothing follows",
    ]:
        assert expected in text, expected
    assert "DEA" not in text  # not a controlled substance: the DEA number is not printed
    assert "REPRINT" not in text
    assert pdf_pages(pdf) == 1


def test_substitution_permitted_is_printed():
    text = flat(pdf_text(render_prescriptions([item()], PRACTICE, DOCTOR, PATIENT)))
    assert "Substitution permitted" in text and "DISPENSE AS WRITTEN" not in text


@pytest.mark.parametrize("reprint", [None, date(2025, 2, 1)])
def test_barcodes_scan_to_the_rx_numbers(tmp_path, reprint):
    from .barcode_reader import rasterize, read_barcodes

    pdf = render_prescriptions([item(1), item(2)], PRACTICE, DOCTOR, PATIENT, reprint_of=reprint)
    path = tmp_path / "rx.pdf"
    path.write_bytes(pdf)
    [png] = rasterize(path, tmp_path / "rx")
    assert read_barcodes(png) == {"RX00000011", "RX00000022"}


def test_controlled_substance_shows_schedule_words_and_dea():
    pdf = render_prescriptions([item(1, **OXY)], PRACTICE, DOCTOR, PATIENT)
    text = flat(pdf_text(pdf))
    assert f"DEA {VALID_DEA}" in text
    assert "C-II Schedule II controlled substance" in text
    assert "Dispense: 12 (twelve) tablets" in text
    assert "Refills: 0 (none) — Schedule II: no refills permitted" in text
    assert "manual signature required" in text


def test_controlled_substance_needs_a_dea_number():
    no_dea = PrescriberInfo("Ana Ramírez", "MD", VALID_NPI, None)
    with pytest.raises(RxRenderError, match="DEA number"):
        render_prescriptions([item(1, **OXY)], PRACTICE, no_dea, PATIENT)


def test_one_visit_shares_pages_and_controlled_gets_its_own():
    items = [item(1), item(2, drug_name="lisinopril", strength="10 mg", dose_form="oral tablet"),
             item(3, drug_name="atorvastatin", strength="20 mg", dose_form="oral tablet"),
             item(4, **OXY), item(5, drug_name="metformin", strength="500 mg", dose_form="oral tablet")]
    pdf = render_prescriptions(items, PRACTICE, DOCTOR, PATIENT)
    assert pdf_pages(pdf) == 3  # three share page 1; the controlled one alone; the last on page 3
    import io

    from pypdf import PdfReader

    pages = [flat(p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]
    assert "3 (three) prescriptions on this page" in pages[0]
    assert all(n in pages[0] for n in ("RX00000011", "RX00000022", "RX00000033"))
    assert "oxycodone" in pages[1] and "amoxicillin" not in pages[1] and f"DEA {VALID_DEA}" in pages[1]
    assert f"DEA {VALID_DEA}" not in pages[0]
    assert "metformin" in pages[2] and "Page 3 of 3" in pages[2]


def test_reprint_is_marked_with_its_date():
    pdf = render_prescriptions([item()], PRACTICE, DOCTOR, PATIENT, reprint_of=date(2025, 2, 1))
    text = flat(pdf_text(pdf))
    assert "COPY — REPRINT" in text
    assert "reprinted 2025-02-01" in text and "original written 2025-01-06" in text


def test_originals_and_reprints_in_one_document():
    pdf = render_prescription_groups(
        [RxGroup([item(1)], DOCTOR, PATIENT), RxGroup([item(2)], DOCTOR, PATIENT, reprint_of=date(2025, 2, 1))],
        PRACTICE)
    import io

    from pypdf import PdfReader

    pages = [flat(p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == 2
    assert "REPRINT" not in pages[0] and "RX00000011" in pages[0]
    assert "COPY — REPRINT" in pages[1] and "RX00000022" in pages[1]


@pytest.mark.parametrize("name", ["Zoë Müller", "Łukasz Wiśniewski", "José Núñez", "Søren Øster", "Şahin Yılmaz"])
def test_accented_names_print(name):
    patient = PatientInfo(name, date(1980, 1, 2), "female", "MRN1", ("1 Main St", "Springfield, IL 62701"))
    text = pdf_text(render_prescriptions([item()], PRACTICE, DOCTOR, patient))
    assert name in text


def test_fonts_are_embedded():
    pdf = render_prescriptions([item()], PRACTICE, DOCTOR, PATIENT)
    assert b"/FontFile2" in pdf  # TrueType program embedded (subset)
    assert b"DejaVuSans" in pdf


@pytest.mark.parametrize("size, width", [("letter", 612), ("A4", 595.28)])
def test_page_sizes(size, width):
    import io

    from pypdf import PdfReader

    pdf = render_prescriptions([item()], PRACTICE, DOCTOR, PATIENT, page_size_name=size)
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert float(box.width) == pytest.approx(width, abs=0.5)


def test_unknown_page_size_is_an_error():
    with pytest.raises(ValueError, match="letter"):
        render_prescriptions([item()], PRACTICE, DOCTOR, PATIENT, page_size_name="legal")


def _summary(**over) -> SummaryData:
    now = datetime(2025, 1, 6, 10, 30)
    base = dict(
        practice=PRACTICE,
        patient=PatientInfo("Zoë Müller", date(1950, 3, 14), "female", "MRN000777", ("48 Oak Street",),
                            "(217) 555-0199", "German", "Łukasz Müller (Child)", "Aetna · member W1"),
        generated_at=now,
        problems=(ProblemLine("Essential (primary) hypertension", "I10", date(2015, 4, 1)),),
        medications=(MedicationLine("lisinopril 10 mg oral tablet", "Take 1 tablet by mouth once a day",
                                    date(2020, 1, 1), "clinic"),),
        allergy_status="recorded", allergies=(AllergyLine("penicillins", "hives", "severe"),),
        immunizations=(),
        vitals=tuple(VitalsRow(now - timedelta(days=30 * i), 130 + i, 80, 72, 16, 36.8, 97, 80.5, 168, 28.5)
                     for i in range(5)),
        bp_trend=tuple(TrendPoint(now - timedelta(days=30 * i), 130 + i, 80) for i in range(12))[::-1],
        weight_trend=tuple(TrendPoint(now - timedelta(days=30 * i), 80 + i / 10) for i in range(12))[::-1],
        encounters=(EncounterLine(now, "office", "Hypertension follow-up", "Ana Ramírez, MD", "BP above goal"),),
        total_encounters=500,
    )
    base.update(over)
    return SummaryData(**base)


def test_summary_sections():
    pdf = render_summary(_summary())
    text = flat(pdf_text(pdf))
    for expected in ["Patient summary", "Zoë Müller", "MRN000777", "Demographics", "German", "Łukasz Müller",
                     "Allergies and intolerances", "penicillins", "hives", "Active problems",
                     "Essential (primary) hypertension", "I10", "Current medications", "lisinopril 10 mg oral tablet",
                     "Immunizations", "No immunizations recorded.", "Recent vital signs", "130/80", "Blood pressure",
                     "Weight", "Recent encounters (last 1 of 500)", "Hypertension follow-up", "Page 1 of"]:
        assert expected in text, expected


@pytest.mark.parametrize("status, words", [("nkda", "No known drug allergies (NKDA)"),
                                           ("not recorded", "Allergies not recorded")])
def test_summary_allergy_status(status, words):
    text = flat(pdf_text(render_summary(_summary(allergy_status=status, allergies=()))))
    assert words in text


def test_summary_without_vitals_still_prints():
    text = flat(pdf_text(render_summary(_summary(vitals=(), bp_trend=(), weight_trend=()))))
    assert "No vital signs recorded." in text and "no readings" in text


def test_note_with_signature_and_addenda():
    now = datetime(2025, 1, 6, 10, 30)
    data = NoteData(PRACTICE, PATIENT, now, "office", "Hypertension follow-up", "Ana Ramírez, MD",
                    subjective="Feels well.", objective="BP 148/92.", assessment="Hypertension, not at goal.",
                    plan="Increase lisinopril to 20 mg daily.", diagnoses=("I10 Essential (primary) hypertension",),
                    signed_by="Ana Ramírez, MD", signed_at=now + timedelta(hours=1),
                    addenda=(AddendumLine("Ana Ramírez, MD", now + timedelta(days=2), "Potassium 4.6 mmol/L."),))
    text = flat(pdf_text(render_note(data)))
    for expected in ["Encounter note", "José Núñez", "Office visit — 2025-01-06 10:30", "Subjective", "Feels well.",
                     "Objective", "Assessment", "Plan", "Increase lisinopril to 20 mg daily.", "Diagnoses",
                     "I10 Essential (primary) hypertension", "Signature",
                     "Electronically signed by Ana Ramírez, MD on 2025-01-06 11:30", "Addenda",
                     "Addendum by Ana Ramírez, MD — 2025-01-08 10:30", "Potassium 4.6 mmol/L."]:
        assert expected in text, expected


def test_long_note_flows_onto_more_pages():
    long_text = "\n".join(f"Line {i}: " + "the patient reports stable symptoms. " * 4 for i in range(120))
    data = NoteData(PRACTICE, PATIENT, datetime(2025, 1, 6), "office", "Review", "Dr X", subjective=long_text,
                    signed_by="Dr X", signed_at=datetime(2025, 1, 6, 12))
    pdf = render_note(data)
    n = pdf_pages(pdf)
    assert n >= 3
    assert f"Page {n} of {n}" in pdf_text(pdf)


def test_rendering_from_several_threads():
    from concurrent.futures import ThreadPoolExecutor

    names = ["Zoë Müller", "Łukasz Wiśniewski", "José Núñez", "Søren Øster"] * 3

    def one(name: str) -> str:
        patient = PatientInfo(name, date(1980, 1, 2), "female", "M1", ("1 Main St",))
        if len(name) % 2:
            return pdf_text(render_summary(_summary(patient=patient)))
        return pdf_text(render_prescriptions([item()], PRACTICE, DOCTOR, patient))

    with ThreadPoolExecutor(3) as pool:
        texts = list(pool.map(one, names))
    assert all(name in text for name, text in zip(names, texts))


LONG_NAME = ("Maria-Fernanda Guadalupe Esperanza Concepción de los Ángeles Rodríguez-Villanueva de la Santísima "
             "Trinidad y Montenegro-Castellanos")


def _name_runs(pdf: bytes) -> tuple[list[tuple[str, float, float, float]], float]:
    """The bold text runs of page 1 that belong to the long name (the patient line under the practice's header):
    (text, x, y, right edge), and the page's width."""
    import io

    from pypdf import PdfReader
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from desktop.printing.fonts import BOLD

    page = PdfReader(io.BytesIO(pdf)).pages[0]
    runs: list[tuple[str, float, float, float]] = []

    def visit(text, _cm, tm, font, size) -> None:
        bold = "bold" in str((font or {}).get("/BaseFont", "")).lower()
        if bold and text.strip() and text.strip() in LONG_NAME:
            runs.append((text.strip(), tm[4], tm[5], tm[4] + stringWidth(text.strip(), BOLD, size * (tm[0] or 1))))

    page.extract_text(visitor_text=visit)
    return runs, float(page.mediabox.width)


@pytest.mark.parametrize("document", ["prescription", "summary"])
def test_a_long_patient_name_is_printed_whole_inside_the_margins(document):
    """It identifies the patient: it wraps (and shrinks a little) rather than run off the paper or over the
    prescription's date."""
    from desktop.printing.page import MARGIN

    patient = PatientInfo(LONG_NAME, date(1990, 5, 17), "female", "MRN000777")
    pdf = render_prescriptions([item()], PRACTICE, DOCTOR, patient) if document == "prescription" \
        else render_summary(_summary(patient=patient))
    runs, width = _name_runs(pdf)
    assert " ".join(text for text, *_ in runs).split() == LONG_NAME.split()  # every word, in order
    assert all(right <= width - MARGIN + 0.5 for *_, right in runs)
    if document == "prescription":  # the date written stays clear of it, on the first line's right
        assert all(right <= width - MARGIN - 60 for *_, right in runs)
