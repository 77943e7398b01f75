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


def add_arguments(parser) -> None:
    add_db_argument(parser)
    parser.add_argument("file", metavar="FILE", help="a backup made with `backup`")


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
        raise CliError(str(exc), exc.code) from exc
    from desktop.services.restore import RestoreRefused, restore_file

    try:
        with terminal_progress(f"restore {src.name}", unit=" pages") as progress:
            aside = restore_file(target.path, info.path, key, encrypted=target.encrypted,
                                 stamp=datetime.now().strftime("%Y%m%d-%H%M%S"), progress=progress)
    except RestoreRefused as exc:
        raise CliError(str(exc)) from exc
    if aside is not None:
        print(f"the previous database was kept as {aside}")
    print(f"restored {src} into {target.path}")
    _note_in_audit(args, src, typed)
    return 0


def _new_computer_key(path: Path):
    """No database here yet (a new or repaired computer): the backup opens with the passphrase it was made with,
    and the restored database keeps it (without one, every encrypted backup was refused as 'not a backup')."""
    import getpass

    from desktop.models.engine import DbKey
    from desktop.models.keys import PASSPHRASE_ENV

    passphrase = os.environ.get(PASSPHRASE_ENV)
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
