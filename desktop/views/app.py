"""Start-up: show the main window at once (login page), open the database in the background meanwhile,
log in off the GUI thread, then build the workspace. Heavy imports happen after the window is up."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox

from .main_window import MainWindow

log = logging.getLogger(__name__)


def in_background(work: Callable[[], Any], done: Callable[[Any, BaseException | None], None],
                  owner: QObject) -> None:
    """Run work() off the GUI thread; call done(result, error) on the GUI thread, unless `owner` (the window
    the result is for) was destroyed meanwhile: a closed window's late answer has nowhere to go."""
    from shiboken6 import isValid

    from desktop.ops import run_detached

    def deliver(result: Any, error: BaseException | None) -> None:
        if not isValid(owner):
            log.debug("background result dropped: its window was closed")
            return
        done(result, error)

    run_detached(work, deliver)


def _sentence(exc: BaseException) -> str:
    text = str(exc)
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


class AppController(QObject):
    """Owns the session: opening the database, login, lock, switch user."""

    def __init__(self, window: MainWindow, db_url: str | None, username: str | None = None):
        super().__init__(window)
        self.window = window
        self.db_url = db_url
        self.db = None
        self.user = None
        self.pending_login: tuple[str, str] | None = None
        self._passphrase: str | None = None
        self._create = False
        self._tries = 0
        window.login_page.reset(username or "")
        window.login_page.sig_login.connect(self.login)
        window.login_page.sig_switch_user.connect(self.switch_user)
        window.sig_lock_requested.connect(self.lock)
        window.sig_switch_user.connect(self.switch_user)
        window.sig_database_replaced.connect(self.database_replaced)

    # ---- database
    def open_database(self) -> None:
        from desktop.config import resolve_db

        try:
            target = resolve_db(self.db_url)
        except ValueError as exc:
            self._fatal("Cannot open the database", _sentence(exc))
            return
        if target.path is not None and not target.path.exists() and not self._create:
            answer = QMessageBox.question(
                self.window, "Clinic EMR",
                f"There is no database at\n{target.path}\n\nCreate a new, empty practice database there?\n"
                "(To try the app with demo patients, run `python -m desktop demo` first.)",
            )
            if answer != QMessageBox.StandardButton.Yes:
                self.window.close()
                return
            self._create = True
        self.window.login_page.status.setText(self.tr("Opening the database…"))
        url, create, passphrase = self.db_url, self._create, self._passphrase

        def work():
            from desktop.services.database import Database

            return Database.open(url, create=create, passphrase=passphrase)

        in_background(work, self._database_opened, self.window)

    def _database_opened(self, db, error: BaseException | None) -> None:
        from desktop.services.database import KeyUnavailable

        page = self.window.login_page
        if error is not None:
            wrong_key = "wrong key" in str(error)
            if isinstance(error, KeyUnavailable) or (wrong_key and self._passphrase and self._tries < 3):
                self._tries += 1 if self._passphrase else 0
                missing = isinstance(error, KeyUnavailable) and not error.no_keyring
                if self._ask_passphrase(retry=wrong_key, missing_key=missing):
                    self.open_database()
                else:
                    self.window.close()
                return
            log.warning("database not opened: %s", error)
            self._fatal("Cannot open the database", _sentence(error))
            return
        self.db = db
        page.status.setText("")
        self.window.set_database(db.target.display(), db.encrypted, db.target.is_postgres)
        self._after_open()

    def _ask_passphrase(self, retry: bool, missing_key: bool = False) -> bool:
        label = self.tr("This computer has no keyring to keep the database key.\nEnter the database passphrase:")
        if missing_key:
            label = self.tr("This computer's keyring does not hold this database's key\n(a new computer, or a "
                            "database restored from a backup made with a passphrase).\nEnter the database "
                            "passphrase, or the key written down from Admin › Database key…:")
        if retry:
            label = self.tr("That passphrase did not open the database. Try again:")
        if self._create:
            label = self.tr("Choose a passphrase for the new encrypted database (at least 8 characters):")
        while True:
            text, ok = QInputDialog.getText(self.window, self.tr("Database passphrase"), label,
                                            QLineEdit.EchoMode.Password)
            if not ok or not text:
                return False
            if self._create and len(text) < 8:
                label = self.tr("At least 8 characters, please:")
                continue
            self._passphrase = text
            return True

    def _after_open(self) -> None:
        db = self.db

        def work():
            from desktop.services import auth
            from desktop.services.practice import practice_name

            with db.uow() as uow:
                return practice_name(uow), auth.any_users(uow)

        def done(result, error: BaseException | None) -> None:
            if error is not None:
                log.warning("practice not read: %s", error)
                self._fatal("Cannot open the database", _sentence(error))
                return
            self._opened(*result)

        in_background(work, done, self.window)

    def _opened(self, name: str, has_users: bool) -> None:
        self.window.set_practice_name(name)
        if not has_users:
            self._first_run()
            return
        auto = os.environ.get("EMR_AUTOLOGIN")
        if auto and ":" in auto and self.pending_login is None:
            # screenshots and demos: a real password check, no bypass
            self.pending_login = tuple(auto.split(":", 1))  # type: ignore[assignment]
        if self.pending_login:
            name, password = self.pending_login
            self.pending_login = None
            self.login(name, password)

    def _first_run(self) -> None:
        try:
            from .first_run import run_first_run_wizard
        except ImportError:
            self._fatal("Clinic EMR", "This database has no users yet. Run `python -m desktop demo` to create demo users.")
            return
        self.window.first_run_wizard = run_first_run_wizard(self.db, self.window, self._first_run_done)

    def _first_run_done(self, created: bool) -> None:
        if not created:
            self.window.close()
            return
        self._after_open()

    def _fatal(self, title: str, text: str) -> None:
        from desktop.widgets.messages import get_messages

        get_messages().error(self.window, text, title=title)
        self.window.close()

    # ---- login, lock, switch
    def login(self, username: str, password: str) -> None:
        if self.db is None:  # still opening: log in as soon as it is ready
            self.pending_login = (username, password)
            self.window.login_page.status.setText(self.tr("Opening the database…"))
            return
        locked_for = self.user.username if (self.user and self.window.workspace is not None) else None
        db = self.db

        def work():
            from desktop.services import auth

            with db.uow() as uow:
                return auth.login(uow, username, password)

        def done(result, error: BaseException | None) -> None:
            if error is not None:
                self.window.login_page.failed(_sentence(error))
                return
            user = result.user
            if locked_for is not None and user.username == locked_for:
                self.window.show_workspace()  # unlock: open work is exactly as it was
                return
            self._enter(user)
            if result.must_change_password:
                from .admin.password_dialog import require_password_change

                # an administrator reset this password: the user chooses a new one before working
                self.window.password_dialog = require_password_change(
                    self.window.ctx, self.window, lambda changed: None if changed else self.switch_user())

        in_background(work, done, self.window)

    def _enter(self, user) -> None:
        from .context import make_context

        self.user = user
        ctx = make_context(self.db, user, self.window)
        self.window.enter(ctx)
        self._install_idle_lock()

    def _install_idle_lock(self) -> None:
        try:
            from .idle_lock import install_idle_lock
        except ModuleNotFoundError:
            return
        install_idle_lock(self)

    def lock(self) -> None:
        if self.user is None or self.window.workspace is None or self.window.locked:
            return
        self.window.show_login(locked_for=self.user.username)

    def switch_user(self) -> None:
        """Every chart closes first (a note may be saved, in a worker); if one stays open, so does the
        workspace."""
        ws = self.window.workspace
        if ws is None:
            self._to_login(True)
            return
        ws.close_all_charts(self._to_login)

    def database_replaced(self) -> None:
        """A backup was restored (Admin > Restore database…): the old session and its database handle end, the
        restored file is opened anew (an older schema is upgraded as at start-up) and everyone logs in again."""
        old, self.db, self.user = self.db, None, None
        username = self.window.ctx.user.username if self.window.ctx is not None else ""
        self.window.leave()
        if old is not None:
            old.dispose()
        self.window.login_page.reset(username)
        self.window.login_page.subtitle.setText(self.tr("The database was restored. Log in again."))
        self.open_database()

    def _to_login(self, all_closed: bool) -> None:
        if not all_closed:
            self.window.show_workspace()
            return
        self.window.show_login()
        self.user = None


def run_gui(db_url: str | None = None, username: str | None = None, quit_after_shown: bool = False) -> int:
    t0 = time.perf_counter()
    from desktop.qt_compat import install_singleton_refcount_fix

    install_singleton_refcount_fix()  # before the first widget: see desktop/qt_compat.py
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Clinic EMR")
    app.setOrganizationName("ClinicEMR")
    app.setStyle("Fusion")
    from desktop.ops import GuiThreadGarbageCollector

    collector = GuiThreadGarbageCollector(app)  # noqa: F841  (lives as long as the app)
    window = MainWindow()
    controller = AppController(window, db_url, username)
    window.show()
    if quit_after_shown:
        def report() -> None:
            print(f"shown_ms={(time.perf_counter() - t0) * 1000:.1f}", flush=True)
            app.quit()

        QTimer.singleShot(0, report)
        return app.exec()
    QTimer.singleShot(0, controller.open_database)
    return app.exec()
