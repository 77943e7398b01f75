"""Alembic environment: the engine is handed in by desktop.models.schema (no alembic.ini URL)."""

from alembic import context

from desktop.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # `alembic revision --autogenerate` from a developer shell
    from sqlalchemy import create_engine

    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///dev-migrations.db")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=config.attributes.get("metadata", Base.metadata),
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
