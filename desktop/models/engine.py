"""Engine factory: SQLCipher (default, encrypted), plain SQLite (explicit), PostgreSQL (several workstations)."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool, StaticPool

from desktop.config import DbTarget

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"


class DatabaseOpenError(Exception):
    """The database cannot be opened; the message is for the user, one line."""


@dataclass(frozen=True, slots=True)
class DbKey:
    """Either a raw 256-bit key from the keyring (hex) or a passphrase the user typed."""

    raw_hex: str | None = None
    passphrase: str | None = None

    def pragma(self) -> str:
        if self.raw_hex:
            return f"PRAGMA key = \"x'{self.raw_hex}'\""
        if self.passphrase is None:
            raise DatabaseOpenError("no key for the encrypted database")
        return "PRAGMA key = '" + self.passphrase.replace("'", "''") + "'"


def _sqlite_pragmas(dbapi_conn) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA busy_timeout = 5000")  # another workstation writing: wait, don't fail
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    # 64 MB page cache: with SQLCipher every page read from disk is also decrypted, so keep the indexes hot
    cur.execute("PRAGMA cache_size = -65536")
    cur.close()


# A session (the one writer of clinical rows) starts its SQLite transaction with BEGIN IMMEDIATE: it holds the
# write lock from its first statement, so a read-modify-write (the audit chain's head, the next MRN) cannot
# interleave with another process's. Plain connections (read_connection, schema checks) begin DEFERRED.
WRITE_OPTION = "emr_sqlite_write"
BUSY_ATTEMPTS = 6  # each attempt waits busy_timeout (5 s) inside SQLite before we hear of it

busy_listeners: list[Callable[[int], None]] = []  # called with the attempt number; the GUI may show it


def _announce_busy(attempt: int) -> None:
    log.warning("database busy, retrying (%d/%d)", attempt, BUSY_ATTEMPTS - 1)
    for listener in list(busy_listeners):
        try:
            listener(attempt)
        except Exception:  # a listener's failure must not turn a wait into a crash
            log.exception("busy listener failed")


def _is_busy(exc: BaseException) -> bool:
    text_ = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text_ or "database is busy" in text_


def _begin_immediate(conn) -> None:
    driver = conn.connection.driver_connection  # straight to the driver: a BEGIN is no statement to log or count
    for attempt in range(1, BUSY_ATTEMPTS + 1):
        try:
            driver.execute("BEGIN IMMEDIATE")
            return
        except Exception as exc:  # sqlite3 and sqlcipher3 each have their own OperationalError
            if not _is_busy(exc) or attempt == BUSY_ATTEMPTS:
                raise
            _announce_busy(attempt)
            time.sleep(0.05 * attempt)


def own_sqlite_transactions(engine: Engine) -> None:
    """SQLAlchemy's documented recipe for pysqlite: the driver's own BEGIN handling is off (it began only before
    DML, so a SAVEPOINT opened outside a transaction and its RELEASE committed a registration on the spot), and
    every transaction begins here, when SQLAlchemy begins it.

    A thread that already holds this engine's write lock (a unit of work that, inside, opens another to read)
    begins the inner one DEFERRED: an IMMEDIATE one would wait for the lock its own thread holds."""
    holders: dict[int, int] = {}  # thread id -> IMMEDIATE transactions it has open on this engine
    lock = threading.Lock()
    mark = "emr_immediate_thread"

    def _release(info: dict) -> None:
        owner = info.pop(mark, None)
        if owner is not None:
            with lock:
                holders[owner] = holders.get(owner, 1) - 1
                if holders[owner] <= 0:
                    holders.pop(owner, None)

    @event.listens_for(engine, "connect")
    def _no_driver_begin(dbapi_conn, _record):
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        me = threading.get_ident()
        if conn.get_execution_options().get(WRITE_OPTION) and not holders.get(me):
            _begin_immediate(conn)
            conn.info[mark] = me
            with lock:
                holders[me] = holders.get(me, 0) + 1
        else:
            conn.connection.driver_connection.execute("BEGIN")

    @event.listens_for(engine, "commit")
    def _committed(conn):
        _release(conn.info)

    @event.listens_for(engine, "rollback")
    def _rolled_back(conn):
        _release(conn.info)

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn, record):
        if record is not None:
            _release(record.info)  # a connection given back without commit or rollback (the pool resets it)


def owner_only(path: Path) -> None:
    """Patient data and its traces are readable by their owner only (mode 600), whatever the umask."""
    if os.name != "posix":
        return
    try:
        os.chmod(path, 0o600)
    except OSError as exc:
        log.warning("cannot restrict %s to its owner: %s", path, exc)


def create_owner_only(path: Path) -> None:
    """Create an empty file with mode 600 before SQLite does (it would honour the umask: 644)."""
    if os.name != "posix" or path.exists():
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)


def file_looks_plain_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == SQLITE_HEADER
    except OSError:
        return False


def _file_uri(path: Path, read_only: bool) -> str:
    from urllib.parse import quote

    return f"file:{quote(str(path))}" + ("?mode=ro" if read_only else "")


def make_engine(target: DbTarget, key: DbKey | None = None, *, echo: bool = False,
                read_only: bool = False) -> Engine:
    """read_only: for inspection (check-db, the probe before opening): SQLite opens the file with mode=ro and
    nothing is set that writes (no WAL switch), so a file that is not ours stays byte for byte as it was."""
    if target.is_postgres:
        return create_engine(target.url, echo=echo, pool_pre_ping=True, future=True)
    if target.path is None:  # in-memory, tests only
        engine = create_engine(
            "sqlite://", echo=echo, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        event.listen(engine, "connect", lambda c, _r: c.execute("PRAGMA foreign_keys = ON"))
        own_sqlite_transactions(engine)
        return engine

    path = target.path
    uri = _file_uri(path, read_only)
    if target.encrypted:
        if key is None:
            raise DatabaseOpenError("the encrypted database needs its key")
        import sqlcipher3.dbapi2 as driver
    else:
        driver = sqlite3

    def creator():
        conn = driver.connect(uri, uri=True, check_same_thread=False, timeout=5)
        if target.encrypted:
            # a wrong key is reported to the user in one sentence; SQLCipher's own stderr lines would only confuse
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(key.pragma())
        return conn

    # a creator on the bare sqlite URL would get SingletonThreadPool, which closes connections that other
    # threads (the GUI's workers) still use once more than five threads touched it: use a real pool
    engine = create_engine("sqlite+pysqlite://", creator=creator, echo=echo, poolclass=QueuePool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        if read_only:
            dbapi_conn.execute("PRAGMA query_only = ON")
        else:
            _sqlite_pragmas(dbapi_conn)  # the -wal and -shm files SQLite makes take the main file's mode

    own_sqlite_transactions(engine)
    return engine


def classify(engine: Engine) -> str:
    """'emr' (our schema), 'empty' (no tables at all) or 'foreign' (another program's tables); reads only."""
    from sqlalchemy import inspect

    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    if not tables:
        return "empty"
    return "emr" if {"alembic_version", "audit_log"} <= tables else "foreign"


def check_openable(target: DbTarget, key: DbKey | None = None, *, read_only: bool = False) -> Engine:
    """Open and touch the database; raise DatabaseOpenError with a user-facing sentence."""
    if target.path is not None and target.path.exists():
        if target.path.stat().st_size > 0 and not target.encrypted and not file_looks_plain_sqlite(target.path):
            raise DatabaseOpenError(f"{target.path} is not a SQLite database (or it is encrypted)")
        if target.encrypted and file_looks_plain_sqlite(target.path):
            raise DatabaseOpenError(
                f"{target.path} is an unencrypted database: open it with --db sqlite:///{target.path}, or "
                f"encrypt it first with `python -m desktop encrypt --db sqlite:///{target.path}`")
    elif target.path is not None and not target.path.parent.exists():
        raise DatabaseOpenError(f"folder {target.path.parent} does not exist")
    try:
        engine = make_engine(target, key, read_only=read_only)
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master" if target.path else "SELECT 1"))
        return engine
    except DatabaseOpenError:
        raise
    except (OperationalError, SADatabaseError, sqlite3.DatabaseError) as exc:
        log.info("cannot open %s: %s", target.display(), exc)
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        if target.is_postgres:
            raise DatabaseOpenError(f"cannot reach the database server: {detail}") from exc
        if "malformed" in detail:
            raise DatabaseOpenError(damaged_message(target, detail)) from exc
        if "not a database" in detail or "file is encrypted" in detail:
            if target.encrypted:
                raise DatabaseOpenError(
                    f"cannot open {target.path}: wrong key or passphrase, or the file is not a database"
                ) from exc
            raise DatabaseOpenError(f"{target.path} is not a SQLite database") from exc
        raise DatabaseOpenError(f"cannot open {target.display()}: {detail}") from exc
    except Exception as exc:  # driver-specific errors (sqlcipher3, psycopg) have their own classes
        log.info("cannot open %s: %r", target.display(), exc)
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if "malformed" in detail:
            raise DatabaseOpenError(damaged_message(target, detail)) from exc
        if "not a database" in detail:
            raise DatabaseOpenError(
                f"cannot open {target.path}: wrong key or passphrase, or the file is not a database"
            ) from exc
        raise DatabaseOpenError(f"cannot open {target.display()}: {detail}") from exc


def damaged_message(target: DbTarget, detail: str) -> str:
    """SQLite's "database disk image is malformed" as a diagnosis with what to do."""
    return (f"{target.display()} is damaged ({detail}): do not keep working in it; restore the last backup with "
            f"`python -m desktop restore BACKUP_FILE` (the damaged file is kept aside)")


def session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    writes = engine.dialect.name == "sqlite" and not read_only
    bind = engine.execution_options(**{WRITE_OPTION: True}) if writes else engine
    return sessionmaker(bind, expire_on_commit=False, future=True)
