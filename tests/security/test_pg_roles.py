"""PostgreSQL: docs/postgresql-roles.sql leaves the app's role able to work but unable to UPDATE or DELETE audit
rows. Runs only with EMR_TEST_PG_URL (a role that may CREATE ROLE and CREATE DATABASE, e.g. postgres); it makes
its own database and roles and drops them afterwards, so the shared test database is not touched."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.security.conftest import run_cli

PG_URL = os.environ.get("EMR_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="needs a PostgreSQL server: set EMR_TEST_PG_URL")
SCRIPT = ROOT / "docs" / "postgresql-roles.sql"


def _url(user: str, password: str, dbname: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_URL).set(username=user, password=password, database=dbname).render_as_string(
        hide_password=False)


def _admin_exec(sql: str, dbname: str | None = None) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(PG_URL)
    with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                         dbname=dbname or u.database, autocommit=True) as conn:
        conn.execute(sql)


def _run_script(url: str, path: Path) -> None:
    """What `psql -f docs/postgresql-roles.sql` does (the script is plain SQL, no psql meta-commands)."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                         dbname=u.database, autocommit=True) as conn:
        conn.execute(path.read_text("utf-8"))


@pytest.fixture
def pg_practice():
    """A fresh database owned by emr_owner, schema by the owner, grants by the script; yields the two URLs."""
    suffix = secrets.token_hex(4)
    dbname = f"emr_roles_{suffix}"
    owner_pw, app_pw = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    _admin_exec(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'emr_owner') THEN CREATE ROLE emr_owner LOGIN; END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'emr_app') THEN CREATE ROLE emr_app LOGIN; END IF;
        END $$;
        ALTER ROLE emr_owner LOGIN PASSWORD '{owner_pw}';
        ALTER ROLE emr_app LOGIN PASSWORD '{app_pw}' NOSUPERUSER NOCREATEDB NOCREATEROLE;
    """)
    _admin_exec(f"CREATE DATABASE {dbname} OWNER emr_owner")
    _admin_exec("REVOKE ALL ON DATABASE " + dbname + " FROM PUBLIC; GRANT CONNECT ON DATABASE " + dbname +
                " TO emr_app; ALTER SCHEMA public OWNER TO emr_owner", dbname)
    owner_url = _url("emr_owner", owner_pw, dbname)
    app_url = _url("emr_app", app_pw, dbname)
    from desktop.services.database import Database

    Database.open(owner_url, create=True).dispose()  # the owner makes the schema (migrations)
    _run_script(owner_url, SCRIPT)
    try:
        yield owner_url, app_url
    finally:
        from sqlalchemy import create_engine

        create_engine(PG_URL).dispose()
        _admin_exec(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        _admin_exec("DROP OWNED BY emr_app; DROP ROLE IF EXISTS emr_app", None)


def test_app_role_works_but_cannot_change_the_audit_log(pg_practice):
    import psycopg
    from sqlalchemy import text

    from desktop.services import auth, patients, users
    from desktop.services.audit import verify_chain
    from desktop.services.database import Database
    from desktop.services.patients import PatientInput
    from desktop.services.settings import PracticeInput
    from desktop.services.users import NewUser

    owner_url, app_url = pg_practice
    db = Database.open(app_url)
    try:
        # everyday work through the app's role: first run, login, register, open a chart
        with db.uow() as uow:
            admin = users.setup_practice(uow, PracticeInput(name="PG Practice"),
                                         NewUser("boss", "Pat Boss", "admin", "long enough", "long enough"))
        with db.uow(admin) as uow:
            users.add_user(uow, NewUser("doc", "Dr Doc", "physician", "doc password", "doc password"))
        with db.uow() as uow:
            doc = auth.login(uow, "doc", "doc password").user
        from datetime import date

        with db.uow(doc) as uow:
            p = patients.register_patient(uow, PatientInput(given_name="Ann", family_name="Pg",
                                                            birth_date=date(1970, 1, 1), sex="female"))
        with db.uow(doc) as uow:
            patients.record_chart_open(uow, p.id)
        with db.uow() as uow:
            report = verify_chain(uow.session)
        assert report.ok and report.rows >= 5

        # behind the app's back, with the app's own credentials: refused by the server
        for sql in ("UPDATE audit_log SET summary = 'x' WHERE id = 1", "DELETE FROM audit_log WHERE id = 2",
                    "TRUNCATE audit_log", "DELETE FROM audit_head", "INSERT INTO audit_head VALUES (2, 0, 'x')",
                    "DROP TABLE patient", "UPDATE alembic_version SET version_num = 'x'"):
            with db.engine.connect() as conn, pytest.raises(Exception) as err:
                conn.execute(text(sql))
            assert isinstance(err.value.orig, psycopg.errors.InsufficientPrivilege), sql
    finally:
        db.dispose()

    # even the owner cannot edit or delete audit rows while the trigger is in place
    owner = Database.open(owner_url, upgrade=False)
    try:
        for sql in ("UPDATE audit_log SET summary = 'x' WHERE id = 1", "DELETE FROM audit_log WHERE id = 1"):
            with owner.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
                conn.execute(text(sql))
    finally:
        owner.dispose()

    # the check-db command, run as the app's role, finds the chain intact
    result = run_cli("check-db", "--db", app_url)
    assert result.returncode == 0, result.stderr
    assert "audit chain" in result.stdout and "intact" in result.stdout


def test_script_is_idempotent(pg_practice):
    owner_url, _app_url = pg_practice
    _run_script(owner_url, SCRIPT)  # after an upgrade the administrator runs it again
    _run_script(owner_url, SCRIPT)
