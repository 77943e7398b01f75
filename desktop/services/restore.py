"""Replace a SQLite/SQLCipher database file with a backup, under an exclusive lock, through the backup API."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from desktop.models.engine import DbKey, create_owner_only

from .errors import ServiceError

log = logging.getLogger(__name__)


class RestoreRefused(ServiceError):
    """Nothing was changed; the message says why."""


def _connect(path: Path, key: DbKey | None, encrypted: bool, *, timeout: float = 0.5, read_only: bool = False):
    if encrypted:
        import sqlcipher3.dbapi2 as driver
    else:
        import sqlite3 as driver
    from urllib.parse import quote

    uri = f"file:{quote(str(path))}" + ("?mode=ro" if read_only else "")
    conn = driver.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    if encrypted:
        if key is None:
            raise RestoreRefused("the encrypted database needs its key")
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key.pragma())
    return conn


def _copy(source_conn, dest: Path, key: DbKey | None, encrypted: bool) -> None:
    """SQLite's online backup API: every committed page, the write-ahead log's included, into a new 600 file."""
    create_owner_only(dest)
    out = _connect(dest, key, encrypted)
    try:
        source_conn.backup(out)
    finally:
        out.close()
    with open(dest, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def restore_file(path: Path, backup: Path, key: DbKey | None, *, encrypted: bool, stamp: str) -> Path | None:
    """Keep the current database aside (returned), then put the backup in its place. RestoreRefused when another
    connection has the database open or a file is in the way."""
    aside = path.with_name(f"{path.stem}.before-restore-{stamp}{path.suffix}") if path.exists() else None
    tmp = path.with_name(path.name + ".restoring")
    for p in (aside, tmp):
        if p is not None and p.exists():
            raise RestoreRefused(f"{p} is in the way; move it and try again")
    conn = None
    try:
        if path.exists():
            conn = _connect(path, key, encrypted)
            # an exclusive lock is refused while any other connection has the file open, even an idle one; held
            # until the swap, it keeps every workstation from writing to the file about to be replaced
            conn.execute("PRAGMA main.locking_mode = EXCLUSIVE")
            try:
                conn.execute("BEGIN EXCLUSIVE")
                conn.execute("COMMIT")
            except Exception as exc:  # "database is locked", the driver's own class
                raise RestoreRefused("the database is in use (close the app on every workstation, then restore); "
                                     "nothing was changed") from exc
            assert aside is not None
            _copy(conn, aside, key, encrypted)
            # the write-ahead log goes into the old file now: closing it later touches no file by name
            conn.execute("PRAGMA journal_mode = DELETE")
        source = _connect(backup, key, encrypted, read_only=True)
        try:
            _copy(source, tmp, key, encrypted)
        finally:
            source.close()
        os.replace(tmp, path)
        for leftover in ("-wal", "-shm", "-journal"):
            Path(str(path) + leftover).unlink(missing_ok=True)
        _fsync_dir(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)  # the current database is as it was (its copy aside stays, harmless)
        raise
    finally:
        if conn is not None:
            conn.close()
    log.info("restored %s into %s (previous kept as %s)", backup, path, aside)
    return aside
