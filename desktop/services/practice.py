"""The practice's identity as shown in title bars and on paper."""

from __future__ import annotations

from sqlalchemy import select

from desktop.models import Practice

from .uow import UnitOfWork


def practice_name(uow: UnitOfWork) -> str:
    """Shown on the login page before anyone logs in, so no permission is needed."""
    return uow.session.execute(select(Practice.name).order_by(Practice.id).limit(1)).scalar() or ""
