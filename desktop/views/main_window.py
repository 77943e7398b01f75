"""The main window. It appears at once with the login page; the workspace (and the heavy imports behind it:
SQLAlchemy, services) is built only after login, so start-up costs little more than a bare Qt window."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.widgets.hint_label import hint_label
from desktop.widgets.screen_fit import fit_to_screen

if TYPE_CHECKING:
    from .context import AppContext
    from .workspace import Workspace

log = logging.getLogger(__name__)

CLOSE_GRACE_S = 3.0  # closing waits (without blocking) this long at most for the workers' writes


class LoginPage(QWidget):
    """User name and password in the middle of the window. Also the lock screen (name fixed)."""

    sig_login = Signal(str, str)
    sig_switch_user = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.heading = QLabel(self.tr("Clinic EMR"))
        self.heading.setObjectName("loginHeading")
        self.heading.setStyleSheet("font-size: 18pt; font-weight: 600;")
        self.subtitle = QLabel(self.tr("Log in to continue"))
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setObjectName("loginError")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.status = hint_label(name="loginStatus")
        self.login_button = QPushButton(self.tr("Log in"))
        self.login_button.setObjectName("loginButton")
        self.login_button.setDefault(True)
        self.switch_button = QPushButton(self.tr("Switch user"))
        self.switch_button.setVisible(False)
        form = QFormLayout()
        form.addRow(self.tr("&User name"), self.username)
        form.addRow(self.tr("&Password"), self.password)
        buttons = QHBoxLayout()
        buttons.addWidget(self.switch_button)
        buttons.addStretch(1)
        buttons.addWidget(self.login_button)
        card = QFrame()
        card.setObjectName("loginCard")
        card.setStyleSheet("#loginCard { background: white; border: 1px solid #c5d3e0; border-radius: 6px; }")
        card.setFixedWidth(420)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(24, 20, 24, 20)
        inner.addWidget(self.heading)
        inner.addWidget(self.subtitle)
        inner.addSpacing(8)
        inner.addLayout(form)
        inner.addWidget(self.error)
        inner.addLayout(buttons)
        inner.addWidget(self.status)
        # centred with stretches, not Qt.AlignmentFlag: the first touch of the `Qt` namespace builds all of its
        # enums (20-40 ms), which the login window can leave until after it is on screen
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        # a palette, not a style sheet: a Python QWidget subclass ignores "background" without WA_StyledBackground
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor("#eef3f8"))
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        self.login_button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.username.returnPressed.connect(self.password.setFocus)
        self.switch_button.clicked.connect(self.sig_switch_user.emit)

    def _submit(self) -> None:
        name, password = self.username.text().strip(), self.password.text()
        if not name or not password:
            self.error.setText(self.tr("Enter your user name and password."))
            return
        self.error.clear()
        self.login_button.setEnabled(False)
        self.sig_login.emit(name, password)

    def reset(self, username: str = "", locked_for: str | None = None) -> None:
        self.username.setText(locked_for or username)
        self.username.setReadOnly(locked_for is not None)
        self.password.clear()
        self.login_button.setEnabled(True)
        self.switch_button.setVisible(locked_for is not None)
        self.subtitle.setText(self.tr("Locked. Enter your password to continue.") if locked_for
                              else self.tr("Log in to continue"))
        (self.password if (locked_for or username) else self.username).setFocus()

    def failed(self, message: str) -> None:
        self.error.setText(message)
        self.password.clear()
        self.password.setFocus()
        self.login_button.setEnabled(True)


class MainWindow(QMainWindow):
    sig_lock_requested = Signal()
    sig_switch_user = Signal()
    sig_database_replaced = Signal()  # Admin > Restore database… put a backup in place: the session ends

    def __init__(self, ctx: AppContext | None = None, practice_name: str = ""):
        super().__init__()
        self.setObjectName("mainWindow")
        self.practice_name = practice_name
        self.ctx: AppContext | None = None
        self.workspace: Workspace | None = None
        self.stack = QStackedWidget()
        self.login_page = LoginPage()
        self.stack.addWidget(self.login_page)
        self.setCentralWidget(self.stack)
        self.db_label = QLabel()
        self.db_label.setObjectName("dbLabel")
        self.user_label = QLabel()
        self.busy_label = QLabel()
        self.statusBar().addWidget(self.user_label)
        self.statusBar().addWidget(self.busy_label)
        self.statusBar().addPermanentWidget(self.db_label)
        self.set_practice_name(practice_name)
        self.resize(1200, 660)
        fit_to_screen(self)  # a 1280x720 laptop: the status bar and the bottom buttons stay on screen
        if ctx is not None:
            self.enter(ctx)

    def _show_error(self, exc: BaseException) -> None:
        """Failures no view handled: through the one message service."""
        if self.ctx is not None:
            self.ctx.messages.error(self, exc)

    def _show_busy(self, busy: bool) -> None:
        self.busy_label.setText(self.tr("Working…") if busy else "")

    def showEvent(self, event) -> None:
        fit_to_screen(self)
        super().showEvent(event)

    def set_practice_name(self, name: str) -> None:
        self.practice_name = name
        self.login_page.heading.setText(name or self.tr("Clinic EMR"))
        who = f" — {self.ctx.user.display_name}" if self.ctx else ""
        self.setWindowTitle(f"{name or 'Clinic EMR'}{who}")

    def set_database(self, display: str, encrypted: bool, is_server: bool) -> None:
        if not encrypted and not is_server:
            self.db_label.setText(f"{display} — " + self.tr("database not encrypted"))
            self.db_label.setStyleSheet("color: #b00020;")
        else:
            self.db_label.setText(display + ("" if is_server else " — " + self.tr("encrypted")))
            self.db_label.setStyleSheet("")

    # ---- logged in
    def enter(self, ctx: AppContext) -> Workspace:
        """Show the workspace for this user (after login or switch user)."""
        from .workspace import Workspace

        if self.workspace is not None:
            self.stack.removeWidget(self.workspace)
            self.workspace.deleteLater()
        self.ctx = ctx
        self.workspace = Workspace(ctx)
        self.stack.addWidget(self.workspace)
        self.stack.setCurrentWidget(self.workspace)
        ctx.ops.error.connect(self._show_error)
        ctx.ops.busy_changed.connect(self._show_busy)  # a method: disconnected when the window goes
        u = ctx.user
        self.user_label.setText(f"{u.display_name} ({u.role_label})")
        db = ctx.db
        self.set_database(db.target.display(), db.encrypted, db.target.is_postgres)
        self.set_practice_name(self.practice_name)
        self._build_menus()
        self.workspace.search_panel.search.setFocus()
        return self.workspace

    def leave(self) -> None:
        """End the session without a successor (the database under it was replaced): the workspace, its
        context and the menus go; the login page stays."""
        if self.workspace is not None:
            self.stack.removeWidget(self.workspace)
            self.workspace.deleteLater()
            self.workspace = None
        if self.ctx is not None:
            self.ctx.ops.error.disconnect(self._show_error)
            self.ctx.ops.busy_changed.disconnect(self._show_busy)
            self.ctx = None
        self.menuBar().clear()
        self.user_label.clear()
        self.busy_label.clear()
        self.show_login()

    def show_login(self, username: str = "", locked_for: str | None = None) -> None:
        self.menuBar().setEnabled(locked_for is None and self.workspace is not None)
        self.menuBar().setVisible(locked_for is None and self.workspace is not None)
        self.login_page.reset(username, locked_for)
        self.stack.setCurrentWidget(self.login_page)

    def show_workspace(self) -> None:
        if self.workspace is not None:
            self.menuBar().setEnabled(True)
            self.menuBar().setVisible(True)
            self.stack.setCurrentWidget(self.workspace)

    @property
    def locked(self) -> bool:
        return self.stack.currentWidget() is self.login_page

    # convenience for callers and tests
    @property
    def tabs(self):
        return self.workspace.tabs if self.workspace else None

    @property
    def search_panel(self):
        return self.workspace.search_panel if self.workspace else None

    @property
    def charts(self) -> dict:
        return self.workspace.charts if self.workspace else {}

    def open_chart(self, patient_id: int):
        return self.workspace.open_chart(patient_id) if self.workspace else None

    # ---- menus (rebuilt per user: what a role cannot do is not offered)
    def _action(self, menu, text: str, slot, shortcut=None, enabled: bool = True, name: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        act.setEnabled(enabled)
        if name:
            act.setObjectName(name)
        menu.addAction(act)
        return act

    def _build_menus(self) -> None:
        from desktop.services.permissions import Permission

        assert self.ctx is not None and self.workspace is not None
        ws = self.workspace
        can = self.ctx.can
        bar = self.menuBar()
        bar.clear()
        m = bar.addMenu(self.tr("&File"))
        self._action(m, self.tr("&Find patient"), ws.focus_search, "Ctrl+F", name="actFind")
        self._action(m, self.tr("&New patient…"), ws.new_patient, "Ctrl+N", can(Permission.EDIT_DEMOGRAPHICS),
                     name="actNewPatient")
        self._action(m, self.tr("&Close chart"), lambda: ws.close_tab(ws.tabs.currentIndex()), "Ctrl+W")
        m.addSeparator()
        self._action(m, self.tr("&Lock screen"), self.sig_lock_requested.emit, "Ctrl+L", name="actLock")
        self._action(m, self.tr("&Switch user…"), self.sig_switch_user.emit, "Ctrl+Shift+L", name="actSwitchUser")
        self._action(m, self.tr("Change my &password…"), self._change_password, name="actChangePassword")
        self._action(m, self.tr("My p&references…"), self._preferences, name="actPreferences")
        m.addSeparator()
        self._action(m, self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        self.chart_menu = bar.addMenu(self.tr("&Chart"))
        self._action(self.chart_menu, self.tr("&Edit demographics…"), ws.edit_current_patient, "Ctrl+E",
                     can(Permission.EDIT_DEMOGRAPHICS))
        self.admin_menu = bar.addMenu(self.tr("&Admin"))
        self.admin_menu.menuAction().setVisible(
            can(Permission.MANAGE_USERS) or can(Permission.MANAGE_SETTINGS) or can(Permission.VIEW_AUDIT))
        from . import menu_hooks

        menu_hooks.install(self)
        h = bar.addMenu(self.tr("&Help"))
        self._action(h, self.tr("&Keyboard shortcuts"), self.show_shortcuts, "F1")
        from . import help_guides

        help_guides.add_to(h, self, self.ctx.user.role)

    def _change_password(self) -> None:
        from .admin.password_dialog import change_my_password

        if self.ctx is not None:
            self.password_dialog = change_my_password(self.ctx, self)  # window-modal, open()

    def _preferences(self) -> None:
        from .preferences_dialog import PreferencesDialog

        if self.ctx is not None:
            self.preferences_dialog = PreferencesDialog(self.ctx, self)
            self.preferences_dialog.open()

    def show_shortcuts(self) -> None:
        if self.ctx is None:
            return
        self.ctx.messages.info(self, self.tr(
            "Ctrl+F  find patient\nCtrl+N  new patient\nEnter  open the selected patient\n"
            "Ctrl+W  close chart\nCtrl+E  edit demographics\nAlt+1…8  chart tabs\n"
            "Ctrl+L  lock screen\nCtrl+Shift+L  switch user"), title=self.tr("Keyboard shortcuts"))

    def closeEvent(self, event) -> None:
        """Closing asks every open chart first (a note may be saved, in a worker), then waits without blocking
        until the workers' writes (autosave, audit) are done, at most CLOSE_GRACE_S, and closes again."""
        if self._may_close or self.workspace is None or self.ctx is None:
            super().closeEvent(event)
            return
        event.ignore()
        if self._closing:
            return
        self._closing = True
        from desktop.ops import run_closers  # not at import: the login window starts without the Qt namespace

        run_closers([view.before_close for view in self.workspace.charts.values()], self._charts_agreed)

    _may_close = False
    _closing = False

    def _charts_agreed(self, ok: bool) -> None:
        if not ok:  # a note could not be saved, or the user chose to stay
            self._closing = False
            return
        self._close_deadline = time.monotonic() + CLOSE_GRACE_S
        self._close_when_idle()

    def _close_when_idle(self) -> None:
        if self.ctx is not None and self.ctx.ops.pending and time.monotonic() < self._close_deadline:
            QTimer.singleShot(50, self, self._close_when_idle)
            return
        if self.ctx is not None and self.ctx.ops.pending:
            log.warning("closing with %d operation(s) still running", self.ctx.ops.pending)
        self._may_close = True
        QTimer.singleShot(0, self, self.close)
