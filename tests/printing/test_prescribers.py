"""Prescriber profiles: the administrator keeps them; NPI and DEA number are checked."""

from __future__ import annotations

import pytest

from desktop.services.errors import NotFound, PermissionDenied, ValidationError
from desktop.services.prescribers import (
    PrescriberInput,
    get_practice,
    list_prescribers,
    prescriber_for_user,
    save_prescriber,
)
from tests.conftest import user_for

from .conftest import VALID_DEA, VALID_NPI


def _inp(**over) -> PrescriberInput:
    base = dict(user_id=user_for("physician").id, full_name="Ana  Lima", credentials="MD", npi=VALID_NPI,
                dea_number=VALID_DEA.lower())
    base.update(over)
    return PrescriberInput(**base)


def test_admin_creates_and_updates(db, admin):
    with db.uow(admin) as uow:
        p = save_prescriber(uow, _inp())
    assert (p.full_name, p.npi, p.dea_number, p.can_prescribe_controlled) == ("Ana Lima", VALID_NPI, VALID_DEA, True)
    with db.uow(admin) as uow:
        p2 = save_prescriber(uow, _inp(dea_number=""), prescriber_id=p.id, expected_version=p.version)
        assert [x.id for x in list_prescribers(uow)] == [p.id]
    assert p2.dea_number is None and not p2.can_prescribe_controlled
    with db.uow(user_for("physician")) as uow:
        assert prescriber_for_user(uow).id == p.id


@pytest.mark.parametrize("over, field", [
    ({"npi": "1234567890"}, "npi"),
    ({"npi": "12345"}, "npi"),
    ({"dea_number": "BR1234564"}, "dea_number"),
    ({"dea_number": "ZR1234563"}, "dea_number"),
    ({"full_name": " "}, "full_name"),
    ({"user_id": user_for("nurse").id}, "user_id"),
])
def test_bad_profiles_are_refused_with_the_reason(db, admin, over, field):
    with db.uow(admin) as uow, pytest.raises(ValidationError) as err:
        save_prescriber(uow, _inp(**over))
    assert field in err.value.errors


@pytest.mark.parametrize("role", ["physician", "nurse", "front_desk"])
def test_only_admin_keeps_profiles(db, role):
    with db.uow(user_for(role)) as uow, pytest.raises(PermissionDenied):
        save_prescriber(uow, _inp())


def test_one_profile_per_user(db, admin):
    with db.uow(admin) as uow:
        save_prescriber(uow, _inp())
    with db.uow(admin) as uow, pytest.raises(ValidationError, match="already"):
        save_prescriber(uow, _inp())


def test_practice_details(db):
    with db.uow(user_for("front_desk")) as uow:
        practice = get_practice(uow)
    assert practice.name == "Test Family Practice"
    assert practice.address_lines == ("1 Main St", "Springfield, IL 62701")


def test_missing_practice_is_explained(db):
    from desktop.models import Practice

    with db.uow() as uow:
        uow.session.query(Practice).delete()
    with db.uow(user_for("front_desk")) as uow, pytest.raises(NotFound, match="practice"):
        get_practice(uow)
