"""Key escrow inside the app: Admin > Database key… shows the key this computer's keyring keeps (after the
administrator's password, audited), and on a computer whose keyring does not hold it the app's passphrase
prompt takes that written-down key, opens the database and keeps the key in the keyring for the next start."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog
from sqlalchemy import select

from desktop.models import AuditEntry, User
from desktop.models.keys import KEYRING_SERVICE, PASSPHRASE_ENV
from desktop.services.database import Database
from desktop.services.database_key import database_key
from desktop.services.errors import PermissionDenied
from tests.conftest import TEST_PASSWORDS, _seed, user_for


@pytest.fixture
def encrypted(tmp_path, memory_keyring, monkeypatch):
    """An encrypted practice whose key this computer's (in-memory) keyring keeps."""
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    db = Database.open(f"sqlcipher:///{tmp_path / 'clinic.db'}", create=True)
    _seed(db)
    yield db
    db.dispose()


def _key_of(memory_keyring, db) -> str:
    return memory_keyring.get_password(KEYRING_SERVICE, str(db.target.path))


def test_the_admin_sees_the_keyring_key_after_their_password_and_it_is_audited(encrypted, memory_keyring):
    with encrypted.uow(user_for("admin")) as uow:
        wrong = database_key(uow, encrypted, "not my password")
    assert wrong.kind == "wrong password" and wrong.key == ""
    with encrypted.uow() as uow:  # the wrong try was kept: it counts toward the lockout like a failed login
        assert uow.session.get(User, user_for("admin").id).failed_attempts == 1
    with encrypted.uow(user_for("admin")) as uow:
        shown = database_key(uow, encrypted, TEST_PASSWORDS["admin"])
    assert shown.kind == "keyring"
    assert shown.key.replace(" ", "") == _key_of(memory_keyring, encrypted)
    assert len(shown.key.split()) == 16  # groups of four: easier to write down and to check
    with encrypted.uow() as uow:
        actions = uow.session.execute(select(AuditEntry.action, AuditEntry.username)).all()
    assert ("view key", "admin") in actions


def test_only_the_administrator_may_see_it(encrypted):
    with pytest.raises(PermissionDenied), encrypted.uow(user_for("physician")) as uow:
        database_key(uow, encrypted, TEST_PASSWORDS["physician"])


def test_a_database_without_a_keyring_key_says_where_its_key_is(db):
    with db.uow(user_for("admin")) as uow:
        answer = database_key(uow, db, TEST_PASSWORDS["admin"])
    assert answer.kind == ("server" if db.target.is_postgres else "unencrypted") and answer.key == ""


def test_the_written_down_key_opens_the_database_on_a_new_computer(encrypted, memory_keyring):
    with encrypted.uow(user_for("admin")) as uow:
        written = database_key(uow, encrypted, TEST_PASSWORDS["admin"]).key
    url = encrypted.target.url
    encrypted.dispose()
    memory_keyring.store.clear()  # the new computer's keyring knows nothing
    again = Database.open(url, passphrase=written.upper())  # as typed from paper: spaces, any case
    try:
        with again.uow(user_for("admin")) as uow:
            assert uow.session.execute(select(User.username).where(User.role == "admin")).scalar_one() == "admin"
    finally:
        again.dispose()
    # kept in the keyring: the next start opens it without asking
    assert _key_of(memory_keyring, again) == written.replace(" ", "")
    Database.open(url).dispose()


def test_a_wrong_written_down_key_opens_nothing_and_is_not_kept(encrypted, memory_keyring):
    from desktop.models.engine import DatabaseOpenError

    url = encrypted.target.url
    encrypted.dispose()
    memory_keyring.store.clear()
    with pytest.raises(DatabaseOpenError, match="wrong key"):
        Database.open(url, passphrase="ab" * 32)
    assert memory_keyring.store == {}


@pytest.mark.gui
def test_the_dialog_shows_the_key_after_the_password(qtbot, encrypted, memory_keyring, messages):
    from desktop.ops import Ops
    from desktop.views.admin.key_dialog import DatabaseKeyDialog
    from desktop.views.context import AppContext

    ctx = AppContext(ops=Ops(encrypted, user_for("admin")), messages=messages)
    dialog = DatabaseKeyDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.key_view.isVisible() and not dialog.copy_button.isVisible()
    dialog.password.setText("wrong")
    dialog.show_button.click()
    qtbot.waitUntil(lambda: "wrong" in dialog.result_label.text(), timeout=10000)
    assert not dialog.key_view.isVisible()
    dialog.password.setText(TEST_PASSWORDS["admin"])
    dialog.show_button.click()
    qtbot.waitUntil(dialog.key_view.isVisible, timeout=10000)
    shown = dialog.key_view.text()
    assert len(shown.splitlines()) == 2  # two lines of eight groups
    assert "".join(shown.split()) == _key_of(memory_keyring, encrypted)
    assert dialog.password.text() == ""  # not left in the field
    dialog.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert "".join(QGuiApplication.clipboard().text().split()) == _key_of(memory_keyring, encrypted)
    ctx.ops.wait_idle(5000)


@pytest.mark.gui
def test_the_app_asks_for_the_written_down_key_when_the_keyring_lacks_it(qtbot, encrypted, memory_keyring,
                                                                         monkeypatch):
    from desktop.views.app import AppController
    from desktop.views.main_window import MainWindow

    written = _key_of(memory_keyring, encrypted)
    url = encrypted.target.url
    encrypted.dispose()
    memory_keyring.store.clear()
    asked: list[str] = []

    def fake_get_text(parent, title, label, echo, *args, **kwargs):
        asked.append(label)
        return " ".join(written[i:i + 4] for i in range(0, 64, 4)), True

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(fake_get_text))
    window = MainWindow()
    qtbot.addWidget(window)
    controller = AppController(window, url)
    controller.open_database()
    qtbot.waitUntil(lambda: controller.db is not None, timeout=15000)
    assert len(asked) == 1
    assert "does not hold this database's key" in asked[0] and "Database key" in asked[0]
    assert "no keyring" not in asked[0]
    assert memory_keyring.get_password(KEYRING_SERVICE, str(Path(controller.db.target.path))) == written
    controller.db.dispose()
