"""Quantities in words, as written on controlled-substance prescriptions ("30 (thirty)")."""

from __future__ import annotations

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_FRACTIONS = {0.25: "one quarter", 0.5: "one half", 0.75: "three quarters"}


def _below_thousand(n: int) -> str:
    parts: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        parts.append(f"{_ONES[hundreds]} hundred")
    if rest:
        if rest < 20:
            parts.append(_ONES[rest])
        else:
            tens, ones = divmod(rest, 10)
            parts.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    return " ".join(parts)


def int_to_words(n: int) -> str:
    if n < 0:
        return "minus " + int_to_words(-n)
    if n < 20:
        return _ONES[n]
    if n >= 1_000_000_000:
        raise ValueError("number too large to write in words")
    groups: list[str] = []
    for scale, name in ((1_000_000, "million"), (1_000, "thousand"), (1, "")):
        chunk, n = divmod(n, scale)
        if chunk:
            groups.append(_below_thousand(chunk) + (f" {name}" if name else ""))
    return " ".join(groups)


def quantity_to_words(q: float) -> str:
    """30 -> 'thirty'; 7.5 -> 'seven and one half'; 2.4 -> 'two point four'."""
    if q != q or q < 0:  # NaN or negative
        raise ValueError(f"not a quantity: {q}")
    whole = int(q)
    frac = round(q - whole, 4)
    if frac == 0:
        return int_to_words(whole)
    if frac in _FRACTIONS:
        return (f"{int_to_words(whole)} and " if whole else "") + _FRACTIONS[frac]
    digits = f"{q:.4f}".rstrip("0").split(".")[1]
    return f"{int_to_words(whole)} point " + " ".join(_ONES[int(d)] for d in digits)


def format_quantity(q: float) -> str:
    """30.0 -> '30', 7.5 -> '7.5'."""
    return f"{q:.4f}".rstrip("0").rstrip(".")
