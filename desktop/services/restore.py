"""Replace a SQLite/SQLCipher database file with a backup, under an exclusive lock, through the backup API: the
`restore` command (restore_file) and Admin > Restore database… (restore_database, the same swap as a use case)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.models.engine import DbKey, create_owner_only

from .audit import note_restore
from .backup_check import check_backup
from .errors import CancelFn, Cancelled, ProgressFn, ServiceError
from .permissions import Permission
from .uow import CurrentUser

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


def _copy(source_conn, dest: Path, key: DbKey | None, encrypted: bool, *, stage: str = "copying",
          progress: ProgressFn | None = None, cancelled: CancelFn | None = None) -> None:
    """SQLite's online backup API: every committed page, the write-ahead log's included, into a new 600 file.
    A few hundred pages a step, so the copy reports its progress and can stop (Cancelled) between steps."""
    create_owner_only(dest)
    out = _connect(dest, key, encrypted)

    def step(_status: int, remaining: int, total: int) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled("restore cancelled: the database was not changed")
        if progress is not None:
            progress(total - remaining, total, stage)

    try:
        if progress is None and cancelled is None:
            source_conn.backup(out)
        else:
            source_conn.backup(out, pages=256, progress=step)
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


def restore_file(path: Path, backup: Path, key: DbKey | None, *, encrypted: bool, stamp: str,
                 progress: ProgressFn | None = None, cancelled: CancelFn | None = None,
                 backup_key: DbKey | None = None) -> Path | None:
    """Keep the current database aside (returned), then put the backup in its place. RestoreRefused when another
    connection has the database open or a file is in the way. progress(pages, of pages, stage) while copying;
    cancelled() true stops before the swap (Cancelled): the database is as it was and no copy is left behind.
    backup_key: the backup's own key when it differs from the database's (a backup of another computer, or made
    before the key changed). The restored database keeps the backup's key: its audit log is keyed from it, and
    under another key nothing more could be saved. The keyring follows (see _key_follows)."""
    if encrypted and backup_key is not None and backup_key.raw_hex and backup_key != key:
        _refuse_an_unkept_raw_key()
    aside = free_aside_path(path, stamp) if path.exists() else None
    tmp = path.with_name(path.name + ".restoring")
    if tmp.exists():
        raise RestoreRefused(f"{tmp} is in the way; move it and try again")
    conn = None
    key_moved = False
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
            try:
                _copy(conn, aside, key, encrypted, stage="keeping the current database", progress=progress,
                      cancelled=cancelled)
            except BaseException:
                aside.unlink(missing_ok=True)  # a partial copy is no copy
                raise
            # the write-ahead log goes into the old file now: closing it later touches no file by name
            conn.execute("PRAGMA journal_mode = DELETE")
        source = _connect(backup, backup_key or key, encrypted, read_only=True)
        try:
            _copy(source, tmp, backup_key or key, encrypted, stage="copying the backup", progress=progress,
                  cancelled=cancelled)
        finally:
            source.close()
        if cancelled is not None and cancelled():
            raise Cancelled("restore cancelled: the database was not changed")
        if encrypted and backup_key is not None and backup_key != key:
            _key_follows(path, aside, key, backup_key)
            key_moved = True
        os.replace(tmp, path)
        for leftover in ("-wal", "-shm", "-journal"):
            Path(str(path) + leftover).unlink(missing_ok=True)
        _fsync_dir(path.parent)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)  # the current database is as it was (its copy aside stays, harmless)
        if key_moved and key is not None:  # the swap failed: the keyring names the current file's key again
            _key_follows(path, None, None, key)
        if isinstance(exc, Cancelled) and aside is not None:
            aside.unlink(missing_ok=True)  # the user called it off: nothing of it is left
        raise
    finally:
        if conn is not None:
            conn.close()
    log.info("restored %s into %s (previous kept as %s)", backup, path, aside)
    return aside


def _refuse_an_unkept_raw_key() -> None:
    """A raw key (written down from a keyring) is kept only by a keyring: restored where none would hold it, or
    where EMR_DB_PASSPHRASE stands in front of it, the database would open with nothing. Refused before a copy."""
    from desktop.models.keys import PASSPHRASE_ENV, keyring_usable

    if not keyring_usable():
        raise RestoreRefused("this backup's key is a keyring key, and this computer has no keyring to keep it for "
                             "the restored database; nothing was changed")
    if os.environ.get(PASSPHRASE_ENV):
        raise RestoreRefused(f"this backup's key is a keyring key, which {PASSPHRASE_ENV} would override: unset it "
                             "and restore again; nothing was changed")


def _key_follows(path: Path, aside: Path | None, old: DbKey | None, new: DbKey) -> None:
    """The restored file opens with the backup's key, the safety copy with the old one. A keyring key moves with
    its file: the old one to the safety copy's name (it would be lost otherwise), the backup's raw key (one written
    down from another computer's keyring) to the database's name; a backup's passphrase is typed, so no keyring
    entry may stand in front of it. Done before the swap: a keyring that refuses leaves the database as it was."""
    from desktop.models.keys import KEYRING_SERVICE, keyring_usable

    if not keyring_usable():
        return
    import keyring

    if old is not None and old.raw_hex and aside is not None:
        keyring.set_password(KEYRING_SERVICE, str(aside), old.raw_hex)
    if new.raw_hex:
        keyring.set_password(KEYRING_SERVICE, str(path), new.raw_hex)
    elif keyring.get_password(KEYRING_SERVICE, str(path)):
        keyring.delete_password(KEYRING_SERVICE, str(path))


def aside_path(path: Path, stamp: str, n: int = 1) -> Path:
    """Where restore_file keeps the database it replaces (the safety copy); n > 1 for a later try."""
    suffix = "" if n == 1 else f"-{n}"
    return path.with_name(f"{path.stem}.before-restore-{stamp}{suffix}{path.suffix}")


def free_aside_path(path: Path, stamp: str) -> Path:
    """The first safety-copy name not taken: a failed restore keeps its safety copy, and trying again (the same
    dialog, the same second) must neither overwrite it nor be refused because of it."""
    n = 1
    while aside_path(path, stamp, n).exists():
        n += 1
    return aside_path(path, stamp, n)


@dataclass(frozen=True, slots=True)
class RestoreDone:
    backup: Path
    kept_as: Path | None  # the safety copy of the database that was replaced
    audit: str  # what the restored database's audit log now says
    passphrase_changed: bool = False  # it opens with the passphrase the backup was made with now


def restore_database(database: Any, user: CurrentUser, backup: Path, *, passphrase: str | None = None,
                     stamp: str | None = None, progress: ProgressFn | None = None,
                     cancelled: CancelFn | None = None) -> RestoreDone:
    """Admin > Restore database…: replace the open practice database with `backup`, as `user` (an administrator).

    The backup is checked first (BackupRefused: nothing changed); the app's own pooled connections are closed,
    since the swap needs the file to itself (RestoreRefused while any other workstation has it open); a safety
    copy of the current database is kept beside it; Cancel during either copy leaves the database exactly as it
    was (Cancelled). Afterwards `database` must not be used again: the caller opens the restored file anew (the
    user logs in again against the restored data). The restored log records the restore and who did it."""
    from .database import Database

    with database.uow(user) as uow:  # the permission check reads the account: this unit of work ends here
        uow.require(Permission.MANAGE_SETTINGS)
    target = database.target
    info = check_backup(target, database.key, backup, passphrase=passphrase)
    database.dispose()  # our idle pooled connections would make the exclusive lock fail
    stamp = stamp or datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        kept = restore_file(target.path, info.path, database.key, encrypted=target.encrypted, stamp=stamp,
                            progress=progress, cancelled=cancelled, backup_key=info.own_key)
    except ServiceError:  # refused (in use, a file in the way) or cancelled: nothing changed
        raise
    except Exception as exc:  # the driver's own classes, an OSError from the swap: the file is as it was
        log.exception("restore of %s failed", info.path)
        raise RestoreRefused(f"the backup could not be copied ({exc}); the database was not changed") from exc
    log.info("%s restored %s (safety copy %s)", user.username, info.path, kept)
    key = info.own_key or database.key  # the restored database opens with the backup's own key
    try:  # the backup is in place now: what follows cannot undo it, only fail to record it
        restored = Database.open(target.url, passphrase=key.passphrase if key is not None else None)
        try:
            text = note_restore(restored, f"{info.path.name} (from the app, by {user.username})")
        finally:
            restored.dispose()
    except Exception as exc:  # opening it again at login says what is wrong, with what to do
        log.exception("restored %s, but could not record it in its audit log", info.path)
        text = f"not recorded in the audit log: {exc}"
    return RestoreDone(backup=info.path, kept_as=kept, audit=text,
                       passphrase_changed=info.own_key is not None and info.own_key.passphrase is not None)
