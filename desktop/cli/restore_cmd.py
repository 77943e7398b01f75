"""`restore FILE`: replace the database with a verified backup; the current file is kept aside first.

Exclusive: refused while any other program (a workstation, a background job) has the database open, since its
next commit would go to the replaced file and be lost; the lock is held from the copy aside to the swap. Both
copies go through SQLite's backup API, so edits still in the write-ahead log are in them.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from .common import CliError, add_db_argument, open_db
from .progress import terminal_progress


def add_arguments(parser) -> None:
    add_db_argument(parser)
    parser.add_argument("file", metavar="FILE", help="a backup made with `backup`")


def run(args) -> int:
    from sqlalchemy import text

    from desktop.config import DbTarget, resolve_db
    from desktop.models.engine import check_openable
    from desktop.models.schema import state

    target = resolve_db(args.db)
    if target.is_postgres:
        raise CliError("restore a PostgreSQL database with pg_restore --clean --dbname=DBNAME clinic.dump")
    src = Path(args.file).expanduser().resolve()
    if not src.is_file():
        raise CliError(f"no backup file at {src}", 2)
    if src.stat().st_size == 0:
        raise CliError(f"{src} is empty: not a backup")
    assert target.path is not None
    if src == target.path or (target.path.exists() and os.path.samefile(src, target.path)):
        raise CliError(f"{src} is the database itself: nothing to restore")
    current = open_db(args, upgrade=False, read_only=True) if target.path.exists() else None
    key = current.key if current else None
    if current is not None:
        current.dispose()
    # check the backup with the same key before touching anything (read-only: the backup stays as it was)
    candidate = DbTarget(url=f"sqlite:///{src}", encrypted=target.encrypted, path=src)
    engine = check_openable(candidate, key, read_only=True)
    try:
        with engine.connect() as conn:
            result = [r[0] for r in conn.execute(text("PRAGMA integrity_check")).fetchall()]
        if result != ["ok"]:
            raise CliError(f"{src} is damaged ({'; '.join(result[:3])}); nothing restored")
        st = state(engine)
        if st.empty:
            raise CliError(f"{src} holds no EMR data; nothing restored")
        if st.newer:
            raise CliError(f"{src} comes from a newer version of the app; nothing restored")
    finally:
        engine.dispose()
    from desktop.services.restore import RestoreRefused, restore_file

    try:
        with terminal_progress(f"restore {src.name}", unit=" pages") as progress:
            aside = restore_file(target.path, src, key, encrypted=target.encrypted,
                                 stamp=datetime.now().strftime("%Y%m%d-%H%M%S"), progress=progress)
    except RestoreRefused as exc:
        raise CliError(str(exc)) from exc
    if aside is not None:
        print(f"the previous database was kept as {aside}")
    print(f"restored {src} into {target.path}")
    _note_in_audit(args, src)
    return 0


def _note_in_audit(args, src: Path) -> None:
    """The audit log records the restore and the anchor beside the database follows the restored log
    (a copy put back by hand leaves the anchor ahead, which check-db reports)."""
    from desktop.services.audit import note_restore

    restored = open_db(args)
    try:
        print(f"audit: {note_restore(restored, src.name)}")
    finally:
        restored.dispose()
