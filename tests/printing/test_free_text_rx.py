"""Issue 16: a free-text prescription (compounded cream, a drug not yet in the formulary) can be written and
signed, is marked "not checked for interactions" in the app, and the pharmacy copy never says so."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop.models import AuditEntry
from desktop.services import prescriptions as rxs
from tests.conftest import user_for

from .conftest import flat, pdf_text

CREAM = dict(drug_name="BLT compounded numbing cream", ingredients="", strength="30 g",
             dose_form="topical cream", route="topical", dose="", dose_unit="", frequency="", duration_days=None,
             sig_text="apply a thin layer to the area 30 minutes before the procedure", quantity=1, quantity_unit="tube")


def _sign_free_text(db, patient, rx_input):
    with db.uow(user_for("physician")) as uow:
        draft = rxs.create_draft(uow, patient.id, rx_input(**CREAM))
        check = rxs.check_before_signing(uow, draft.id)
        signed = rxs.sign(uow, draft.id)
        check = (check, rxs.drug_not_checked(draft, check))
    return draft, check, signed


def test_free_text_drug_is_signed_and_marked_not_checked(db, prescriber, patient, rx_input):
    draft, check, signed = _sign_free_text(db, patient, rx_input)
    assert not draft.interaction_checked and draft.formulary_id is None
    check, not_checked = check
    assert check.kb_available and not_checked  # the engine ran but could not place this drug
    assert signed.status == "active" and not signed.interaction_checked
    with db.uow(user_for("physician")) as uow:
        assert not rxs.history(uow, patient.id)[0].interaction_checked
        sign_audit = uow.session.execute(
            select(AuditEntry.summary).where(AuditEntry.action == "sign", AuditEntry.entity == "prescription")
        ).scalars().all()
    assert any("not checked for interactions" in s for s in sign_audit)


def test_formulary_and_recognised_names_are_checked(db, prescriber, patient, rx_input):
    with db.uow(user_for("physician")) as uow:
        picked = rxs.create_draft(uow, patient.id, rx_input(drug_name="azithromycin", formulary_id="azithromycin-250-tab",
                                                             sig_text="1 tab po daily x 5d", quantity=5,
                                                             quantity_unit="tablet"))
        typed = rxs.create_draft(uow, patient.id, rx_input(drug_name="ibuprofen", ingredients="", strength="400 mg",
                                                            dose_form="oral tablet", dose_unit="tablet"))
        assert rxs.drug_not_checked(typed, rxs.check_before_signing(uow, typed.id)) is False
    assert picked.interaction_checked and typed.interaction_checked


def test_the_pharmacy_copy_never_carries_the_mark(db, prescriber, patient, rx_input):
    _draft, _check, signed = _sign_free_text(db, patient, rx_input)
    with db.uow(user_for("front_desk")) as uow:
        job = rxs.prepare_rx_print(uow, [signed.id])
    text = flat(pdf_text(job.pdf)).lower()
    assert "blt compounded numbing cream" in text
    for words in ("not checked", "interaction", "free text", "formulary"):
        assert words not in text


@pytest.mark.gui
def test_editor_marks_free_text_and_clears_the_mark_for_a_product(qtbot, app_ctx, prescriber, patient, messages):
    from desktop.views.prescription_editor import PrescriptionEditor, services_for

    ctx = app_ctx("physician")
    editor = PrescriptionEditor(services_for(ctx.ops, patient.id), "José Núñez", messages=messages)
    qtbot.addWidget(editor)
    assert editor.unchecked_note.isHidden()
    qtbot.keyClicks(editor.drug.edit, "magic mouthwash compounded")
    editor.drug.refresh()
    assert not editor.unchecked_note.isHidden()
    assert editor.unchecked_note.text() == "Not in the formulary: not checked for interactions"
    editor.drug.edit.clear()
    qtbot.keyClicks(editor.drug.edit, "zithromax 250")
    editor.drug.refresh()
    editor.drug._choose_row(0)
    assert editor.drug.chosen is not None and editor.unchecked_note.isHidden()


@pytest.mark.gui
def test_prescription_list_shows_the_mark(qtbot, app_ctx, db, prescriber, patient, rx_input):
    from desktop.views.prescriptions_dialog import PrescriptionsDialog

    _sign_free_text(db, patient, rx_input)
    ctx = app_ctx("physician")
    dialog = PrescriptionsDialog(ctx, patient.id, "José Núñez")
    qtbot.addWidget(dialog)
    dialog.load()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=5000)
    drug = dialog.model.index(0, 2).data()
    assert drug.endswith("— not checked for interactions") and drug.startswith("BLT compounded")
