"""import-phr's bulk write runs with a small SQLite page cache (its dirty pages go to the log, not memory); the
app keeps its 64 MB cache for searching."""

from __future__ import annotations

import pytest
from sqlalchemy import text


def _cache_size(db) -> int:
    with db.uow() as uow:
        return uow.session.execute(text("PRAGMA cache_size")).scalar_one()


def test_a_bulk_writer_asks_for_a_small_page_cache(db):
    if db.target.path is None:
        pytest.skip("SQLite only")
    assert _cache_size(db) == -65536
    db.small_page_cache(4096)
    assert _cache_size(db) == -4096  # pooled connections too, at their next checkout
