"""Luhn check digits: MRNs, prescription numbers and NPIs all end in one, so a typo is caught."""

from __future__ import annotations


def luhn_digit(number: str) -> str:
    """The digit that, appended to `number`, makes the Luhn sum a multiple of 10."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    return number.isdigit() and len(number) > 1 and luhn_digit(number[:-1]) == number[-1]
