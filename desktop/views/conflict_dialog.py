"""Someone else saved the same record: show both versions field by field and let the user choose."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.table_model import display


class ConflictDialog(BaseDialog):
    """Result: `merged()` gives the values to save (mine where chosen, theirs elsewhere)."""

    def __init__(self, conflict, labels: dict[str, str], parent: QWidget | None = None, base: dict | None = None):
        """`base`: the values the form was opened with. A field only they changed starts on their value, so
        the defaults never quietly undo their change (a severity raised to severe put back to mild)."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Changed by someone else"))
        self._conflict = conflict
        self._choices: dict[str, QButtonGroup] = {}
        who = conflict.changed_by or self.tr("another user")
        intro = QLabel(self.tr(
            "{who} saved this record after you opened it. Nothing has been overwritten.\n"
            "For each field that differs, choose which value to keep."
        ).format(who=who))
        intro.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(QLabel(f"<b>{self.tr('Field')}</b>"), 0, 0)
        grid.addWidget(QLabel(f"<b>{self.tr('Your version')}</b>"), 0, 1)
        grid.addWidget(QLabel(f"<b>{self.tr('Saved version')}</b>"), 0, 2)
        self.differing = [k for k in conflict.mine if conflict.mine.get(k) != conflict.theirs.get(k)]
        for row, key in enumerate(self.differing, start=1):
            mine = QRadioButton(display(conflict.mine.get(key)) or self.tr("(empty)"))
            theirs = QRadioButton(display(conflict.theirs.get(key)) or self.tr("(empty)"))
            mine.setObjectName(f"mine_{key}")
            theirs.setObjectName(f"theirs_{key}")
            changed_by_me = base is None or key not in base or conflict.mine.get(key) != base.get(key)
            (mine if changed_by_me else theirs).setChecked(True)
            group = QButtonGroup(self)
            group.addButton(mine, 1)
            group.addButton(theirs, 2)
            self._choices[key] = group
            grid.addWidget(QLabel(labels.get(key, key)), row, 0)
            grid.addWidget(mine, row, 1)
            grid.addWidget(theirs, row, 2)
        grid.setRowStretch(len(self.differing) + 1, 1)  # the rows stay together at the top, not spread out
        holder = QWidget()
        holder.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidget(holder)
        scroll.setWidgetResizable(True)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(self.tr("Save my choices"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = buttons.addButton(self.tr("Discard my changes"), QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.discarded = False
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.discard_button.clicked.connect(self._discard)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(640, 360)

    def _discard(self) -> None:
        self.discarded = True
        self.accept()

    def choose(self, key: str, mine: bool) -> None:
        self._choices[key].button(1 if mine else 2).setChecked(True)

    def merged(self) -> dict:
        if self.discarded:
            return dict(self._conflict.theirs)
        out = dict(self._conflict.theirs)
        for key, group in self._choices.items():
            if group.checkedId() == 1:
                out[key] = self._conflict.mine.get(key)
        return out
