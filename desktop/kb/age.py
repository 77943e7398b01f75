"""Age, computed one way for the whole app: by the calendar, so a patient is 18 on the 18th birthday.

Thresholds in the knowledge base (pediatric bands, "18 years and over") compare against `age_years`. Days
divided by 365.25 is not used anywhere: it puts a patient still at 17.998 on the 18th birthday.
A 29 February birthday falls on 1 March in common years (the day after 28 February).
"""

from __future__ import annotations

from datetime import date


def _birthday_in(birth: date, year: int) -> date:
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def completed_years(birth: date, on: date | None = None) -> int:
    """Whole years of life on `on` (today by default): the age people say."""
    on = on or date.today()
    years = on.year - birth.year
    return max(0, years - 1 if on < _birthday_in(birth, on.year) else years)


def age_years(birth: date | None, on: date | None = None) -> float | None:
    """Age in years with the fraction of the current year of life: completed years + days since the last
    birthday / days between the last and the next birthday. None without a birth date; 0 before birth."""
    if birth is None:
        return None
    on = on or date.today()
    if on <= birth:
        return 0.0
    whole = completed_years(birth, on)
    last = _birthday_in(birth, birth.year + whole)
    following = _birthday_in(birth, birth.year + whole + 1)
    return whole + (on - last).days / (following - last).days


def completed_months(birth: date, on: date | None = None) -> int:
    on = on or date.today()
    months = (on.year - birth.year) * 12 + on.month - birth.month - (on.day < birth.day)
    return max(months, 0)


def age_label(birth: date | None, on: date | None = None) -> str:
    """'47 y'; under two years in months ('14 mo'); under a month in days ('10 d'); '' without a birth date."""
    if birth is None:
        return ""
    on = on or date.today()
    years = completed_years(birth, on)
    if years >= 2:
        return f"{years} y"
    months = completed_months(birth, on)
    return f"{months} mo" if months >= 1 else f"{max((on - birth).days, 0)} d"
