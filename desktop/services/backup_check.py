"""What a backup file holds, checked before anything is replaced (the `restore` command and Admin > Restore
database… share it): readable with the database's key (or the passphrase it was made with), undamaged, this app's
data, not from a newer version. Reads the backup only; no Qt."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.config import DbTarget
from desktop.models.engine import DatabaseOpenError, DbKey, check_openable, classify
from desktop.models.keys import written_down_key

from .errors import ServiceError
from .permissions import Permission
from .uow import UnitOfWork

log = logging.getLogger(__name__)

POSTGRES_RESTORE = ("this practice's database is on a PostgreSQL server, which the app cannot replace: close the "
                    "app on every workstation, then restore the pg_dump file on the server into an empty database "
                    "with pg_restore --no-owner --role=emr_owner -d clinic FILE (see docs/postgresql.md)")


class BackupRefused(ServiceError):
    """The file is not a backup this database can be restored from; nothing was changed. `code` is the command
    line's exit code; `wrong_key` says another passphrase might open it."""

    def __init__(self, message: str, *, code: int = 1, wrong_key: bool = False):
        super().__init__(message)
        self.code = code
        self.wrong_key = wrong_key


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    size_bytes: int
    modified: datetime  # the file's time (local), when the backup was written
    last_activity: datetime | None  # the newest audit row inside it (UTC): how far its data goes
    patients: int
    schema: str  # its migration revision
    upgrade_needed: bool  # made by an older version: brought up to date after the restore
    practice: str = ""  # the practice named in it ("" when none was set up)
    this_practice: str = ""  # the running database's practice (describe_backup): a differing name is shown
    own_key: DbKey | None = field(default=None, repr=False)  # the backup's key when a passphrase was given


def secret_keys(secret: str) -> list[DbKey]:
    """What a typed or written-down key can be: a passphrase, or (64 hex digits) the raw key that a computer's
    keyring held (key escrow: the administrator wrote it down)."""
    raw = written_down_key(secret)
    return [*([raw] if raw else []), DbKey(passphrase=secret)]


def check_backup(target: DbTarget, key: DbKey | None, backup: Path, *, passphrase: str | None = None) -> BackupInfo:
    """BackupRefused with the sentence to show when `backup` cannot replace the database at `target`.
    passphrase: the one the backup was made with (or its written-down raw key); own_key says which opened it."""
    if not passphrase:
        return _check(target, key, backup)
    refused: BackupRefused | None = None
    for candidate in secret_keys(passphrase):
        try:
            return replace(_check(target, candidate, backup), own_key=candidate)
        except BackupRefused as exc:
            if not exc.wrong_key:
                raise
            refused = exc
    assert refused is not None
    raise refused


def _check(target: DbTarget, key: DbKey | None, backup: Path) -> BackupInfo:
    from sqlalchemy import func, select, text

    from desktop.models import AuditEntry, Patient, Practice
    from desktop.models.schema import SchemaError, state

    if target.is_postgres or target.path is None:
        raise BackupRefused(POSTGRES_RESTORE)
    src = Path(backup).expanduser().resolve()
    if src.is_dir():  # a backups folder chosen or typed instead of one of its files
        raise BackupRefused(f"{src} is a folder: choose one of the backup files in it; nothing restored", code=2)
    if not src.is_file():
        raise BackupRefused(f"no backup file at {src}", code=2)
    if src.stat().st_size == 0:
        raise BackupRefused(f"{src} is empty: not a backup; nothing restored")
    if src == target.path or (target.path.exists() and os.path.samefile(src, target.path)):
        raise BackupRefused(f"{src} is the database itself: nothing to restore")
    candidate = DbTarget(url=f"sqlite:///{src}", encrypted=target.encrypted, path=src)
    try:
        engine = check_openable(candidate, key, read_only=True)
    except DatabaseOpenError as exc:
        raise _unreadable(src, target, str(exc)) from exc
    try:
        with engine.connect() as conn:
            result = [r[0] for r in conn.execute(text("PRAGMA integrity_check")).fetchall()]
        if result != ["ok"]:
            raise BackupRefused(f"{src} is damaged ({'; '.join(result[:3])}); nothing restored")
        if classify(engine) == "foreign":
            raise BackupRefused(f"{src} holds another program's tables, not this app's: nothing restored")
        try:
            st = state(engine)
        except SchemaError as exc:
            raise BackupRefused(f"{src}: {exc}; nothing restored") from exc
        if st.empty:
            raise BackupRefused(f"{src} holds no EMR data; nothing restored")
        if st.newer:
            raise BackupRefused(f"{src} comes from a newer version of the app; nothing restored")
        with engine.connect() as conn:
            patients = conn.execute(select(func.count()).select_from(Patient)).scalar_one()
            last = conn.execute(select(func.max(AuditEntry.ts))).scalar_one_or_none()
            practice = conn.execute(select(Practice.name).order_by(Practice.id).limit(1)).scalar_one_or_none()
    except BackupRefused:
        raise
    except Exception as exc:  # the driver's own error classes: a file that opens but cannot be read through
        log.warning("backup %s unreadable: %r", src, exc)
        detail = (str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__])[0]
        raise BackupRefused(f"{src} cannot be read as a backup ({detail}); nothing restored") from exc
    finally:
        engine.dispose()
    stat = src.stat()
    return BackupInfo(path=src, size_bytes=stat.st_size, modified=datetime.fromtimestamp(stat.st_mtime),
                      last_activity=last.replace(tzinfo=UTC) if last is not None and last.tzinfo is None else last,
                      patients=int(patients), schema=str(st.current), upgrade_needed=bool(st.older),
                      practice=practice or "")


def _unreadable(src: Path, target: DbTarget, detail: str) -> BackupRefused:
    if "wrong key" in detail:
        return BackupRefused(f"{src.name} does not open with this database's key: it was made with another "
                             "passphrase, or it is not a backup; nothing restored", wrong_key=True)
    if target.encrypted and "unencrypted" in detail:
        return BackupRefused(f"{src.name} is an unencrypted database, and this database is encrypted: it is not "
                             "one of its backups; nothing restored")
    if "malformed" in detail or "damaged" in detail:
        return BackupRefused(f"{src.name} is damaged (the file is not a whole database); nothing restored")
    return BackupRefused(f"{src.name} is not a backup of this database ({detail}); nothing restored")


def describe_backup(uow: UnitOfWork, database: Any, backup: Path, passphrase: str | None = None) -> BackupInfo:
    """Admin > Restore database…: what the chosen file holds, before the user confirms (administrator only)."""
    from sqlalchemy import select

    from desktop.models import Practice

    uow.require(Permission.MANAGE_SETTINGS)
    info = check_backup(database.target, database.key, backup, passphrase=passphrase)
    # a backup of another practice (an office with two, a file copied from elsewhere) is told apart before the
    # administrator confirms: the patient count alone does not say whose patients they are
    current = uow.session.execute(select(Practice.name).order_by(Practice.id).limit(1)).scalar_one_or_none()
    return replace(info, this_practice=current or "")
