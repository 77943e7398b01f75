"""Log in with argon2id hashes; five wrong passwords lock the account for five minutes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select

from desktop.models import User

from .errors import ServiceError
from .uow import CurrentUser, UnitOfWork

log = logging.getLogger(__name__)

MAX_FAILED = 5
LOCKOUT = timedelta(minutes=5)
MIN_PASSWORD = 8
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class LoginFailed(ServiceError):
    pass


class AccountLocked(LoginFailed):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> str | None:
    """None when acceptable, else the reason."""
    if len(password) < MIN_PASSWORD:
        return f"the password must have at least {MIN_PASSWORD} characters"
    if password.strip() != password:
        return "the password must not start or end with a space"
    return None


def _aware(ts: datetime | None) -> datetime | None:
    if ts is not None and ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: CurrentUser
    must_change_password: bool


def login(uow: UnitOfWork, username: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check the password; count failures; lock after MAX_FAILED. Every outcome is audited."""
    now = now or datetime.now(UTC)
    s = uow.session
    user = s.execute(select(User).where(User.username == username.strip().lower())).scalar_one_or_none()
    if user is None or not user.active:
        uow.audit("login_failed", "user", None, summary=f"unknown or disabled user {username!r}")
        uow.commit()  # the failure is recorded even though we raise
        # same words as a wrong password: do not reveal which user names exist
        raise LoginFailed("wrong user name or password")
    locked_until = _aware(user.locked_until)
    if locked_until and locked_until > now:
        minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
        uow.audit("login_refused", "user", user.id, summary="account locked")
        uow.commit()
        raise AccountLocked(f"this account is locked after {MAX_FAILED} wrong passwords; try again in {minutes} min")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_attempts = (user.failed_attempts or 0) + 1
        if user.failed_attempts >= MAX_FAILED:
            user.locked_until = now + LOCKOUT
            user.failed_attempts = 0
            uow.audit("lockout", "user", user.id, summary=f"locked for {LOCKOUT.seconds // 60} min")
            uow.commit()
            raise AccountLocked(
                f"{MAX_FAILED} wrong passwords: this account is locked for {LOCKOUT.seconds // 60} minutes"
            ) from None
        uow.audit("login_failed", "user", user.id, summary=f"wrong password ({user.failed_attempts})")
        uow.commit()
        raise LoginFailed("wrong user name or password") from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_attempts = 0
    user.locked_until = None
    current = CurrentUser(id=user.id, username=user.username, display_name=user.display_name, role=user.role)
    uow.audit("login", "user", user.id)
    return LoginResult(current, bool(user.must_change_password))


def verify_password(uow: UnitOfWork, user_id: int, password: str) -> bool:
    """Unlock after idle: re-check the current user's password (counts toward lockout)."""
    user = uow.session.get(User, user_id)
    if user is None:
        return False
    try:
        login(uow, user.username, password)
        return True
    except LoginFailed:
        return False


def any_users(uow: UnitOfWork) -> bool:
    return uow.session.execute(select(User.id).limit(1)).first() is not None
