"""Issue 14.7 on paper: a US practice's printed summary reads °F / lb / in; a child's prescription names the
weight in both units for the pharmacist ("82.1 kg (181 lb)" style). Text read back with pdftotext."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta

import pytest

from desktop.services import display_units, documents
from desktop.services.vitals import VitalsInput, record_vitals
from tests.conftest import earlier_today, user_for

from .conftest import flat

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")


def pdftotext(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return flat(out.stdout.decode())


def _record(db, patient_id: int, **values) -> None:
    with db.uow(user_for("nurse")) as uow:
        record_vitals(uow, patient_id, VitalsInput(taken_at=earlier_today(), **values))


def test_summary_pdf_in_the_practices_units(db, patient):
    _record(db, patient.id, systolic=128, diastolic=82, temperature=38.0, weight=82.1, height=162.6)
    with db.uow(user_for("admin")) as uow:
        display_units.set_practice_system(uow, display_units.US)
    with db.uow(user_for("physician")) as uow:
        us = pdftotext(documents.summary_document(uow, patient.mrn).pdf)
    assert "Temp °F" in us and "Weight lb" in us and "Height in" in us
    assert "128/82" in us and "100.4" in us and " 181 " in us and " 64 " in us
    assert "Temp °C" not in us and "82.1" not in us

    with db.uow(user_for("admin")) as uow:
        display_units.set_practice_system(uow, display_units.METRIC)
    with db.uow(user_for("physician")) as uow:
        metric = pdftotext(documents.summary_document(uow, patient.mrn).pdf)
    assert "Temp °C" in metric and "Weight kg" in metric and "38.0" in metric and "82.1" in metric


def test_a_childs_prescription_names_the_weight_in_both_units(db, add_patient, prescriber, rx_input,
                                                               no_alert_engine):
    from desktop.services import prescriptions as rxs

    today = date.today()
    child = add_patient(given="Mia", family="Child", birth_date=date(today.year - 6, 1, 15), address_line1="1 Elm St",
                        city="Springfield", state="IL", postal_code="62701")
    _record(db, child.id, weight=20.4)
    with db.uow(user_for("physician")) as uow:
        rx = rxs.sign(uow, rxs.create_draft(uow, child.id, rx_input(strength="250 mg/5 mL", dose_form="oral suspension",
                                                                       dose="5", dose_unit="mL", quantity=150,
                                                                       quantity_unit="mL")).id)
        us = pdftotext(documents.prescription_documents(uow, [rx.id]).pdf)
    assert f"Weight 45 lb (20.4 kg) on {today:%Y-%m-%d}" in us or \
        f"Weight 45 lb (20.4 kg) on {today - timedelta(days=1):%Y-%m-%d}" in us  # the US practice reads lb first
    with db.uow(user_for("physician")) as uow:
        display_units.set_user_choice(uow, display_units.METRIC)
        metric = pdftotext(documents.prescription_documents(uow, [rx.id]).pdf)
    assert "Weight 20.4 kg (45 lb)" in metric


def test_an_adults_prescription_carries_no_weight(db, patient, signed_rx):
    _record(db, patient.id, weight=82.1)
    rx = signed_rx()
    with db.uow(user_for("physician")) as uow:
        text = pdftotext(documents.prescription_documents(uow, [rx.id]).pdf)
    assert "José Núñez" in text and "Weight" not in text


def test_todays_vitals_inserted_in_a_note_print_in_the_writers_units(db, patient):
    from desktop.services import encounters
    from desktop.services.encounters import EncounterInput, NoteContent

    _record(db, patient.id, systolic=128, diastolic=82, temperature=38.0, weight=82.1, height=162.6)
    with db.uow(user_for("physician")) as uow:  # the test practice is in Springfield, IL: US units
        note = encounters.create_encounter(uow, patient.id, EncounterInput(reason="Fever"))
        line = encounters.vitals_for_encounter(uow, note.id)  # the editor's "Insert today's vitals"
        saved = encounters.save_draft(uow, note.id, NoteContent(reason="Fever", objective=line), note.version)
        encounters.sign(uow, note.id, saved.version)
        text = pdftotext(documents.note_document(uow, note.id).pdf)
    assert line.count("Vitals ") == 1 and "Temp 100.4 °F (H), Wt 181 lb, Ht 64 in" in line
    assert "Temp 100.4 °F (H), Wt 181 lb, Ht 64 in" in text
