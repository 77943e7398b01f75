"""Which units a person reads vitals in: the practice's setting (US or metric), overridden by the user's own
preference. Storage stays canonical UCUM; this only decides the display (kb/display_units.py formats).

Both live in the `setting` table like the other practice settings: the practice value under PRACTICE_KEY
(administrators change it, audited), each user's choice under USER_KEY.format(id) (each user changes only
their own, audited). Without a practice value the practice's address decides: a US address (a state's
postal abbreviation or name, or a ZIP code) or none at all reads US units; any other address reads metric.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import select

# the formatting itself, for the screens (views and widgets reach the knowledge package through services)
from desktop.kb.display_units import (
    METRIC,
    SYSTEM_LABELS,
    SYSTEMS,
    US,
    both,
    display_unit,
    number,
    quantity_unit,
    text,
    to_display,
    unit_label,
)
from desktop.models import Practice, Setting

from . import settings
from .errors import ValidationError
from .permissions import Permission
from .uow import UnitOfWork

PRACTICE_KEY = "display.unit_system"
USER_KEY = "user.{id}.unit_system"
FOLLOW_PRACTICE = "practice"  # a user's choice meaning "whatever the practice uses"

# USPS state, district and territory abbreviations (pe.usps.com, Publication 28, Appendix B)
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH "
    "OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI".split())
US_STATE_NAMES = frozenset(s.casefold() for s in (
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware",
    "District of Columbia", "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas",
    "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi",
    "Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York",
    "North Carolina", "North Dakota", "Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island",
    "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington",
    "West Virginia", "Wisconsin", "Wyoming", "Puerto Rico", "Guam", "U.S. Virgin Islands"))
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


def address_is_us(state: str, postal_code: str) -> bool:
    """A US state (abbreviation or name) or a ZIP code; an empty address counts as US (the app's home)."""
    state, postal_code = (state or "").strip(), (postal_code or "").strip()
    if not state and not postal_code:
        return True
    if state:
        return state.upper().rstrip(".") in US_STATES or state.casefold() in US_STATE_NAMES
    return bool(_ZIP.match(postal_code))


def _valid(value) -> str | None:
    return value if value in SYSTEMS else None


def practice_default(uow: UnitOfWork) -> str:
    """What the practice's address implies when no administrator chose."""
    row = uow.session.execute(select(Practice.state, Practice.postal_code).order_by(Practice.id).limit(1)).first()
    return US if row is None or address_is_us(row.state, row.postal_code) else METRIC


def practice_system(uow: UnitOfWork) -> str:
    """The practice's display units: the administrator's choice, else what the address implies."""
    return _valid(settings.read_value(uow, PRACTICE_KEY)) or practice_default(uow)


def set_practice_system(uow: UnitOfWork, system: str) -> str:
    uow.require(Permission.MANAGE_SETTINGS)
    if system not in SYSTEMS:
        raise ValidationError({"unit_system": f"one of {', '.join(SYSTEMS)}"})
    settings.write_value(uow, PRACTICE_KEY, system, summary=f"vitals shown in {SYSTEM_LABELS[system]} units")
    return system


def user_choice(uow: UnitOfWork) -> str:
    """The logged-in user's own choice: 'us', 'metric' or FOLLOW_PRACTICE (also for the system actor)."""
    if uow.user.id is None:
        return FOLLOW_PRACTICE
    return _valid(settings.read_value(uow, USER_KEY.format(id=uow.user.id))) or FOLLOW_PRACTICE


def set_user_choice(uow: UnitOfWork, choice: str) -> str:
    """Each user sets only their own preference (any role: it changes what they read, not the chart)."""
    if uow.user.id is None:
        raise ValidationError({"unit_system": "only a user with an account has preferences"})
    if choice not in (*SYSTEMS, FOLLOW_PRACTICE):
        raise ValidationError({"unit_system": f"one of {', '.join((*SYSTEMS, FOLLOW_PRACTICE))}"})
    key = USER_KEY.format(id=uow.user.id)
    row = uow.session.get(Setting, key)
    if choice == FOLLOW_PRACTICE:
        if row is not None:
            uow.session.delete(row)
            uow.session.flush()
            uow.audit("update", "setting", key, summary="vitals shown in the practice's units")
        return choice
    text = f'"{choice}"'
    if row is not None and row.value_json == text:
        return choice
    if row is None:
        uow.session.add(Setting(key=key, value_json=text))
    else:
        row.value_json = text
    uow.session.flush()
    uow.audit("update", "setting", key, summary=f"vitals shown in {SYSTEM_LABELS[choice]} units for this user")
    return choice


def unit_system(uow: UnitOfWork) -> str:
    """The units this user reads: their own choice, else the practice's, else what the address implies.
    One query (the chart summary counts its queries)."""
    def setting(key: str):
        return select(Setting.value_json).where(Setting.key == key).scalar_subquery()

    user_key = USER_KEY.format(id=uow.user.id) if uow.user.id is not None else PRACTICE_KEY
    address = select(Practice.state, Practice.postal_code).order_by(Practice.id).limit(1).subquery()
    row = uow.session.execute(
        select(setting(user_key), setting(PRACTICE_KEY),
               select(address.c.state).scalar_subquery(), select(address.c.postal_code).scalar_subquery())
    ).one()
    for value in row[:2]:
        try:
            chosen = _valid(json.loads(value)) if value else None
        except ValueError:
            chosen = None
        if chosen:
            return chosen
    return US if address_is_us(row[2] or "", row[3] or "") else METRIC


def localise_alerts(uow: UnitOfWork, alerts: tuple) -> tuple:
    """Vital-sign alerts quote their value and threshold in the reader's units ('Temperature 104 °F: ... (>=
    102.2 °F)'); their key, values and every other alert stay as the engine made them (CLI and overrides)."""
    if not any(a.kind == "vital" for a in alerts):
        return alerts
    system = unit_system(uow)
    return tuple(_localised(a, system) if a.kind == "vital" else a for a in alerts)


def _localised(alert, system: str):
    from dataclasses import replace

    v = alert.values
    loinc, value, op, limit = v.get("loinc"), v.get("value"), v.get("op"), v.get("threshold")
    if not loinc or value is None or limit is None:
        return alert
    stored = f"{value:g} {v.get('unit', '')}".strip()
    shown = display_unit(loinc, system)
    if not shown or unit_label(shown) == v.get("unit"):
        return alert  # the systems agree (mmHg, /min, %): nothing to change
    tail = f"({op} {limit:g})"
    message = alert.message.replace(stored, text(loinc, value, system), 1)
    if message.endswith(tail):
        message = message[: -len(tail)] + f"({op} {text(loinc, limit, system)})"
    return replace(alert, message=message)


__all__ = ["FOLLOW_PRACTICE", "METRIC", "PRACTICE_KEY", "SYSTEMS", "SYSTEM_LABELS", "US", "USER_KEY",
           "address_is_us", "both", "localise_alerts", "display_unit", "number", "practice_default", "practice_system",
           "quantity_unit", "set_practice_system", "set_user_choice", "text", "to_display", "unit_label",
           "unit_system", "user_choice"]
