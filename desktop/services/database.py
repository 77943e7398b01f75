"""Open the practice database: resolve the URL, get the key, check the schema, hand out units of work."""

from __future__ import annotations

import logging
import shutil
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from desktop.config import DbTarget, resolve_db
from desktop.models.engine import (
    DatabaseOpenError,
    DbKey,
    check_openable,
    classify,
    create_owner_only,
    session_factory,
)
from desktop.models.keys import KeyUnavailable, keep_in_keyring, key_for, written_down_key
from desktop.models.schema import SchemaError, create_or_upgrade, state

from . import audit
from .errors import CancelFn, Cancelled, ProgressFn
from .uow import SYSTEM, CurrentUser, UnitOfWork

log = logging.getLogger(__name__)

__all__ = ["Database", "DatabaseOpenError", "KeyUnavailable", "SchemaError"]


def _refuse_a_file_not_ours(target: DbTarget, key: DbKey | None, *, create: bool) -> None:
    """Look at an existing file read-only before anything can write to it: another program's database is never
    touched (check-db once turned a 0-byte file into a WAL database and changed a foreign file's header), and an
    empty file becomes a database only where one is being created."""
    if target.path is not None and target.path.stat().st_size == 0:
        kind = "empty"
    else:
        probe = check_openable(target, key, read_only=True)
        try:
            kind = classify(probe)
        finally:
            probe.dispose()
    if kind == "foreign":
        raise DatabaseOpenError(f"{target.path} is not an EMR database (it holds another program's tables); "
                                "nothing was changed")
    if kind == "empty" and not create:
        raise DatabaseOpenError(f"{target.path} is not an EMR database (it is empty); nothing was changed "
                                "(`python -m desktop demo` makes one)")


class Database:
    def __init__(self, target: DbTarget, engine: Engine, key: DbKey | None = None, *, read_only: bool = False):
        self.target = target
        self.engine = engine
        self.key = key
        self.read_only = read_only
        self.sessions: sessionmaker[Session] = session_factory(engine, read_only=read_only)
        audit.attach(engine, target, key)  # where the audit chain's key and anchor live
        bind = self.sessions.kw["bind"]
        if bind is not engine:  # SQLite sessions use the engine's write-mode view (BEGIN IMMEDIATE): same chain
            audit.attach(bind, target, key)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        passphrase: str | None = None,
        create: bool = False,
        upgrade: bool = True,
        read_only: bool = False,
    ) -> Database:
        """Open (and with create=True, make) the database; bring its schema to head after a backup.

        read_only: for inspection (check-db): nothing is written, not even the WAL switch; no schema upgrade.
        Raises DatabaseOpenError / SchemaError / KeyUnavailable with a sentence for the user.
        """
        target = resolve_db(url)
        if target.path is not None and not target.path.exists() and not create:
            raise DatabaseOpenError(f"no database at {target.path} (run `python -m desktop demo` to create one)")
        key = None
        escrowed = None
        if target.encrypted:
            assert target.path is not None
            key = key_for(target.path, create=create and not target.path.exists(), passphrase=passphrase)
            target.path.parent.mkdir(parents=True, exist_ok=True)
            escrowed = _written_down_key_that_opens(target, passphrase)
            key = escrowed or key
        if target.path is not None and target.path.exists():
            _refuse_a_file_not_ours(target, key, create=create)
        if read_only:
            engine = check_openable(target, key, read_only=True)
            return cls(target, engine, key, read_only=True)
        if create and target.path is not None and target.path.parent.exists():
            create_owner_only(target.path)
        engine = check_openable(target, key)
        db = cls(target, engine, key)
        if escrowed is not None and escrowed.raw_hex:
            keep_in_keyring(target.path, escrowed.raw_hex)  # the next start opens it without asking
        if upgrade:
            create_or_upgrade(engine, backup=db.backup_before_upgrade)
        else:
            st = state(engine)
            if st.newer:
                raise SchemaError(f"this database was made by a newer version of the app (schema {st.current})")
        return db

    def uow(self, user: CurrentUser = SYSTEM) -> UnitOfWork:
        return UnitOfWork(self.sessions, user)

    @property
    def encrypted(self) -> bool:
        return self.target.encrypted

    def backup_before_upgrade(self) -> Path | None:
        if self.target.path is None:
            log.warning("no automatic backup for %s before upgrade: use pg_dump", self.target.display())
            return None
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = self.target.path.with_name(f"{self.target.path.stem}.before-upgrade-{stamp}{self.target.path.suffix}")
        self.backup_to(out)
        return out

    def backup_to(self, out: Path, *, progress: ProgressFn | None = None, cancelled: CancelFn | None = None) -> Path:
        """Online, consistent copy of a SQLite/SQLCipher database (same key as the original).

        progress(bytes written, bytes of the database, "copying"); cancelled() true stops the copy (Cancelled),
        no file is left and the database is untouched (a backup only reads it)."""
        if self.target.path is None:
            raise DatabaseOpenError(
                "backups of a PostgreSQL database are made on the server: "
                "pg_dump --format=custom --file=clinic.dump DBNAME (restore with pg_restore)"
            )
        out = Path(out).resolve()
        if out == self.target.path:
            raise DatabaseOpenError("the backup file cannot be the database itself")
        if out.exists():
            raise DatabaseOpenError(f"{out} already exists; choose another file name")
        tmp = out.with_name(out.name + ".partial")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp.unlink(missing_ok=True)
            create_owner_only(tmp)  # VACUUM INTO fills an empty file and keeps its mode (600)
        except OSError as exc:  # /proc, a read-only disk, no permission: one sentence, not a crash
            raise DatabaseOpenError(f"cannot write a backup to {out}: {exc.strerror or exc}") from exc
        total = sum(p.stat().st_size for p in (self.target.path, Path(f"{self.target.path}-wal")) if p.exists())
        stop = [False]
        shown = [0.0]

        def tick() -> int:  # every thousand SQLite steps: whether to stop; a few times a second, how far it is
            if cancelled is not None and cancelled():
                stop[0] = True
                return 1  # SQLite interrupts the VACUUM
            now = time.monotonic()
            if progress is not None and now - shown[0] > 0.1:
                shown[0] = now
                try:
                    done = tmp.stat().st_size
                except OSError:
                    done = 0
                progress(min(done, total), total, "copying")
            return 0

        raw = self.engine.raw_connection()
        conn = raw.driver_connection
        try:
            if progress is not None or cancelled is not None:
                conn.set_progress_handler(tick, 1000)
            conn.execute("VACUUM INTO ?", (str(tmp),))
        except Exception as exc:  # the driver's own error class (sqlite3 / sqlcipher3)
            tmp.unlink(missing_ok=True)
            if stop[0]:
                raise Cancelled("backup cancelled: no backup file was written") from None
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise DatabaseOpenError(f"cannot write a backup to {out}: {detail}") from exc
        finally:
            conn.set_progress_handler(None, 0)
            raw.close()
        shutil.move(tmp, out)
        if progress is not None:
            progress(total, total, "copying")
        return out

    def refresh_statistics(self) -> None:
        """After a bulk load: PostgreSQL plans from table statistics, which autovacuum gathers only later
        (patient search went from ~90 ms to ~4 ms a keystroke at 100,000 patients). SQLite's plans here need
        none, and a sqlite_stat1 table could change the index walks the search relies on."""
        if self.target.is_postgres:
            with self.engine.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()

    def small_page_cache(self, kib: int = 8192) -> None:
        """For a one-off bulk write (the command line's import-phr): SQLite's page cache, 64 MB a connection for
        the app's searches, kept small, so the dirty pages of a 100,000-row merge go to the write-ahead log as
        they fill instead of staying in memory until the commit. No effect on PostgreSQL."""
        if self.target.path is None:
            return
        from sqlalchemy import event

        def shrink(dbapi_conn, _record, _proxy) -> None:
            dbapi_conn.execute(f"PRAGMA cache_size = -{int(kib)}")

        event.listen(self.engine, "checkout", shrink)

    def dispose(self) -> None:
        self.engine.dispose()


def _written_down_key_that_opens(target: DbTarget, passphrase: str | None):
    """A typed "passphrase" that is the keyring key written down (a new computer, or a keyring that lost it),
    when it opens the file; None otherwise (a passphrase that only looks like a key is then used as typed)."""
    if not passphrase or target.path is None or not target.path.exists():
        return None
    key = written_down_key(passphrase)
    if key is None:
        return None
    try:
        check_openable(target, key, read_only=True).dispose()
    except DatabaseOpenError:
        return None
    return key
