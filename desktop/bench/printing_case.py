"""`rx_pdf` and `summary_pdf`: printing from the database (encrypted default), as the preview does it.

rx_pdf: one active prescription -> PDF (load, render with embedded fonts, Code128 barcode); target ≤ 50 ms.
summary_pdf: the summary of a large patient (500 encounters, 5,000 vital-sign values; only recent rows are
printed) -> PDF with the BP and weight charts; target ≤ 300 ms.
Reference (same run, same fonts): a one-page reportlab PDF with one line of text in the embedded DejaVu font —
the fixed cost of any PDF with an embedded font subset.
"""

from __future__ import annotations

import io
import random
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from desktop.kb.vitals import DIASTOLIC, HEART_RATE, SYSTOLIC, WEIGHT

from . import CaseResult, median_p95
from .context import BenchContext, cached_database

ENCOUNTERS = 500
VITAL_SETS = 1250  # x 4 values (systolic, diastolic, heart rate, weight) = 5,000 vital-sign rows
LARGE_MRN = "BENCH-LARGE"
REFERENCE = "one-page reportlab PDF, one line of text in the same embedded DejaVu font, same run"


def _database(cache: Path):
    return cached_database(cache, "printing", _fill)


def _fill(db) -> None:
    from sqlalchemy import insert, select

    from desktop.models import (
        Allergy,
        Encounter,
        Immunization,
        Medication,
        Patient,
        Prescriber,
        Problem,
        User,
        VitalSign,
    )
    from desktop.services import demo
    from desktop.services.demo_chart import add_demo_prescriptions

    rng = random.Random(7)
    now = datetime.now(UTC)
    with db.uow() as uow:
        s = uow.session
        demo.create_practice_and_users(uow)
        s.flush()
        s.add(Patient(mrn=LARGE_MRN, given_name="Zoë", middle_name="", family_name="Müller-Łukasiewicz",
                      birth_date=date(1950, 3, 14), sex="female", address_line1="48 Oak Street",
                      city="Springfield", state="IL", postal_code="62701", phone_mobile="(217) 555-0199",
                      preferred_language="German", insurance_payer="Medicare", sort_key="muller zoe"))
        s.flush()
        pid = s.execute(select(Patient.id).where(Patient.mrn == LARGE_MRN)).scalar_one()
        physician = s.execute(select(User.id).where(User.role == "physician")).scalars().first()
        s.add_all([Problem(patient_id=pid, description=d, icd10_code=c) for d, c in (
            ("Essential (primary) hypertension", "I10"), ("Type 2 diabetes mellitus without complications", "E11.9"),
            ("Hyperlipidemia, unspecified", "E78.5"), ("Chronic kidney disease, stage 3a", "N18.31"))])
        s.add_all([Allergy(patient_id=pid, substance="penicillins", substance_key="penicillins", reaction="hives",
                           severity="severe"),
                   Immunization(patient_id=pid, vaccine="Influenza, seasonal, injectable", cvx_code="141",
                                date_given=date.today() - timedelta(days=90))])
        s.add_all([Medication(patient_id=pid, drug_name=f"demo medication {i}", sig="Take 1 tablet by mouth daily")
                   for i in range(8)])
        vitals = []
        for i in range(VITAL_SETS):
            t = now - timedelta(days=i * 1.5)
            for loinc, value, unit in ((SYSTOLIC, rng.randint(115, 165), "mm[Hg]"),
                                       (DIASTOLIC, rng.randint(65, 98), "mm[Hg]"), (HEART_RATE, rng.randint(58, 96), "/min"),
                                       (WEIGHT, round(78 + rng.random() * 6, 1), "kg")):
                vitals.append(dict(patient_id=pid, set_id=f"b{i}", taken_at=t, loinc=loinc, value=value, unit=unit,
                                   origin="clinic", version=1, entered_in_error=False))
        s.execute(insert(VitalSign), vitals)
        s.execute(insert(Encounter), [dict(
            patient_id=pid, encounter_date=now - timedelta(days=i * 4), kind="office", reason="Follow-up",
            assessment="Hypertension; diabetes stable. " * 3, status="signed", signed_at=now, provider_id=physician,
            signed_by_id=physician, version=1, entered_in_error=False) for i in range(ENCOUNTERS)])
        prescriber_id = s.execute(select(Prescriber.id)).scalars().first()
        add_demo_prescriptions(uow, [pid], prescriber_id, rng)


def _reference_ms() -> float:
    from reportlab.pdfgen.canvas import Canvas

    from desktop.printing.fonts import REGULAR, ensure_fonts

    ensure_fonts()
    t0 = time.perf_counter()
    c = Canvas(io.BytesIO(), pageCompression=1)
    c.setFont(REGULAR, 11)
    c.drawString(72, 720, "Zoë Müller — Łukasz — José Núñez")
    c.showPage()
    c.save()
    return (time.perf_counter() - t0) * 1000


def _user():
    from desktop.services.uow import CurrentUser

    return CurrentUser(id=3, username="bench", display_name="Bench", role="front_desk")


def _measure(ctx: BenchContext, work) -> tuple[list[float], list[float], float]:
    t0 = time.perf_counter()
    work()  # the first call registers the fonts and imports reportlab: once per process, reported apart
    first = (time.perf_counter() - t0) * 1000
    app, ref = [], []
    for _ in range(ctx.repeat):
        t0 = time.perf_counter()
        work()
        app.append((time.perf_counter() - t0) * 1000)
        ref.append(_reference_ms())
    return app, ref, first


def run_rx(ctx: BenchContext) -> CaseResult:
    from sqlalchemy import select

    from desktop.models import Patient, Prescription
    from desktop.services.prescriptions import prepare_rx_print

    db = _database(Path(ctx.cache_dir))
    with db.uow() as uow:
        rx_id = uow.session.execute(select(Prescription.id).join(Patient, Patient.id == Prescription.patient_id)
                                    .where(Patient.mrn == LARGE_MRN).order_by(Prescription.id)).scalars().first()
    sizes: list[int] = []

    def work() -> None:
        with db.uow(_user()) as uow:
            job = prepare_rx_print(uow, [rx_id])
            uow.rollback()  # a preview: nothing recorded
        sizes.append(len(job.pdf))

    app, ref, first = _measure(ctx, work)
    db.dispose()
    ms, p95 = median_p95(app)
    ref_ms, ref_p95 = median_p95(ref)
    return CaseResult(ms, p95, ref_ms, {
        "reference": REFERENCE, "reference_p95_ms": round(ref_p95, 3), "target_ms": 50, "pdf_bytes": sizes[-1],
        "first_call_ms": round(first, 1),
        "measured": "load one prescription, patient, prescriber, practice; render PDF (fonts, Code128)",
        "database": "SQLCipher (encrypted default)",
    })


def run_summary(ctx: BenchContext) -> CaseResult:
    from desktop.services.documents import summary_document

    db = _database(Path(ctx.cache_dir))
    pages: list[int] = []

    def work() -> None:
        with db.uow(_user()) as uow:
            job = summary_document(uow, LARGE_MRN)
            uow.rollback()
        pages.append(job.pages)

    app, ref, first = _measure(ctx, work)
    db.dispose()
    ms, p95 = median_p95(app)
    ref_ms, ref_p95 = median_p95(ref)
    return CaseResult(ms, p95, ref_ms, {
        "reference": REFERENCE, "reference_p95_ms": round(ref_p95, 3), "target_ms": 300, "pages": pages[-1],
        "first_call_ms": round(first, 1),
        "measured": f"summary of a patient with {ENCOUNTERS} encounters and {VITAL_SETS * 4} vital-sign values "
                    "(recent rows printed), queries + render with two trend charts",
        "database": "SQLCipher (encrypted default)",
    })
