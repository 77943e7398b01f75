"""Prescriber profiles (NPI, DEA number, state license) kept by the administrator, and the practice's details.

NPI: 10 digits; the last is a Luhn check digit computed over "80840" + the first 9 digits.
DEA: 2 letters + 7 digits; the first letter is the registrant type; (d1+d3+d5) + 2×(d2+d4+d6) ends in d7.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from desktop.models import Practice, Prescriber, Setting, User

from .check_digits import luhn_digit, luhn_ok
from .errors import ConflictError, NotFound, PermissionDenied, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

# DEA registrant types (first letter): A/B/F/G practitioners, M mid-level practitioners,
# P-U distributors/manufacturers/researchers, X addiction treatment (formerly DATA-waivered).
DEA_REGISTRANT_LETTERS = frozenset("ABCDEFGHJKLMPRSTUX")
PAGE_SIZE_KEY = "print.page_size"
PAGE_SIZES = ("letter", "A4")


# ---------------------------------------------------------------- check numbers

def npi_check_digit(first9: str) -> str:
    """The Luhn check digit of an NPI, computed over '80840' + the first nine digits."""
    if len(first9) != 9 or not first9.isdigit():
        raise ValueError("an NPI check digit needs exactly 9 digits")
    return luhn_digit("80840" + first9)


def npi_problem(npi: str) -> str | None:
    """None when the NPI is valid, else what is wrong with it, in words."""
    npi = (npi or "").strip()
    if not npi:
        return "the NPI is required"
    if not npi.isdigit():
        return "the NPI has digits only (10 digits, no spaces or letters)"
    if len(npi) != 10:
        return f"the NPI has 10 digits, not {len(npi)}"
    if npi[0] not in "12":
        return "an NPI starts with 1 or 2"
    if not luhn_ok("80840" + npi):
        return f"the NPI's check digit is wrong (expected {npi_check_digit(npi[:9])} at the end): check for a typo"
    return None


def dea_check_digit(first6: str) -> str:
    d = [int(c) for c in first6]
    return str((d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10)


def dea_problem(dea: str) -> str | None:
    """None when the DEA number is valid, else what is wrong with it, in words."""
    dea = (dea or "").strip().upper()
    if len(dea) != 9:
        return f"a DEA number is 2 letters and 7 digits (9 characters), not {len(dea)} characters"
    letters, digits = dea[:2], dea[2:]
    if not (letters[0].isascii() and letters[0].isalpha()):
        return "a DEA number starts with a letter (the registrant type)"
    if letters[0] not in DEA_REGISTRANT_LETTERS:
        return f"'{letters[0]}' is not a DEA registrant type (practitioners' numbers start with A, B, F or G)"
    if not (letters[1].isascii() and (letters[1].isalpha() or letters[1] == "9")):
        return "the second character of a DEA number is a letter (the registrant's last-name initial) or 9"
    if not digits.isdigit():
        return "a DEA number ends with 7 digits"
    if dea_check_digit(digits[:6]) != digits[6]:
        return f"the DEA number's check digit is wrong (expected {dea_check_digit(digits[:6])} at the end)"
    return None


# ---------------------------------------------------------------- prescriber profiles

@dataclass(frozen=True, slots=True)
class PrescriberInput:
    user_id: int
    full_name: str
    credentials: str = "MD"
    npi: str = ""
    dea_number: str = ""  # empty: may not prescribe controlled substances
    state_licence: str = ""
    specialty: str = ""


@dataclass(frozen=True, slots=True)
class PrescriberProfile:
    id: int
    user_id: int
    username: str
    full_name: str
    credentials: str
    npi: str
    dea_number: str | None
    state_licence: str
    specialty: str
    version: int

    @property
    def can_prescribe_controlled(self) -> bool:
        return bool(self.dea_number)

    @property
    def name_with_credentials(self) -> str:
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name


def _profile(p: Prescriber, username: str) -> PrescriberProfile:
    return PrescriberProfile(
        id=p.id, user_id=p.user_id, username=username, full_name=p.full_name, credentials=p.credentials,
        npi=p.npi, dea_number=p.dea_number or None, state_licence=p.state_licence, specialty=p.specialty,
        version=p.version,
    )


def _require_admin(uow: UnitOfWork) -> None:
    if not (uow.can(Permission.MANAGE_USERS) or uow.can(Permission.MANAGE_SETTINGS)):
        raise PermissionDenied("only an administrator may change prescriber profiles")


def clean_prescriber(inp: PrescriberInput) -> PrescriberInput:
    return PrescriberInput(
        user_id=inp.user_id, full_name=" ".join(inp.full_name.split()), credentials=inp.credentials.strip(),
        npi="".join(inp.npi.split()), dea_number="".join(inp.dea_number.split()).upper(),
        state_licence=inp.state_licence.strip(), specialty=inp.specialty.strip(),
    )


def validate_prescriber(inp: PrescriberInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not inp.full_name:
        errors["full_name"] = "the prescriber's full name is required"
    problem = npi_problem(inp.npi)
    if problem:
        errors["npi"] = problem
    if inp.dea_number:
        problem = dea_problem(inp.dea_number)
        if problem:
            errors["dea_number"] = problem
    if len(inp.credentials) > 50:
        errors["credentials"] = "at most 50 characters"
    return errors


def list_prescribers(uow: UnitOfWork) -> list[PrescriberProfile]:
    rows = uow.session.execute(
        select(Prescriber, User.username).join(User, User.id == Prescriber.user_id).order_by(Prescriber.full_name)
    ).all()
    return [_profile(p, username) for p, username in rows]


def get_prescriber(uow: UnitOfWork, prescriber_id: int) -> PrescriberProfile:
    row = uow.session.execute(
        select(Prescriber, User.username).join(User, User.id == Prescriber.user_id)
        .where(Prescriber.id == prescriber_id)
    ).first()
    if row is None:
        raise NotFound(f"no prescriber with id {prescriber_id}")
    return _profile(*row)


def prescriber_for_user(uow: UnitOfWork, user_id: int | None = None) -> PrescriberProfile | None:
    """The prescribing profile of a user (default: the current user), or None."""
    user_id = uow.user.id if user_id is None else user_id
    if user_id is None:
        return None
    row = uow.session.execute(
        select(Prescriber, User.username).join(User, User.id == Prescriber.user_id)
        .where(Prescriber.user_id == user_id)
    ).first()
    return _profile(*row) if row else None


def save_prescriber(uow: UnitOfWork, inp: PrescriberInput, *, prescriber_id: int | None = None,
                    expected_version: int | None = None) -> PrescriberProfile:
    """Create (prescriber_id None) or update a profile. Validates NPI and DEA number; audited."""
    _require_admin(uow)
    inp = clean_prescriber(inp)
    errors = validate_prescriber(inp)
    s = uow.session
    user = s.get(User, inp.user_id)
    if user is None:
        errors["user_id"] = "no such user"
    elif user.role != "physician":
        errors["user_id"] = f"{user.display_name} is not a physician; only physicians prescribe"
    other = s.execute(select(Prescriber).where(Prescriber.user_id == inp.user_id)).scalar_one_or_none()
    if other is not None and other.id != prescriber_id:
        errors["user_id"] = "this user already has a prescriber profile"
    if errors:
        raise ValidationError(errors)
    if prescriber_id is None:
        p = Prescriber(user_id=inp.user_id, created_by_id=uow.user.id, updated_by_id=uow.user.id)
        s.add(p)
        action = "create"
    else:
        p = s.get(Prescriber, prescriber_id)
        if p is None:
            raise NotFound(f"no prescriber with id {prescriber_id}")
        if expected_version is not None and p.version != expected_version:
            raise ConflictError(entity="prescriber profile", entity_id=p.id, their_version=p.version)
        p.user_id = inp.user_id
        p.updated_by_id = uow.user.id
        action = "update"
    p.full_name, p.credentials, p.npi = inp.full_name, inp.credentials, inp.npi
    p.dea_number = inp.dea_number or None
    p.state_licence, p.specialty = inp.state_licence, inp.specialty
    s.flush()
    uow.audit(action, "prescriber", p.id,
              summary=f"{inp.full_name} NPI {inp.npi}" + (" with DEA number" if inp.dea_number else ""))
    assert user is not None
    return _profile(p, user.username)


# ---------------------------------------------------------------- practice

@dataclass(frozen=True, slots=True)
class PracticeDetails:
    name: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    phone: str
    fax: str

    @property
    def address_lines(self) -> tuple[str, ...]:
        city = " ".join(p for p in (f"{self.city}," if self.city else "", self.state, self.postal_code) if p)
        return tuple(line for line in (self.address_line1, self.address_line2, city.rstrip(",")) if line)


def get_practice(uow: UnitOfWork) -> PracticeDetails:
    p = uow.session.execute(select(Practice).order_by(Practice.id).limit(1)).scalar_one_or_none()
    if p is None:
        raise NotFound("the practice's details are not set up: an administrator enters them in Settings")
    return PracticeDetails(p.name, p.address_line1, p.address_line2, p.city, p.state, p.postal_code, p.phone, p.fax)


def get_page_size(uow: UnitOfWork) -> str:
    row = uow.session.get(Setting, PAGE_SIZE_KEY)
    if row is None:
        return "letter"
    try:
        value = json.loads(row.value_json)
    except ValueError:
        value = None
    if isinstance(value, str) and value.lower() in ("letter", "a4"):
        return "A4" if value.lower() == "a4" else "letter"
    raise ValidationError({PAGE_SIZE_KEY: f"the page size setting {row.value_json!r} is neither letter nor A4"})


def set_page_size(uow: UnitOfWork, size: str) -> None:
    uow.require(Permission.MANAGE_SETTINGS)
    if size.lower() not in ("letter", "a4"):
        raise ValidationError({"page_size": "choose letter or A4"})
    value = json.dumps("A4" if size.lower() == "a4" else "letter")
    row = uow.session.get(Setting, PAGE_SIZE_KEY)
    if row is None:
        uow.session.add(Setting(key=PAGE_SIZE_KEY, value_json=value))
    else:
        row.value_json = value
    uow.audit("update", "setting", PAGE_SIZE_KEY, summary=f"page size {value}")
