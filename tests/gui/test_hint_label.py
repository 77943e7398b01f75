"""The grey hint label has one maker (desktop.widgets.hint_label); the views used to build it by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtGui import QColor

from desktop.widgets.hint_label import HINT_COLOUR, hint_label, hint_style

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2] / "desktop"


def test_the_hint_is_grey_small_on_request_and_wraps_on_request(qtbot):
    label = hint_label("At least 8 characters.", small=True, wrap=True, name="passwordHint")
    qtbot.addWidget(label)
    label.show()
    assert label.objectName() == "passwordHint" and label.wordWrap() and label.text() == "At least 8 characters."
    assert label.palette().color(label.foregroundRole()) == QColor(HINT_COLOUR)
    assert label.font().pointSizeF() == 9
    plain = hint_label("3 rows")
    qtbot.addWidget(plain)
    assert not plain.wordWrap() and plain.styleSheet() == hint_style()


def test_no_view_builds_the_hint_by_hand():
    by_hand = [f"{p.relative_to(ROOT)}:{n}" for p in sorted(ROOT.glob("[vw]*s/**/*.py")) if p.name != "hint_label.py"
               for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
               if re.search(r"""(setStyleSheet\(|_STYLE = )["']color:\s*#555\b""", line)]
    assert not by_hand, by_hand
