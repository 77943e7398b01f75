"""Where things live on disk and which database to open. No Qt here."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "ClinicEMR"
APP_AUTHOR = "ClinicEMR"
RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def data_dir() -> Path:
    """Per-user data dir; EMR_DATA_DIR overrides it (tests, portable installs)."""
    override = os.environ.get("EMR_DATA_DIR")
    if override:
        path = Path(override)
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    return data_dir() / "clinic.db"


@dataclass(frozen=True, slots=True)
class DbTarget:
    """The database the user asked for, before any connection is made."""

    url: str
    encrypted: bool  # True only for the default SQLCipher file
    path: Path | None  # file path for SQLite-family databases

    @property
    def is_sqlite(self) -> bool:
        return self.path is not None

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    def display(self) -> str:
        if self.is_postgres:
            # never show a password in the status bar or logs
            from sqlalchemy.engine import make_url

            return make_url(self.url).render_as_string(hide_password=True)
        return str(self.path) if self.path else self.url


def resolve_db(url: str | None = None) -> DbTarget:
    """--db URL, else EMR_DB_URL, else the encrypted default file in the data dir."""
    url = url or os.environ.get("EMR_DB_URL") or None
    if url is None:
        path = default_db_path()
        return DbTarget(url=f"sqlcipher:///{path}", encrypted=True, path=path)
    if url.startswith("sqlcipher:///"):
        path = Path(url[len("sqlcipher:///"):]).expanduser().resolve()
        return DbTarget(url=f"sqlcipher:///{path}", encrypted=True, path=path)
    if url.startswith("sqlite:///"):
        raw = url[len("sqlite:///"):]
        if raw in ("", ":memory:"):
            return DbTarget(url="sqlite://", encrypted=False, path=None)
        path = Path(raw).expanduser().resolve()
        return DbTarget(url=f"sqlite:///{path}", encrypted=False, path=path)
    if url.startswith("postgresql"):
        return DbTarget(url=url, encrypted=False, path=None)
    raise ValueError(
        f"unsupported database URL {url!r}: use sqlite:///PATH, sqlcipher:///PATH or postgresql+psycopg://..."
    )


def settings_path() -> Path:
    return data_dir() / "settings.json"


def load_local_settings() -> dict:
    """Workstation settings (window geometry, last DB). Practice-wide settings live in the database."""
    path = settings_path()
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        # a damaged settings file must not stop the app: fall back to defaults, say so in the log
        import logging

        logging.getLogger(__name__).warning("ignoring unreadable settings %s: %s", path, exc)
        return {}


def save_local_settings(values: dict) -> None:
    path = settings_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(values, indent=2, sort_keys=True), "utf-8")
    tmp.replace(path)
