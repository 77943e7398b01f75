"""Patient registry: search as you type, register, edit (with conflict detection), recent patients."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import Connection, Integer, bindparam, delete, func, intersect, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop.config import RESOURCES
from desktop.kb.age import age_label, completed_years
from desktop.kb.text import digits, fold, words
from desktop.models import Allergy, Patient, PatientToken, RecentPatient, User

from .chart_rows import check_lengths
from .check_digits import luhn_digit
from .errors import ConflictError, NotFound, ServiceError, ValidationError
from .permissions import Permission
from .uow import UnitOfWork, account_gated

SEXES = ("female", "male", "other", "unknown")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PatientRow(NamedTuple):
    """One line of a search result or the recent list.

    A tuple of the stored fields: a keystroke builds fifty of them, and the name and age are only formatted
    for the rows a table actually paints.
    """

    id: int
    mrn: str
    family_name: str
    given_name: str
    middle_name: str
    birth_date: date
    sex: str
    phone: str

    @property
    def display_name(self) -> str:
        return display_name(self.family_name, self.given_name, self.middle_name)

    @property
    def age(self) -> str:
        return age_text(self.birth_date)


@dataclass(frozen=True, slots=True)
class PatientInput:
    """What the registration form holds. Strings are stripped by the service."""

    given_name: str = ""
    family_name: str = ""
    birth_date: date | None = None
    sex: str = ""
    middle_name: str = ""
    gender_identity: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    phone_home: str = ""
    phone_mobile: str = ""
    email: str = ""
    preferred_language: str = ""
    emergency_name: str = ""
    emergency_relation: str = ""
    emergency_phone: str = ""
    insurance_payer: str = ""
    insurance_member_id: str = ""


FIELD_LABELS = {
    "given_name": "Given name", "family_name": "Family name", "birth_date": "Date of birth", "sex": "Sex",
    "middle_name": "Middle name", "gender_identity": "Gender identity", "address_line1": "Address",
    "address_line2": "Address line 2", "city": "City", "state": "State", "postal_code": "Postal code",
    "country": "Country", "phone_home": "Home phone", "phone_mobile": "Mobile phone", "email": "Email",
    "preferred_language": "Preferred language", "emergency_name": "Emergency contact",
    "emergency_relation": "Relationship", "emergency_phone": "Emergency phone",
    "insurance_payer": "Insurance payer", "insurance_member_id": "Member ID",
}
INPUT_FIELDS = tuple(f.name for f in fields(PatientInput))


@dataclass(frozen=True, slots=True)
class PatientDetails:
    id: int
    mrn: str
    version: int
    data: PatientInput
    display_name: str
    age: str
    allergy_status: str  # "NKDA" | "Allergies not recorded" | "Penicillin, Latex"
    has_allergies: bool


class PossibleDuplicate(ServiceError):
    """A patient with the same name and birth date exists; the user must confirm."""

    def __init__(self, candidates: list[PatientRow]):
        self.candidates = candidates
        names = ", ".join(f"{c.display_name} (MRN {c.mrn})" for c in candidates)
        super().__init__(f"possible duplicate of {names}")


# ---------------------------------------------------------------- helpers

def display_name(family: str, given: str, middle: str = "") -> str:
    return f"{family}, {given}" + (f" {middle}" if middle else "")


def age_text(birth: date, today: date | None = None) -> str:
    return age_label(birth, today)


def age_years(birth: date, today: date | None = None) -> int:
    return completed_years(birth, today)


def sort_key(family: str, given: str) -> str:
    return fold(f"{family} {given}")[:220]


def _row(p: Patient) -> PatientRow:
    return PatientRow(p.id, p.mrn, p.family_name, p.given_name, p.middle_name, p.birth_date, p.sex,
                      p.phone_mobile or p.phone_home)


def search_tokens(p: Patient | PatientInput, mrn: str) -> set[str]:
    """Every word a user may type to find this patient (folded; prefix-searched)."""
    tokens: set[str] = set()
    for part in (p.given_name, p.middle_name, p.family_name):
        ws = words(part)
        tokens.update(ws)
        if len(ws) > 1:  # "Smith-Jones" also as "smithjones"
            tokens.add("".join(ws))
    tokens.add(mrn.lower())
    birth = getattr(p, "birth_date", None)
    if birth is not None:  # "nguyen 1980": a birth year narrows a common name
        tokens.add(str(birth.year))
    for phone in (p.phone_home, p.phone_mobile):
        d = digits(phone)
        if len(d) >= 4:
            tokens.update({d, d[-7:], d[-4:]})
    return {t[:120] for t in tokens if t}


def _reindex(s: Session, p: Patient) -> None:
    s.execute(delete(PatientToken).where(PatientToken.patient_id == p.id))
    s.add_all(PatientToken(token=t, patient_id=p.id) for t in search_tokens(p, p.mrn))


def make_mrn(sequence: int) -> str:
    """Seven-digit sequence plus a Luhn check digit, so a mistyped MRN is caught."""
    base = f"{sequence:07d}"
    return base + luhn_digit(base)


# ---------------------------------------------------------------- parsing the search box

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%d.%m.%Y", "%Y%m%d", "%m/%d/%y", "%d %b %Y", "%d %B %Y",
                 "%b %d %Y", "%B %d %Y", "%Y/%m/%d",
                 "%d-%b-%Y", "%d-%B-%Y")  # 14-Mar-1980: how lab reports and hospital letters print a birth date


_LOOKS_LIKE_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}$|^\d{8}$|[a-z]{3}", re.IGNORECASE)


def parse_date(text: str) -> date | None:
    """Birth dates as people type them: 1980-01-02, 01/02/1980 (US order), 02.01.1980, 19800102, 2 Jan 1980."""
    text = " ".join(text.replace(",", " ").split())
    if not text or len(text) < 6 or not any(ch.isdigit() for ch in text) or not _LOOKS_LIKE_DATE.search(text):
        return None  # cheap refusal: strptime over every format costs more than the search itself
    for fmt in _DATE_FORMATS:
        try:
            value = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if fmt == "%m/%d/%y" and value > date.today():
            value = value.replace(year=value.year - 100)  # 01/02/85 is 1985, not 2085; 12/25/26 typed on 12/05/26 is 1926
        if fmt == "%Y%m%d" and not (1880 <= value.year <= date.today().year):
            continue
        return value
    return None


@dataclass(frozen=True, slots=True)
class SearchQuery:
    birth_date: date | None
    prefixes: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return self.birth_date is None and not self.prefixes


def parse_query(text: str) -> SearchQuery:
    text = (text or "").strip()[:200]
    whole = parse_date(text)
    if whole is not None:
        return SearchQuery(whole, ())
    birth: date | None = None
    prefixes: list[str] = []
    for raw in text.replace(",", " ").split():
        as_date = parse_date(raw)
        if as_date is not None and birth is None:
            birth = as_date
            continue
        d = digits(raw)
        if d and len(d) >= len(raw.replace("-", "").replace("(", "").replace(")", "").replace("+", "")):
            prefixes.append(d)  # phone or MRN typed with separators
            continue
        prefixes.extend(words(raw))
    # longest first: the most selective range scan drives the query
    return SearchQuery(birth, tuple(sorted(dict.fromkeys(prefixes), key=len, reverse=True)[:_MAX_WORDS]))


def _prefix_upper(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


# ---------------------------------------------------------------- queries

_ROW_COLUMNS = (Patient.id, Patient.mrn, Patient.given_name, Patient.middle_name, Patient.family_name,
                Patient.birth_date, Patient.sex, Patient.phone_mobile, Patient.phone_home, Patient.sort_key)
_MAX_WORDS = 6
# a typed word this short may match a third of the practice: count the words before choosing the driver
_SHORT_WORD = 3
_COUNT_CAP = 5000


def _token_range(column, prefix: str):
    return column >= prefix, column < _prefix_upper(prefix)


def _has_word(prefix: str):
    other = PatientToken.__table__.alias()
    return select(other.c.patient_id).where(
        other.c.patient_id == Patient.id, *_token_range(other.c.token, prefix)).exists()


@functools.cache
def _driven_sql(dialect, extra_words: int):
    """Walk one typed word's token range in index order; every other word is one index seek per row.

    Compiled once per dialect and word count, so a keystroke costs one driver call.
    """
    driver = PatientToken.__table__.alias("driver")
    stmt = (select(*_ROW_COLUMNS)
            .select_from(driver.join(Patient, Patient.id == driver.c.patient_id))
            .where(driver.c.token >= bindparam("lo"), driver.c.token < bindparam("hi"), Patient.active.is_(True)))
    for i in range(extra_words):
        other = PatientToken.__table__.alias(f"w{i}")
        # answered by one seek on ix_patient_token_patient_token (patient_id, token)
        stmt = stmt.where(select(other.c.patient_id).where(
            other.c.patient_id == driver.c.patient_id, other.c.token >= bindparam(f"lo{i}"),
            other.c.token < bindparam(f"hi{i}")).exists())
    stmt = stmt.order_by(driver.c.token, driver.c.patient_id).limit(bindparam("n", literal_execute=False))
    return stmt.compile(dialect=dialect)


@functools.cache
def _count_sql(dialect):
    capped = (select(PatientToken.patient_id).where(PatientToken.token >= bindparam("lo"),
                                                    PatientToken.token < bindparam("hi"))
              .limit(bindparam("n", literal_execute=False)).subquery())
    return select(func.count()).select_from(capped).compile(dialect=dialect)


# rows travel as plain tuples in _ROW_COLUMNS order: attribute access on result rows costs more than the query
_ID, _MRN, _GIVEN, _MIDDLE, _FAMILY, _BIRTH, _SEX, _MOBILE, _HOME, _SORT = range(10)


def _by_name(rows: list) -> list:
    return sorted(rows, key=lambda r: (r[_SORT], r[_BIRTH], r[_ID]))


def _raw_execute(conn: Connection, compiled, values: dict):
    """Run a precompiled statement on the driver's own cursor: no result-row machinery per keystroke."""
    params = compiled.construct_params(values)
    if compiled.positiontup:  # qmark / format drivers take a tuple in the compiled order
        params = tuple(params[k] for k in compiled.positiontup)
    cursor = conn.connection.driver_connection.cursor()
    cursor.execute(compiled.string, params)
    return cursor


def _capped_count(conn: Connection, prefix: str) -> int:
    cursor = _raw_execute(conn, _count_sql(conn.dialect), {"lo": prefix, "hi": _prefix_upper(prefix), "n": _COUNT_CAP})
    try:
        return cursor.fetchone()[0]
    finally:
        cursor.close()


def _driver_first(conn: Connection, prefixes: tuple[str, ...]) -> tuple[str, ...]:
    """The word with the fewest tokens drives. Longer words are rarer, so counting is only worth it when
    the longest typed word is still short ("a q": 'q' drives, not the third of the practice under 'a')."""
    if len(prefixes) == 1 or len(prefixes[0]) > _SHORT_WORD:
        return prefixes
    return tuple(sorted(prefixes, key=lambda p: _capped_count(conn, p)))


def _search_driven(conn: Connection, prefixes: tuple[str, ...], limit: int) -> list:
    """Walk the driving word's tokens in index order; stop after `limit` distinct patients (SQLite)."""
    prefixes = _driver_first(conn, prefixes)
    drive, others = prefixes[0], prefixes[1:]
    values: dict = {"lo": drive, "hi": _prefix_upper(drive), "n": limit * 8}
    for i, other in enumerate(others):
        values[f"lo{i}"], values[f"hi{i}"] = other, _prefix_upper(other)
    # one patient can match a word through several tokens (given, family, joined): dedupe while reading
    seen: set[int] = set()
    rows = []
    cursor = _raw_execute(conn, _driven_sql(conn.dialect, len(others)), values)
    try:
        while len(rows) < limit:
            batch = cursor.fetchmany(limit - len(rows))
            if not batch:
                break
            for r in batch:
                if r[_ID] not in seen:
                    seen.add(r[_ID])
                    rows.append(r)
    finally:
        cursor.close()
    return _by_name(rows)


def search_patients(uow: UnitOfWork, text: str, limit: int = 50) -> list[PatientRow]:
    """Name parts in any order, partial, case/accent-insensitive; a birth date; MRN; phone digits.

    Words: a range scan of the token index for the most selective word, in index order, each other word
    checked with one index seek per row, stopping after `limit` patients. At most `limit` patients come
    back, sorted by name (the UI says "type more" when the page is full).
    """
    # the role now; the account with the search's first statement on PostgreSQL (one round trip fewer per
    # keystroke), and `require` below makes sure it was checked whatever path the search took
    uow.require_role(Permission.VIEW_DEMOGRAPHICS)
    q = parse_query(text)
    if q.empty:
        uow.require(Permission.VIEW_DEMOGRAPHICS)
        return []
    conn = uow.read_connection()
    limit = max(1, min(limit, 500))
    if conn.dialect.name == "postgresql":
        if q.birth_date is not None:  # a birth date is the most selective thing anyone types
            rows = _pg_rows(uow, conn, "birth", len(q.prefixes), _word_ranges(q.prefixes, birth=q.birth_date, n=limit))
        else:
            rows = _search_walked(uow, conn, q.prefixes, limit)
    else:
        uow.require(Permission.VIEW_DEMOGRAPHICS)  # a local read: nothing to save
        if q.birth_date is not None:
            stmt = select(*_ROW_COLUMNS).where(Patient.active.is_(True), Patient.birth_date == q.birth_date)
            for prefix in q.prefixes:
                stmt = stmt.where(_has_word(prefix))
            stmt = stmt.order_by(Patient.sort_key, Patient.birth_date, Patient.id).limit(limit)
            rows = list(conn.execute(stmt))
        else:
            rows = _search_driven(conn, q.prefixes, limit)
    uow.require(Permission.VIEW_DEMOGRAPHICS)  # free once a statement has carried the account check
    out = []
    for pid, mrn, given, middle, family, birth, sex, mobile, home, _sort in rows:
        if birth.__class__ is str:  # SQLite's driver gives the stored ISO text back
            birth = date.fromisoformat(birth)
        out.append(PatientRow(pid, mrn, family, given, middle, birth, sex, mobile or home))
    return out


def find_possible_duplicates(
    uow: UnitOfWork, given: str, family: str, birth_date: date, exclude_id: int | None = None
) -> list[PatientRow]:
    """Registered patients with the same birth date whose name is the same person's, written differently:
    accents, hyphens, word order and common nicknames ignored ("Jose Nunez Garcia" = "José Núñez-García",
    "Bill Smith" = "William Smith")."""
    uow.require(Permission.VIEW_DEMOGRAPHICS)
    stmt = select(Patient).where(Patient.birth_date == birth_date)
    if exclude_id is not None:
        stmt = stmt.where(Patient.id != exclude_id)
    wanted = _name_words(given, family)
    return [_row(p) for p in uow.session.execute(stmt).scalars()
            if same_name(wanted, _name_words(p.given_name, p.family_name))]


def _name_words(given: str, family: str) -> list[str]:
    return words(f"{given} {family}")


def same_name(a: list[str], b: list[str]) -> bool:
    """Two names of one person: every word of the shorter name is in the longer one (a second family name
    may be left out), each word matched once, a given name also by its nickname group."""
    if not a or not b:
        return False
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 2 and len(long_) >= 2:
        return False  # one word alone ("Garcia") says too little
    left = list(long_)
    for word in short:
        match = next((w for w in left if w == word), None) or next(
            (w for w in left if nickname_groups(w) & nickname_groups(word)), None)
        if match is None:
            return False
        left.remove(match)
    return True


@functools.cache
def _nickname_index() -> dict[str, frozenset[int]]:
    data = json.loads((RESOURCES / "names" / "nicknames.json").read_text("utf-8"))
    index: dict[str, set[int]] = {}
    for i, group in enumerate(data["groups"]):
        for name in group["names"]:
            index.setdefault(fold(name), set()).add(i)
    return {k: frozenset(v) for k, v in index.items()}


def nickname_groups(word: str) -> frozenset[int]:
    return _nickname_index().get(word, frozenset())


def _load(uow: UnitOfWork, patient_id: int) -> Patient:
    p = uow.session.get(Patient, patient_id)
    if p is None:
        raise NotFound(f"no patient with id {patient_id}")
    return p


def allergy_status(s: Session, patient_id: int) -> tuple[str, bool]:
    rows = s.execute(
        select(Allergy.substance, Allergy.no_known_allergies).where(
            Allergy.patient_id == patient_id, Allergy.entered_in_error.is_(False), Allergy.status == "active"
        ).order_by(Allergy.substance)
    ).all()
    real = [r.substance for r in rows if not r.no_known_allergies]
    if real:
        return ", ".join(real), True
    if any(r.no_known_allergies for r in rows):
        return "NKDA", False
    return "Allergies not recorded", False


def _details(uow: UnitOfWork, p: Patient) -> PatientDetails:
    data = PatientInput(**{name: getattr(p, name) for name in INPUT_FIELDS})
    status, has = allergy_status(uow.session, p.id)
    return PatientDetails(
        id=p.id, mrn=p.mrn, version=p.version, data=data,
        display_name=display_name(p.family_name, p.given_name, p.middle_name),
        age=age_text(p.birth_date), allergy_status=status, has_allergies=has,
    )


def get_patient(uow: UnitOfWork, patient_id: int) -> PatientDetails:
    uow.require(Permission.VIEW_DEMOGRAPHICS)
    return _details(uow, _load(uow, patient_id))


def get_patient_by_mrn(uow: UnitOfWork, mrn: str) -> PatientDetails:
    uow.require(Permission.VIEW_DEMOGRAPHICS)
    p = uow.session.execute(select(Patient).where(Patient.mrn == mrn.strip())).scalar_one_or_none()
    if p is None:
        raise NotFound(f"no patient with MRN {mrn}")
    return _details(uow, p)


# ---------------------------------------------------------------- validation and writes

NAME_FIELDS = ("given_name", "middle_name", "family_name", "emergency_name")


def clean_input(inp: PatientInput) -> PatientInput:
    # every field is one line: text pasted with line breaks or tabs ("Ann\nMarie" from a letter) is one space
    # apart, not a name that breaks the chart header, the lists and the printed prescription over two lines
    values = {k: (" ".join(v.split()) if isinstance(v, str) else v) for k, v in asdict(inp).items()}
    values["sex"] = (values.get("sex") or "").lower()
    values["email"] = values.get("email", "").lower()
    return PatientInput(**values)


def validate(inp: PatientInput, today: date | None = None) -> dict[str, str]:
    today = today or date.today()
    errors: dict[str, str] = {}
    if not inp.given_name:
        errors["given_name"] = "Given name is required"
    if not inp.family_name:
        errors["family_name"] = "Family name is required"
    for name in INPUT_FIELDS:
        value = getattr(inp, name)
        if not isinstance(value, str) or not value:
            continue
        kinds = {unicodedata.category(c) for c in value}
        if kinds & {"Cc", "Cf", "Cs", "Co", "Cn"}:  # a NUL or bell pasted from another program (PostgreSQL refuses NUL)
            errors[name] = "Contains a control or invisible character (pasted?): type it again"
        elif name in NAME_FIELDS and ("So" in kinds or not any(k.startswith("L") for k in kinds)):
            errors[name] = "A name is written in letters, without symbols or emoji"
    # each field's own column length: PostgreSQL refuses a longer value (a 104-letter family name failed to save
    # there with a database error), SQLite would have kept it
    check_lengths(errors, Patient, {name: getattr(inp, name) for name in INPUT_FIELDS if name in Patient.__table__.c})
    if inp.birth_date is None:
        errors["birth_date"] = "Date of birth is required"
    elif inp.birth_date > today:
        errors["birth_date"] = "Date of birth cannot be in the future"
    elif inp.birth_date.year < today.year - 125:
        errors["birth_date"] = "Date of birth is more than 125 years ago"
    if inp.sex not in SEXES:
        errors["sex"] = "Choose female, male, other or unknown"
    for name in ("phone_home", "phone_mobile", "emergency_phone"):
        value = getattr(inp, name)
        if value:
            d = digits(value)
            if not re.fullmatch(r"[0-9+().\-\s/x]+", value) or not (7 <= len(d) <= 15):
                errors[name] = "Phone: 7 to 15 digits, e.g. (555) 123-4567"
    if inp.email and not _EMAIL.match(inp.email):
        errors["email"] = "Email should look like name@example.com"
    return errors


def _apply(p: Patient, inp: PatientInput) -> None:
    for name in INPUT_FIELDS:
        setattr(p, name, getattr(inp, name))
    p.sort_key = sort_key(inp.family_name, inp.given_name)


def _summary(inp: PatientInput) -> str:
    return f"{display_name(inp.family_name, inp.given_name)} DOB {inp.birth_date}"


def register_patient(uow: UnitOfWork, inp: PatientInput, *, allow_duplicate: bool = False) -> PatientDetails:
    uow.require(Permission.EDIT_DEMOGRAPHICS)
    inp = clean_input(inp)
    errors = validate(inp)
    if errors:
        raise ValidationError(errors)
    assert inp.birth_date is not None
    if not allow_duplicate:
        dups = find_possible_duplicates(uow, inp.given_name, inp.family_name, inp.birth_date)
        if dups:
            raise PossibleDuplicate(dups)
    s = uow.session
    for _attempt in range(5):  # another workstation may take the same MRN at the same moment
        seq = (s.execute(select(func.max(Patient.id))).scalar() or 0) + 1
        p = Patient(mrn=make_mrn(seq), created_by_id=uow.user.id, updated_by_id=uow.user.id)
        _apply(p, inp)
        try:
            with s.begin_nested():
                s.add(p)
                s.flush()
        except IntegrityError:
            continue
        _reindex(s, p)
        uow.audit("create", "patient", p.id, p.id, _summary(inp))
        s.flush()
        return _details(uow, p)
    raise ServiceError("could not allocate a new MRN; please try again")


def update_patient(
    uow: UnitOfWork, patient_id: int, inp: PatientInput, expected_version: int
) -> PatientDetails:
    """Save the form. If someone saved since the form was loaded, raise ConflictError with both versions."""
    uow.require(Permission.EDIT_DEMOGRAPHICS)
    inp = clean_input(inp)
    errors = validate(inp)
    if errors:
        raise ValidationError(errors)
    s = uow.session
    p = _load(uow, patient_id)
    if p.version != expected_version:
        theirs = {name: getattr(p, name) for name in INPUT_FIELDS}
        editor = s.get(User, p.updated_by_id) if p.updated_by_id else None
        raise ConflictError(
            entity="patient", entity_id=patient_id, mine=asdict(inp), theirs=theirs,
            their_version=p.version, changed_by=editor.display_name if editor else "",
        )
    before = {name: getattr(p, name) for name in INPUT_FIELDS}
    _apply(p, inp)
    p.updated_by_id = uow.user.id
    changed = [FIELD_LABELS[k] for k in INPUT_FIELDS if before[k] != getattr(inp, k)]
    s.flush()  # version_id_col check: a concurrent write between load and here raises StaleDataError
    _reindex(s, p)
    uow.audit("update", "patient", p.id, p.id, "changed: " + (", ".join(changed) or "nothing"))
    return _details(uow, p)


def record_chart_open(uow: UnitOfWork, patient_id: int) -> None:
    """Every chart open is audited and goes to the user's recent list."""
    uow.require(Permission.VIEW_DEMOGRAPHICS)
    _load(uow, patient_id)
    now = datetime.now(UTC)
    if uow.user.id is not None:
        row = uow.session.get(RecentPatient, (uow.user.id, patient_id))
        if row is None:
            try:  # the same user opening the chart on two workstations at once: one inserts, the other updates
                with uow.session.begin_nested():
                    uow.session.add(RecentPatient(user_id=uow.user.id, patient_id=patient_id, opened_at=now))
            except IntegrityError:
                row = uow.session.get(RecentPatient, (uow.user.id, patient_id), populate_existing=True)
        if row is not None:
            row.opened_at = now
    uow.audit("view", "chart", patient_id, patient_id)


def recent_patients(uow: UnitOfWork, limit: int = 15) -> list[PatientRow]:
    uow.require(Permission.VIEW_DEMOGRAPHICS)
    if uow.user.id is None:
        return []
    stmt = (
        select(Patient)
        .join(RecentPatient, RecentPatient.patient_id == Patient.id)
        .where(RecentPatient.user_id == uow.user.id)
        .order_by(RecentPatient.opened_at.desc())
        .limit(limit)
    )
    return [_row(p) for p in uow.session.execute(stmt).scalars()]


def reindex_all(s: Session) -> None:
    for p in s.execute(select(Patient)).scalars():
        _reindex(s, p)


# ---------------------------------------------------------------- PostgreSQL: the walk driven from here
# PostgreSQL's planner turns the one-statement walk above into a hash join over every token of a short word
# followed by a sort (18-80 ms for "jo s" at 100,000 patients). Here each statement pins its plan: the driving
# word's tokens read in index order (an index-only scan); every other word tested by one seek per token on
# (patient_id, token) (OFFSET 0 keeps it a per-token test: else the planner may hash every token of a short word
# to test a hundred patients); the patient row read only for tokens that pass (a lateral lookup); and the LIMIT
# stops the scan when the page is full: the SQLite statement's rows. Words that rarely meet are intersected
# instead (each word's tokens read once): every match when they fit on a page, else the page's first patients by
# name. The first statement of a keystroke also carries the account check (uow.account_gated), so the check
# costs no round trip of its own.

# the driving word's first tokens, read before deciding between walking on and intersecting
_PG_PROBE = 96
# words with at most this many tokens together are read whole for an intersection (an index-only range scan
# reads about five tokens a microsecond; a seek per token takes about six microseconds): "garcia jo" (1,047 and
# 6,676 tokens) intersects in 2.7 ms where walking garcia's tokens with a seek each took 6.7 ms
_PG_INTERSECT_CAP = 9000
# only short words typed: most are common ("jo s", "s j"), so finding out costs less when it gives up sooner
_PG_SHORT_CAP = 1500
# a walk's row: the driving token, its patient, then _ROW_COLUMNS; a probe adds how many tokens it read
_W_TOKEN, _W_PATIENT, _W_ROW, _W_SCANNED = 0, 1, slice(2, 12), 12


def _walk_stmt(extra_words: int, probe: bool):
    """The driving word's tokens from `skip` on (at most `scan` of them) in index order, those whose patient is
    active and has every other word, with the patient's row: the `taken`th to the (taken + n)th of them."""
    t = PatientToken.__table__
    tokens = (select(t.c.token, t.c.patient_id)
              .where(t.c.token >= bindparam("lo"), t.c.token < bindparam("hi"))
              .order_by(t.c.token, t.c.patient_id)
              .limit(bindparam("scan", literal_execute=False))
              .offset(bindparam("skip", literal_execute=False)))
    # the next tokens by OFFSET, not by a (token, patient_id) > (last seen) condition: the planner cannot estimate
    # a row comparison (83 rows guessed for 2,986 'smith' tokens), and then sorts a bitmap scan of the whole range
    # instead of reading the index in order (11 ms instead of 0.1 ms); skipping entries already read is cheap
    d = tokens.subquery("d")
    row = (select(*_ROW_COLUMNS).where(Patient.id == d.c.patient_id, Patient.active.is_(True))
           .offset(0).lateral("p"))
    columns = [d.c.token, d.c.patient_id, *row.c]
    if probe:  # fewer than `scan` read: the word's tokens ended (computed once, when the first row comes back)
        columns.append(select(func.count()).select_from(tokens.subquery("s")).scalar_subquery().label("scanned"))
    stmt = select(*columns).select_from(d.join(row, true()))
    for i in range(extra_words):
        other = t.alias(f"w{i}")
        stmt = stmt.where(select(other.c.patient_id).where(
            other.c.patient_id == d.c.patient_id, other.c.token >= bindparam(f"lo{i}"),
            other.c.token < bindparam(f"hi{i}")).offset(0).exists())
    return (stmt.order_by(d.c.token, d.c.patient_id)
            .limit(bindparam("n", literal_execute=False)).offset(bindparam("taken", literal_execute=False)))


def _range_counts_stmt(words: int):
    """Each word's token count, capped at `cap`, in one row."""
    t = PatientToken.__table__
    counts = []
    for i in range(words):
        capped = (select(t.c.patient_id).where(t.c.token >= bindparam(f"lo{i}"), t.c.token < bindparam(f"hi{i}"))
                  .limit(bindparam("cap", literal_execute=False)).subquery(f"c{i}"))
        counts.append(select(func.count()).select_from(capped).scalar_subquery().label(f"n{i}"))
    return select(*counts)


def _range_total_stmt(words: int):
    """The words' tokens counted together, no further than `cap` in all: each word counts on only as far as the
    words before it left ("kowalski m": 1,079 kowalski tokens, then 7,922 of m's instead of 9,001)."""
    t = PatientToken.__table__
    cap = bindparam("cap", type_=Integer, literal_execute=False)
    level = None
    for i in range(words):
        left = cap if level is None else cap - level.c.total
        counted = select(func.count()).select_from(
            select(t.c.patient_id).where(t.c.token >= bindparam(f"lo{i}"), t.c.token < bindparam(f"hi{i}"))
            .limit(left).subquery(f"r{i}")).scalar_subquery()
        # OFFSET 0: a subquery the planner may not flatten, so the count before is computed once, not again
        # inside the LIMIT that uses it
        level = (select((counted if level is None else level.c.total + counted).label("total"))
                 .offset(0).subquery(f"t{i}"))
    return select(level.c.total)


def _intersect_stmt(words: int):
    """The active patients having every word, first `n` by name: the words' token ranges intersected (each read
    once, in the index), then the patients' rows."""
    t = PatientToken.__table__
    ranges = [select(t.c.patient_id).where(t.c.token >= bindparam(f"lo{i}"), t.c.token < bindparam(f"hi{i}"))
              for i in range(words)]
    matched = intersect(*ranges).subquery("m")
    return (select(*_ROW_COLUMNS).join_from(matched, Patient, Patient.id == matched.c.patient_id)
            .where(Patient.active.is_(True))
            .order_by(Patient.sort_key, Patient.birth_date, Patient.id)
            .limit(bindparam("n", literal_execute=False)))


def _birth_stmt(words: int):
    """The active patients born on `birth` having every word, first `n` by name."""
    stmt = select(*_ROW_COLUMNS).where(Patient.active.is_(True), Patient.birth_date == bindparam("birth"))
    for i in range(words):
        other = PatientToken.__table__.alias(f"w{i}")
        stmt = stmt.where(select(other.c.patient_id).where(
            other.c.patient_id == Patient.id, other.c.token >= bindparam(f"lo{i}"),
            other.c.token < bindparam(f"hi{i}")).exists())
    return stmt.order_by(Patient.sort_key, Patient.birth_date, Patient.id).limit(bindparam("n", literal_execute=False))


_PG_STATEMENTS = {"probe": functools.partial(_walk_stmt, probe=True), "walk": functools.partial(_walk_stmt, probe=False),
                  "counts": _range_counts_stmt, "total": _range_total_stmt, "intersect": _intersect_stmt, "birth": _birth_stmt}


@functools.cache
def _pg_sql(dialect, kind: str, words: int, gated: bool):
    """Compiled once per kind, word count and gate, so a keystroke's statement costs one driver call."""
    stmt = _PG_STATEMENTS[kind](words)
    return (account_gated(stmt) if gated else stmt).compile(dialect=dialect)


def _pg_rows(uow: UnitOfWork, conn: Connection, kind: str, words: int, values: dict) -> list:
    """One statement's rows. Until the unit of work has seen the account active, the statement carries the
    check (uow.account_gated): a disabled or deleted account gets no row, and then the refusal."""
    if not uow.account_unconfirmed:
        return _fetch(conn, _pg_sql(conn.dialect, kind, words, False), values)
    rows = _fetch(conn, _pg_sql(conn.dialect, kind, words, True), {**values, "account_id": uow.user.id})
    uow.account_answered(rows, Permission.VIEW_DEMOGRAPHICS)
    return rows


def _fetch(conn: Connection, compiled, values: dict) -> list:
    cursor = _raw_execute(conn, compiled, values)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _take(found: dict[int, tuple], rows: list, limit: int) -> None:
    """Walk rows in walk order; a patient found through two tokens ('smith' and 'smithjones') counts once."""
    for r in rows:
        if len(found) >= limit:
            return
        if r[_W_PATIENT] not in found:
            found[r[_W_PATIENT]] = r[_W_ROW]


def _search_walked(uow: UnitOfWork, conn: Connection, prefixes: tuple[str, ...], limit: int) -> list:
    counted = False
    if len(prefixes) > 1 and len(prefixes[0]) <= _SHORT_WORD:  # only short words: which is rarest?
        counts, counted = _range_counts(uow, conn, prefixes, _PG_SHORT_CAP), True
        if max(counts) <= _PG_SHORT_CAP:
            return _pg_rows(uow, conn, "intersect", len(prefixes), _word_ranges(prefixes, n=limit))
        prefixes = tuple(p for _n, p in sorted(zip(counts, prefixes, strict=True), key=lambda c: c[0]))
    drive, others = prefixes[0], prefixes[1:]
    values = _word_ranges(others, lo=drive, hi=_prefix_upper(drive))
    found: dict[int, tuple] = {}  # insertion order = walk order
    skip = 0
    if others and not counted:
        # the driving word's first tokens: when they fill the page the walk is done; else the words may rarely
        # meet ("garcia jose": 15 patients among 1,047 and 1,274 tokens): walking on costs a seek per token, and
        # when every word's tokens are few, intersecting the ranges reads each once
        rows = _pg_rows(uow, conn, "probe", len(others),
                        {**values, "scan": _PG_PROBE, "skip": 0, "n": _PG_PROBE, "taken": 0})
        _take(found, rows, limit)
        if len(found) >= limit:
            return _by_name(list(found.values()))
        scanned = rows[0][_W_SCANNED] if rows else _range_counts(uow, conn, (drive,), _PG_PROBE)[0]
        if scanned < _PG_PROBE:  # the word's tokens ended: every match is found
            return _by_name(list(found.values()))
        total = _pg_rows(uow, conn, "total", len(prefixes), _word_ranges(prefixes, cap=_PG_INTERSECT_CAP + 1))[0][0]
        if total <= _PG_INTERSECT_CAP:
            return _pg_rows(uow, conn, "intersect", len(prefixes), _word_ranges(prefixes, n=limit))
        skip = _PG_PROBE
    # then on in one statement until the page is full. A patient may match through two tokens, so ask for a few
    # more rows than the page lacks (one word: most tokens match, a quarter more; several: an eighth)
    taken = 0
    while len(found) < limit:
        need = limit - len(found)
        n = need + (need // 8 if others else need // 4) + 1
        rows = _pg_rows(uow, conn, "walk", len(others), {**values, "scan": None, "skip": skip, "n": n, "taken": taken})
        _take(found, rows, limit)
        if len(rows) < n:  # the word's tokens ended
            break
        taken += n
    return _by_name(list(found.values()))


def _word_ranges(prefixes: tuple[str, ...], **values) -> dict:
    """lo0/hi0, lo1/hi1, ...: each word's token range, as the statements above take them."""
    for i, p in enumerate(prefixes):
        values[f"lo{i}"], values[f"hi{i}"] = p, _prefix_upper(p)
    return values


def _range_counts(uow: UnitOfWork, conn: Connection, prefixes: tuple[str, ...], cap: int) -> list[int]:
    """Each word's token count, capped just above `cap`, in one statement."""
    return list(_pg_rows(uow, conn, "counts", len(prefixes), _word_ranges(prefixes, cap=cap + 1))[0])
