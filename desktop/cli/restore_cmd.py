"""`restore FILE`: replace the database with a verified backup; the current file is kept aside first."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from .common import CliError, add_db_argument, open_db


def add_arguments(parser) -> None:  # noqa: ANN001
    add_db_argument(parser)
    parser.add_argument("file", metavar="FILE", help="a backup made with `backup`")


def run(args) -> int:  # noqa: ANN001
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
    current = open_db(args, upgrade=False) if target.path and target.path.exists() else None
    key = current.key if current else None
    # check the backup with the same key before touching anything
    candidate = DbTarget(url=f"sqlite:///{src}", encrypted=target.encrypted, path=src)
    engine = check_openable(candidate, key)
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
    assert target.path is not None
    if current is not None:
        current.dispose()
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = target.path.with_name(f"{target.path.stem}.before-restore-{stamp}{target.path.suffix}")
        shutil.copy2(target.path, aside)
        print(f"the previous database was kept as {aside}")
    tmp = target.path.with_name(target.path.name + ".restoring")
    shutil.copyfile(src, tmp)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    for suffix in ("-wal", "-shm"):
        Path(str(target.path) + suffix).unlink(missing_ok=True)
    os.replace(tmp, target.path)
    print(f"restored {src} into {target.path}")
    _note_in_audit(args, src)
    return 0


def _note_in_audit(args, src: Path) -> None:  # noqa: ANN001
    """The audit log records the restore and the anchor beside the database follows the restored log
    (a copy put back by hand leaves the anchor ahead, which check-db reports)."""
    from desktop.services.audit import note_restore

    restored = open_db(args)
    try:
        print(f"audit: {note_restore(restored, src.name)}")
    finally:
        restored.dispose()
