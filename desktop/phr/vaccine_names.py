"""Vaccine names by CVX code, from desktop.kb.vaccines when it is there (optional: files carry names too)."""

from __future__ import annotations

import logging
from functools import lru_cache

from desktop.kb.text import fold

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _by_cvx():
    try:
        from desktop.kb.vaccines import by_cvx
    except ImportError:
        return None
    return by_cvx


def vaccine_name(cvx: str | None) -> str | None:
    if not cvx:
        return None
    lookup = _by_cvx()
    if lookup is None:
        return None
    try:
        found = lookup(cvx)
    except Exception as exc:  # a broken vaccine list must not stop an import; the file's own name is used
        log.info("vaccine list could not resolve CVX %s: %s", cvx, exc)
        return None
    if found is None:
        return None
    return getattr(found, "name", None) or getattr(found, "display", None) or (found if isinstance(found, str) else None)


def vaccine_key(cvx: str | None, text: str) -> str:
    """The same vaccine gives the same key: its CVX code, else its folded name."""
    if cvx:
        return "cvx:" + cvx.lstrip("0").rjust(2, "0") if cvx.isdigit() else "cvx:" + cvx
    return "text:" + " ".join(fold(text).split())
