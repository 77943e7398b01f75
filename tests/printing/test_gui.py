"""GUI: the prescription editor (type-ahead, sig builder, controlled rules) -> alert -> sign -> preview -> print."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from desktop.models import Medication, PrintRecord
from tests.conftest import call_service, type_text, user_for, when_modal

from .conftest import flat, pdf_text

pytestmark = pytest.mark.gui


@pytest.fixture
def on_med_list(db):
    """on_med_list(patient_id, "clarithromycin") puts a drug on the patient's active medication list."""
    def add(patient_id: int, name: str) -> None:
        with db.uow() as uow:
            uow.session.add(Medication(patient_id=patient_id, drug_name=name, ingredients=name,
                                       source="patient-reported"))

    return add


@pytest.fixture
def kb_broken(monkeypatch):
    """The alert knowledge base cannot be loaded (as with a corrupt file)."""
    from desktop.alerts import KnowledgeBaseUnavailable
    from desktop.services import alerts

    def broken():
        raise KnowledgeBaseUnavailable("interactions.json is corrupt")

    monkeypatch.setattr(alerts, "load_kb", broken)



def _editor(app_ctx, patient, messages, resolver=None):
    from desktop.views.prescription_editor import PrescriptionEditor, services_for

    ctx = app_ctx("physician")
    services = services_for(ctx.ops, patient.id)
    return ctx, PrescriptionEditor(services, "José Núñez · DOB 1958-03-14", messages=messages,
                                   resolve_alerts=resolver)


def _sign(qtbot, editor):
    """Check and sign (each step in a worker, the alert dialog in between): the signed RxView, or None when it
    stopped."""
    outcome: list = []
    editor.sig_signed.connect(outcome.append)
    editor.sig_stopped.connect(lambda: outcome.append(None))
    assert editor.check_and_sign()
    assert not editor.sign_button.isEnabled() and not editor.save_button.isEnabled()  # no second click
    qtbot.waitUntil(lambda: bool(outcome), timeout=10000)
    return outcome[0]


def _recorded(qtbot, signal, start) -> bool:
    """start() prints or saves; the print is recorded in a worker first: the outcome signal's answer."""
    with qtbot.waitSignal(signal, timeout=30000) as done:
        assert start()
    return done.args[0]


def _choose(qtbot, editor, text: str, pick: str) -> None:
    from PySide6.QtCore import Qt

    qtbot.keyClicks(editor.drug.edit, text)
    editor.drug.refresh()
    rows = editor.drug.results()
    assert rows, f"no formulary match for {text!r}"
    row = next(i for i, p in enumerate(rows) if p.id == pick)
    editor.drug.table.selectRow(row)
    editor.drug.table.setFocus()
    qtbot.keyClick(editor.drug.table, Qt.Key.Key_Return)


def test_editor_alert_override_sign_and_preview(qtbot, app_ctx, db, prescriber, patient, messages, on_med_list,
                                               tmp_path):
    """Real alert engine: simvastatin with clarithromycin on the list is contraindicated (ONC high priority)."""
    from PySide6.QtWidgets import QLabel

    from desktop.models import AlertOverride
    from desktop.widgets.alert_dialog import AlertDialog

    on_med_list(patient.id, "clarithromycin")
    seen: list = []

    def override(dialog) -> None:
        seen.append(dialog)
        shown = " ".join(lbl.text() for lbl in dialog.findChildren(QLabel))
        assert "simvastatin + clarithromycin" in shown and "CONTRAINDICATED" in shown
        assert not dialog.override_button.isEnabled()  # no reason yet: cannot override
        dialog.reason_box.setCurrentText("Will monitor")
        dialog.comment_edit.setPlainText("short course, CK checked")
        assert dialog.override_button.isEnabled()
        dialog.override_button.click()

    when_modal(AlertDialog, override)
    ctx, editor = _editor(app_ctx, patient, messages)
    qtbot.addWidget(editor)
    _choose(qtbot, editor, "zocor 20", "simvastatin-20-tab")
    assert editor.strength.text() == "20 mg" and not editor.strength.isEnabled()
    assert editor.sig.sig_text() == "Take 1 tablet by mouth once a day"  # the formulary's usual sig
    editor.quantity.setValue(90)
    assert editor.days.value() == 90 and "ninety" in editor.quantity_words.text()
    editor.refills.setValue(3)
    qtbot.keyClicks(editor.note, "Please use blister packs")

    signed = _sign(qtbot, editor)
    assert signed is not None and signed.status == "active", messages.shown
    assert seen
    with db.uow(user_for("physician")) as uow:
        med = uow.session.execute(select(Medication).where(Medication.prescription_id == signed.id)).scalar_one()
        [ov] = uow.session.execute(select(AlertOverride)).scalars().all()
    assert med.status == "active" and med.formulary_id == "simvastatin-20-tab"
    assert (ov.reason, ov.comment, ov.prescription_id, ov.severity) == (
        "Will monitor", "short course, CK checked", signed.id, "contraindicated")

    # preview and print as the front desk
    from desktop.services import prescriptions as rxs
    from desktop.views.pdf_preview import preview_job, recorder

    desk = app_ctx("front_desk")
    job = call_service(desk, rxs.prepare_rx_print, [signed.id])
    preview = preview_job(job, recorder(desk.ops), messages=messages)
    qtbot.addWidget(preview)
    preview.show()
    assert preview.document.pageCount() == 1
    text = flat(pdf_text(job.pdf))
    assert "simvastatin 20 mg oral tablet" in text and "Note to pharmacist: Please use blister packs" in text
    assert "Refills: 3 (three)" in text and "Dispense: 90 (ninety) tablets" in text

    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    assert _recorded(qtbot, preview.sig_print_done, lambda: preview.print_to(printer))
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(out.read_bytes())).pages) == 1
    # the print was recorded as the original; the next preview is a reprint
    with db.uow(user_for("admin")) as uow:
        recs = uow.session.execute(select(PrintRecord)).scalars().all()
    assert [(r.ref_id, r.reprint) for r in recs] == [(signed.rx_number, False)]

    again = call_service(desk, rxs.prepare_rx_print, [signed.id])
    assert again.reprint and "COPY — REPRINT" in flat(pdf_text(again.pdf))
    reprint = preview_job(again, recorder(desk.ops), messages=messages)
    qtbot.addWidget(reprint)
    assert _recorded(qtbot, reprint.sig_save_done, lambda: reprint.save_to(tmp_path / "copy.pdf"))
    with db.uow(user_for("admin")) as uow:
        recs = uow.session.execute(select(PrintRecord).order_by(PrintRecord.id)).scalars().all()
    assert [r.reprint for r in recs] == [False, True]


def test_cancelled_alert_leaves_a_draft(qtbot, app_ctx, prescriber, patient, messages, on_med_list):
    from desktop.widgets.alert_dialog import AlertDialog

    on_med_list(patient.id, "clarithromycin")
    when_modal(AlertDialog, lambda d: d.cancel_button.click())
    _ctx, editor = _editor(app_ctx, patient, messages)
    qtbot.addWidget(editor)
    _choose(qtbot, editor, "simvastatin 20", "simvastatin-20-tab")
    assert _sign(qtbot, editor) is None
    assert editor.rx is not None and editor.rx.status == "draft"
    assert "Not signed" in editor.errors.text()


def test_unavailable_checking_needs_acknowledgement(qtbot, app_ctx, db, prescriber, patient, messages, kb_broken):
    from desktop.models import AuditEntry
    from desktop.widgets.alert_dialog import AlertDialog

    def acknowledge(dialog) -> None:
        assert "interactions.json is corrupt" in dialog.banner.text()
        assert not dialog.continue_button.isEnabled()
        dialog.acknowledge_box.setChecked(True)
        dialog.continue_button.click()

    when_modal(AlertDialog, acknowledge)
    _ctx, editor = _editor(app_ctx, patient, messages)
    qtbot.addWidget(editor)
    _choose(qtbot, editor, "lisinopril 10", "lisinopril-10-tab")
    signed = _sign(qtbot, editor)
    assert signed is not None and signed.status == "active"
    with db.uow(user_for("admin")) as uow:
        actions = uow.session.execute(select(AuditEntry.action).where(AuditEntry.entity == "prescription",
                                                                      AuditEntry.entity_id == str(signed.id))).scalars()
        assert "acknowledge" in list(actions)


def test_unacknowledged_unchecked_prescription_is_not_signed(qtbot, app_ctx, prescriber, patient, messages,
                                                            kb_broken):
    from desktop.widgets.alert_dialog import AlertDialog

    when_modal(AlertDialog, lambda d: d.reject())
    _ctx, editor = _editor(app_ctx, patient, messages)
    qtbot.addWidget(editor)
    _choose(qtbot, editor, "lisinopril 10", "lisinopril-10-tab")
    assert _sign(qtbot, editor) is None and editor.rx.status == "draft"


def test_controlled_caps_refills_and_shows_schedule(qtbot, app_ctx, prescriber, patient, messages):
    _ctx, editor = _editor(app_ctx, patient, messages)
    qtbot.addWidget(editor)
    _choose(qtbot, editor, "oxycodone 5", "oxycodone-5-tab")
    assert editor.refills.maximum() == 0
    assert "Schedule II controlled substance" in editor.schedule_note.text()
    assert "no refills" in editor.refills_hint.text()
    editor.quantity.setValue(12)
    assert editor.quantity_words.text() == "(twelve)"
    assert editor.sig.sig_text() == "Take 1 tablet by mouth every 6 hours as needed for severe pain"
    assert editor.days.value() == 3
    editor.drug.edit.clear()
    qtbot.keyClicks(editor.drug.edit, "tramadol")
    editor.drug.refresh()
    editor.drug._choose_row(0)
    assert editor.refills.maximum() == 5 and "at most 5 refills" in editor.refills_hint.text()


def test_typed_abbreviations_and_free_text_drug(qtbot, app_ctx, prescriber, patient, messages):
    _ctx, editor = _editor(app_ctx, patient, messages)
    qtbot.addWidget(editor)
    type_text(editor.drug.edit, "Zoëcillin compounded")  # not in the formulary: uncoded, free text
    editor.drug.refresh()
    qtbot.keyClicks(editor.strength, "250 mg")
    qtbot.keyClicks(editor.sig.typed, "1 cap po tid x 7d")
    assert editor.sig.preview.text() == "Take 1 capsule by mouth three times a day for 7 days"
    editor.quantity_unit.setCurrentText("capsule")
    editor.quantity.setValue(21)
    assert editor.days.value() == 7
    signed = _sign(qtbot, editor)
    assert signed is not None, messages.shown
    assert signed.drug_name == "Zoëcillin compounded" and signed.formulary_id is None


def test_validation_errors_stay_in_the_dialog(qtbot, app_ctx, prescriber, patient, messages):
    _ctx, editor = _editor(app_ctx, patient, messages)
    qtbot.addWidget(editor)
    _choose(qtbot, editor, "lisinopril 10", "lisinopril-10-tab")
    editor.quantity.setValue(0)
    assert _sign(qtbot, editor) is None
    assert "more than 0" in editor.errors.text()
    assert messages.shown and messages.shown[-1][0] == "Please check the form"


def test_show_document_previews_summary_off_thread(qtbot, app_ctx, patient, tmp_path):
    from desktop.services import documents
    from desktop.views.pdf_preview import show_document

    ctx = app_ctx("front_desk")
    shown: list = []
    show_document(ctx, documents.summary_document, patient.mrn, on_shown=shown.append)
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    dialog = shown[0]
    qtbot.addWidget(dialog)
    assert dialog.document.pageCount() >= 1 and "José Núñez" in dialog.windowTitle()
    assert _recorded(qtbot, dialog.sig_save_done, lambda: dialog.save_to(tmp_path / "summary"))  # .pdf added
    assert (tmp_path / "summary.pdf").read_bytes().startswith(b"%PDF")
    # a patient's record on disk: owner-only, like the command line's --out, also when it replaces a file
    assert (tmp_path / "summary.pdf").stat().st_mode & 0o777 == 0o600
    (tmp_path / "old.pdf").write_bytes(b"old")
    (tmp_path / "old.pdf").chmod(0o644)
    assert _recorded(qtbot, dialog.sig_save_done, lambda: dialog.save_to(tmp_path / "old.pdf"))
    assert (tmp_path / "old.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "old.pdf").stat().st_mode & 0o777 == 0o600
    dialog.close()


def test_print_refused_when_recording_fails(qtbot, messages, tmp_path):
    from PySide6.QtPrintSupport import QPrinter

    from desktop.printing import render_prescriptions
    from desktop.services.errors import ServiceError
    from desktop.views.pdf_preview import PdfPreviewDialog

    from .test_render import DOCTOR, PATIENT, PRACTICE, item

    def refuse(answer) -> None:  # as the recorder answers when the service refuses
        answer(ServiceError("printed meanwhile elsewhere"))

    dialog = PdfPreviewDialog(render_prescriptions([item()], PRACTICE, DOCTOR, PATIENT), "Rx", on_output=refuse,
                              messages=messages)
    qtbot.addWidget(dialog)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "out.pdf"))
    assert not _recorded(qtbot, dialog.sig_print_done, lambda: dialog.print_to(printer))
    assert not (tmp_path / "out.pdf").exists()
    assert not _recorded(qtbot, dialog.sig_save_done, lambda: dialog.save_to(tmp_path / "saved.pdf"))
    assert not (tmp_path / "saved.pdf").exists()
    assert messages.shown[-1][1] == "printed meanwhile elsewhere"


def test_renewal_opens_prefilled(qtbot, app_ctx, db, signed_rx, messages):
    from desktop.services import prescriptions as rxs
    from desktop.views.prescription_editor import PrescriptionEditor, services_for

    old = signed_rx(formulary_id="lisinopril-10-tab", sig_text="", dose="1", dose_unit="tablet", frequency="qd",
                    route="po", quantity=90, quantity_unit="tablet", refills=3, duration_days=None,
                    substitution_allowed=False, pharmacist_note="blister pack")
    ctx = app_ctx("physician")
    draft = call_service(ctx, rxs.renew, old.id)
    editor = PrescriptionEditor(services_for(ctx.ops, old.patient_id), "José Núñez", draft=draft, messages=messages)
    qtbot.addWidget(editor)
    assert editor.drug.chosen is not None and editor.drug.chosen.id == "lisinopril-10-tab"
    assert editor.sig.sig_text() == "Take 1 tablet by mouth once a day"
    assert (editor.quantity.value(), editor.refills.value(), editor.daw.isChecked()) == (90, 3, True)
    assert editor.note.toPlainText() == "blister pack" and editor.days.value() == 90
    signed = _sign(qtbot, editor)
    assert signed is not None and signed.replaces_id == old.id
    assert call_service(ctx, rxs.get_prescription, old.id).status == "replaced"


def test_choosing_another_drug_does_not_carry_the_quantity_over(qtbot, app_ctx, prescriber, patient, messages):
    """Issue 14.10: the quantity carried over from the previous drug."""
    _ctx, editor = _editor(app_ctx, patient, messages)
    qtbot.addWidget(editor)
    editor.show()
    _choose(qtbot, editor, "lisinopril 10", "lisinopril-10-tab")
    editor.quantity.setValue(90)
    editor.drug.edit.clear()
    _choose(qtbot, editor, "amlo 5", "amlodipine-5-tab")
    assert editor.quantity.value() == 0  # asked again for the new drug, not 90 tablets of the old one
