"""Issue 14 point 21: an item the physician left out of a merge does not come back as a plain NEW item on
re-import: it says "rejected on DATE by NAME (import #N)" and starts unticked; the physician may still tick it."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from desktop.models import Allergy, AuditEntry, PhrRejection
from desktop.phr import Decision, ItemStatus, read_file
from desktop.services import phr_import as svc
from desktop.widgets.phr_review_models import COL_CHECK, COL_STATUS
from tests.conftest import user_for

from .conftest import FLETCHER, REYNA, apply_reviewed


def _today() -> str:
    """Read when asserted, not when the module is collected: a run that crosses midnight stays right."""
    return date.today().isoformat()


def _allergy(plan, substance: str):
    return next(i for i in plan.in_category("allergies") if i.file_item.substance == substance)


def test_a_rejected_allergy_is_marked_on_re_import_and_not_offered_again(db, samples, chart_for):
    patient = chart_for(REYNA)
    parsed = read_file(samples / REYNA)
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, parsed)
        allergies = [i for i in plan.in_category("allergies") if i.status is ItemStatus.NEW]
        left_out = allergies[0]
        decisions = {**plan.default_decisions("new"), left_out.key: Decision.SKIP}
        result = apply_reviewed(uow, patient.id, plan, decisions)
    assert result.applied
    with db.uow(user_for("physician")) as uow:
        again = svc.plan_import(uow, patient.id, read_file(samples / REYNA))
        rows = uow.session.execute(select(PhrRejection)).scalars().all()
        audit = uow.session.execute(select(AuditEntry.summary).where(AuditEntry.action == "phr_reject")).scalars().all()
    item = _allergy(again, left_out.file_item.substance)
    assert item.status is ItemStatus.NEW
    assert item.rejected == f"rejected on {_today()} by Dr. Ana Lima (import #{result.import_id})"
    # only the unticked item is remembered; the merged ones are duplicates now, not rejections
    assert [r.label for r in rows] == [left_out.file_item.substance]
    assert [i for i in again.items if i.rejected] == [item]
    assert len(audit) == 1 and left_out.file_item.substance in audit[0]


def test_undoing_the_import_forgets_its_rejections(db, samples, chart_for):
    patient = chart_for(REYNA)
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, read_file(samples / REYNA))
        left_out = next(i for i in plan.in_category("allergies") if i.status is ItemStatus.NEW)
        result = apply_reviewed(uow, patient.id, plan, {**plan.default_decisions("new"), left_out.key: Decision.SKIP})
    with db.uow(user_for("physician")) as uow:
        svc.undo_import(uow, result.import_id, "wrong file")
    with db.uow(user_for("physician")) as uow:
        again = svc.plan_import(uow, patient.id, read_file(samples / REYNA))
    assert not any(i.rejected for i in again.items)


def test_items_left_unticked_by_default_are_not_rejections(db, samples, chart_for):
    """Stopped medications arrive unticked (history): leaving them so is no rejection by the physician."""
    patient = chart_for(FLETCHER)
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, read_file(samples / FLETCHER))
        defaults = {i.key: i.default for i in plan.in_category("problems") + plan.in_category("medications")
                    if i.default is not None}
        assert any(d is Decision.SKIP for k, d in defaults.items() if plan.by_key()[k].status is ItemStatus.NEW)
        assert apply_reviewed(uow, patient.id, plan, defaults).applied
    with db.uow(user_for("physician")) as uow:
        assert uow.session.execute(select(PhrRejection)).scalars().all() == []


@pytest.mark.gui
def test_review_shows_the_rejection_unticked_and_the_physician_can_still_merge_it(
        qtbot, app_ctx, db, samples, chart_for, messages):
    from tests.phr.test_dialog import _open

    patient = chart_for(REYNA)
    ctx = app_ctx("physician")
    dialog = _open(qtbot, ctx, patient.id, samples / REYNA)
    allergies = dialog.tabs_by_category["allergies"].model
    row = next(r for r in range(allergies.rowCount()) if allergies.item_at(r).status is ItemStatus.NEW)
    substance = allergies.item_at(row).file_item.substance
    allergies.setData(allergies.index(row, COL_CHECK), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    with qtbot.waitSignal(dialog.sig_applied, timeout=20000) as applied:
        dialog.apply()
    first_import = applied.args[0]
    with db.uow() as uow:
        assert substance not in set(uow.session.execute(select(Allergy.substance)).scalars())

    again = _open(qtbot, ctx, patient.id, samples / REYNA)  # the same file, re-imported
    allergies = again.tabs_by_category["allergies"].model
    row = next(r for r in range(allergies.rowCount()) if allergies.item_at(r).file_item.substance == substance)
    assert allergies.data(allergies.index(row, COL_CHECK), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    status = allergies.data(allergies.index(row, COL_STATUS))
    assert status == f"NEW · rejected on {_today()} by Dr. Ana Lima"
    tip = allergies.data(allergies.index(row, COL_STATUS), Qt.ItemDataRole.ToolTipRole)
    assert f"rejected on {_today()} by Dr. Ana Lima (import #{first_import})" in tip
    assert "rejected before" in again.tabs.tabText(2)
    tab = again.tabs_by_category["allergies"]
    tab.table.setCurrentIndex(allergies.index(row, COL_STATUS))
    assert f"Rejected on {_today()} by Dr. Ana Lima (import #{first_import})" in tab.detail.text()
    tab.select_all.setChecked(False)
    tab.select_all.setChecked(True)  # select-all leaves the rejected item to be ticked on its own
    assert allergies.data(allergies.index(row, COL_CHECK), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    allergies.setData(allergies.index(row, COL_CHECK), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    with qtbot.waitSignal(again.sig_applied, timeout=20000):
        again.apply()
    with db.uow() as uow:
        assert substance in set(uow.session.execute(select(Allergy.substance)).scalars())
