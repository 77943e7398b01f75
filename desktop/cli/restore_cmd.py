"""`restore FILE`: replace the database with a verified backup; the current file is kept aside first.

Exclusive: refused while any other program (a workstation, a background job) has the database open, since its
next commit would go to the replaced file and be lost; the lock is held from the copy aside to the swap. Both
copies go through SQLite's backup API, so edits still in the write-ahead log are in them.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

from .common import CliError, add_db_argument, open_db
from .progress import terminal_progress

BACKUP_PASSPHRASE_ENV = "EMR_BACKUP_PASSPHRASE"  # the passphrase (or written-down key) a backup was made with


def add_arguments(parser) -> None:
    add_db_argument(parser)
    parser.add_argument("file", metavar="FILE", help="a backup made with `backup`")
    parser.epilog = (f"A backup made under another key: set {BACKUP_PASSPHRASE_ENV} to the passphrase it was made "
                     "with (or the written-down keyring key), or type it when asked on a terminal.")


def run(args) -> int:
    from desktop.config import resolve_db
    from desktop.services.backup_check import BackupRefused, check_backup

    target = resolve_db(args.db)
    if target.is_postgres:
        raise CliError("restore a PostgreSQL database with pg_restore --clean --dbname=DBNAME clinic.dump")
    assert target.path is not None
    src = Path(args.file).expanduser().resolve()
    key, typed = None, None
    if src.is_file() and target.path.exists() and not os.path.samefile(src, target.path):
        current = open_db(args, upgrade=False, read_only=True)
        key = current.key
        current.dispose()
    elif src.is_file() and target.encrypted and not target.path.exists():
        key = _new_computer_key(target.path)
        typed = key.passphrase
    # check the backup with the same key before touching anything (read-only: the backup stays as it was)
    try:
        info = check_backup(target, key, src)
    except BackupRefused as exc:
        if not (exc.wrong_key and target.encrypted and typed is None):
            raise CliError(str(exc), exc.code) from exc
        # made under another passphrase (or another computer's keyring key): opened with the one it was made
        # with, given in the environment or typed, never as an argument kept in the shell's history
        info = _with_the_backups_own_key(target, key, src, exc)
    from desktop.services.restore import RestoreRefused, restore_file

    try:
        with terminal_progress(f"restore {src.name}", unit=" pages") as progress:
            aside = restore_file(target.path, info.path, key, encrypted=target.encrypted,
                                 stamp=datetime.now().strftime("%Y%m%d-%H%M%S"), progress=progress,
                                 backup_key=info.own_key)
    except RestoreRefused as exc:
        raise CliError(str(exc)) from exc
    if aside is not None:
        print(f"the previous database was kept as {aside}")
    print(f"restored {src} into {target.path}")
    if info.own_key is not None:  # its audit log is keyed from its own key: the database keeps that key
        typed = info.own_key.passphrase
        if typed:
            print("the restored database opens with the passphrase the backup was made with")
    _note_in_audit(args, src, typed)
    return 0


def _with_the_backups_own_key(target, key, src: Path, refused):
    """The backup checked with the passphrase (or written-down keyring key) it was made with."""
    import getpass

    from desktop.services.backup_check import BackupRefused, check_backup

    secret = os.environ.get(BACKUP_PASSPHRASE_ENV)
    if not secret and sys.stdin.isatty():
        print(f"{src.name} does not open with this database's key.", file=sys.stderr)
        secret = getpass.getpass("The passphrase the backup was made with: ")
    if not secret:
        raise CliError(str(refused), refused.code) from refused
    try:
        return check_backup(target, key, src, passphrase=secret)
    except BackupRefused as exc:
        if exc.wrong_key:
            raise CliError(f"{src.name} does not open with that passphrase either; nothing restored") from exc
        raise CliError(str(exc), exc.code) from exc


def _new_computer_key(path: Path):
    """No database here yet (a new or repaired computer): the backup opens with the passphrase it was made with,
    and the restored database keeps it (without one, every encrypted backup was refused as 'not a backup')."""
    import getpass

    from desktop.models.engine import DbKey
    from desktop.models.keys import PASSPHRASE_ENV

    passphrase = os.environ.get(PASSPHRASE_ENV)
    if not passphrase:  # the written-down keyring key, put back into this computer's keyring (docs: key escrow)
        from desktop.models.keys import KeyUnavailable, key_for

        try:
            return key_for(path, create=False)
        except KeyUnavailable:
            pass  # no keyring, or no key for this file in it: the passphrase is asked for below
    if not passphrase and sys.stdin.isatty():
        passphrase = getpass.getpass("The backup's passphrase: ")
    if not passphrase:
        raise CliError(f"there is no database at {path} yet: set {PASSPHRASE_ENV} to the passphrase the backup "
                       "was made with; nothing restored")
    return DbKey(passphrase=passphrase)


def _note_in_audit(args, src: Path, passphrase: str | None = None) -> None:
    """The audit log records the restore and the anchor beside the database follows the restored log
    (a copy put back by hand leaves the anchor ahead, which check-db reports)."""
    from desktop.services.audit import note_restore

    if passphrase:  # typed for the restore on a new computer: not asked a second time
        from desktop.services.database import Database

        restored = Database.open(args.db, passphrase=passphrase)
    else:
        restored = open_db(args)
    try:
        print(f"audit: {note_restore(restored, src.name)}")
    finally:
        restored.dispose()
