"""Migrations: they build exactly the models, upgrade an older database after a backup, refuse a newer one."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from desktop.config import resolve_db
from desktop.models import Base
from desktop.models.engine import make_engine
from desktop.models.schema import SchemaError, alembic_config, head_revision
from desktop.services.database import Database


def test_migrations_produce_the_models(tmp_path):
    engine = make_engine(resolve_db(f"sqlite:///{tmp_path / 'm.db'}"))
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations differ; generate a migration: {diff[:5]}"


def test_older_database_is_upgraded_after_a_backup(tmp_path):
    path = tmp_path / "old.db"
    engine = make_engine(resolve_db(f"sqlite:///{path}"))
    script = ScriptDirectory.from_config(alembic_config())
    previous = script.get_revision(head_revision()).down_revision
    assert previous, "keep at least two migrations so that the upgrade path is exercised"
    command.upgrade(alembic_config(engine), previous)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO patient (mrn, given_name, middle_name, family_name, birth_date, sex, gender_identity,"
            " address_line1, address_line2, city, state, postal_code, country, phone_home, phone_mobile, email,"
            " preferred_language, emergency_name, emergency_relation, emergency_phone, insurance_payer,"
            " insurance_member_id, active, sort_key, version, created_at, updated_at) VALUES ('00000018', 'Old',"
            " '', 'Timer', '1950-01-01', 'male', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '',"
            " 1, 'timer old', 1, '2020-01-01', '2020-01-01')"))
    engine.dispose()
    db = Database.open(f"sqlite:///{path}")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
        assert conn.execute(text("SELECT given_name FROM patient")).scalar() == "Old"
    backups = list(tmp_path.glob("old.before-upgrade-*.db"))
    assert len(backups) == 1
    with create_engine(f"sqlite:///{backups[0]}").connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == previous


def test_newer_database_is_refused_untouched(tmp_path):
    path = tmp_path / "new.db"
    Database.open(f"sqlite:///{path}", create=True).dispose()
    with create_engine(f"sqlite:///{path}").begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    before = path.read_bytes()
    with pytest.raises(SchemaError, match="newer version"):
        Database.open(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_every_editable_table_has_a_version_column():
    from desktop.models import base

    editable = [m for m in Base.registry.mappers if issubclass(m.class_, base.ClinicalRow)]
    assert len(editable) >= 7
    for mapper in editable:
        assert mapper.version_id_col is not None, mapper.class_.__name__
    from desktop.models import Patient

    assert Patient.__mapper__.version_id_col is not None


def test_the_head_read_off_the_migration_files_is_alembics(tmp_path):
    """An up-to-date database opens without loading Alembic: the head read off the files' revision lines must be
    Alembic's, and any other database (empty, older) still goes Alembic's way."""
    from desktop.models import schema

    assert schema._plain_head() == head_revision()
    engine = make_engine(resolve_db(f"sqlite:///{tmp_path / 'q.db'}"))
    assert schema._up_to_date(engine) is None  # empty: no version table
    script = ScriptDirectory.from_config(alembic_config())
    command.upgrade(alembic_config(engine), script.get_revision(head_revision()).down_revision)
    assert schema._up_to_date(engine) is None  # older
    command.upgrade(alembic_config(engine), "head")
    assert schema._up_to_date(engine) == schema.SchemaState(head_revision(), head_revision(), True)
