"""Convert an unencrypted SQLite database to SQLCipher, in place, after a backup.

Steps (any failure before the last one leaves the original file exactly as it was):
1. the file must be a plain SQLite database that passes `PRAGMA integrity_check`;
2. a plain backup copy is written beside it (`VACUUM INTO`), named *.before-encryption-<time>.db;
3. `sqlcipher_export` copies every table, index and the schema version into a new encrypted file
   (ATTACH ... KEY), beside the original;
4. the new file is opened with the key and checked: integrity, and the same row count in every table;
5. the new file replaces the original atomically (os.replace) and the folder is synced.

Exclusive access throughout: the database must not be open in any other program (the exclusive lock is refused
otherwise), and that lock is held from the backup to the swap, so no workstation can write to the old file in
between. Only reads touch the original: on any refusal or failure it is byte for byte as it was.

Close the app on every workstation first: a program that keeps the old file open would keep writing to it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from desktop.models.engine import DbKey, create_owner_only, file_looks_plain_sqlite

from .errors import ServiceError

log = logging.getLogger(__name__)


class EncryptionError(ServiceError):
    """The conversion was refused or failed; the original file is untouched."""


@dataclass(frozen=True, slots=True)
class EncryptResult:
    path: Path
    backup: Path
    tables: int
    rows: int


def _connect(path: Path, key: DbKey | None = None, timeout: float = 5):
    import sqlcipher3.dbapi2 as sqlcipher

    conn = sqlcipher.connect(str(path), timeout=timeout, isolation_level=None)
    if key is not None:
        conn.execute(key.pragma())
    return conn


def _table_counts(conn, schema: str = "main") -> dict[str, int]:
    names = [r[0] for r in conn.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {n: conn.execute(f'SELECT count(*) FROM {schema}."{n}"').fetchone()[0] for n in names}


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def encrypt_in_place(path: Path, key: DbKey, *, backup_dir: Path | None = None) -> EncryptResult:
    """Encrypt the plain SQLite database at path with key. Raises EncryptionError (original untouched)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise EncryptionError(f"there is no database file at {path}")
    if not file_looks_plain_sqlite(path):
        raise EncryptionError(f"{path} is not an unencrypted SQLite database (already encrypted, or another file)")
    if key.raw_hex is None and not key.passphrase:
        raise EncryptionError("no key or passphrase for the encrypted database")
    if key.passphrase is not None and key.raw_hex is None and len(key.passphrase) < 8:
        raise EncryptionError("the passphrase must have at least 8 characters")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup_dir = Path(backup_dir).resolve() if backup_dir else path.parent
    backup = backup_dir / f"{path.stem}.before-encryption-{stamp}{path.suffix or '.db'}"
    tmp = path.with_name(path.name + ".encrypting")
    for p in (backup, tmp):
        if p.exists():
            raise EncryptionError(f"{p} is in the way; move it and try again")

    in_use = EncryptionError("the database is in use (close the app on every workstation and try again)")
    conn = None
    try:
        conn = _connect(path, timeout=0.5)
        # Exclusive access without changing a byte of the original: an exclusive lock (refused while any other
        # program has the file open, even idle) held until the swap keeps every workstation out of the old file.
        conn.execute("PRAGMA main.locking_mode = EXCLUSIVE")
        try:
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")
        except Exception as exc:  # "database is locked" from the driver
            raise in_use from exc
        check = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if check != ["ok"]:
            raise EncryptionError(f"{path} fails its integrity check ({'; '.join(check[:3])}); restore a backup first")
        backup_dir.mkdir(parents=True, exist_ok=True)
        create_owner_only(backup)  # the plain copy holds every chart: owner-only (600), as VACUUM INTO keeps it
        conn.execute("VACUUM INTO ?", (str(backup),))
        before = _table_counts(conn)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        key_sql = key.pragma().replace("PRAGMA key = ", "", 1)
        create_owner_only(tmp)  # becomes the database: owner-only from the start
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY {key_sql}", (str(tmp),))
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        conn.execute("DETACH DATABASE encrypted")

        if file_looks_plain_sqlite(tmp):
            raise EncryptionError("the new file is not encrypted (is this SQLite build missing SQLCipher?)")
        check_conn = _connect(tmp, key)
        try:
            check = [r[0] for r in check_conn.execute("PRAGMA integrity_check").fetchall()]
            after = _table_counts(check_conn)
        finally:
            check_conn.close()
        if check != ["ok"] or after != before:
            raise EncryptionError("the encrypted copy does not match the original; nothing was changed")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # still holding the old file's lock: nobody wrote to it meanwhile
        conn.close()
        conn = None
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
                         path.with_name(path.name + "-journal")):
            leftover.unlink(missing_ok=True)  # the old plain file's; SQLite makes new ones for the new file
        _fsync_dir(path.parent)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if conn is not None:
            conn.close()  # releases the lock; the original was only read
            conn = None
        if isinstance(exc, EncryptionError) or not isinstance(exc, Exception):
            raise
        log.warning("encryption of %s failed", path, exc_info=True)
        raise EncryptionError(f"could not encrypt {path}: {exc}; the file was not changed") from exc
    log.info("encrypted %s (backup %s)", path, backup)
    return EncryptResult(path=path, backup=backup, tables=len(before), rows=sum(before.values()))
