"""Patient registry behaviour, in the words of the front desk."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from desktop.models import AuditEntry, Patient
from desktop.services import patients
from desktop.services.check_digits import luhn_ok
from desktop.services.errors import ConflictError, PermissionDenied, ValidationError
from desktop.services.patients import PatientInput, PossibleDuplicate


def names(rows):
    return [r.display_name for r in rows]


def test_name_parts_in_any_order_partial_and_accent_insensitive(as_role, add_patient):
    add_patient(given="Zoë", family="Müller", birth_date=date(1980, 1, 2))
    add_patient(given="Zoltan", family="Mullins", birth_date=date(1975, 3, 4))
    with as_role("front_desk") as uow:
        assert names(patients.search_patients(uow, "mull zo")) == ["Müller, Zoë", "Mullins, Zoltan"]
        assert names(patients.search_patients(uow, "müller zoë")) == ["Müller, Zoë"]
        assert names(patients.search_patients(uow, "ZOE MULLER")) == ["Müller, Zoë"]
        assert names(patients.search_patients(uow, "zoe mull")) == ["Müller, Zoë"]
        assert patients.search_patients(uow, "mullerx") == []


def test_first_last_and_last_first_both_work(as_role, add_patient):
    add_patient(given="Harold", family="Bennett")
    with as_role("nurse") as uow:
        assert names(patients.search_patients(uow, "harold bennett")) == ["Bennett, Harold"]
        assert names(patients.search_patients(uow, "bennett, harold")) == ["Bennett, Harold"]


def test_hyphenated_and_apostrophe_names(as_role, add_patient):
    add_patient(given="José", family="Núñez-García")
    add_patient(given="Aoife", family="O'Brien")
    with as_role("front_desk") as uow:
        assert names(patients.search_patients(uow, "garcia jose")) == ["Núñez-García, José"]
        assert names(patients.search_patients(uow, "nunezgarcia")) == ["Núñez-García, José"]
        assert names(patients.search_patients(uow, "obrien")) == ["O'Brien, Aoife"]
        assert names(patients.search_patients(uow, "o'brien aoi")) == ["O'Brien, Aoife"]


@pytest.mark.parametrize("typed", ["1980-01-02", "01/02/1980", "1/2/1980", "02.01.1980", "19800102", "2 Jan 1980"])
def test_birth_date_in_common_formats(as_role, add_patient, typed):
    add_patient(given="Zoë", family="Müller", birth_date=date(1980, 1, 2))
    add_patient(given="Other", family="Person", birth_date=date(1980, 2, 1))
    with as_role("front_desk") as uow:
        assert names(patients.search_patients(uow, typed)) == ["Müller, Zoë"]


def test_birth_date_combined_with_name(as_role, add_patient):
    add_patient(given="Maria", family="Garcia", birth_date=date(1990, 5, 5))
    add_patient(given="Maria", family="Garcia", birth_date=date(1961, 7, 8))
    with as_role("front_desk") as uow:
        rows = patients.search_patients(uow, "garcia 1961-07-08")
    assert [r.birth_date for r in rows] == [date(1961, 7, 8)]


def test_mrn_and_phone_digits(as_role, add_patient):
    p = add_patient(given="Zoë", family="Müller", phone_mobile="(217) 555-0199")
    with as_role("front_desk") as uow:
        assert names(patients.search_patients(uow, p.mrn)) == ["Müller, Zoë"]
        assert names(patients.search_patients(uow, "217-555-0199")) == ["Müller, Zoë"]
        assert names(patients.search_patients(uow, "5550199")) == ["Müller, Zoë"]
        assert names(patients.search_patients(uow, "0199")) == ["Müller, Zoë"]


def test_several_words_all_match_and_the_page_is_capped(as_role, add_patient):
    for i in range(12):
        add_patient(given=f"Anna{chr(97 + i)}", family="Smith", birth_date=date(1950 + i, 1, 1))
    add_patient(given="Quinn", family="Smith", birth_date=date(1990, 1, 1))
    add_patient(given="Quinn", family="Adams", birth_date=date(1991, 1, 1))
    with as_role("front_desk") as uow:
        assert names(patients.search_patients(uow, "smith q")) == ["Smith, Quinn"]
        assert names(patients.search_patients(uow, "q smi")) == ["Smith, Quinn"]
        page = patients.search_patients(uow, "smith anna", limit=5)
        assert len(page) == 5 and all(n.startswith("Smith, Anna") for n in names(page))
        assert names(page) == sorted(names(page))
        assert patients.search_patients(uow, "smith zz") == []


def test_the_rarest_short_word_drives_the_scan(as_role, add_patient):
    for i in range(8):
        add_patient(given="Al", family=f"Abbot{chr(97 + i)}")
    add_patient(given="Al", family="Quist")
    with as_role("front_desk") as uow:
        conn = uow.read_connection()
        # 'a' matches every patient, 'q' one: scanning 'q' and checking 'a' per row is the cheap way round
        assert patients._driver_first(conn, ("a", "q"))[0] == "q"
        assert names(patients.search_patients(uow, "a q")) == ["Quist, Al"]


def test_rows_carry_what_the_table_shows(as_role, add_patient):
    born = date.today().replace(year=date.today().year - 40) - timedelta(days=1)
    add_patient(given="Ann", family="Lee", birth_date=born, sex="female", phone_home="(217) 555-0123")
    with as_role("front_desk") as uow:
        (row,) = patients.search_patients(uow, "ann lee")
    assert (row.age, row.sex, row.phone, row.birth_date) == ("40 y", "female", "(217) 555-0123", born)
    assert len(row.mrn) == 8 and luhn_ok(row.mrn)


def test_empty_and_junk_queries_are_harmless(as_role, add_patient):
    add_patient()
    with as_role("front_desk") as uow:
        assert patients.search_patients(uow, "") == []
        assert patients.search_patients(uow, "   ") == []
        assert patients.search_patients(uow, "%_'; DROP TABLE patient; --") == []
        assert patients.search_patients(uow, "x" * 5000) == []
    with as_role("front_desk") as uow:
        assert uow.session.execute(select(func.count(Patient.id))).scalar() == 1


def test_age_text_for_babies():
    today = date(2026, 11, 23)
    assert patients.age_text(date(2026, 11, 13), today) == "10 d"
    assert patients.age_text(date(2025, 9, 1), today) == "14 mo"
    assert patients.age_text(date(1980, 11, 24), today) == "45 y"


def test_validation_messages_per_field(as_role):
    bad = PatientInput(given_name="", family_name="X", birth_date=date.today() + timedelta(days=1), sex="",
                       phone_mobile="12", email="not-an-email")
    with as_role("front_desk") as uow, pytest.raises(ValidationError) as caught:
        patients.register_patient(uow, bad)
    assert set(caught.value.errors) == {"given_name", "birth_date", "sex", "phone_mobile", "email"}
    assert "future" in caught.value.errors["birth_date"]


def test_each_field_is_held_to_its_own_column_length(as_role, db):
    """Names are 100 characters, a postal code 20: a longer value is refused at its field on every database
    (PostgreSQL failed the save with a database error where SQLite stored it)."""
    long = PatientInput(given_name="Ana", family_name="Villanueva" * 11, birth_date=date(1990, 5, 17), sex="female",
                        postal_code="6" * 21, address_line1="1 Main Street")
    with as_role("front_desk") as uow, pytest.raises(ValidationError) as caught:
        patients.register_patient(uow, long)
    assert caught.value.errors == {"family_name": "Too long (100 characters at most)",
                                   "postal_code": "Too long (20 characters at most)"}
    with db.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Patient)) == 0
    fits = replace(long, family_name="Villanueva" * 10, postal_code="6" * 20)
    with as_role("front_desk") as uow:
        stored = patients.register_patient(uow, fits)
    assert stored.data.family_name == "Villanueva" * 10


def test_same_name_and_birth_date_is_a_possible_duplicate(as_role, add_patient, db):
    first = add_patient(given="Zoë", family="Müller", birth_date=date(1980, 1, 2))
    inp = PatientInput(given_name="zoe", family_name="MULLER", birth_date=date(1980, 1, 2), sex="female")
    with as_role("front_desk") as uow, pytest.raises(PossibleDuplicate) as caught:
        patients.register_patient(uow, inp)
    assert [c.mrn for c in caught.value.candidates] == [first.mrn]
    with as_role("front_desk") as uow:  # confirmed: a different person with the same name and birthday
        second = patients.register_patient(uow, inp, allow_duplicate=True)
    assert second.mrn != first.mrn
    # same name, other birth date: no warning
    with as_role("front_desk") as uow:
        patients.register_patient(uow, PatientInput(given_name="Zoë", family_name="Müller",
                                                    birth_date=date(1981, 1, 2), sex="female"))


def test_edit_with_stale_version_raises_conflict_with_both_versions(as_role, add_patient):
    p = add_patient(given="Ann", family="Lee", phone_home="(217) 555-0001")
    # workstation A saves first
    with as_role("front_desk") as uow:
        a = patients.update_patient(uow, p.id, replace(p.data, **{"phone_home": "(217) 555-0002"}),
                                    p.version)
    assert a.version == p.version + 1
    # workstation B still holds the old version
    mine = replace(p.data, **{"email": "ann@example.com"})
    with as_role("nurse") as uow, pytest.raises(ConflictError) as caught:
        patients.update_patient(uow, p.id, mine, p.version)
    c = caught.value
    assert c.theirs["phone_home"] == "(217) 555-0002" and c.mine["email"] == "ann@example.com"
    assert c.their_version == a.version and c.changed_by == "Sam Ortiz"
    with as_role("nurse") as uow:  # nothing was overwritten
        assert patients.get_patient(uow, p.id).data.phone_home == "(217) 555-0002"


def test_changes_and_chart_opens_are_audited_and_recent(as_role, add_patient, db):
    p = add_patient(given="Ann", family="Lee")
    with as_role("nurse") as uow:
        patients.record_chart_open(uow, p.id)
    with as_role("nurse") as uow:
        recent = patients.recent_patients(uow)
        actions = uow.session.execute(
            select(AuditEntry.action, AuditEntry.username).where(AuditEntry.patient_id == p.id).order_by(AuditEntry.id)
        ).all()
    assert [r.id for r in recent] == [p.id]
    assert [tuple(a) for a in actions] == [("create", "drlima"), ("view", "nquinn")]


def test_admin_cannot_register_patients(as_role):
    inp = PatientInput(given_name="A", family_name="B", birth_date=date(1990, 1, 1), sex="male")
    with as_role("admin") as uow, pytest.raises(PermissionDenied):
        patients.register_patient(uow, inp)


@pytest.mark.parametrize("text,expected", [
    ("1980-01-02", date(1980, 1, 2)), ("01/02/1980", date(1980, 1, 2)), ("02.01.1980", date(1980, 1, 2)),
    ("2 January 1980", date(1980, 1, 2)), ("01/02/85", date(1985, 1, 2)), ("1980-13-45", None), ("hello", None),
    ("12345678", None),
])
def test_parse_date(text, expected):
    assert patients.parse_date(text) == expected


def test_a_rare_second_word_is_found_behind_hundreds_of_matches_of_the_first(db, as_role):
    """The walk reads the driving word's tokens in batches (PostgreSQL) or in one statement (SQLite): the three
    Josés registered after 260 Marías Garcia are found, and a page of a common name stops at the limit."""
    with as_role("physician") as uow:
        for n in range(260):
            patients.register_patient(uow, PatientInput(given_name="Maria", family_name="Garcia", sex="female",
                                                        birth_date=date(1950, 1, 1) + timedelta(days=n)),
                                      allow_duplicate=True)
        for n in range(3):
            patients.register_patient(uow, PatientInput(given_name="José", family_name="Garcia", sex="male",
                                                        birth_date=date(1980, 1, 1) + timedelta(days=n)),
                                      allow_duplicate=True)
    with as_role("front_desk") as uow:
        assert names(patients.search_patients(uow, "garcia jo")) == ["Garcia, José"] * 3
        assert names(patients.search_patients(uow, "jos garc")) == ["Garcia, José"] * 3
        assert len(patients.search_patients(uow, "garcia", limit=50)) == 50
        assert len(patients.search_patients(uow, "garcia m", limit=300)) == 260
        assert patients.search_patients(uow, "garcia jox") == []


@pytest.mark.parametrize(("given", "family"), [
    ("Jose", "Nunez Garcia"),  # issue 14.6: accents and the hyphen dropped at the front desk
    ("José", "García Núñez"),  # word order
    ("Garcia", "Jose Nunez"),  # given and family swapped
    ("Pepe", "Núñez-García"),  # common nickname
    ("José", "Núñez"),  # second family name left out
])
def test_duplicate_detection_ignores_accents_hyphens_order_and_nicknames(as_role, add_patient, given, family):
    first = add_patient(given="José", family="Núñez-García", birth_date=date(1955, 7, 14), sex="male")
    inp = PatientInput(given_name=given, family_name=family, birth_date=date(1955, 7, 14), sex="male")
    with as_role("front_desk") as uow, pytest.raises(PossibleDuplicate) as caught:
        patients.register_patient(uow, inp)
    assert [c.mrn for c in caught.value.candidates] == [first.mrn]


def test_nicknames_and_different_people_on_the_same_birthday(as_role, add_patient):
    add_patient(given="William", family="Smith", birth_date=date(1960, 3, 3), sex="male")
    with as_role("front_desk") as uow:
        assert patients.find_possible_duplicates(uow, "Bill", "Smith", date(1960, 3, 3))
        assert not patients.find_possible_duplicates(uow, "Robert", "Smith", date(1960, 3, 3))
        assert not patients.find_possible_duplicates(uow, "Smith", "", date(1960, 3, 3))


@pytest.mark.parametrize("paths", ["as chosen", "walks only"])
def test_every_search_path_finds_exactly_the_patients_having_every_word(db, as_role, monkeypatch, paths):
    """Whichever way the words are matched (one statement on SQLite; on PostgreSQL a walk of the rarest word, or
    an intersection of the words' token ranges when they rarely meet), the answer is every active patient with
    a word starting with each typed word, in name order, when they fit on a page. A few patients' words always
    look rare: "walks only" makes PostgreSQL walk them (past the first tokens too) as it does a large practice's."""
    import random

    if paths == "walks only":
        monkeypatch.setattr(patients, "_PG_INTERSECT_CAP", -1)
        monkeypatch.setattr(patients, "_PG_SHORT_CAP", -1)

    rng = random.Random(11)
    givens = ("Jose", "John", "Joanna", "Maria", "Mark", "Sam", "Sara", "Lee", "Zoe", "Ann")
    families = ("Garcia", "Smith", "Jones", "Lee", "Mullins", "Muller", "Nguyen", "Ozawa", "Salas", "Adams")
    people = []
    with as_role("physician") as uow:
        for _n in range(150):
            inp = PatientInput(given_name=rng.choice(givens), family_name=rng.choice(families), sex="female",
                               birth_date=date(1940, 1, 1) + timedelta(days=rng.randint(0, 25000)))
            made = patients.register_patient(uow, inp, allow_duplicate=True)
            people.append((made.id, made.mrn, inp))
    queries = ("garcia jo", "jo garcia", "s j", "j s", "mull z", "lee a", "a lee", "sa sa", "m m", "jones jo",
               "nguyen 19", "zoe", "o",
               "garcia jo 19", "jones sa s", "s j a", "0000 jo", "0000 s j")  # 0000: every MRN
    with as_role("front_desk") as uow:
        for q in queries:
            words = patients.parse_query(q).prefixes
            expected = {pid for pid, mrn, inp in people
                        if all(any(t.startswith(w) for t in patients.search_tokens(inp, mrn)) for w in words)}
            found = patients.search_patients(uow, q, limit=500)
            assert {r.id for r in found} == expected, q
            assert [(r.family_name, r.given_name) for r in found] == sorted(
                (r.family_name, r.given_name) for r in found), q


def test_a_patient_found_through_several_tokens_counts_once_and_the_page_still_fills(as_role, add_patient):
    """Every name part of one patient starts with 'aa': the walk meets her three times before anyone else, and a
    page of two still holds two patients (on PostgreSQL the walk asks again past the repeats)."""
    first = add_patient(given="Aab", middle_name="Aac", family="Aad")
    second = add_patient(given="Aae", family="Aaf")
    add_patient(given="Aag", family="Aah")
    with as_role("front_desk") as uow:
        assert [r.id for r in patients.search_patients(uow, "aa", limit=2)] == [first.id, second.id]
        assert len(patients.search_patients(uow, "aa", limit=3)) == 3


@pytest.fixture
def second_workstation(db_url):
    """The same database opened by another computer (its own connection pool)."""
    from desktop.services.database import Database

    other = Database.open(db_url)
    yield other
    other.dispose()


def test_search_is_refused_on_the_next_keystroke_after_another_workstation_disables_the_account(
        db, as_role, add_patient, second_workstation):
    from desktop.services import users
    from tests.conftest import user_for

    add_patient(given="Ann", family="Lee")
    with as_role("front_desk") as uow:
        assert names(patients.search_patients(uow, "lee")) == ["Lee, Ann"]
    with second_workstation.uow(user_for("admin")) as uow:
        users.disable_user(uow, user_for("front_desk").id, "left the practice")
    # every path of the search: one word, two long words, two short words, a birth date, nothing typed
    for typed in ("lee", "lee ann", "le a", "1970-05-06", ""):
        with as_role("front_desk") as uow, pytest.raises(PermissionDenied, match="disabled"):
            patients.search_patients(uow, typed)
    with second_workstation.uow(user_for("admin")) as uow:
        users.enable_user(uow, user_for("front_desk").id)
    with as_role("front_desk") as uow:
        assert names(patients.search_patients(uow, "lee a")) == ["Lee, Ann"]


def test_search_by_an_account_that_no_longer_exists_is_refused(db, add_patient):
    from desktop.services.uow import CurrentUser

    add_patient(given="Ann", family="Lee")
    stranger = CurrentUser(id=987654, username="stranger", display_name="Stranger", role="front_desk")
    for typed in ("lee", "lee ann", "1970-05-06"):
        with db.uow(stranger) as uow, pytest.raises(PermissionDenied, match="no longer exists"):
            patients.search_patients(uow, typed)


def test_on_postgresql_a_keystroke_checks_the_account_in_its_search_statement(db, as_role, add_patient, monkeypatch):
    """The account check travels inside the search's first statement: a one-word keystroke is one statement
    (besides the pool's liveness ping). A disabled account's search statement answers nothing, and the check
    that follows refuses."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a round trip is what PostgreSQL's check costs; SQLite reads its own file")
    import psycopg

    from desktop.services import users
    from tests.conftest import user_for

    add_patient(given="Ann", family="Lee")
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counting(cursor, query, *args, **kwargs):
        if str(query).strip() not in ("", ";", "SELECT 1"):  # the pool's pre-ping
            sent.append(str(query))
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counting)
    with as_role("front_desk") as uow:
        assert names(patients.search_patients(uow, "lee")) == ["Lee, Ann"]
    assert len(sent) == 1 and "app_user" in sent[0] and "patient_token" in sent[0]
    with as_role("admin") as uow:
        users.disable_user(uow, user_for("front_desk").id, "left")
    sent.clear()
    fetched: list = []
    fetch = patients._fetch
    monkeypatch.setattr(patients, "_fetch", lambda *args: fetched.append(fetch(*args)) or fetched[-1])
    with as_role("front_desk") as uow, pytest.raises(PermissionDenied, match="disabled"):
        patients.search_patients(uow, "lee")
    assert fetched == [[]] and "patient_token" in sent[0]
