"""The Summary's sections measure themselves with RichTextLabel (issue 17, chart_open): it must give a layout the
very sizes QLabel gives, for the texts the Summary shows (wrapped lists, unwrapped tables), at every width, and
measure again when its text or font changes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout

from desktop.widgets.rich_text_label import RichTextLabel

pytestmark = pytest.mark.gui

GREY = "#666666"
PROBLEMS = "".join(f"<div><span style='color:{GREY}'>E11.{i}</span> Type 2 diabetes mellitus with diabetic chronic "
                   f"kidney disease, stage {i} <span style='color:{GREY}'>since 2012-0{i % 9 + 1}-01</span></div>"
                   for i in range(15))
VITALS = (f"<div style='color:{GREY}'>2025-01-14 10:00</div><table cellspacing='0' cellpadding='1'>"
          + "".join(f"<tr><td style='color:{GREY}; padding-right:14px'>{name}</td><td>{value}</td></tr>"
                    for name, value in (("Blood pressure", "118/72 mmHg"), ("Temperature", "98.2 °F"),
                                        ("BMI", "<b style='color:#b00020'>30.0 kg/m² ▲</b>")))
          + "</table>")
ONE_WORD = "<b style='color:#b00020'>Penicillins</b>"
WIDTHS = (0, 1, 40, 95, 220, 363, 427, 716, 1236, 100_000)


def _label(qtbot, cls, html: str, wrap: bool) -> QLabel:
    box = QGroupBox("Section")  # as in the Summary: a label in a group box, top-left, selectable
    label = cls()
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(wrap)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    QVBoxLayout(box).addWidget(label)
    label.setText(html)
    qtbot.addWidget(box)
    box.show()
    label.box = box  # keeps the group box (and so the label) alive for the test
    return label


def _sizes(label: QLabel) -> tuple:
    return (label.sizeHint(), label.minimumSizeHint(), label.hasHeightForWidth(),
            [label.heightForWidth(w) for w in WIDTHS])


@pytest.mark.parametrize("html", [PROBLEMS, VITALS, ONE_WORD], ids=["list", "table", "one word"])
@pytest.mark.parametrize("wrap", [True, False], ids=["wrapped", "unwrapped"])
def test_sizes_are_the_ones_qlabel_gives(qtbot, html, wrap):
    expected = _sizes(_label(qtbot, QLabel, html, wrap))
    label = _label(qtbot, RichTextLabel, html, wrap)
    assert _sizes(label) == expected
    assert _sizes(label) == expected  # asked again: the remembered answers are the same


def test_a_new_text_or_font_is_measured_again(qtbot):
    label = _label(qtbot, RichTextLabel, ONE_WORD, True)
    reference = _label(qtbot, QLabel, ONE_WORD, True)
    short = label.heightForWidth(200), label.sizeHint()
    for lab in (label, reference):
        lab.setText(PROBLEMS)
    assert label.heightForWidth(200) > short[0] and label.sizeHint() != short[1]
    assert _sizes(label) == _sizes(reference)
    for lab in (label, reference):
        lab.setFont(QFont(lab.font().family(), lab.font().pointSize() + 4))
    assert _sizes(label) == _sizes(reference)
    for lab in (label, reference):
        lab.setWordWrap(False)
    assert _sizes(label) == _sizes(reference)


def _pixels(label: QLabel):
    label.box.resize(420, 600)  # the same width for both, so both wrap alike
    label.box.layout().activate()
    return label.grab().toImage()


@pytest.mark.parametrize("html", [PROBLEMS, VITALS], ids=["list", "table"])
@pytest.mark.parametrize("wrap", [True, False], ids=["wrapped", "unwrapped"])
def test_it_paints_the_pixels_qlabel_paints(qtbot, html, wrap):
    plain, rich = _label(qtbot, QLabel, html, wrap), _label(qtbot, RichTextLabel, html, wrap)
    shown = _pixels(rich)
    assert shown == _pixels(plain)
    for lab in (plain, rich):  # text selected: QLabel paints it, highlight included
        lab.setSelection(0, 12)
    assert rich.hasSelectedText()
    assert _pixels(rich) == _pixels(plain) != shown


def test_the_user_can_still_select_and_copy_the_text(qtbot):
    """QLabel never read its own copy of the text for painting: selecting with the mouse still works."""
    label = _label(qtbot, RichTextLabel, PROBLEMS, True)
    _pixels(label)  # laid out and painted by RichTextLabel
    y = label.fontMetrics().height() // 2
    qtbot.mousePress(label, Qt.MouseButton.LeftButton, pos=QPoint(1, y))
    qtbot.mouseMove(label, QPoint(label.width() // 2, y))
    qtbot.mouseRelease(label, Qt.MouseButton.LeftButton, pos=QPoint(label.width() // 2, y))
    assert label.hasSelectedText()
    assert label.selectedText().startswith("E11.0 Type 2 diabetes")
