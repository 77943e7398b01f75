"""Lock the app after N idle minutes (admin setting `security.idle_lock_minutes`, default 10).

An application-wide event filter restarts a single-shot timer on every key press, click, wheel turn or mouse
move; when it fires the controller locks: the main window shows the login page over the workspace, which stays
exactly as it was (open charts, half-typed forms).

Open dialogs stay open too, but they would still show patient data and, being modal, would keep the user
from the login page. So while locked each open dialog is covered by a shield: its contents are hidden and
disabled, Escape and the close button do nothing, and the shield of the top dialog asks for the password
(or offers to switch user, which closes the open dialogs). Unlocking removes the shields.

    install_idle_lock(controller)                 # minutes from the practice setting
    install_idle_lock(controller, minutes=0.01)   # tests: 0.6 s
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop.services import auth, settings

log = logging.getLogger(__name__)

_T = QEvent.Type
INPUT_EVENTS = frozenset({
    _T.KeyPress, _T.MouseButtonPress, _T.MouseButtonDblClick, _T.MouseMove, _T.Wheel, _T.TouchBegin,
    _T.TouchUpdate, _T.TabletPress, _T.TabletMove, _T.InputMethod,
})
SHIELD_MIN_WIDTH, SHIELD_MIN_HEIGHT = 380, 190


class PrivacyShield(QFrame):
    """Covers one open dialog while the app is locked; offers the password to unlock."""

    sig_unlock = Signal(str)  # password
    sig_switch_user = Signal()

    def __init__(self, dialog: QDialog, username: str, display_name: str):
        super().__init__(dialog)
        self.dialog = dialog
        self.setObjectName("privacyShield")
        self.setAutoFillBackground(True)
        self.setStyleSheet("#privacyShield { background: #eef3f8; }")
        title = QLabel(self.tr("Locked"))
        title.setStyleSheet("font-size: 14pt; font-weight: 600;")
        who = QLabel(self.tr("{name} ({user}): enter your password to continue.").format(
            name=display_name, user=username))
        who.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setObjectName("shieldPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("Password"))
        self.error = QLabel()
        self.error.setObjectName("shieldError")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.unlock_button = QPushButton(self.tr("Unlock"))
        self.unlock_button.setObjectName("shieldUnlock")
        self.switch_button = QPushButton(self.tr("Switch user…"))
        self.switch_button.setObjectName("shieldSwitchUser")
        self.switch_button.setToolTip(self.tr("Another user takes over: the open windows are closed"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.switch_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        card = QFrame()
        card.setObjectName("shieldCard")
        card.setStyleSheet("#shieldCard { background: white; border: 1px solid #c5d3e0; border-radius: 6px; }")
        card.setFixedWidth(min(400, max(320, dialog.width() - 24)))
        box = QVBoxLayout(card)
        box.setContentsMargins(18, 14, 18, 14)
        box.addWidget(title)
        box.addWidget(who)
        box.addWidget(self.password)
        box.addWidget(self.error)
        box.addLayout(buttons)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.password.returnPressed.connect(self._submit)
        self.unlock_button.clicked.connect(self._submit)
        self.switch_button.clicked.connect(self.sig_switch_user.emit)
        self._disabled: list[QWidget] = []
        self._old_min = dialog.minimumSize()
        # the dialog's own contents: hidden behind the shield and disabled, so keys cannot reach them
        for child in dialog.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if child is not self and child.isEnabled():
                child.setEnabled(False)
                self._disabled.append(child)
        if dialog.width() < SHIELD_MIN_WIDTH or dialog.height() < SHIELD_MIN_HEIGHT:
            dialog.setMinimumSize(max(dialog.width(), SHIELD_MIN_WIDTH), max(dialog.height(), SHIELD_MIN_HEIGHT))
        dialog.installEventFilter(self)
        self.setGeometry(dialog.rect())
        self.show()
        self.raise_()
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def _submit(self) -> None:
        text = self.password.text()
        if not text:
            self.error.setText(self.tr("Enter your password."))
            return
        self.unlock_button.setEnabled(False)
        self.error.setText(self.tr("Checking…"))
        self.sig_unlock.emit(text)

    def failed(self, message: str) -> None:
        self.error.setText(message)
        self.password.clear()
        self.unlock_button.setEnabled(True)
        self.password.setFocus()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.dialog:
            kind = event.type()
            if kind == _T.Resize:
                self.setGeometry(self.dialog.rect())
            elif kind == _T.Close:
                event.ignore()  # the window's close button does nothing while locked
                return True
            elif kind == _T.KeyPress and event.key() == Qt.Key.Key_Escape:
                return True  # Escape would reject the dialog and lose its work
        return False

    def remove(self) -> None:
        self.dialog.removeEventFilter(self)
        for child in self._disabled:
            child.setEnabled(True)
        self._disabled.clear()
        self.dialog.setMinimumSize(self._old_min)
        self.hide()
        self.deleteLater()


class IdleLock(QObject):
    """Owned by the app controller; one per logged-in session (installing again replaces the old one)."""

    sig_locked = Signal()

    def __init__(self, controller, minutes: float | None = None):
        super().__init__(controller)
        self.controller = controller
        self.window = controller.window
        self.shields: list[PrivacyShield] = []
        self.active = True  # False once uninstalled: late answers from workers are ignored
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._idle)
        self.fixed = minutes is not None
        self.set_minutes(minutes if minutes is not None else settings.IDLE_LOCK_DEFAULT)
        app = QApplication.instance()
        assert app is not None
        self._app = app
        app.installEventFilter(self)
        self.window.stack.currentChanged.connect(self._page_changed)
        # the window's widgets die before this object does: stop filtering the moment they go
        self.window.stack.destroyed.connect(self._window_gone)
        ctx = self.window.ctx
        if ctx is not None:
            ctx.ops.data_changed.connect(self._data_changed)
            if not self.fixed:
                self.reload_minutes()
        if not self.window.locked:
            self.timer.start()

    # ---- settings
    @property
    def minutes(self) -> float:
        return self.timer.interval() / 60000

    def set_minutes(self, minutes: float) -> None:
        if not self.active:
            return
        ms = max(50, int(minutes * 60_000))
        self.timer.setInterval(ms)
        if self.timer.isActive():
            self.timer.start()

    def reload_minutes(self) -> None:
        ctx = self.window.ctx
        if ctx is None or self.fixed:
            return
        ctx.ops.run(settings.get_idle_lock_minutes, done=self.set_minutes, failed=self._minutes_unreadable)

    def _minutes_unreadable(self, exc: BaseException) -> None:
        if self.active:
            log.warning("idle lock minutes unreadable, keeping %s min: %s", self.minutes, exc)

    def _data_changed(self, what: str, _patient_id: int) -> None:
        if what == "settings":
            self.reload_minutes()

    # ---- watching the user
    def _window_gone(self) -> None:
        self.active = False
        self.timer.stop()
        self._app.removeEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if not self.active:
            return False
        if not (isValid(self.window) and isValid(self.window.stack)):  # the window was destroyed
            self._window_gone()
            return False
        kind = event.type()
        if kind in INPUT_EVENTS:
            if not self.window.locked:
                self.timer.start()  # restart: the user is here
        elif self.window.locked and self.window.workspace is not None:
            if kind == _T.Shortcut and not self._on_lock_screen(obj):
                return True  # no dialog or chart shortcut fires behind the lock screen
            if kind == _T.Show and isinstance(obj, QDialog) and obj.isWindow():
                QTimer.singleShot(0, self._shield_dialogs)  # a dialog that pops up while locked
        return False

    def _on_lock_screen(self, obj) -> bool:
        if not isinstance(obj, QWidget):
            return False
        return self.window.login_page.isAncestorOf(obj) or any(s.isAncestorOf(obj) for s in self.shields)

    def _idle(self) -> None:
        if self.window.locked or self.window.workspace is None:
            return
        log.info("locking after %.1f idle minutes", self.minutes)
        self.controller.lock()
        self.sig_locked.emit()

    def _page_changed(self, _index: int) -> None:
        if self.window.locked:
            self.timer.stop()
            if self.window.workspace is not None:
                self._shield_dialogs()
        else:
            self._unshield()
            self.timer.start()

    # ---- dialogs while locked
    def open_dialogs(self) -> list[QDialog]:
        found = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QDialog) and w.isVisible() and w is not self.window]
        active = QApplication.activeModalWidget()
        # the active modal dialog last: its shield gets the keyboard
        return sorted(found, key=lambda w: w is active)

    def _shield_dialogs(self) -> None:
        if not self.window.locked or self.window.workspace is None:
            return
        user = self.window.ctx.user if self.window.ctx is not None else None
        if user is None:
            return
        covered = {s.dialog for s in self.shields}
        for dialog in self.open_dialogs():
            if dialog in covered:
                continue
            shield = PrivacyShield(dialog, user.username, user.display_name)
            shield.sig_unlock.connect(lambda pw, s=shield: self._unlock(s, pw))
            shield.sig_switch_user.connect(self._switch_user)
            self.shields.append(shield)
        if self.shields:
            self.shields[-1].password.setFocus(Qt.FocusReason.OtherFocusReason)

    def _unshield(self) -> None:
        shields, self.shields = self.shields, []
        for shield in shields:
            shield.remove()

    def _unlock(self, shield: PrivacyShield, password: str) -> None:
        ctx = self.window.ctx
        if ctx is None:
            return

        def done(_result) -> None:
            if self.active:
                self.window.show_workspace()  # the stack changes page: shields go, the timer restarts

        def failed(exc: BaseException) -> None:
            if not self.active:
                return
            if isinstance(exc, auth.LoginFailed):
                shield.failed(str(exc)[:1].upper() + str(exc)[1:] + ".")
            else:
                shield.failed(self.tr("Could not check the password."))
                ctx.messages.error(shield, exc)

        ctx.ops.run(auth.login, ctx.user.username, password, done=done, failed=failed)

    def _switch_user(self) -> None:
        dialogs = [s.dialog for s in self.shields]
        self._unshield()
        for dialog in reversed(dialogs):  # the top one first
            dialog.reject()
        QTimer.singleShot(0, self.controller.switch_user)

    # ---- lifetime
    def uninstall(self) -> None:
        self.active = False
        self.timer.stop()
        self._app.removeEventFilter(self)
        try:
            self.window.stack.currentChanged.disconnect(self._page_changed)
        except (RuntimeError, TypeError):
            log.debug("idle lock was not connected to the window")
        self._unshield()


def install_idle_lock(controller, minutes: float | None = None) -> IdleLock:
    """Start watching for idleness for the user who just logged in (replaces an earlier idle lock)."""
    previous = getattr(controller, "idle_lock", None)
    if previous is not None:
        previous.uninstall()
        previous.deleteLater()
    lock = IdleLock(controller, minutes)
    controller.idle_lock = lock
    return lock
