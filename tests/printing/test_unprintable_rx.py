"""A prescription is printed after it is signed, and a signed prescription cannot change. Directions too long
for a page (a sig pasted from a patient leaflet) used to be signed, and then every print failed with "too long
to fit a page": the prescription could never reach the pharmacy. Now it is refused while it is still a draft;
long directions that do fit still sign and print whole."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop.models import Prescription
from desktop.services import prescriptions as rxs
from desktop.services.errors import ValidationError
from tests.conftest import call_service, user_for

from .conftest import flat, pdf_pages, pdf_text
from .test_gui import _choose, _editor, _sign

LEAFLET = "Take 1 capsule by mouth three times a day with a full glass of water, finishing every dose. " * 30


@pytest.mark.gui
def test_directions_too_long_to_print_are_refused_before_signing(qtbot, app_ctx, prescriber, patient, messages,
                                                                 db, no_alert_engine):
    _ctx, editor = _editor(app_ctx, patient, messages)
    qtbot.addWidget(editor)
    _choose(qtbot, editor, "lisinopril 10", "lisinopril-10-tab")
    editor.sig.typed.setText(LEAFLET)
    assert _sign(qtbot, editor) is None
    assert "too long to print" in editor.errors.text()
    with db.uow() as uow:
        assert uow.session.execute(select(Prescription).where(Prescription.status == "active")).first() is None


def test_a_draft_saved_too_long_is_not_signed(db, prescriber, patient, rx_input, no_alert_engine):
    with db.uow(user_for("physician")) as uow, pytest.raises(ValidationError) as err:
        rxs.create_draft(uow, patient.id, rx_input(sig_text=LEAFLET))
    assert "too long to print" in err.value.errors["sig"]
    with db.uow(user_for("physician")) as uow:  # an older draft (saved before the check) is refused at signing
        draft = rxs.create_draft(uow, patient.id, rx_input())
        uow.session.get(Prescription, draft.id).sig_text = LEAFLET
    with db.uow(user_for("physician")) as uow, pytest.raises(ValidationError):
        rxs.sign(uow, draft.id)
    with db.uow() as uow:
        assert uow.session.get(Prescription, draft.id).status == "draft"


def test_long_directions_that_fit_sign_and_print_whole(app_ctx, db, prescriber, patient, rx_input, no_alert_engine):
    sig = "Take 1 capsule by mouth three times a day with a full glass of water, finishing every dose. " * 6
    with db.uow(user_for("physician")) as uow:
        signed = rxs.sign(uow, rxs.create_draft(uow, patient.id, rx_input(
            sig_text=sig, pharmacist_note="Please counsel on completing the course. " * 10)).id)
    job = call_service(app_ctx("front_desk"), rxs.prepare_rx_print, [signed.id])
    assert pdf_pages(job.pdf) == 1
    assert flat(sig.strip()) in flat(pdf_text(job.pdf))


@pytest.mark.parametrize(("field", "text", "key"), [
    ("sig_text", "Take 1 capsule 💊 three times a day", "sig"),
    ("pharmacist_note", "Thanks 🙏", "pharmacist_note"),
    ("drug_name", "amoxicillin 🙂", "drug_name"),
])
def test_emoji_in_a_prescription_are_refused_before_saving(db, prescriber, patient, rx_input, no_alert_engine,
                                                           field, text, key):
    """They print as empty boxes: a pharmacist reads 'Take 1 capsule [] three times a day'."""
    with db.uow(user_for("physician")) as uow, pytest.raises(ValidationError) as err:
        rxs.create_draft(uow, patient.id, rx_input(**{field: text}))
    assert "emoji" in err.value.errors[key]
    with db.uow(user_for("physician")) as uow:  # accents and the usual signs still print
        rxs.create_draft(uow, patient.id, rx_input(sig_text="Take ½ tablet by mouth at 8 a.m. — café au lait ok, "
                                                            "≤ 2/day, 5 mL ★ ✓"))
