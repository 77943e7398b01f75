"""Dates from FHIR, HL7 v3 (C-CDA), Apple Health and vendor APIs, made aware (UTC when no offset is known)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from .errors import SkipEntry

EARLIEST = date(1850, 1, 1)
_FHIR_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_HL7_TS = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?$")


def local_tz() -> timezone:
    offset = datetime.now().astimezone().utcoffset() or timedelta(0)
    return timezone(offset)


def as_aware(value: datetime) -> datetime:
    """A naive datetime read back from SQLite is UTC (we always store UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def to_utc(value: datetime) -> datetime:
    return as_aware(value).astimezone(UTC)


def as_date(value: object) -> date | None:
    """A FHIR date/dateTime value (validated model: date, datetime, or a partial 'YYYY'/'YYYY-MM' str)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        m = _FHIR_PARTIAL.match(value.strip())
        if m:
            return _safe_date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return None
    return None


def as_datetime(value: object) -> datetime | None:
    """A FHIR value as an aware datetime; a date alone becomes local midnight."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_aware(value)
    d = as_date(value)
    if d is None:
        return None
    return datetime(d.year, d.month, d.day, tzinfo=local_tz())


def hl7_ts(value: str | None) -> tuple[datetime | None, bool]:
    """HL7 v3 TS '20120910', '199805011145-0800' -> (aware datetime, has_time)."""
    if not value:
        return None, False
    m = _HL7_TS.match(value.strip())
    if not m:
        return None, False
    y, mo, d, h, mi, s, off = m.groups()
    try:
        tz = local_tz()
        if off:
            sign = -1 if off[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(off[1:3]), minutes=int(off[3:5])))
        dt = datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0), int(s or 0), tzinfo=tz)
    except ValueError:
        return None, False
    return dt, h is not None


_OFFSETS: dict[str, timezone] = {}


def _offset(text: str) -> timezone:
    tz = _OFFSETS.get(text)
    if tz is None:
        sign = -1 if text[0] == "-" else 1
        tz = _OFFSETS[text] = timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[3:5])))
    return tz


def apple_ts(value: str) -> datetime:
    """'2024-03-10 01:30:00 -0500' (fast path; Apple Health writes exactly this shape)."""
    try:
        if len(value) == 25 and value[4] == "-" and value[10] == " " and value[19] == " ":
            tz = _offset(value[20:25])
            return datetime(int(value[0:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]),
                            int(value[14:16]), int(value[17:19]), tzinfo=tz)
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z")
    except (ValueError, TypeError) as exc:
        raise SkipEntry(f"unreadable date {value[:40]!r}") from exc


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def check_past(value: date | datetime | None, what: str, *, allow_future_days: int = 1) -> None:
    """Absurd dates (before 1850, or in the future) make the entry unusable."""
    if value is None:
        return
    d = value.date() if isinstance(value, datetime) else value
    if d < EARLIEST:
        raise SkipEntry(f"{what} {d.isoformat()} is before {EARLIEST.year}")
    if d > _today() + timedelta(days=allow_future_days):
        raise SkipEntry(f"{what} {d.isoformat()} is in the future")


_TODAY: list = [None, 0.0]


def _today() -> date:
    """date.today(), looked up at most once a minute (it is asked for every reading)."""
    import time

    now = time.monotonic()
    if _TODAY[0] is None or now - _TODAY[1] > 60:
        _TODAY[0], _TODAY[1] = date.today(), now
    return _TODAY[0]
