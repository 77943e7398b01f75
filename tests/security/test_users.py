"""Admin user management: add with a role, disable, reset password, the guards against locking the practice out."""

from __future__ import annotations

import pytest

from desktop.services import auth, users
from desktop.services.errors import PermissionDenied, ServiceError, ValidationError
from desktop.services.settings import PracticeInput
from desktop.services.users import NewUser
from tests.conftest import TEST_PASSWORDS, TEST_USERS


def _audit_rows(db, action=None):
    from desktop.services.audit_report import AuditFilter, search_audit
    from tests.conftest import user_for

    with db.uow(user_for("admin")) as uow:
        return search_audit(uow, AuditFilter(action=action), page_size=1000).rows


def test_admin_adds_a_nurse_who_can_then_log_in(db, as_role):
    with as_role("admin") as uow:
        row = users.add_user(uow, NewUser("  JSmith ", "Jo  Smith, RN", "nurse", "correct-horse", "correct-horse"))
    assert (row.username, row.display_name, row.role, row.active) == ("jsmith", "Jo Smith, RN", "nurse", True)
    with db.uow() as uow:
        result = auth.login(uow, "jsmith", "correct-horse")
    assert result.user.role == "nurse" and not result.must_change_password
    created = [r for r in _audit_rows(db, "create") if r.entity == "user"]
    assert created and created[0].entity_id == str(row.id) and created[0].username == "admin"
    assert "nurse" in created[0].summary


def test_add_user_checks_every_field(as_role):
    with as_role("admin") as uow, pytest.raises(ValidationError) as err:
        users.add_user(uow, NewUser("drlima", "", "surgeon", "short", "short"))
    assert set(err.value.errors) == {"username", "display_name", "role", "password"}
    assert "taken" in err.value.errors["username"]
    with as_role("admin") as uow, pytest.raises(ValidationError) as err:
        users.add_user(uow, NewUser("new.user", "New User", "nurse", "long enough 1", "long enough 2"))
    assert set(err.value.errors) == {"password_again"}


@pytest.mark.parametrize("role", ["physician", "nurse", "front_desk"])
def test_only_an_admin_manages_users(as_role, role):
    with as_role(role) as uow, pytest.raises(PermissionDenied):
        users.add_user(uow, NewUser("x1", "X", "admin", "long enough", "long enough"))
    with as_role(role) as uow, pytest.raises(PermissionDenied):
        users.list_users(uow)


def test_disabled_user_cannot_log_in_and_enable_restores(db, as_role):
    nurse_id = TEST_USERS["nurse"][0]
    with as_role("admin") as uow:
        row = users.disable_user(uow, nurse_id, reason="left the practice")
    assert not row.active and row.status == "disabled"
    with db.uow() as uow, pytest.raises(auth.LoginFailed):
        auth.login(uow, "nquinn", TEST_PASSWORDS["nurse"])
    with as_role("admin") as uow:
        users.enable_user(uow, nurse_id)
    with db.uow() as uow:
        assert auth.login(uow, "nquinn", TEST_PASSWORDS["nurse"]).user.id == nurse_id
    actions = [(r.action, r.entity_id) for r in _audit_rows(db) if r.entity == "user"]
    assert ("disable", str(nurse_id)) in actions and ("enable", str(nurse_id)) in actions
    assert any("left the practice" in r.summary for r in _audit_rows(db, "disable"))


def test_cannot_disable_yourself_or_the_last_admin(db, as_role):
    admin_id = TEST_USERS["admin"][0]
    with as_role("admin") as uow, pytest.raises(ServiceError, match="your own account"):
        users.disable_user(uow, admin_id)
    # a second admin may not disable the first while it is the only other one... but can once there are two
    with as_role("admin") as uow:
        second = users.add_user(uow, NewUser("admin2", "Second Admin", "admin", "long enough", "long enough"))
    from desktop.services.uow import CurrentUser

    as_second = CurrentUser(id=second.id, username="admin2", display_name="Second Admin", role="admin")
    with db.uow(as_second) as uow:
        users.disable_user(uow, admin_id)  # two admins: allowed
    with db.uow(as_second) as uow, pytest.raises(ServiceError, match="your own account"):
        users.disable_user(uow, second.id)
    # now the last active admin: nobody may demote or disable it (here: through the system user)
    with db.uow() as uow, pytest.raises(ServiceError, match="last active administrator"):
        users.disable_user(uow, second.id)
    with db.uow() as uow, pytest.raises(ServiceError, match="last active administrator"):
        users.set_role(uow, second.id, "nurse")
    with db.uow(as_second) as uow:
        assert [u.username for u in users.list_users(uow, include_disabled=False) if u.role == "admin"] == ["admin2"]


def test_cannot_demote_yourself(as_role):
    with as_role("admin") as uow, pytest.raises(ServiceError, match="from yourself"):
        users.set_role(uow, TEST_USERS["admin"][0], "physician")


def test_change_role_is_audited(db, as_role):
    uid = TEST_USERS["front_desk"][0]
    with as_role("admin") as uow:
        assert users.set_role(uow, uid, "nurse").role == "nurse"
    assert any("front_desk -> nurse" in r.summary for r in _audit_rows(db, "update") if r.entity == "user")


def test_reset_password_forces_a_change_and_lifts_a_lockout(db, as_role):
    uid = TEST_USERS["physician"][0]
    for _ in range(auth.MAX_FAILED):
        with db.uow() as uow, pytest.raises(auth.LoginFailed):
            auth.login(uow, "drlima", "wrong password")
    with as_role("admin") as uow:
        assert users.get_user(uow, uid).locked
        temp = users.temporary_password()
        row = users.reset_password(uow, uid, temp)
    assert row.must_change_password and not row.locked
    with db.uow() as uow:
        result = auth.login(uow, "drlima", temp)
    assert result.must_change_password
    with pytest.raises(auth.LoginFailed):
        with db.uow() as uow:
            auth.login(uow, "drlima", TEST_PASSWORDS["physician"])  # the old password is gone
    # the user chooses their own password; the flag clears
    from tests.conftest import user_for

    with db.uow(user_for("physician")) as uow, pytest.raises(ValidationError) as err:
        users.change_own_password(uow, "not the temp", "brand new pass", "brand new pass")
    assert "current_password" in err.value.errors
    with db.uow(user_for("physician")) as uow:
        users.change_own_password(uow, temp, "brand new pass", "brand new pass")
    with db.uow() as uow:
        assert not auth.login(uow, "drlima", "brand new pass").must_change_password
    assert [r.entity_id for r in _audit_rows(db, "reset_password")] == [str(uid)]
    assert [r.username for r in _audit_rows(db, "change_password")] == ["drlima"]


def test_reset_password_checks_strength(as_role):
    with as_role("admin") as uow, pytest.raises(ValidationError):
        users.reset_password(uow, TEST_USERS["nurse"][0], "short")


def test_admin_unlocks_a_locked_account(db, as_role):
    for _ in range(auth.MAX_FAILED):
        with db.uow() as uow, pytest.raises(auth.LoginFailed):
            auth.login(uow, "nquinn", "nope nope")
    with as_role("admin") as uow:
        assert not users.unlock_user(uow, TEST_USERS["nurse"][0]).locked
    with db.uow() as uow:
        assert auth.login(uow, "nquinn", TEST_PASSWORDS["nurse"]).user.username == "nquinn"


def test_setup_practice_refused_once_users_exist(db):
    with db.uow() as uow, pytest.raises(PermissionDenied, match="already set up"):
        users.setup_practice(uow, PracticeInput(name="Other"), NewUser("boss", "Boss", "admin", "long enough",
                                                                        "long enough"))
