"""Shared fixtures: offscreen Qt, in-memory keyring, a fresh database per test (SQLite, or PostgreSQL when
EMR_TEST_PG_URL is set), one user per role, and helpers to act as them."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_DATA = tempfile.mkdtemp(prefix="emr-test-data-")
os.environ["EMR_DATA_DIR"] = _DATA  # never touch a real user's data folder
os.environ.pop("EMR_DB_URL", None)
os.environ.pop("EMR_DB_PASSPHRASE", None)
os.environ.pop("EMR_AUTOLOGIN", None)

from desktop.qt_compat import install_singleton_refcount_fix  # noqa: E402

install_singleton_refcount_fix()  # PySide6 6.12 on Python 3.11 leaks references to None/True (see module)

import keyring  # noqa: E402
import pytest  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "data" / "phr-samples"  # copies of public samples, see its MANIFEST.md
PG_URL = os.environ.get("EMR_TEST_PG_URL")


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True, scope="session")
def _gc_only_on_the_main_thread():
    """As in the app (desktop.ops.GuiThreadGarbageCollector): a collection inside a worker thread could
    destroy Qt objects of earlier tests from that thread and crash."""
    gc.disable()
    yield
    gc.enable()


_TESTS_RUN = [0]


@pytest.fixture(autouse=True)
def _collect_after_each_test():
    """Young objects after every test (cheap); a full collection every 25 tests (about a second)."""
    yield
    _TESTS_RUN[0] += 1
    gc.collect(2 if _TESTS_RUN[0] % 25 == 0 else 0)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


# Cheap argon2id parameters for test users only: logins in GUI tests stay fast. The app uses the defaults.
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
TEST_PASSWORDS = {"physician": "physician-pass", "nurse": "nurse-pass", "front_desk": "frontdesk-pass",
                  "admin": "admin-pass"}
TEST_USERS = {  # role -> (id, username, display name)
    "physician": (1, "drlima", "Dr. Ana Lima"),
    "nurse": (2, "nquinn", "Nora Quinn, RN"),
    "front_desk": (3, "sortiz", "Sam Ortiz"),
    "admin": (4, "admin", "Practice Admin"),
}
_HASHES = {role: _FAST.hash(pw) for role, pw in TEST_PASSWORDS.items()}


def _seed(db) -> None:
    from desktop.models import Practice, User

    with db.uow() as uow:
        uow.session.add(Practice(id=1, name="Test Family Practice", address_line1="1 Main St", city="Springfield",
                                 state="IL", postal_code="62701", phone="(217) 555-0100"))
        for role, (uid, username, name) in TEST_USERS.items():
            uow.session.add(User(id=uid, username=username, display_name=name, role=role,
                                 password_hash=_HASHES[role]))
        if uow.session.bind.dialect.name == "postgresql":
            uow.session.flush()
            from sqlalchemy import text

            uow.session.execute(text("SELECT setval('app_user_id_seq', 100)"))
            uow.session.execute(text("SELECT setval('practice_id_seq', 100)"))


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    from desktop.services.database import Database

    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database.open(f"sqlite:///{path}", create=True)
    _seed(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_ready() -> bool:
    from sqlalchemy import create_engine, text

    from desktop.config import resolve_db
    from desktop.models.schema import create_or_upgrade

    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    from desktop.models.engine import make_engine

    create_or_upgrade(make_engine(resolve_db(PG_URL)))
    engine.dispose()
    return True


def _pg_reset() -> None:
    from sqlalchemy import create_engine, text

    from desktop.models import Base

    engine = create_engine(PG_URL)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # a worker an earlier GUI test left running can hold a read open: TRUNCATE would queue behind it while
        # that worker's next query queues behind TRUNCATE (a wait PostgreSQL cannot see as a deadlock). The
        # earlier test is over: end its busy sessions first (idle pooled connections hold no lock).
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                          "current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    # the audit anchors (this computer's record of each chain's newest row) go with the log they vouch for
    for anchor in Path(os.environ["EMR_DATA_DIR"]).glob("audit-anchor-*.json"):
        anchor.unlink()


@pytest.fixture
def db_url(request, tmp_path) -> str:
    if PG_URL:
        from desktop.services.database import Database

        request.getfixturevalue("_pg_ready")
        _pg_reset()
        seeded = Database.open(PG_URL)
        _seed(seeded)
        seeded.dispose()
        return PG_URL
    template = request.getfixturevalue("_sqlite_template")
    path = tmp_path / "clinic.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def db(db_url):
    """A fresh database with the test practice and one user per role (see TEST_USERS)."""
    from desktop.services.database import Database

    database = Database.open(db_url)
    yield database
    database.dispose()


def user_for(role: str):
    from desktop.services.uow import CurrentUser

    uid, username, name = TEST_USERS[role]
    return CurrentUser(id=uid, username=username, display_name=name, role=role)


@pytest.fixture
def as_role(db):
    """as_role("nurse") -> a unit of work acting as the test nurse: `with as_role("nurse") as uow: ...`"""
    return lambda role: db.uow(user_for(role))


@pytest.fixture
def physician():
    return user_for("physician")


@pytest.fixture
def nurse():
    return user_for("nurse")


@pytest.fixture
def front_desk():
    return user_for("front_desk")


@pytest.fixture
def admin():
    return user_for("admin")


@pytest.fixture
def add_patient(db):
    """add_patient(given=..., family=..., birth_date=..., **more) -> PatientDetails (registered as physician)."""
    from datetime import date

    from desktop.services.patients import PatientInput, register_patient

    def make(given: str = "Test", family: str = "Patient", birth_date: date = date(1970, 5, 6), sex: str = "female",
             allow_duplicate: bool = True, **more):
        with db.uow(user_for("physician")) as uow:
            return register_patient(uow, PatientInput(given_name=given, family_name=family, birth_date=birth_date,
                                                      sex=sex, **more), allow_duplicate=allow_duplicate)

    return make


@pytest.fixture
def messages():
    """Records what the app would show in message boxes; confirm() answers yes unless told otherwise."""
    from desktop.widgets.messages import RecordingMessages, get_messages, set_message_service

    previous = get_messages()
    recorder = RecordingMessages()
    set_message_service(recorder)
    yield recorder
    set_message_service(previous)


@pytest.fixture
def app_ctx(qtbot, db, messages):
    """ctx_for(role) -> AppContext acting as that role; workers are drained at teardown."""
    from desktop.ops import Ops
    from desktop.views.context import AppContext

    made: list = []

    def ctx_for(role: str = "physician"):
        ctx = AppContext(ops=Ops(db, user_for(role)), messages=messages)
        made.append(ctx)
        return ctx

    yield ctx_for
    for ctx in made:
        ctx.ops.wait_idle(5000)


def call_service(ctx, fn, *args, **kwargs):
    """fn(uow, *args) as ctx's user, directly in the test (setup and checks; the app itself never waits: it
    runs service calls through ctx.ops.run)."""
    with ctx.ops.db.uow(ctx.ops.user) as uow:
        return fn(uow, *args, **kwargs)


def type_text(widget, text: str) -> None:
    """Type any text (accents included) into a widget; qtbot.keyClicks aborts on non-ASCII (see DESIGN.md)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    widget.setFocus()
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


def when_modal(kind, act) -> None:
    """When a modal dialog of `kind` is up (shown with exec() by the code under test), call act(dialog),
    which must close it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def poll() -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, kind):
            act(modal)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(20, poll)


def samples_dir() -> Path:
    return SAMPLES


def disk_full_while_restoring(monkeypatch):
    """A restore whose copy of the backup fails with a full disk, after its safety copy was written; returns the
    real copy, to put back for the retry."""
    from desktop.services import restore

    real_copy = restore._copy

    def disk_full(source, dest, key, encrypted, *, stage="copying", **kw):
        if stage == "copying the backup":
            raise OSError(28, "No space left on device")
        return real_copy(source, dest, key, encrypted, stage=stage, **kw)

    monkeypatch.setattr(restore, "_copy", disk_full)
    return real_copy


def earlier_today(at_most=None):
    """A moment before now, on today's local date (UTC-aware): a reading "taken today" stays today's when the
    test runs just after midnight (an hour earlier would be yesterday's)."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now().astimezone()
    since_midnight = now - now.replace(hour=0, minute=0, second=0, microsecond=0)
    return (now - min(at_most or timedelta(hours=1), since_midnight / 2)).astimezone(UTC)
