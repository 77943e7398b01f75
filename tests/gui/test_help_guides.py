"""Help -> User guide: every role's guide opens in the app with its pictures; a missing guide says so in red."""

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QTextDocument

from desktop.views import help_guides
from desktop.views.help_guides import GUIDES, GuideDialog


@pytest.mark.parametrize("role", list(GUIDES))
def test_each_roles_guide_shows_its_text_and_pictures(qtbot, role):
    dialog = GuideDialog(role)
    qtbot.addWidget(dialog)
    dialog.show()
    text = dialog.browser.toPlainText()
    assert GUIDES[role][0].split()[0].lower() in text.lower() and len(text) > 500
    assert dialog.problem.isHidden()
    markdown = (help_guides.GUIDES_DIR / GUIDES[role][1]).read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert images, "each guide shows the screen it talks about"
    for name in images:
        assert (help_guides.GUIDES_DIR / name).is_file(), name
        image = dialog.browser.document().resource(QTextDocument.ResourceType.ImageResource, name)
        assert image is not None and not image.isNull(), name


def test_a_missing_guide_is_reported_not_blank(qtbot, monkeypatch, tmp_path):
    monkeypatch.setattr(help_guides, "GUIDES_DIR", tmp_path)
    dialog = GuideDialog("nurse")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.problem.isVisible() and "missing" in dialog.problem.text()
