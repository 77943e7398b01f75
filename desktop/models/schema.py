"""Schema versions with Alembic: create, upgrade after a backup, refuse a database newer than the app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

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
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    return _script().get_current_head()


def state(engine: Engine) -> SchemaState:
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
    command.upgrade(alembic_config(engine), "head")
    return state(engine)
