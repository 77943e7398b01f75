"""Where the OS has no keyring (headless Linux): the command line reads EMR_DB_PASSPHRASE, the GUI asks for
the passphrase; nothing ever falls back to a plaintext database."""

from __future__ import annotations

import hashlib

import keyring
import pytest
from keyring.backends import fail

from desktop.config import default_db_path
from desktop.models.engine import SQLITE_HEADER
from desktop.models.keys import KeyUnavailable, key_for, keyring_usable
from tests.security.conftest import run_cli

NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_fail_backend_means_ask_for_a_passphrase(no_keyring, tmp_path, monkeypatch):
    monkeypatch.delenv("EMR_DB_PASSPHRASE", raising=False)
    assert not keyring_usable()
    with pytest.raises(KeyUnavailable, match="EMR_DB_PASSPHRASE"):
        key_for(tmp_path / "x.db", create=True)
    monkeypatch.setenv("EMR_DB_PASSPHRASE", "from the environment")
    assert key_for(tmp_path / "x.db", create=True).passphrase == "from the environment"


def test_cli_demo_with_passphrase_from_the_environment(data_dir):
    env = {"EMR_DATA_DIR": str(data_dir), **NO_KEYRING}
    made = run_cli("demo", "--patients", "5", "--no-charts", env={**env, "EMR_DB_PASSPHRASE": "headless secret"})
    assert made.returncode == 0, made.stderr
    path = data_dir / default_db_path().name
    assert path.exists() and path.read_bytes()[:16] != SQLITE_HEADER
    assert not list(data_dir.glob("*.db-journal"))

    ok = run_cli("check-db", env={**env, "EMR_DB_PASSPHRASE": "headless secret"})
    assert ok.returncode == 0, ok.stderr
    assert "(encrypted)" in ok.stdout

    # no passphrase and no terminal: a clear message, exit 1, never a plaintext database
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    missing = run_cli("check-db", env=env)
    assert missing.returncode == 1
    assert "no keyring" in missing.stderr and "EMR_DB_PASSPHRASE" in missing.stderr
    wrong = run_cli("check-db", env={**env, "EMR_DB_PASSPHRASE": "not the secret"})
    assert wrong.returncode == 1 and "wrong key or passphrase" in wrong.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_cli_demo_without_passphrase_creates_nothing(data_dir):
    result = run_cli("demo", "--patients", "5", env={"EMR_DATA_DIR": str(data_dir), **NO_KEYRING})
    assert result.returncode == 1
    assert "EMR_DB_PASSPHRASE" in result.stderr
    assert not (data_dir / default_db_path().name).exists()


def _practice_with_users(passphrase: str) -> None:
    """The default encrypted database, with users (else the first-run wizard would wait for input)."""
    from desktop.services import demo
    from desktop.services.database import Database

    db = Database.open(None, create=True, passphrase=passphrase)
    with db.uow() as uow:
        demo.create_practice_and_users(uow)
    db.dispose()


@pytest.mark.gui
def test_gui_asks_for_the_passphrase(qtbot, data_dir, no_keyring, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from desktop.views.app import AppController
    from desktop.views.main_window import MainWindow

    _practice_with_users("typed at start")
    answers = iter([("wrong guess!", True), ("typed at start", True)])
    asked: list[str] = []

    def fake_get_text(parent, title, label, echo, *args, **kwargs):
        asked.append(label)
        assert echo == echo.Password  # the passphrase is never shown
        return next(answers)

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(fake_get_text))
    window = MainWindow()
    qtbot.addWidget(window)
    controller = AppController(window, None)
    controller.open_database()
    qtbot.waitUntil(lambda: controller.db is not None, timeout=15000)
    assert len(asked) == 2
    assert "no keyring" in asked[0] and "did not open" in asked[1]
    assert controller.db.encrypted
    assert window.db_label.text().endswith("encrypted") and "not encrypted" not in window.db_label.text()
    controller.db.dispose()


@pytest.mark.gui
def test_gui_cancelled_passphrase_closes_without_opening(qtbot, data_dir, no_keyring, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from desktop.views.app import AppController
    from desktop.views.main_window import MainWindow

    _practice_with_users("typed at start")
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("", False)))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    controller = AppController(window, None)
    controller.open_database()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15000)
    assert controller.db is None


@pytest.mark.gui
def test_status_bar_says_when_the_database_is_not_encrypted(qtbot, db_url):
    if not db_url.startswith("sqlite:///"):
        pytest.skip("the warning is about SQLite files")
    from desktop.views.app import AppController
    from desktop.views.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    controller = AppController(window, db_url)
    controller.open_database()
    qtbot.waitUntil(lambda: controller.db is not None, timeout=15000)
    assert window.db_label.text().endswith("database not encrypted")
    controller.db.dispose()
