"""The printed patient summary carries a recent laboratory results table (front desk prints it too)."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta

from desktop.services import documents
from desktop.services import results as svc
from desktop.services.results import PanelInput, ResultInput
from tests.conftest import user_for
from tests.printing.conftest import flat, pdf_text

SHOTS = os.environ.get("EMR_SCREENSHOTS", "")


def test_summary_pdf_lists_recent_results_with_flags(db, patient):
    base = datetime.now(UTC) - timedelta(days=400)
    with db.uow(user_for("nurse")) as uow:
        for n in range(8):  # eight panels: the summary prints the latest six
            svc.record_results(uow, patient.id, PanelInput(
                collected_at=base + timedelta(days=50 * n), panel_name="Basic Metabolic Panel", results=(
                    ResultInput(name="Potassium", loinc="6298-4", value=4.0 + n / 10, unit="mmol/L"),
                    ResultInput(name="Glucose", loinc="2339-0", value=90 + 10 * n, unit="mg/dL"))))
    with db.uow(user_for("front_desk")) as uow:
        data = documents.summary_data(uow, patient.mrn)
        job = documents.summary_document(uow, patient.mrn)
    assert len(data.labs) == 12 and [(x.value, x.flag) for x in data.labs[:2]] == [("4.7", "N"), ("160", "H")]
    text = flat(pdf_text(job.pdf))
    assert "Recent laboratory results" in text and "70–110 (default)" in text
    assert "Glucose [Mass/volume] in Blood" in text or "Glucose" in text
    if SHOTS:
        path = os.path.join(SHOTS, "summary.pdf")
        with open(path, "wb") as fh:
            fh.write(job.pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "70", path, os.path.join(SHOTS, "summary")], check=True)


def test_summary_without_results_says_so(db, patient):
    with db.uow(user_for("physician")) as uow:
        job = documents.summary_document(uow, patient.mrn)
    assert "No laboratory results recorded." in flat(pdf_text(job.pdf))
