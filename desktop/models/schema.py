"""Schema versions with Alembic: create, upgrade after a backup, refuse a database newer than the app."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class SchemaError(Exception):
    """The schema cannot be used by this version of the app; the message is for the user."""


@dataclass(frozen=True, slots=True)
class SchemaState:
    current: str | None  # None: empty database
    head: str
    known: bool  # is `current` one of our revisions?

    @property
    def empty(self) -> bool:
        return self.current is None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def older(self) -> bool:
        return self.known and not self.up_to_date and self.current is not None

    @property
    def newer(self) -> bool:
        return self.current is not None and not self.known


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


_REVISION = re.compile(r"""^(down_revision|revision)(?:\s*:[^=]*)?\s*=\s*(?:'([^']*)'|"([^"]*)"|(None))\s*(?:#.*)?$""",
                       re.MULTILINE)


@cache
def _plain_head() -> str | None:
    """The head revision read off the migration files' `revision = ...` / `down_revision = ...` lines, when
    every file has exactly one of each, plain, and they make one chain; else None (Alembic decides). Lets an
    up-to-date database open without loading Alembic and every migration script (~0.3 s of each command)."""
    revisions: dict[str, str | None] = {}
    files = sorted((MIGRATIONS / "versions").glob("*.py"))
    for path in files:
        found: dict[str, list[str | None]] = {"revision": [], "down_revision": []}
        for m in _REVISION.finditer(path.read_text(encoding="utf-8")):
            found[m.group(1)].append(m.group(2) or m.group(3) or None)
        if len(found["revision"]) != 1 or len(found["down_revision"]) != 1 or not found["revision"][0]:
            return None
        revisions[found["revision"][0]] = found["down_revision"][0]
    downs = [d for d in revisions.values() if d is not None]
    heads = set(revisions) - set(downs)
    if not files or len(revisions) != len(files) or len(heads) != 1 or len(set(downs)) != len(downs) \
            or sum(d is None for d in revisions.values()) != 1 or not set(downs) <= set(revisions):
        return None
    return heads.pop()


def _up_to_date(engine: Engine) -> SchemaState | None:
    """The state of a database at the head revision, read without Alembic; None for any other case."""
    head = _plain_head()
    if head is None:
        return None
    try:
        with engine.connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except Exception:  # no version table (an empty database), or an error of SQLCipher's own driver
        return None  # (not wrapped by SQLAlchemy): Alembic's path, as before, says what the database is
    return SchemaState(current=head, head=head, known=True) if current == [head] else None


def head_revision() -> str:
    return _script().get_current_head()


def state(engine: Engine) -> SchemaState:
    quick = _up_to_date(engine)
    if quick is not None:
        return quick
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current is None and inspect(conn).has_table("patient"):
            raise SchemaError("the database has tables but no schema version: it was not made by this app")
    script = _script()
    try:
        known = current is None or script.get_revision(current) is not None
    except Exception:  # alembic raises several types for an unknown id
        known = False
    return SchemaState(current=current, head=script.get_current_head(), known=known)


def create_or_upgrade(engine: Engine, backup: Callable[[], Path | None] | None = None) -> SchemaState:
    """Bring the schema to head. An older schema is backed up first; a newer one is refused."""
    st = state(engine)
    if st.newer:
        raise SchemaError(
            f"this database was made by a newer version of the app (schema {st.current}); "
            "install the newer version, or restore a backup"
        )
    if st.up_to_date:
        return st
    if st.older and backup is not None:
        path = backup()
        log.warning("upgrading database schema %s -> %s (backup at %s)", st.current, st.head, path)
    from alembic import command

    command.upgrade(alembic_config(engine), "head")
    return state(engine)
