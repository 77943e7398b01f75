"""What every bench case gets: a cache folder for built databases and the repeat count."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class BenchContext:
    cache_dir: Path  # databases built once and reused between runs (e.g. 100,000 patients)
    repeat: int = 15


# a fixed raw SQLCipher key: the bench measures the encrypted default without needing a keyring
BENCH_KEY = "6d" * 32


def schema_fingerprint() -> str:
    """Short hash of the tables and columns: a cached database made for another schema is not reused."""
    import hashlib

    from desktop.models import Base

    shape = ";".join(f"{t.name}:{','.join(f'{c.name} {c.type}' for c in t.columns)}"
                     for t in Base.metadata.sorted_tables)
    return hashlib.sha1(shape.encode()).hexdigest()[:10]


def cached_database(cache_dir: Path, stem: str, fill):
    """An encrypted database built once by `fill(db)` and kept in the bench cache (e.g. 100,000 patients)."""
    from desktop.config import DbTarget
    from desktop.models.engine import DbKey, check_openable
    from desktop.models.schema import create_or_upgrade
    from desktop.services.database import Database

    path = Path(cache_dir) / f"{stem}-{schema_fingerprint()}.db"
    target = DbTarget(url=f"sqlcipher:///{path}", encrypted=True, path=path)
    key = DbKey(raw_hex=BENCH_KEY)
    partial = path.with_name(path.name + ".building")
    if partial.exists():  # an interrupted build: start again
        path.unlink(missing_ok=True)
    fresh = not path.exists()
    if fresh:
        partial.touch()
    db = Database(target, check_openable(target, key), key)
    create_or_upgrade(db.engine)
    if fresh:
        fill(db)
        partial.unlink()
    return db
