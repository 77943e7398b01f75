"""Practice-wide settings kept in the database: the practice's details and the security settings.

Values live in the `setting` table as JSON. Every logged-in user may read them (the idle lock of a nurse's
workstation needs the minutes); only an administrator (MANAGE_SETTINGS) changes them, and each change is
audited with the value before and after.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import select

from desktop.models import Practice, Setting

from .errors import ConflictError, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

IDLE_LOCK_KEY = "security.idle_lock_minutes"
IDLE_LOCK_DEFAULT = 10
IDLE_LOCK_MIN, IDLE_LOCK_MAX = 1, 240


# ---------------------------------------------------------------- generic values

def read_value(uow: UnitOfWork, key: str, default: Any = None) -> Any:
    """The JSON value of a setting, or default when unset (or unreadable: the caller validates)."""
    row = uow.session.get(Setting, key)
    if row is None:
        return default
    try:
        return json.loads(row.value_json)
    except ValueError:
        return default


def write_value(uow: UnitOfWork, key: str, value: Any, summary: str = "") -> None:
    """Store a setting (administrators only); audited with the old and new value."""
    uow.require(Permission.MANAGE_SETTINGS)
    text = json.dumps(value, sort_keys=True)
    row = uow.session.get(Setting, key)
    before = row.value_json if row is not None else "unset"
    if row is None:
        uow.session.add(Setting(key=key, value_json=text))
    elif row.value_json == text:
        return
    else:
        row.value_json = text
    uow.session.flush()
    uow.audit("update", "setting", key, summary=summary or f"{key}: {before} -> {text}")


# ---------------------------------------------------------------- idle lock

def get_idle_lock_minutes(uow: UnitOfWork) -> int:
    value = read_value(uow, IDLE_LOCK_KEY, IDLE_LOCK_DEFAULT)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return IDLE_LOCK_DEFAULT
    return int(min(max(value, IDLE_LOCK_MIN), IDLE_LOCK_MAX))


def set_idle_lock_minutes(uow: UnitOfWork, minutes: int) -> int:
    uow.require(Permission.MANAGE_SETTINGS)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not IDLE_LOCK_MIN <= minutes <= IDLE_LOCK_MAX:
        raise ValidationError({"idle_lock_minutes": f"between {IDLE_LOCK_MIN} and {IDLE_LOCK_MAX} minutes"})
    before = get_idle_lock_minutes(uow)
    write_value(uow, IDLE_LOCK_KEY, minutes, summary=f"idle lock after {minutes} min (was {before} min)")
    return minutes


# ---------------------------------------------------------------- practice details

@dataclass(frozen=True, slots=True)
class PracticeInput:
    name: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""
    fax: str = ""


@dataclass(frozen=True, slots=True)
class PracticeForm:
    data: PracticeInput
    version: int | None  # None: not saved yet


PRACTICE_FIELDS = tuple(f.name for f in fields(PracticeInput))
_PHONE = re.compile(r"^[0-9+().\-\s/x]+$")


def clean_practice(inp: PracticeInput) -> PracticeInput:
    return PracticeInput(**{k: " ".join(str(v).split()) for k, v in asdict(inp).items()})


def validate_practice(inp: PracticeInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not inp.name:
        errors["name"] = "the practice name is required"
    for name in PRACTICE_FIELDS:
        if len(getattr(inp, name)) > 200:
            errors[name] = "too long (200 characters at most)"
    for name in ("phone", "fax"):
        value = getattr(inp, name)
        if value:
            digits = sum(ch.isdigit() for ch in value)
            if not _PHONE.match(value) or not 7 <= digits <= 15:
                errors[name] = "7 to 15 digits, e.g. (555) 123-4567"
    return errors


def _practice_row(uow: UnitOfWork) -> Practice | None:
    return uow.session.execute(select(Practice).order_by(Practice.id).limit(1)).scalar_one_or_none()


def get_practice_form(uow: UnitOfWork) -> PracticeForm:
    """The practice's details for the settings form (with the version, to detect concurrent edits)."""
    uow.require(Permission.MANAGE_SETTINGS)
    p = _practice_row(uow)
    if p is None:
        return PracticeForm(PracticeInput(), None)
    return PracticeForm(PracticeInput(**{k: getattr(p, k) or "" for k in PRACTICE_FIELDS}), p.version)


def save_practice(uow: UnitOfWork, inp: PracticeInput, expected_version: int | None = None) -> PracticeForm:
    uow.require(Permission.MANAGE_SETTINGS)
    inp = clean_practice(inp)
    errors = validate_practice(inp)
    if errors:
        raise ValidationError(errors)
    p = _practice_row(uow)
    if p is None:
        p = Practice(**asdict(inp))
        uow.session.add(p)
        uow.session.flush()
        uow.audit("create", "practice", p.id, summary=f"practice {inp.name}")
        return PracticeForm(inp, p.version)
    if expected_version is not None and p.version != expected_version:
        theirs = {k: getattr(p, k) for k in PRACTICE_FIELDS}
        raise ConflictError(entity="practice", entity_id=p.id, mine=asdict(inp), theirs=theirs,
                            their_version=p.version)
    changed = [k for k in PRACTICE_FIELDS if (getattr(p, k) or "") != getattr(inp, k)]
    if not changed:
        return PracticeForm(inp, p.version)
    before = {k: getattr(p, k) for k in changed}
    for k in changed:
        setattr(p, k, getattr(inp, k))
    uow.session.flush()
    uow.audit("update", "practice", p.id,
              summary="; ".join(f"{k}: {before[k]!r} -> {getattr(inp, k)!r}" for k in changed))
    return PracticeForm(inp, p.version)
