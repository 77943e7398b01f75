"""Permission checks need a real, active user: a user object without an id, or whose account is gone or
disabled, passes none (issue 13, point 14). Only the explicit system actor (CLI, demo) acts without an account."""

from __future__ import annotations

import pytest

from desktop.services import users
from desktop.services.errors import PermissionDenied
from desktop.services.permissions import Permission
from desktop.services.uow import SYSTEM, CurrentUser
from tests.conftest import user_for


@pytest.mark.parametrize("role", ["physician", "admin", "system"])
def test_a_user_without_an_id_passes_no_check(db, role):
    ghost = CurrentUser(id=None, username="ghost", display_name="Ghost", role=role)
    with db.uow(ghost) as uow:
        for permission in Permission:
            assert not uow.can(permission)
            with pytest.raises(PermissionDenied):
                uow.require(permission)


def test_an_id_with_no_account_passes_no_check(db):
    stranger = CurrentUser(id=987654, username="stranger", display_name="Stranger", role="physician")
    with db.uow(stranger) as uow, pytest.raises(PermissionDenied, match="no longer exists"):
        uow.require(Permission.VIEW_CHART)


def test_a_disabled_account_loses_its_permissions_at_once(db):
    nurse = user_for("nurse")
    with db.uow(nurse) as uow:
        uow.require(Permission.VIEW_CHART)
    with db.uow(user_for("admin")) as uow:
        users.disable_user(uow, nurse.id, "left the practice")
    with db.uow(nurse) as uow:
        assert not uow.can(Permission.VIEW_CHART)
        with pytest.raises(PermissionDenied, match="disabled"):
            uow.require(Permission.VIEW_CHART)


def test_the_system_actor_is_explicit(db):
    with db.uow(SYSTEM) as uow:
        assert all(uow.can(p) for p in Permission)
    forged = CurrentUser(id=3, username="sortiz", display_name="Sam Ortiz", role="front_desk", system=True)
    with db.uow(forged) as uow:  # the flag is no master key for an account either
        assert not uow.can(Permission.PRESCRIBE)
