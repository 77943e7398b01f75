"""User accounts kept by the administrator: add with a role, disable/enable, change role, reset password.

Rules that protect the practice from locking itself out:
- nobody can disable or demote themselves;
- the last active administrator cannot be disabled or demoted.
The first administrator is created by the first-run wizard (`setup_practice`), only while no user exists.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from desktop.models import User

from .auth import check_password_strength, hash_password
from .errors import NotFound, PermissionDenied, ServiceError, ValidationError
from .permissions import Permission, Role
from .settings import PracticeInput, clean_practice, save_practice, validate_practice
from .uow import CurrentUser, UnitOfWork

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
ROLE_CHOICES = tuple(r.value for r in Role)


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    active: bool
    locked: bool  # locked out after wrong passwords, right now
    must_change_password: bool
    created_at: datetime | None
    version: int

    @property
    def status(self) -> str:
        if not self.active:
            return "disabled"
        if self.locked:
            return "locked out"
        if self.must_change_password:
            return "must change password"
        return "active"


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str
    display_name: str
    role: str
    password: str
    password_again: str


def _aware(ts: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were written as UTC."""
    return ts.replace(tzinfo=UTC) if ts is not None and ts.tzinfo is None else ts


def _row(u: User, now: datetime | None = None) -> UserRow:
    now = now or datetime.now(UTC)
    locked_until = _aware(u.locked_until)
    return UserRow(
        id=u.id, username=u.username, display_name=u.display_name, role=u.role,
        role_label=Role(u.role).label if u.role in ROLE_CHOICES else u.role, active=bool(u.active),
        locked=bool(locked_until and locked_until > now), must_change_password=bool(u.must_change_password),
        created_at=_aware(u.created_at), version=u.version,
    )


def _load(uow: UnitOfWork, user_id: int) -> User:
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def _active_admins(uow: UnitOfWork) -> int:
    return uow.session.execute(
        select(func.count(User.id)).where(User.role == Role.ADMIN.value, User.active.is_(True))
    ).scalar() or 0


def _check_new(uow: UnitOfWork, new: NewUser) -> tuple[str, str]:
    username = new.username.strip().lower()
    display = " ".join(new.display_name.split())
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = "the user name is required"
    elif not USERNAME_RE.match(username):
        errors["username"] = ("the user name needs 2 to 40 characters: lower-case letters, digits, "
                              "dot, dash or underscore, starting with a letter or digit")
    elif uow.session.execute(select(User.id).where(User.username == username)).first() is not None:
        errors["username"] = f"the user name {username!r} is taken"
    if not display:
        errors["display_name"] = "the full name is required"
    elif len(display) > 200:
        errors["display_name"] = "the full name is too long (200 characters at most)"
    if new.role not in ROLE_CHOICES:
        errors["role"] = "choose a role: " + ", ".join(ROLE_CHOICES)
    problem = check_password_strength(new.password)
    if problem:
        errors["password"] = problem
    elif new.password != new.password_again:
        errors["password_again"] = "the two passwords differ"
    if errors:
        raise ValidationError(errors)
    return username, display


# ---------------------------------------------------------------- reading

def list_users(uow: UnitOfWork, include_disabled: bool = True) -> list[UserRow]:
    uow.require(Permission.MANAGE_USERS)
    stmt = select(User).order_by(User.active.desc(), User.username)
    if not include_disabled:
        stmt = stmt.where(User.active.is_(True))
    now = datetime.now(UTC)
    return [_row(u, now) for u in uow.session.execute(stmt).scalars()]


def get_user(uow: UnitOfWork, user_id: int) -> UserRow:
    uow.require(Permission.MANAGE_USERS)
    return _row(_load(uow, user_id))


# ---------------------------------------------------------------- changes (all audited)

def add_user(uow: UnitOfWork, new: NewUser) -> UserRow:
    uow.require(Permission.MANAGE_USERS)
    username, display = _check_new(uow, new)
    user = User(username=username, display_name=display, role=new.role, password_hash=hash_password(new.password),
                active=True, failed_attempts=0, must_change_password=False)
    uow.session.add(user)
    uow.session.flush()
    uow.audit("create", "user", user.id, summary=f"user {username} ({display}) with role {new.role}")
    return _row(user)


def set_active(uow: UnitOfWork, user_id: int, active: bool, reason: str = "") -> UserRow:
    """Disable (active=False) or enable a user. A disabled user cannot log in; the history keeps the name."""
    uow.require(Permission.MANAGE_USERS)
    user = _load(uow, user_id)
    if bool(user.active) == active:
        return _row(user)
    if not active:
        if user.id == uow.user.id:
            raise ServiceError("you cannot disable your own account; ask another administrator")
        if user.role == Role.ADMIN.value and _active_admins(uow) <= 1:
            raise ServiceError("this is the last active administrator; add another administrator first")
    user.active = active
    if active:
        user.failed_attempts = 0
        user.locked_until = None
    uow.session.flush()
    what = "enable" if active else "disable"
    uow.audit(what, "user", user.id, summary=f"{what}d {user.username}" + (f": {reason.strip()}" if reason.strip() else ""))
    return _row(user)


def disable_user(uow: UnitOfWork, user_id: int, reason: str = "") -> UserRow:
    return set_active(uow, user_id, False, reason)


def enable_user(uow: UnitOfWork, user_id: int) -> UserRow:
    return set_active(uow, user_id, True)


def set_role(uow: UnitOfWork, user_id: int, role: str) -> UserRow:
    uow.require(Permission.MANAGE_USERS)
    if role not in ROLE_CHOICES:
        raise ValidationError({"role": "choose a role: " + ", ".join(ROLE_CHOICES)})
    user = _load(uow, user_id)
    if user.role == role:
        return _row(user)
    if user.role == Role.ADMIN.value:
        if user.id == uow.user.id:
            raise ServiceError("you cannot take the administrator role from yourself; ask another administrator")
        if user.active and _active_admins(uow) <= 1:
            raise ServiceError("this is the last active administrator; add another administrator first")
    before = user.role
    user.role = role
    uow.session.flush()
    uow.audit("update", "user", user.id, summary=f"role of {user.username}: {before} -> {role}")
    return _row(user)


def temporary_password() -> str:
    """A readable one-time password for a reset (the user must change it at the next login)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


def reset_password(uow: UnitOfWork, user_id: int, new_password: str) -> UserRow:
    """Set a temporary password; the user must choose a new one at the next login. Also lifts a lockout."""
    uow.require(Permission.MANAGE_USERS)
    problem = check_password_strength(new_password)
    if problem:
        raise ValidationError({"password": problem})
    user = _load(uow, user_id)
    user.password_hash = hash_password(new_password)
    user.must_change_password = True
    user.failed_attempts = 0
    user.locked_until = None
    uow.session.flush()
    uow.audit("reset_password", "user", user.id, summary=f"password of {user.username} reset; must change at login")
    return _row(user)


def unlock_user(uow: UnitOfWork, user_id: int) -> UserRow:
    """Lift a lockout before the five minutes are over."""
    uow.require(Permission.MANAGE_USERS)
    user = _load(uow, user_id)
    user.failed_attempts = 0
    user.locked_until = None
    uow.session.flush()
    uow.audit("unlock", "user", user.id, summary=f"lockout of {user.username} lifted")
    return _row(user)


def change_own_password(uow: UnitOfWork, current_password: str, new_password: str, new_again: str) -> None:
    """Any logged-in user changes their own password (also after a reset: clears must_change_password)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    if uow.user.id is None:
        raise PermissionDenied("log in first")
    user = _load(uow, uow.user.id)
    try:
        PasswordHasher().verify(user.password_hash, current_password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise ValidationError({"current_password": "the current password is wrong"}) from None
    problem = check_password_strength(new_password)
    if problem:
        raise ValidationError({"password": problem})
    if new_password != new_again:
        raise ValidationError({"password_again": "the two passwords differ"})
    if new_password == current_password:
        raise ValidationError({"password": "choose a password different from the current one"})
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    uow.session.flush()
    uow.audit("change_password", "user", user.id, summary=f"{user.username} changed their password")


# ---------------------------------------------------------------- first run

def setup_practice(uow: UnitOfWork, practice: PracticeInput, admin: NewUser) -> CurrentUser:
    """First run: the practice's details and its first administrator, in one transaction.

    Allowed only while the database has no users at all (afterwards only an administrator adds users).
    """
    if uow.session.execute(select(User.id).limit(1)).first() is not None:
        raise PermissionDenied("the practice is already set up; an administrator adds users in Admin > Users")
    if admin.role != Role.ADMIN.value:
        raise ValidationError({"role": "the first user must be an administrator"})
    errors: dict[str, str] = {}
    try:
        username, display = _check_new(uow, admin)
    except ValidationError as exc:
        errors.update(exc.errors)
    errors.update(validate_practice(clean_practice(practice)))
    if errors:
        raise ValidationError(errors)
    user = User(username=username, display_name=display, role=Role.ADMIN.value,
                password_hash=hash_password(admin.password), active=True, failed_attempts=0,
                must_change_password=False)
    uow.session.add(user)
    uow.session.flush()
    uow.audit("create", "user", user.id, summary=f"first administrator {username} ({display}) at first run")
    save_practice(uow, practice)
    return CurrentUser(id=user.id, username=user.username, display_name=user.display_name, role=user.role)
