"""Fixtures for prescribing and printing: a prescriber profile for the test physician, a patient with an
address (controlled substances need one), and a helper that extracts PDF text with pypdf."""

from __future__ import annotations

import io
from datetime import date

import pytest

from tests.conftest import user_for

# valid numbers computed by hand: NPI Luhn over 80840 + 9 digits; DEA (1+3+5) + 2*(2+4+6) = 33 -> 3
VALID_NPI = "1234567893"
VALID_DEA = "BR1234563"


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    """Whitespace collapsed, so assertions do not depend on line breaks."""
    return " ".join(text.split())


@pytest.fixture
def prescriber(db):
    """The test physician's prescriber profile (with a DEA number), made by the admin."""
    from desktop.services.prescribers import PrescriberInput, save_prescriber

    with db.uow(user_for("admin")) as uow:
        return save_prescriber(uow, PrescriberInput(
            user_id=user_for("physician").id, full_name="Ana Lima", credentials="MD", npi=VALID_NPI,
            dea_number=VALID_DEA, state_licence="IL 036-123456", specialty="Family Medicine"))


@pytest.fixture
def patient(add_patient):
    return add_patient(given="José", family="Núñez", birth_date=date(1958, 3, 14), sex="male",
                       address_line1="48 Oak Street", address_line2="Apt 2B", city="Springfield", state="IL",
                       postal_code="62701", phone_mobile="(217) 555-0199")


@pytest.fixture
def rx_input():
    from desktop.services.prescriptions import RxInput

    def make(**over):
        base = dict(drug_name="amoxicillin", ingredients="amoxicillin", strength="500 mg", dose_form="oral capsule",
                    route="po", dose="1", dose_unit="capsule", frequency="tid", duration_days=10, quantity=30,
                    quantity_unit="capsule", refills=0)
        base.update(over)
        return RxInput(**base)

    return make


@pytest.fixture
def no_alert_engine(monkeypatch):
    """Make check_before_signing report 'clear' without the alerts engine (for tests not about alerts)."""
    from desktop.services import prescriptions as rxs

    def clear(uow, rx_id):
        from desktop.services.alerts import AlertCheck

        rxs._load(uow, rx_id)
        return AlertCheck(alerts=(), kb_available=True)

    monkeypatch.setattr(rxs, "check_before_signing", clear)
    return clear


@pytest.fixture
def signed_rx(db, prescriber, patient, rx_input, no_alert_engine):
    """sign_new(**fields) -> RxView of a signed, active prescription for the test patient."""
    from desktop.services import prescriptions as rxs

    def make(**over):
        with db.uow(user_for("physician")) as uow:
            draft = rxs.create_draft(uow, patient.id, rx_input(**over))
            return rxs.sign(uow, draft.id)

    return make
