"""Issue 14 point 10: the prescription editor's drug list shows names in full (or elided in the middle with the
whole product in the tooltip); a controlled drug's Dispense rows stay together; the quantity does not carry over
(test_gui.test_choosing_another_drug_does_not_carry_the_quantity_over)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from .test_gui import _choose, _editor

pytestmark = pytest.mark.gui


def _top(editor, widget) -> int:
    return widget.mapTo(editor, widget.rect().topLeft()).y()


def test_a_controlled_drug_keeps_the_dispense_rows_together_in_a_tall_window(qtbot, app_ctx, prescriber, patient,
                                                                              messages):
    _ctx, editor = _editor(app_ctx, patient, messages)
    qtbot.addWidget(editor)
    editor.show()
    editor.resize(900, 660)  # taller than the form needs once the drug list closes
    _choose(qtbot, editor, "oxycodone", "oxycodone-5-tab")
    assert editor.schedule_note.text().startswith("Schedule II")
    qtbot.wait(20)
    row = editor.quantity.height()
    gaps = [_top(editor, b) - _top(editor, a) for a, b in
            ((editor.quantity, editor.days), (editor.days, editor.refills), (editor.refills, editor.daw))]
    assert all(0 < g <= 2 * row for g in gaps), f"Dispense rows spread apart: {gaps} px for {row}-px rows"


def test_drug_names_are_not_cut_in_the_type_ahead_list(qtbot, app_ctx, prescriber, patient, messages):
    _ctx, editor = _editor(app_ctx, patient, messages)
    qtbot.addWidget(editor)
    editor.show()
    editor.resize(editor.minimumWidth(), 640)  # the narrowest the editor gets
    qtbot.keyClicks(editor.drug.edit, "oxycodone")
    editor.drug.refresh()
    qtbot.wait(20)
    table = editor.drug.table
    metrics = table.fontMetrics()
    rows = editor.drug.results()
    long = next(r for r, p in enumerate(rows) if "acetaminophen" in p.display)
    name = rows[long].display
    assert table.columnWidth(0) >= metrics.horizontalAdvance(name) + 8, "the Drug column cuts the name"
    assert table.textElideMode() == Qt.TextElideMode.ElideMiddle  # narrower still: the middle goes, not the end
    tip = editor.drug.model.data(editor.drug.model.index(long, 0), Qt.ItemDataRole.ToolTipRole)
    assert name in tip and "Percocet" in tip
