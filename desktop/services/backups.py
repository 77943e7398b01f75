"""Backups from the app (Admin > Back up database…): the same online copy as the `backup` command, under the
administrator's permission and in the audit log; progress and Cancel come from the caller (no Qt here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import CancelFn, ProgressFn, ServiceError
from .permissions import Permission
from .uow import UnitOfWork


def backup_database(uow: UnitOfWork, database: Any, out: Path, *, progress: ProgressFn | None = None,
                    cancelled: CancelFn | None = None) -> Path:
    """Copy `database` (a services.database.Database) to `out`, a file that must not exist. Cancelled (nothing
    written) when cancelled() turns true; ServiceError with the sentence to show when the copy cannot be made
    (a PostgreSQL database is backed up with the server's tools)."""
    uow.require(Permission.MANAGE_SETTINGS)
    from desktop.models.engine import DatabaseOpenError

    try:
        written = database.backup_to(Path(out), progress=progress, cancelled=cancelled)
    except DatabaseOpenError as exc:
        raise ServiceError(str(exc)) from exc
    uow.audit("backup", "database", None, None, f"backup written to {written.name}")
    return written
