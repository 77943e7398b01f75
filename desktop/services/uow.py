"""Unit of work: one session, one user, permission checks and the audit trail, committed together."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import Self

from sqlalchemy import Connection, Select, bindparam, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from desktop.models.engine import WRITE_OPTION

from .errors import ConflictError, PermissionDenied
from .permissions import DENIED_MESSAGES, Permission, Role, allowed

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CurrentUser:
    id: int | None  # None: no account row (the system below, or a user object that lost its id)
    username: str
    display_name: str
    role: str
    system: bool = False  # the system itself (CLI maintenance, demo generator): only SYSTEM and cli_user() set it

    def can(self, permission: Permission) -> bool:
        """A missing id is no longer a master key: only the explicit system actor, or a user with an account
        whose role allows it (the unit of work also checks the account is still active)."""
        if self.system:
            return self.id is None
        return self.id is not None and allowed(self.role, permission)

    @property
    def role_label(self) -> str:
        try:
            return Role(self.role).label
        except ValueError:
            return self.role


SYSTEM = CurrentUser(id=None, username="system", display_name="System", role="system", system=True)


def _conflict(exc: StaleDataError) -> ConflictError:
    """"UPDATE statement on table 'patient' expected to update 1 row(s); 0 were matched" -> the conflict dialog's
    error (the table names the record; the form reloads it to show their version)."""
    match = re.search(r"on table '([^']+)'", str(exc))
    entity = match.group(1).replace("_", " ") if match else "record"
    return ConflictError(entity=entity, entity_id=0)


@functools.cache
def _account_query():
    """Built once: the check runs with every unit of work (each keystroke of a search), and building the
    statement cost a third of the query."""
    from desktop.models import User

    return select(User.active).where(User.id == bindparam("uid"))


def account_gated(stmt: Select) -> Select:
    """`stmt` answering only while the account (parameter `account_id`) exists and is active: one statement,
    one round trip, instead of a check of its own before it. The condition is a one-time filter, so a disabled
    account's statement reads nothing. No row back means no answer or no account: see `account_answered`.
    Read with the statement, never cached: an account another workstation disabled is refused on the very next
    statement (a keystroke of a search), as the separate check did."""
    from desktop.models import User

    return stmt.where(select(User.active).where(User.id == bindparam("account_id")).scalar_subquery())


class UnitOfWork:
    """`with db.uow(user) as uow:` ... commits on success, rolls back on any error.

    Audit rows written with `uow.audit(...)` are chained and committed in the same transaction as the change.
    """

    def __init__(self, sessions: sessionmaker[Session], user: CurrentUser):
        self._sessions = sessions
        self.user = user
        self._session: Session | None = None
        self._reader: Connection | None = None
        self._open = False
        self._pending_audit: list[dict] = []
        self._account_checked = False

    def __enter__(self) -> Self:
        self._open = True
        return self

    @property
    def session(self) -> Session:
        """The ORM session, begun on first use (a search that only reads never pays for one)."""
        if not self._open:
            raise RuntimeError("the unit of work is not open: use `with db.uow(user) as uow:`")
        if self._session is None:
            if self._reader is not None:
                # end the reader's transaction before a second connection works: idle in a transaction, it would
                # keep its snapshot and table locks (on PostgreSQL, a TRUNCATE or a migration waits on it)
                self._reader.rollback()
            self._session = self._sessions()
        return self._session

    def read_connection(self) -> Connection:
        """A connection for read-only queries: the session's own once it exists, else a bare pooled one.

        Writes must go through `session`: this connection is rolled back when the unit of work ends.
        """
        if self._session is not None:
            return self._session.connection()
        if self._reader is None:
            if not self._open:
                raise RuntimeError("the unit of work is not open: use `with db.uow(user) as uow:`")
            bind = self._sessions.kw["bind"]
            # a reader takes no write lock on SQLite (see models.engine.WRITE_OPTION). On PostgreSQL it reads in
            # autocommit: under READ COMMITTED every statement sees its own snapshot anyway, and a keystroke's
            # search then costs no BEGIN and ROLLBACK round trips (nor an idle transaction)
            options: dict = {WRITE_OPTION: False}
            if bind.dialect.name == "postgresql":
                options["isolation_level"] = "AUTOCOMMIT"
            self._reader = bind.connect().execution_options(**options)
        return self._reader

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.commit()  # also writes audit rows queued by a unit of work that only read
            elif self._session is not None:
                self._session.rollback()
                if isinstance(exc, StaleDataError):  # a flush inside a service met another workstation's save
                    raise _conflict(exc) from exc
        finally:
            if self._session is not None:
                self._session.close()
            self._session = None
            self._open = False
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def commit(self) -> None:
        if self._session is None:
            if self._pending_audit:  # audit rows alone still need a session to be written
                self.session  # noqa: B018
            else:
                return
        try:
            if self._pending_audit:
                from .audit import append_entries

                self.session.flush()
                append_entries(self.session, self._pending_audit)
                self._pending_audit = []
            self.session.commit()
        except StaleDataError as exc:
            self.session.rollback()
            self._pending_audit = []
            raise _conflict(exc) from exc
        except Exception:
            self.session.rollback()
            self._pending_audit = []
            raise

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
        self._pending_audit = []

    def savepoint(self) -> Savepoint:
        """A nested transaction: rolling it back drops its writes and the audit rows queued inside it."""
        return Savepoint(self, self.session.begin_nested(), len(self._pending_audit))

    def as_user(self, user: CurrentUser) -> UnitOfWork:
        """The same transaction acting as another user (the demo builder writes its charts as the demo
        physician, so permission checks, audit rows and overrides name her). Only the system may."""
        if self.user.id is not None:
            raise PermissionDenied("only the system may act as another user")
        other = UnitOfWork(self._sessions, user)
        other._session, other._open, other._pending_audit = self.session, True, self._pending_audit
        return other

    # permissions
    def can(self, permission: Permission) -> bool:
        return self.user.can(permission) and self._account_active()

    def require(self, permission: Permission) -> None:
        self.require_role(permission)
        if not self._account_active():
            log.info("refused %s to %s: no active account", permission, self.user.username)
            raise PermissionDenied("your account is disabled or no longer exists: ask an administrator")

    def require_role(self, permission: Permission) -> None:
        """The role half of `require`. The caller owes the account check: it folds it into its first statement
        (`account_gated`, then `account_answered`) and ends with `require`, which is then free."""
        if not self.user.can(permission):
            log.info("refused %s to %s (%s)", permission, self.user.username, self.user.role)
            raise PermissionDenied(DENIED_MESSAGES.get(permission, f"your role may not {permission.value}"))

    @property
    def account_unconfirmed(self) -> bool:
        """True until this unit of work has seen the user's account active (never for the system actor)."""
        return not (self.user.system or self._account_checked)

    def account_answered(self, rows: list, permission: Permission) -> None:
        """After an `account_gated` statement: rows prove the account active; none may mean it is not: check."""
        if rows:
            self._account_checked = True
        else:
            self.require(permission)

    def _account_active(self) -> bool:
        """A signed-in user's permissions hold only while their account exists and is active (checked once per
        unit of work: an administrator's disabling takes effect on the next action, not the next login)."""
        if not self.account_unconfirmed:
            return True
        active = self.read_connection().execute(_account_query(), {"uid": self.user.id}).scalar_one_or_none()
        if not active:
            return False
        self._account_checked = True
        return True

    # audit
    def audit(
        self,
        action: str,
        entity: str,
        entity_id: object = None,
        patient_id: int | None = None,
        summary: str = "",
    ) -> None:
        """Queue an audit row; it is written, hash-chained, with the commit of this unit of work."""
        self._pending_audit.append({
            "user_id": self.user.id,
            "username": self.user.username,
            "patient_id": patient_id,
            "action": action,
            "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id),
            "summary": summary[:4000],
        })


class Savepoint:
    """See UnitOfWork.savepoint."""

    def __init__(self, uow: UnitOfWork, nested, mark: int):
        self._uow, self._nested, self._mark = uow, nested, mark

    def rollback(self) -> None:
        self._nested.rollback()
        del self._uow._pending_audit[self._mark:]

    def commit(self) -> None:
        self._nested.commit()
