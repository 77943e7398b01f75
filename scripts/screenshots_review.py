"""Developer tool: screenshots of the PHR review (a row rejected in an earlier import, rows marked after the
merge's alerts), the alert dialog in the merge's words, the prescription editor with a controlled drug and the
admin dialogs, each as it opens on a 1280x720 laptop (1280x660 usable under a title bar and a panel).

    python -m desktop demo --db sqlite:////tmp/demo.db --patients 20
    Xvfb :99 -screen 0 1280x720x24 & DISPLAY=:99 python scripts/screenshots_review.py --db sqlite:////tmp/demo.db
    (or QT_QPA_PLATFORM=offscreen)

It registers the two sample patients of tests/data/phr-samples (Reyna Ziemann, Miguel Garica) in that database,
merges Reyna's file once with one allergy left out, then opens the windows and saves PNG files in docs/.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "tests" / "data" / "phr-samples" / "synthea"
REYNA = SAMPLES / "Reyna_Ziemann_08f8bfce-34cf-4b5a-a398-8e49650c6e3c.json"
MIGUEL = SAMPLES / "Miguel_Ángel_Garica_f6d15182-f6ac-46cf-8cbd-afacd43be763.json"


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the window did not get there in time")
        QApplication.processEvents()
        time.sleep(0.01)


def settle(seconds: float = 0.3) -> None:
    """Let layouts, workers and paint events finish."""
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="a demo database (python -m desktop demo)")
    parser.add_argument("--out", default=str(ROOT / "docs"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    from desktop.qt_compat import install_singleton_refcount_fix

    install_singleton_refcount_fix()
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")

    from desktop.ops import Ops
    from desktop.phr import Decision, ItemStatus, read_file
    from desktop.services import auth, patients, phr_import
    from desktop.services.alert_decisions import Decision as AlertDecision
    from desktop.services.alert_decisions import NeedsDecision
    from desktop.services.database import Database
    from desktop.views.context import AppContext
    from desktop.widgets.messages import RecordingMessages, set_message_service
    from desktop.widgets.screen_fit import SMALLEST_SCREEN, fit_into

    messages = RecordingMessages()  # the "imported" notes are not part of the pictures
    set_message_service(messages)
    db = Database.open(args.db)
    with db.uow() as uow:
        physician = auth.login(uow, "physician", "physician-demo").user
    with db.uow() as uow:
        admin = auth.login(uow, "admin", "admin-demo").user

    def register(given: str, family: str, born: date, sex: str) -> int:
        with db.uow(physician) as uow:
            return patients.register_patient(uow, patients.PatientInput(
                given_name=given, family_name=family, birth_date=born, sex=sex), allow_duplicate=True).id

    reyna = register("Reyna", "Ziemann", date(1974, 2, 28), "female")
    miguel = register("Miguel", "Garica", date(1936, 8, 18), "male")
    with db.uow(physician) as uow:  # the first review: one allergy left out
        plan = phr_import.plan_import(uow, reyna, read_file(REYNA))
        allergy = next(i for i in plan.in_category("allergies") if i.status is ItemStatus.NEW)
        decisions = {**plan.default_decisions("new"), allergy.key: Decision.SKIP}
        decision = AlertDecision()
        for _round in range(5):
            outcome = phr_import.apply_import(uow, reyna, plan, decisions, plan.info, decision=decision)
            if not isinstance(outcome, NeedsDecision):
                break
            decision = decision.then(AlertDecision(overrides=tuple(
                (a, "Patient has tolerated this combination", "") for a in outcome.pending)))

    ctx = AppContext(ops=Ops(db, physician), messages=messages)
    admin_ctx = AppContext(ops=Ops(db, admin), messages=messages)

    def shot(widget, name: str, size: tuple[int, int] | None = None) -> None:
        if size is not None:
            widget.resize(*size)
        fit_into(widget, SMALLEST_SCREEN)
        settle()
        widget.grab().save(str(out / name))
        print(f"{out / name}: {widget.width()}x{widget.height()}")

    # the review of a re-imported file: the rejected allergy, unticked, says when and by whom
    from desktop.views.phr_import_dialog import PhrImportDialog

    review = PhrImportDialog(ctx, reyna, REYNA)
    review.show()
    wait_until(lambda: review.pages.currentIndex() == 2)
    tab = review.tabs_by_category["allergies"]
    review.tabs.setCurrentWidget(tab)
    row = next(r for r in range(tab.model.rowCount()) if tab.model.item_at(r).rejected)
    tab.table.selectRow(row)
    shot(review, "dialog-phr-review-rejected.png", (1280, 660))
    review.reject()

    # a merge that raises alerts: the alert dialog in the merge's words, then the rows marked in the review
    merge = PhrImportDialog(ctx, miguel, MIGUEL)
    merge.show()
    wait_until(lambda: merge.pages.currentIndex() == 2)
    merge.resize(1280, 660)
    merge.apply()
    wait_until(lambda: merge.alert_dialog is not None and merge.alert_dialog.isVisible())
    shot(merge.alert_dialog, "dialog-alert-merge.png", (900, 640))
    merge.alert_dialog.cancel_button.click()
    wait_until(lambda: bool(merge.book.alerted))
    meds = merge.tabs_by_category["medications"]
    merge.tabs.setCurrentWidget(meds)
    meds.table.selectRow(next(r for r in range(meds.model.rowCount())
                              if meds.model.item_at(r).key in merge.book.alerted))
    shot(merge, "dialog-phr-review-alerts-marked.png", (1280, 660))
    merge.reject()

    # the prescription editor: the drug list, then a schedule II drug chosen
    from desktop.views.prescription_editor import PrescriptionEditor, services_for

    editor = PrescriptionEditor(services_for(ctx.ops, miguel), "Garica, Miguel · DOB 1936-08-18")
    editor.show()
    editor.drug.edit.setText("oxycodone")
    editor.drug.refresh()
    shot(editor, "dialog-prescription-drug-list.png", (860, 640))
    editor.drug._choose_row(0)
    editor.sig.prn.setChecked(True)
    shot(editor, "dialog-prescription-controlled.png", (860, 640))
    editor.reject()

    # administration
    from desktop.views.admin.audit_dialog import AuditReportDialog
    from desktop.views.admin.settings_dialog import SettingsDialog
    from desktop.views.admin.users_dialog import UsersDialog

    for dialog, name in ((SettingsDialog(admin_ctx), "dialog-admin-settings.png"),
                         (UsersDialog(admin_ctx), "dialog-admin-users.png"),
                         (AuditReportDialog(admin_ctx), "dialog-admin-audit.png")):
        dialog.show()
        settle(1.0)
        shot(dialog, name)
        dialog.reject()
    for c in (ctx, admin_ctx):
        c.ops.wait_idle(5000)
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
