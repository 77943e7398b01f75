"""The review dialog, driven as a user would (offscreen Qt): read in the background, review, decide, merge."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from sqlalchemy import func, select

from desktop.models import Medication, PhrImport, Problem, VitalSign
from desktop.phr import Decision, ItemStatus
from desktop.widgets.phr_review_models import COL_CHECK, COL_DECISION, COL_STATUS
from tests.conftest import when_modal

from .conftest import CCD1, REYNA, apply_reviewed, dump

pytestmark = pytest.mark.gui


def _open(qtbot, ctx, patient_id, path):
    from desktop.views.phr_import_dialog import PhrImportDialog

    dialog = PhrImportDialog(ctx, patient_id, path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2 or not dialog.isVisible(), timeout=20000)
    return dialog


def _count(db, model) -> int:
    with db.uow() as uow:
        return uow.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_review_and_merge_as_a_physician(qtbot, app_ctx, db, samples, chart_for, messages):
    patient = chart_for(REYNA)
    ctx = app_ctx("physician")
    dialog = _open(qtbot, ctx, patient.id, samples / REYNA)
    assert dialog.pages.currentIndex() == 2
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert titles[0].startswith("&Problems (9 new") and titles[4].startswith("&Vitals && readings")
    assert titles[5].startswith("&Results (72 new") and titles[-1].startswith("&Not imported")
    assert titles[6].startswith("Proce&dures (3 new")  # issue 18 tabs
    results = dialog.tabs_by_category["results"].model
    assert results.rowCount() == 72 and "mmol/L" in " ".join(
        results.data(results.index(r, 2)) for r in range(results.rowCount()))
    problems = dialog.tabs_by_category["problems"].model
    assert problems.rowCount() == 9
    assert problems.data(problems.index(0, COL_CHECK), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert "Synthea" in problems.data(problems.index(0, 3))
    # untick one problem, merge
    problems.setData(problems.index(0, COL_CHECK), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert dialog.apply_button.isEnabled()
    with qtbot.waitSignal(dialog.sig_applied, timeout=20000):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert _count(db, Problem) == 8 and _count(db, PhrImport) == 1
    assert any(title == "Health record imported" for title, _t in messages.shown)
    ctx.ops.wait_idle()


def test_duplicates_are_greyed_and_changed_items_need_a_decision(qtbot, app_ctx, db, samples, chart_for, messages):
    from desktop.phr import read_file
    from desktop.services import phr_import as svc
    from tests.conftest import user_for

    patient = chart_for(REYNA)
    parsed = read_file(samples / REYNA)
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, parsed)
        apply_reviewed(uow, patient.id, plan)
    with db.uow(user_for("physician")) as uow:  # the clinic stopped a medication since
        med = uow.session.execute(select(Medication).where(Medication.status == "active")).scalars().first()
        med.status = "stopped"
    dialog = _open(qtbot, app_ctx("physician"), patient.id, samples / REYNA)
    meds = dialog.tabs_by_category["medications"].model
    rows = {meds.item_at(r).status: r for r in range(meds.rowCount())}
    dup = rows[ItemStatus.DUPLICATE]
    assert not (meds.flags(meds.index(dup, COL_CHECK)) & Qt.ItemFlag.ItemIsEnabled)
    assert meds.data(meds.index(dup, COL_CHECK), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    changed = rows[ItemStatus.CHANGED]
    assert meds.data(meds.index(changed, COL_DECISION)) == "— choose —"
    assert not dialog.apply_button.isEnabled()
    assert "need a decision" in dialog.summary.text()
    assert meds.setData(meds.index(changed, COL_DECISION), Decision.TAKE_FILE.value)
    assert dialog.apply_button.isEnabled()
    with qtbot.waitSignal(dialog.sig_applied, timeout=20000):
        dialog.apply()
    with db.uow() as uow:
        assert uow.session.get(Medication, med.id).status == "active"


def test_nurse_merges_readings_only(qtbot, app_ctx, db, samples, add_patient, messages):
    patient = add_patient(given="Hanna", family="Fixture", birth_date=date(1990, 1, 1))
    ctx = app_ctx("nurse")
    from .conftest import APPLE_HYDAWO

    dialog = _open(qtbot, ctx, patient.id, samples / APPLE_HYDAWO)
    readings = dialog.tabs_by_category["observations"]
    assert readings.series_model.rowCount() == 5
    steps_row = next(r for r in range(5) if readings.series_model.series_at(r).loinc == "55423-8")
    readings.series_model.setData(readings.series_model.index(steps_row, 0), Qt.CheckState.Unchecked,
                                  Qt.ItemDataRole.CheckStateRole)
    with qtbot.waitSignal(dialog.sig_applied, timeout=20000):
        dialog.apply()
    with db.uow() as uow:
        loincs = set(uow.session.execute(select(VitalSign.loinc)).scalars())
    assert loincs == {"40443-4", "29463-7", "8480-6", "8462-4"}


def test_nurse_sees_clinical_tabs_locked(qtbot, app_ctx, samples, chart_for, messages):
    patient = chart_for(REYNA)
    dialog = _open(qtbot, app_ctx("nurse"), patient.id, samples / REYNA)
    problems = dialog.tabs_by_category["problems"].model
    assert not (problems.flags(problems.index(0, COL_CHECK)) & Qt.ItemFlag.ItemIsEnabled)
    assert not dialog.tabs_by_category["problems"].select_all.isEnabled()
    assert dialog.book.selected_count("problems") == 0 and dialog.book.selected_count("observations") > 0


def test_a_mismatched_patient_needs_confirmation_and_a_reason(qtbot, app_ctx, db, samples, add_patient, messages):
    patient = add_patient(given="Eve", family="Goodwife", birth_date=date(1975, 5, 1), sex="female")
    dialog = _open(qtbot, app_ctx("physician"), patient.id, samples / CCD1)
    assert "DIFFERENT PATIENT" in dialog.identity_label.text()
    assert not dialog.apply_button.isEnabled()
    for tab in dialog.tabs_by_category.values():
        tab.model.decide_undecided(Decision.KEEP_CHART)
    dialog.confirm_identity.setChecked(True)
    assert not dialog.apply_button.isEnabled()  # a reason is still missing
    qtbot.keyClicks(dialog.identity_reason, "married name, checked ID")
    assert dialog.apply_button.isEnabled()
    with qtbot.waitSignal(dialog.sig_applied, timeout=20000):
        dialog.apply()
    with db.uow() as uow:
        assert uow.session.execute(select(PhrImport.identity_override_reason)).scalar_one() == "married name, checked ID"



def test_the_files_own_words_are_shown_as_text_never_as_markup(qtbot, app_ctx, tmp_path, add_patient, messages):
    """A file's name and its patient's name are the file's words: markup in them must not restyle (or hide)
    what the physician reads before confirming whose file it is."""
    import json

    from PySide6.QtGui import QTextDocument

    patient = add_patient(given="Zoe", family="Brien", birth_date=date(2000, 2, 29), sex="female")
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "2000-02-29",
                      "name": [{"family": "<s>Brien</s>", "given": ["<font size=7>Zoe</font>"]}]}},
        {"resource": {"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p1"},
                      "code": {"text": "Peanut"}}}]}
    path = tmp_path / "<u>record.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    dialog = _open(qtbot, app_ctx("physician"), patient.id, path)
    assert dialog.pages.currentIndex() == 2

    def shown(label: QLabel) -> str:  # what the reader sees: the label's text laid out as it is displayed
        doc = QTextDocument()
        doc.setHtml(label.text())
        return doc.toPlainText()

    assert "<s>Brien</s>, <font size=7>Zoe</font>" in shown(dialog.identity_label)
    texts = [shown(label) for label in dialog.review.findChildren(QLabel)]
    assert any("<u>record.json" in t for t in texts)
    assert any("file '<s>Brien</s>' matches" in t for t in texts)  # the evidence lines quote the file


def test_alerts_are_shown_before_the_merge_and_cancel_keeps_the_chart(qtbot, app_ctx, db, samples, chart_for,
                                                                        messages):
    from desktop.widgets.alert_dialog import AlertDialog

    from .conftest import MIGUEL

    patient = chart_for(MIGUEL)
    dialog = _open(qtbot, app_ctx("physician"), patient.id, samples / MIGUEL)
    before = dump(db)
    seen = []
    words = {}

    def cancel(modal) -> None:
        seen.extend(a.message for a in modal.alerts)
        words.update(header=modal.findChild(QLabel, "alertHeader").text(), cancel=modal.cancel_button.text(),
                     leave_out=modal.leave_out_button.text() if modal.leave_out_button.isVisible() else "")
        modal.cancel_button.click()

    when_modal(AlertDialog, cancel)
    dialog.apply()
    qtbot.waitUntil(lambda: bool(seen), timeout=20000)
    assert any("warfarin" in m.lower() for m in seen)
    # issue 14.16: the merge's words, not an order's
    assert "merge" in words["header"] and "order" not in words["header"]
    assert words["cancel"] == "Cancel the merge" and words["leave_out"] == "Leave these out"
    qtbot.waitUntil(dialog.apply_button.isEnabled, timeout=5000)
    assert dump(db) == before
    # the rows behind the alerts are marked in the review, still ticked (cancel leaves the choice to the user)
    meds = dialog.tabs_by_category["medications"].model
    marked = {meds.item_at(r).file_item.text for r in range(meds.rowCount())
              if "alert" in meds.data(meds.index(r, COL_STATUS))}
    assert {"Warfarin Sodium 5 MG Oral Tablet", "Clopidogrel 75 MG Oral Tablet"} <= marked
    assert "Amlodipine 5 MG Oral Tablet" not in marked  # its moderate alert decided nothing
    row = next(r for r in range(meds.rowCount()) if meds.item_at(r).file_item.text.startswith("Warfarin"))
    assert meds.data(meds.index(row, COL_STATUS), Qt.ItemDataRole.BackgroundRole) is not None
    assert meds.data(meds.index(row, COL_CHECK), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert "raise alerts" in dialog.summary.text()


def test_leave_these_out_unticks_the_entries_behind_the_alerts_and_the_rest_merges(
        qtbot, app_ctx, db, samples, chart_for, messages):
    from desktop.widgets.alert_dialog import AlertDialog

    from .conftest import MIGUEL

    patient = chart_for(MIGUEL)
    dialog = _open(qtbot, app_ctx("physician"), patient.id, samples / MIGUEL)
    left = []

    def leave_out(modal) -> None:
        left.extend(modal.pending)
        modal.leave_out_button.click()

    when_modal(AlertDialog, leave_out)
    dialog.apply()
    qtbot.waitUntil(lambda: bool(left) and dialog.apply_button.isEnabled(), timeout=20000)
    meds = dialog.tabs_by_category["medications"].model
    out = {meds.item_at(r).file_item.text for r in range(meds.rowCount())
           if "alert (left out)" in meds.data(meds.index(r, COL_STATUS))}
    assert {"Warfarin Sodium 5 MG Oral Tablet", "Verapamil Hydrochloride 40 MG"} <= out
    for r in range(meds.rowCount()):
        if meds.item_at(r).file_item.text in out:
            assert meds.data(meds.index(r, COL_CHECK), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert "left out" in dialog.summary.text()
    when_modal(AlertDialog, lambda modal: modal.continue_button.click())  # moderate ones, if any, listed only
    with qtbot.waitSignal(dialog.sig_applied, timeout=20000):
        dialog.apply()
    with db.uow() as uow:
        merged = set(uow.session.execute(select(Medication.drug_name)).scalars())
    assert merged and not (merged & out)


def test_a_physician_overrides_the_alerts_with_a_reason_and_the_merge_goes_in(qtbot, app_ctx, db, samples,
                                                                              chart_for, messages):
    from desktop.models import AlertOverride, Medication
    from desktop.widgets.alert_dialog import AlertDialog

    from .conftest import MIGUEL

    patient = chart_for(MIGUEL)
    dialog = _open(qtbot, app_ctx("physician"), patient.id, samples / MIGUEL)
    shown = []

    reasons = ("Patient has tolerated this combination", "Will monitor", "Dose adjusted", "Benefit outweighs risk")
    given = {}

    def override(modal) -> None:
        shown.extend(modal.pending)  # the interrupting ones; the moderate ones are listed below them
        assert not modal.override_button.isEnabled()  # no reason chosen yet
        assert not modal.override_box.isVisible()  # issue 14.16: one reason per alert, on its card
        for n, card in enumerate(modal.cards):
            card.reason_box.setCurrentIndex(card.reason_box.findText(reasons[n % len(reasons)]))
            given[card.alert.key] = reasons[n % len(reasons)]
            assert modal.override_button.isEnabled() == (n == len(modal.cards) - 1)  # every alert needs its own
        modal.override_button.click()

    when_modal(AlertDialog, override)
    with qtbot.waitSignal(dialog.sig_applied, timeout=20000):
        dialog.apply()
    assert len(shown) >= 2
    with db.uow() as uow:
        rows = uow.session.execute(select(AlertOverride)).scalars().all()
        assert {r.alert_key for r in rows} == {a.key for a in shown}
        assert {r.alert_key: r.reason for r in rows} == given
        assert _count(db, Medication) > 0


def test_unreadable_file_is_explained(qtbot, app_ctx, db, chart_for, tmp_path, messages):
    patient = chart_for(REYNA)
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"resourceType": "Bundle", "entry": [')
    dialog = _open(qtbot, app_ctx("physician"), patient.id, bad)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    assert messages.shown and messages.shown[0][0] == "This file cannot be imported"
    assert "not valid JSON" in messages.shown[0][1]


def test_cancel_while_reading(qtbot, app_ctx, db, samples, chart_for, messages):
    from desktop.views.phr_import_dialog import PhrImportDialog

    patient = chart_for(REYNA)
    ctx = app_ctx("physician")
    before = dump(db)
    dialog = PhrImportDialog(ctx, patient.id, samples / REYNA)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    ctx.ops.wait_idle()
    qtbot.wait(50)
    assert dump(db) == before and messages.shown == []


def test_import_history_and_undo(qtbot, app_ctx, db, samples, chart_for, messages):
    from desktop.phr import read_file
    from desktop.services import phr_import as svc
    from desktop.views.phr_import_dialog import PhrImportHistoryDialog
    from tests.conftest import user_for

    patient = chart_for(REYNA)
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, read_file(samples / REYNA))
        apply_reviewed(uow, patient.id, plan)
    ctx = app_ctx("physician")
    dialog = PhrImportHistoryDialog(ctx, patient.id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=10000)
    assert not dialog.undo_button.isEnabled()  # a reason first
    qtbot.keyClicks(dialog.reason, "wrong patient")
    assert dialog.undo_button.isEnabled()
    with qtbot.waitSignal(dialog.sig_undone, timeout=10000):
        qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.model.row_at(0).status == "undone", timeout=10000)
    with db.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(Problem).where(
            Problem.entered_in_error.is_(False))).scalar_one() == 0
    ctx.ops.wait_idle()


def test_export_chart_action(qtbot, app_ctx, db, samples, chart_for, tmp_path, messages):
    import orjson

    from desktop.views.phr_import_dialog import export_chart

    patient = chart_for(REYNA)
    ctx = app_ctx("physician")
    out = tmp_path / "chart.json"
    written = []
    export_chart(ctx, patient.id, out, done=written.append)
    qtbot.waitUntil(lambda: bool(written), timeout=10000)
    assert orjson.loads(out.read_bytes())["type"] == "collection"
    assert out.stat().st_mode & 0o777 == 0o600  # the whole chart on disk: its owner only, as export-fhir --out
    assert messages.shown[-1][0] == "Chart exported"


def test_the_selected_row_is_shown_in_full_beside_the_cut_columns(qtbot, app_ctx, samples, chart_for, messages):
    """Issue 14.17: the side-by-side columns were cut at the dialog's width and readable only in tooltips."""
    from html import unescape

    from desktop.widgets.phr_review_models import file_source, file_text

    patient = chart_for(REYNA)
    dialog = _open(qtbot, app_ctx("physician"), patient.id, samples / REYNA)
    tab = dialog.tabs_by_category["medications"]
    longest = max(range(tab.model.rowCount()), key=lambda r: len(file_text(tab.model.item_at(r))))
    tab.table.selectRow(longest)
    item = tab.model.item_at(longest)
    shown = unescape(tab.detail.text())
    assert file_text(item) in shown and file_source(item) in shown and "In the file" in shown
    dialog.reject()


def test_the_merge_shows_progress_and_cancel_leaves_the_chart_unchanged(qtbot, app_ctx, db, samples, chart_for,
                                                                        messages, monkeypatch):
    import threading

    from PySide6.QtWidgets import QPushButton

    from desktop.services import phr_import as svc

    patient = chart_for(REYNA)
    dialog = _open(qtbot, app_ctx("physician"), patient.id, samples / REYNA)
    before = dump(db)
    real, pressed, stages = svc.apply_import, threading.Event(), []

    def merge_waiting_for_the_user(uow, *a, progress=None, cancelled=None, **k):
        def report(done, total, stage):  # the merge is long enough for the user to see it and press Cancel
            stages.append(stage)
            progress(done, total, stage)
            pressed.wait(10)

        return real(uow, *a, progress=report, cancelled=cancelled, **k)

    monkeypatch.setattr(svc, "apply_import", merge_waiting_for_the_user)
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.merge_progress is not None and dialog.merge_progress.isVisible(), timeout=10000)
    assert "Merging entries" in dialog.merge_progress.labelText()
    cancel = next(b for b in dialog.merge_progress.findChildren(QPushButton) if b.text() == "Cancel")
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    pressed.set()
    qtbot.waitUntil(lambda: "Merge cancelled" in dialog.summary.text(), timeout=10000)
    assert dialog.merge_progress is None and dialog.isVisible() and stages[0] == "merging"
    assert dump(db) == before and _count(db, PhrImport) == 0
    assert not [t for t, _x in messages.shown if t != "Health record imported"]  # no error box for a Cancel
    monkeypatch.setattr(svc, "apply_import", real)
    dialog.ctx.ops.wait_idle()
    with qtbot.waitSignal(dialog.sig_applied, timeout=20000):  # the reviewer can still merge afterwards
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert _count(db, PhrImport) == 1
