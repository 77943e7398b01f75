"""Birth dates typed with a two-digit year: the century is the one that does not put the birth in the future."""

from __future__ import annotations

from datetime import date, timedelta

from desktop.services import patients


def test_a_two_digit_year_later_this_year_is_last_century():
    soon = date.today() + timedelta(days=20)  # this year's date still to come (or early next year's)
    typed = soon.strftime("%m/%d/%y")
    assert patients.parse_date(typed) == soon.replace(year=soon.year - 100)  # a centenarian, not an unborn
    past = date.today() - timedelta(days=20)
    assert patients.parse_date(past.strftime("%m/%d/%y")) == past  # a newborn stays this century
