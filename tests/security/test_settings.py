"""Practice settings: practice details, idle-lock minutes; administrators only; every change audited."""

from __future__ import annotations

from dataclasses import replace

import pytest

from desktop.services import prescribers, settings, users
from desktop.services.errors import ConflictError, PermissionDenied, ValidationError
from desktop.services.settings import PracticeInput
from desktop.services.users import NewUser
from tests.security.conftest import audit_rows


def test_idle_lock_minutes_default_and_change(db, as_role):
    with as_role("nurse") as uow:
        assert settings.get_idle_lock_minutes(uow) == 10  # every role reads it: the idle lock needs it
    with as_role("admin") as uow:
        settings.set_idle_lock_minutes(uow, 3)
    with as_role("front_desk") as uow:
        assert settings.get_idle_lock_minutes(uow) == 3
    row = audit_rows(db, action="update")[0]
    assert (row.entity, row.entity_id, row.username) == ("setting", settings.IDLE_LOCK_KEY, "admin")
    assert "3 min (was 10 min)" in row.summary


@pytest.mark.parametrize("bad", [0, 241, -5, 2.5, True, "10"])
def test_idle_lock_minutes_range(as_role, bad):
    with as_role("admin") as uow, pytest.raises(ValidationError):
        settings.set_idle_lock_minutes(uow, bad)


@pytest.mark.parametrize("role", ["physician", "nurse", "front_desk"])
def test_only_admin_changes_settings(as_role, role):
    with as_role(role) as uow, pytest.raises(PermissionDenied):
        settings.set_idle_lock_minutes(uow, 5)
    with as_role(role) as uow, pytest.raises(PermissionDenied):
        settings.save_practice(uow, PracticeInput(name="Mine now"))
    with as_role(role) as uow, pytest.raises(PermissionDenied):
        settings.get_practice_form(uow)


def test_practice_details_saved_with_before_and_after_in_the_audit(db, as_role):
    with as_role("admin") as uow:
        form = settings.get_practice_form(uow)
    assert form.data.name == "Test Family Practice" and form.version is not None
    new = replace(form.data, name="  Lakeside   Clinic ", phone="(217) 555-0111")
    with as_role("admin") as uow:
        saved = settings.save_practice(uow, new, expected_version=form.version)
    assert saved.data.name == "Lakeside Clinic"
    with as_role("physician") as uow:
        assert prescribers.get_practice(uow).name == "Lakeside Clinic"  # what prescriptions print
    row = audit_rows(db, action="update")[0]
    assert row.entity == "practice" and "'Test Family Practice' -> 'Lakeside Clinic'" in row.summary


def test_practice_validation_and_conflict(db, as_role):
    with as_role("admin") as uow, pytest.raises(ValidationError) as err:
        settings.save_practice(uow, PracticeInput(name="", phone="call us"))
    assert set(err.value.errors) == {"name", "phone"}
    with as_role("admin") as uow:
        stale = settings.get_practice_form(uow).version
        settings.save_practice(uow, PracticeInput(name="First edit"), expected_version=stale)
    with as_role("admin") as uow, pytest.raises(ConflictError):
        settings.save_practice(uow, PracticeInput(name="Second edit"), expected_version=stale)


def test_page_size_setting_is_admin_only_and_audited(db, as_role):
    with as_role("admin") as uow:
        prescribers.set_page_size(uow, "a4")
    with as_role("front_desk") as uow:
        assert prescribers.get_page_size(uow) == "A4"
    with as_role("front_desk") as uow, pytest.raises(PermissionDenied):
        prescribers.set_page_size(uow, "letter")
    assert audit_rows(db, action="update")[0].entity_id == prescribers.PAGE_SIZE_KEY


def test_first_run_creates_practice_and_admin_in_one_audited_step(empty_db):
    from desktop.services import auth

    with empty_db.uow() as uow:
        assert not auth.any_users(uow)
        admin = users.setup_practice(
            uow, PracticeInput(name="Riverside Family Medicine", address_line1="9 River Rd", city="Salem",
                               state="OR", postal_code="97301", phone="(503) 555-0100"),
            NewUser("Boss", "Pat Boss", "admin", "a good password", "a good password"))
    assert admin.role == "admin" and admin.username == "boss"
    with empty_db.uow() as uow:
        assert auth.login(uow, "boss", "a good password").user.role == "admin"
    with empty_db.uow(admin) as uow:
        assert prescribers.get_practice(uow).name == "Riverside Family Medicine"
    rows = audit_rows(empty_db, as_user=admin)
    assert {(r.action, r.entity) for r in rows} >= {("create", "user"), ("create", "practice")}


def test_first_run_validates_both_parts_and_writes_nothing_on_error(empty_db):
    from desktop.services import auth

    with empty_db.uow() as uow, pytest.raises(ValidationError) as err:
        users.setup_practice(uow, PracticeInput(name=""), NewUser("boss", "Pat Boss", "admin", "short", "short"))
    assert set(err.value.errors) == {"name", "password"}
    with empty_db.uow() as uow, pytest.raises(ValidationError):
        users.setup_practice(uow, PracticeInput(name="P"), NewUser("boss", "Pat", "nurse", "long enough", "long enough"))
    with empty_db.uow() as uow:
        assert not auth.any_users(uow)
