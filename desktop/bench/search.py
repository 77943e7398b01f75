"""`search`: per-keystroke patient search on 100,000 patients (built once, cached), beside a plain indexed
SQL prefix lookup on the same database and connection pool."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import text

from . import CaseCannotRun, CaseResult, median_p95
from .context import BenchContext, cached_database

N_PATIENTS = 100_000
QUERIES = ["mull zo", "garcia jose", "smith-jones", "o'brien", "nguyen 1980", "0199", "kowalski m", "lee a",
           "jo s", "smith j", "s j", "1980-03-14"]


def _fill_search(db) -> None:
    from desktop.services import demo

    with db.uow() as uow:
        demo.create_practice_and_users(uow)
        demo.ensure_named_demo_patients(uow)
        demo.add_patients(uow, N_PATIENTS)


def _database(cache: Path):
    return cached_database(cache, "search-100000", _fill_search)


def keystrokes() -> list[str]:
    out = []
    for q in QUERIES:
        out.extend(q[:i] for i in range(1, len(q) + 1) if q[:i].strip())
    return out


def run(ctx: BenchContext) -> CaseResult:
    db = _database(Path(ctx.cache_dir))
    try:
        return _measure(db, ctx.repeat, "SQLCipher (encrypted default)")
    finally:
        db.dispose()


def run_pg(ctx: BenchContext) -> CaseResult:
    """`search_pg`: the same keystrokes on PostgreSQL (EMR_BENCH_PG_URL), 100,000 patients loaded once."""
    url = os.environ.get("EMR_BENCH_PG_URL")
    if not url:
        raise CaseCannotRun("EMR_BENCH_PG_URL is not set (postgresql+psycopg://user:password@host/db of a bench database)")
    from sqlalchemy import func, select

    from desktop.models import Patient
    from desktop.services.database import Database, DatabaseOpenError

    try:
        db = Database.open(url, create=True)
    except DatabaseOpenError as exc:
        raise CaseCannotRun(f"the database at EMR_BENCH_PG_URL cannot be opened: {exc}") from exc
    try:
        with db.engine.connect() as conn:
            have = conn.execute(select(func.count()).select_from(Patient)).scalar_one()
        if have < N_PATIENTS:
            if have:
                raise CaseCannotRun(f"the bench database holds {have} patients, not {N_PATIENTS}: give search_pg an "
                                    "empty database")
            _fill_search(db)
            # fresh statistics and visibility map, as autovacuum leaves any database that has settled: straight
            # after a bulk load an index-only scan still visits every table page (CI measured p95 12 ms so)
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        return _measure(db, ctx.repeat, "PostgreSQL")
    finally:
        db.dispose()


def _measure(db, repeat: int, database: str) -> CaseResult:
    from desktop.kb.text import fold
    from desktop.services import patients
    from desktop.services.uow import CurrentUser

    user = CurrentUser(id=1, username="bench", display_name="Bench", role="front_desk")
    plain = text("SELECT id, mrn, given_name, family_name, birth_date, sex, phone_mobile, phone_home FROM patient "
                 "WHERE sort_key >= :lo AND sort_key < :hi ORDER BY sort_key LIMIT 50")
    app_ms: list[float] = []
    ref_ms: list[float] = []
    per_query: dict[str, list[float]] = {}
    strokes = keystrokes()
    # one untimed round first, as a running app has done since its login: the pool's first connection and each
    # statement's first compile (a few ms, once per process) fell on whichever keystroke met them first
    for typed in strokes:
        with db.uow(user) as uow:
            patients.search_patients(uow, typed)
    with db.engine.connect() as conn:
        conn.execute(plain, {"lo": "a", "hi": "b"}).fetchall()
    for _ in range(max(1, repeat // 5)):
        for typed in strokes:
            t0 = time.perf_counter()
            with db.uow(user) as uow:
                patients.search_patients(uow, typed)
            took = (time.perf_counter() - t0) * 1000
            app_ms.append(took)
            per_query.setdefault(typed, []).append(took)
            lo = fold(typed)
            t0 = time.perf_counter()
            with db.engine.connect() as conn:
                conn.execute(plain, {"lo": lo, "hi": lo[:-1] + chr(ord(lo[-1]) + 1)}).fetchall()
            ref_ms.append((time.perf_counter() - t0) * 1000)
    ms, p95 = median_p95(app_ms)
    ref, ref_p95 = median_p95(ref_ms)
    worst = sorted(((min(v), k) for k, v in per_query.items()), reverse=True)[:3]
    return CaseResult(ms, p95, ref, {
        "reference": "plain SQL prefix lookup on the indexed sort key, same database",
        "reference_p95_ms": round(ref_p95, 3), "keystrokes": len(app_ms), "patients": N_PATIENTS,
        "database": database, "slowest_keystrokes_ms": {k: round(v, 2) for v, k in worst},
    })
