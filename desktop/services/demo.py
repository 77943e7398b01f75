"""Demo practice: four users, N patients with varied real-world names. Bulk inserts: 100,000 in well under 60 s."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, insert, select

from desktop.models import Patient, PatientToken, Practice, Prescriber, Setting, User

from .auth import hash_password
from .errors import PermissionDenied
from .patients import make_mrn, search_tokens, sort_key
from .prescribers import dea_check_digit, npi_check_digit
from .uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    password: str
    display_name: str
    role: str


DEMO_USERS = (
    DemoUser("physician", "physician-demo", "Dr. Ana Lima", "physician"),
    DemoUser("nurse", "nurse-demo", "Nora Quinn, RN", "nurse"),
    DemoUser("frontdesk", "frontdesk-demo", "Sam Ortiz", "front_desk"),
    DemoUser("admin", "admin-demo", "Practice Admin", "admin"),
)

GIVEN_F = ["Zoë", "Maria", "Anna", "Sofía", "Chloé", "Aoife", "Emma", "Olivia", "Ava", "Isabella", "Mia",
           "Amélie", "Ingrid", "Siobhán", "Priya", "Mei", "Fatima", "Ngozi", "Hannah", "Léa", "Małgorzata",
           "Renée", "Björk", "Mary-Kate", "Anne-Marie", "Grace", "Lucía", "Yuki", "Aisha", "Elena", "Noémie",
           "Kateřina", "Joanna", "Sarah", "Jessica", "Linda", "Patricia", "Barbara", "Susan", "Karen"]
GIVEN_M = ["José", "Jean-Luc", "Łukasz", "Søren", "Björn", "François", "Mohammed", "Liam", "Noah", "James",
           "Oliver", "Lucas", "Mateo", "Ángel", "Jürgen", "Hiroshi", "Chidi", "Ravi", "Wei", "Seán", "Tomás",
           "André", "Jörg", "Miguel", "Dmitri", "Kofi", "Ethan", "Daniel", "Michael", "David", "Robert",
           "William", "Thomas", "Charles", "Christopher", "Matthew", "Anthony", "Mark", "Paul", "Steven"]
FAMILY = ["Müller", "Smith", "Johnson", "García", "Núñez", "O'Brien", "Smith-Jones", "Nguyen", "Kowalski",
          "Brontë", "Øster", "Dvořák", "Lefèvre", "Schröder", "Williams", "Brown", "Jones", "Miller", "Davis",
          "Rodríguez", "Martínez", "Hernández", "López", "González", "Wilson", "Anderson", "Thomas", "Taylor",
          "Moore", "Jackson", "Martin", "Lee", "Pérez", "Thompson", "White", "Harris", "Sánchez", "Clark",
          "Ramírez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
          "Nakamura", "Okafor", "Patel", "Cohen", "Mac Donald", "Van der Berg", "Da Silva", "Al-Sayed",
          "Fitzgerald", "Ó Súilleabháin", "Chen", "Kim", "Park", "Ivanova", "Petrov", "Jansen", "De Vries",
          "Lindqvist", "Hansen", "Rossi", "Russo", "Ferrari", "Bianchi", "Dubois", "Moreau", "Laurent",
          "Kaminski", "Wiśniewski", "Novák", "Horváth", "Nagy", "Papadopoulos", "Yılmaz", "Kaya", "Haddad",
          "Mensah", "Abebe", "Mwangi", "Dlamini", "Singh", "Kumar", "Sharma", "Tanaka", "Suzuki", "Wong",
          "Tran", "Pham", "Le", "Reyes", "Cruz", "Flores", "Gómez", "Díaz", "Vargas", "Castro", "Ortiz"]
STREETS = ["Maple Ave", "Oak St", "Main St", "Elm St", "Cedar Ln", "Pine Rd", "Lakeview Dr", "Hillcrest Rd",
           "Washington Blvd", "Park Pl", "Church St", "River Rd", "Sunset Blvd", "Mill St", "Highland Ave"]
CITIES = [("Springfield", "IL", "627"), ("Riverside", "CA", "925"), ("Franklin", "TN", "370"),
          ("Greenville", "SC", "296"), ("Madison", "WI", "537"), ("Salem", "OR", "973"),
          ("Georgetown", "TX", "786"), ("Arlington", "VA", "222"), ("Burlington", "VT", "054")]
LANGUAGES = ["English"] * 12 + ["Spanish"] * 4 + ["French", "Polish", "Vietnamese", "Mandarin", "Arabic",
                                                   "Portuguese", "German", "Korean", "Russian"]
PAYERS = ["Medicare", "Medicaid", "Blue Cross Blue Shield", "Aetna", "UnitedHealthcare", "Cigna", "Humana",
          "Kaiser Permanente", "Self-pay"]
RELATIONS = ["Spouse", "Parent", "Child", "Sibling", "Friend", "Partner"]


def _phone(rng: random.Random, area: str) -> str:
    return f"({area}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"


def _patient_values(rng: random.Random, seq: int, today: date) -> dict:
    sex = rng.choices(["female", "male", "other", "unknown"], weights=[49, 49, 1, 1])[0]
    given = rng.choice(GIVEN_F if sex == "female" else GIVEN_M if sex == "male" else GIVEN_F + GIVEN_M)
    family = rng.choice(FAMILY)
    if rng.random() < 0.04:  # double-barrelled names are common enough
        family = f"{family}-{rng.choice(FAMILY)}"
    age_days = int(rng.triangular(0, 100, 45) * 365.25)
    birth = today - timedelta(days=age_days)
    city, state, area = rng.choice(CITIES)
    phone_mobile = _phone(rng, area) if rng.random() < 0.85 else ""
    phone_home = _phone(rng, area) if rng.random() < 0.4 or not phone_mobile else ""
    mrn = make_mrn(seq)
    slug = "".join(ch for ch in (given[0] + family).lower() if ch.isascii() and ch.isalpha())
    return {
        "mrn": mrn, "given_name": given, "middle_name": rng.choice(["", "", "", "A.", "J.", "Marie", "Lee"]),
        "family_name": family, "birth_date": birth, "sex": sex,
        "gender_identity": "" if sex in ("female", "male") else "non-binary",
        "address_line1": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
        "address_line2": rng.choice(["", "", "", f"Apt {rng.randint(1, 40)}"]),
        "city": city, "state": state, "postal_code": f"{area}{rng.randint(0, 99):02d}", "country": "USA",
        "phone_home": phone_home, "phone_mobile": phone_mobile,
        "email": f"{slug}{seq}@example.com" if rng.random() < 0.7 else "",
        "preferred_language": rng.choice(LANGUAGES),
        "emergency_name": f"{rng.choice(GIVEN_F + GIVEN_M)} {family}",
        "emergency_relation": rng.choice(RELATIONS), "emergency_phone": _phone(rng, area),
        "insurance_payer": rng.choice(PAYERS), "insurance_member_id": f"{rng.choice('ABCDEFGHJK')}{rng.randint(10**8, 10**9 - 1)}",
        "active": True, "sort_key": sort_key(family, given), "version": 1,
    }


def require_system(uow: UnitOfWork) -> None:
    """Demo data is made by the `demo` command (the system), never by someone logged in to the app."""
    if uow.user.id is not None:
        raise PermissionDenied("demo data can only be created with `python -m desktop demo`")


def create_practice_and_users(uow: UnitOfWork) -> dict[str, int]:
    require_system(uow)
    s = uow.session
    if s.execute(select(Practice.id)).first() is None:
        s.add(Practice(name="Lakeside Family Practice", address_line1="120 Harbor Street, Suite 4",
                       city="Springfield", state="IL", postal_code="62701", phone="(217) 555-0142",
                       fax="(217) 555-0143"))
    ids: dict[str, int] = {}
    for du in DEMO_USERS:
        user = s.execute(select(User).where(User.username == du.username)).scalar_one_or_none()
        if user is None:
            user = User(username=du.username, display_name=du.display_name, role=du.role,
                        password_hash=hash_password(du.password))
            s.add(user)
            s.flush()
        ids[du.role] = user.id
    if s.execute(select(Prescriber.id)).first() is None:
        s.add(Prescriber(user_id=ids["physician"], full_name="Ana Lima", credentials="MD",
                         npi="123456789" + npi_check_digit("123456789"), dea_number="AL123456" + dea_check_digit("123456"),
                         state_licence="IL 036-123456", specialty="Family Medicine"))
    if s.get(Setting, "demo") is None:
        s.add(Setting(key="demo", value_json="true"))
    uow.audit("create", "practice", None, summary="demo practice and users")
    return ids


def add_patients(uow: UnitOfWork, n: int, seed: int = 20261123, batch: int = 5000,
                 progress: Callable[[int], None] | None = None) -> list[int]:
    """Insert n patients (plus a few deliberate same-name, different-DOB pairs) with their search tokens."""
    require_system(uow)
    rng = random.Random(seed)
    s = uow.session
    start = (s.execute(select(func.max(Patient.id))).scalar() or 0) + 1
    today = date.today()
    ids: list[int] = []
    seq = start
    while seq < start + n:
        rows, tokens = [], []
        for _ in range(min(batch, start + n - seq)):
            values = _patient_values(rng, seq, today)
            if seq > start and seq % 97 == 0 and rows:  # same name as the previous patient, another birthday
                prev = rows[-1]
                values.update(given_name=prev["given_name"], family_name=prev["family_name"],
                              sex=prev["sex"], sort_key=prev["sort_key"])
            values["id"] = seq
            rows.append(values)
            tokens.extend({"token": t, "patient_id": seq} for t in search_tokens(_Ns(values), values["mrn"]))
            ids.append(seq)
            seq += 1
        s.execute(insert(Patient), rows)
        s.execute(insert(PatientToken), tokens)
        if progress:
            progress(seq - start)
    uow.audit("create", "patient", None, summary=f"{n} demo patients")
    return ids


class _Ns:
    """Attribute view of a dict, so search_tokens() can index rows before they are ORM objects."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


def ensure_named_demo_patients(uow: UnitOfWork) -> None:
    """A few patients that the README and tests talk about by name."""
    require_system(uow)
    from .patients import PatientInput, find_possible_duplicates, register_patient

    named = [
        PatientInput(given_name="Zoë", family_name="Müller", birth_date=date(1980, 1, 2), sex="female",
                     phone_mobile="(217) 555-0199", address_line1="14 Lincoln Avenue", city="Springfield", state="IL",
                     postal_code="62702", country="USA", email="zoe.muller@example.com",
                     preferred_language="German", insurance_payer="Aetna", insurance_member_id="W123456789"),
        PatientInput(given_name="José", family_name="Núñez-García", birth_date=date(1955, 7, 14), sex="male",
                     phone_home="(217) 555-0123", address_line1="902 South Grand Avenue", address_line2="Apt 3",
                     city="Springfield", state="IL", postal_code="62703", country="USA", preferred_language="Spanish"),
        PatientInput(given_name="Harold", family_name="Bennett", birth_date=date(1948, 3, 30), sex="male",
                     phone_mobile="(217) 555-0177", address_line1="2210 Lakeshore Drive", city="Springfield", state="IL",
                     postal_code="62712", country="USA", insurance_payer="Medicare",
                     insurance_member_id="1EG4TE5MK73"),
    ]
    for inp in named:
        assert inp.birth_date is not None
        if not find_possible_duplicates(uow, inp.given_name, inp.family_name, inp.birth_date):
            register_patient(uow, inp)
