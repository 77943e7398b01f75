"""Login: argon2id hashes; five wrong passwords lock the account for five minutes, then it opens again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desktop.services import auth
from tests.conftest import TEST_PASSWORDS
from tests.security.conftest import audit_rows

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _try(db, password: str, now: datetime):
    with db.uow() as uow:
        return auth.login(uow, "nquinn", password, now=now)


def test_password_hashes_are_argon2id(db):
    from desktop.models import User

    with db.uow() as uow:
        stored = uow.session.get(User, 2).password_hash
    assert stored.startswith("$argon2id$")
    assert auth.hash_password("x" * 12).startswith("$argon2id$")


def test_five_wrong_passwords_lock_for_five_minutes(db):
    for i in range(1, auth.MAX_FAILED):
        with pytest.raises(auth.LoginFailed) as err:
            _try(db, "wrong", T0 + timedelta(seconds=i))
        assert not isinstance(err.value, auth.AccountLocked)
        assert "wrong user name or password" in str(err.value)
    with pytest.raises(auth.AccountLocked, match="locked for 5 minutes"):
        _try(db, "wrong", T0 + timedelta(seconds=5))
    # locked: even the right password is refused for five minutes
    for later in (timedelta(seconds=6), timedelta(minutes=2), timedelta(minutes=5)):
        with pytest.raises(auth.AccountLocked, match="try again in"):
            _try(db, TEST_PASSWORDS["nurse"], T0 + later)
    # after five minutes the right password works and the counter starts again
    result = _try(db, TEST_PASSWORDS["nurse"], T0 + timedelta(minutes=5, seconds=6))
    assert result.user.username == "nquinn"
    with pytest.raises(auth.LoginFailed) as err:
        _try(db, "wrong", T0 + timedelta(minutes=6))
    assert not isinstance(err.value, auth.AccountLocked)  # one wrong password is not a lockout again

    actions = [r.action for r in reversed(audit_rows(db)) if r.entity == "user"]
    assert actions == ["login_failed"] * 4 + ["lockout", "login_refused", "login_refused", "login_refused",
                                              "login", "login_failed"]


def test_unknown_user_gets_the_same_answer_and_is_audited(db):
    with db.uow() as uow, pytest.raises(auth.LoginFailed, match="wrong user name or password"):
        auth.login(uow, "nobody", "whatever")
    row = audit_rows(db, action="login_failed")[0]
    assert "nobody" in row.summary


def test_a_good_login_resets_the_failure_count(db):
    for i in range(auth.MAX_FAILED - 1):
        with pytest.raises(auth.LoginFailed):
            _try(db, "wrong", T0 + timedelta(seconds=i))
    _try(db, TEST_PASSWORDS["nurse"], T0 + timedelta(seconds=10))
    for i in range(auth.MAX_FAILED - 1):
        with pytest.raises(auth.LoginFailed) as err:
            _try(db, "wrong", T0 + timedelta(seconds=20 + i))
        assert not isinstance(err.value, auth.AccountLocked)
