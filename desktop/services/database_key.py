"""Admin > Database key…: the key an encrypted database opens with, shown so the administrator can write it
down and keep it apart from the backups (key escrow). A key held only in this computer's keyring is lost with
the computer, and every backup with it. No Qt here; the showing is in the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from desktop.models.keys import grouped

from . import auth
from .permissions import Permission
from .uow import UnitOfWork

KeyKind = Literal["keyring", "passphrase", "unencrypted", "server", "wrong password"]


@dataclass(frozen=True, slots=True)
class DatabaseKey:
    # where the key lives: the keyring (shown), a passphrase people know, none, or the server; or "wrong password"
    kind: KeyKind
    key: str = field(default="", repr=False)  # the keyring key in groups of four digits; "" otherwise
    path: str = ""  # the database file it opens


def database_key(uow: UnitOfWork, database: Any, password: str) -> DatabaseKey:
    """The administrator's view of the database key (services.database.Database), after their password again:
    whoever holds the key can read a stolen backup. Shown keys are audited; a wrong password counts toward the
    account's lockout like a failed login (so it is an answer, committed, not an exception rolled back)."""
    uow.require(Permission.MANAGE_SETTINGS)
    if not auth.verify_password(uow, uow.user.id, password):
        return DatabaseKey("wrong password")
    target = database.target
    if target.is_postgres:
        return DatabaseKey("server", path=target.display())
    if not target.encrypted:
        return DatabaseKey("unencrypted", path=str(target.path))
    key = database.key
    if key is None or not key.raw_hex:
        return DatabaseKey("passphrase", path=str(target.path))
    uow.audit("view key", "database", None, None, "database key shown for key escrow")
    return DatabaseKey("keyring", key=grouped(key.raw_hex), path=str(target.path))
