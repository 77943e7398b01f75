"""Help -> the user guide of each role (resources/guides/*.md with their screenshots), shown in the app."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QMenu, QTextBrowser, QVBoxLayout, QWidget

from desktop.config import RESOURCES
from desktop.widgets.dialog_base import BaseDialog

GUIDES_DIR = RESOURCES / "guides"
# role -> (menu title, file)
GUIDES: dict[str, tuple[str, str]] = {
    "front_desk": ("Front desk", "front-desk.md"),
    "nurse": ("Nurse", "nurse.md"),
    "physician": ("Physician", "physician.md"),
    "admin": ("Administrator", "admin.md"),
}


class GuideDialog(BaseDialog):
    def __init__(self, role: str, parent: QWidget | None = None):
        super().__init__(parent)
        title, name = GUIDES[role]
        self.setWindowTitle(self.tr("User guide: {0}").format(self.tr(title)))
        self.setModal(False)
        self.resize(900, 640)
        self.browser = QTextBrowser()
        self.browser.setObjectName("guideBrowser")
        self.browser.setOpenExternalLinks(True)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.problem.setWordWrap(True)
        self.problem.hide()
        path = GUIDES_DIR / name
        if path.is_file():
            self.browser.setSearchPaths([str(GUIDES_DIR)])
            self.browser.setSource(QUrl.fromLocalFile(str(path)))
        else:  # loud: a missing guide is an installation fault, not an empty page
            self.problem.setText(self.tr("The guide {0} is missing from this installation ({1}). "
                                         "Reinstall the application.").format(name, str(GUIDES_DIR)))
            self.problem.show()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.problem)
        lay.addWidget(self.browser, 1)
        lay.addWidget(buttons)


def add_to(menu: QMenu, window: QWidget, role: str) -> None:
    """'User guide' for the signed-in role (Shift+F1) and every role's guide in a submenu."""

    def show(r: str) -> None:
        dialog = GuideDialog(r, window)
        dialog.open()

    own = QAction(window.tr("&User guide"), window)
    own.setObjectName("actUserGuide")
    own.setShortcut(QKeySequence("Shift+F1"))
    own.triggered.connect(lambda: show(role if role in GUIDES else "physician"))
    menu.addAction(own)
    others = menu.addMenu(window.tr("Guides for &each role"))
    for key, (title, _name) in GUIDES.items():
        act = others.addAction(window.tr(title))
        act.setObjectName(f"actGuide_{key}")
        act.triggered.connect(lambda _checked=False, k=key: show(k))
