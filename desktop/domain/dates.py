"""How dates and times are shown to people, on screen and on paper: ISO 8601, 2026-11-19 and 2026-11-19 14:05.

One form for the whole practice. It cannot be misread whichever country the reader learnt dates in (11/12 is
November or December; a month name is English only), it is what the date fields take (QDateEdit "yyyy-MM-dd"),
and lists sorted by it are in date order. Data files (FHIR, CSV, JSON) are ISO as well, through isoformat().
"""

from __future__ import annotations

from datetime import date, datetime

DATE = "%Y-%m-%d"
TIME = "%H:%M"
QT_DATE = "yyyy-MM-dd"  # the same, for QDateEdit.setDisplayFormat
QT_DATETIME = "yyyy-MM-dd HH:mm"


def show_date(d: date | datetime | None, missing: str = "") -> str:
    """2026-11-19; a datetime is shown by its date as stored (its own time zone)."""
    if d is None:
        return missing
    return d.strftime(DATE)


def show_datetime(ts: datetime | None, missing: str = "", *, seconds: bool = False) -> str:
    """2026-11-19 14:05 (14:05:09 with seconds)."""
    if ts is None:
        return missing
    return ts.strftime(f"{DATE} {TIME}:%S" if seconds else f"{DATE} {TIME}")
