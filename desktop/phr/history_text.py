"""One-line texts of history items for the review dialog (file side and chart side). No Qt."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from .history_records import HISTORY_CATEGORIES

CATEGORIES = HISTORY_CATEGORIES


def _d(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _join(*parts: Any) -> str:
    return " · ".join(str(p) for p in parts if p not in (None, ""))


def _code(system: str | None, code: str | None) -> str:
    if not code:
        return ""
    return f"{ {'snomed': 'SNOMED', 'cpt': 'CPT', 'hcpcs': 'HCPCS'}.get(system or '', (system or '').upper())} {code}"


def _social_value(x: Any) -> str:
    value = x.value_text
    if x.quantity is not None:
        value = _join(value, f"{x.quantity:g} {getattr(x, 'unit', '') or ''}".strip())
    return value


def _family(x: Any, condition: str) -> str:
    dead = ""
    if x.deceased:
        dead = f"deceased at {x.death_age}" if x.death_age is not None else "deceased"
    return _join(x.relative, condition, f"onset age {x.onset_age}" if x.onset_age is not None else "", dead)


def file_text(category: str, f: Any) -> str:
    if category == "procedures":
        return _join(f.text, _code(f.code_system, f.code), _d(f.performed), f.body_site, f.status)
    if category == "social_history":
        return _join(f.name or f.kind, _social_value(f), _d(f.observed))
    if category == "family_history":
        return _family(f, f.condition)
    return _join(_d(f.start), f.kind, f.facility, f.reason and f"reason: {f.reason}")


def chart_text(category: str, r: Any) -> str:
    if category == "procedures":
        return _join(r.text, _code(r.code_system, r.code), _d(r.performed), r.body_site, r.status)
    if category == "social_history":
        return _join(r.kind, _social_value(r), _d(r.observed))
    if category == "family_history":
        return _family(r, r.condition)
    return _join(_d(r.start), r.kind, r.facility)
