"""After the demo's bulk load the database has planner statistics where the engine needs them."""

from __future__ import annotations

from sqlalchemy import text


def test_refresh_statistics_analyses_postgres_and_leaves_sqlite_plans_alone(db, add_patient):
    add_patient(given="Ann", family="Lee")
    db.refresh_statistics()
    with db.engine.connect() as conn:
        if db.target.is_postgres:
            analysed = conn.execute(text(
                "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'patient_token'")).scalar()
            assert analysed is True
        else:
            stat_tables = conn.execute(text(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar()
            assert stat_tables == 0
