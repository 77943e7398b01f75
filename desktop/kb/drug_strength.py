"""A strength typed after a free-text drug name ("HCTZ25", "ASA81", "HCTZ 25mg", "APAP 500", "amoxicillin
500 mg caps"): split off so the name alone can be looked up. No Qt, no database.

Only a trailing amount (with an optional unit and dose form) is split, after a name of at least two letters ("T3"
and "K20" stay as typed); "vitamin D3 1000 units" keeps its D3. Callers look the whole text up first, so "B12",
"vit d3" and "peg 3350" never reach this. Whether the
split is believable (a bare number after a brand may be part of its name: "Tylenol 3" is Tylenol with Codeine)
is the caller's decision, which knows the products: see `unit` and `amount`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = r"mg|mcg|µg|ug|g|gm|grams?|ml|l|meq|mmol|units?|iu|%"  # a strength's units, as a regex alternation
_PER = rf"(?:\s*/\s*(?:\d+(?:\.\d+)?\s*)?(?:{UNITS}|hr|h|dose|actuation))"
_FORM = r"tabs?|tablets?|caps?|capsules?|po|oral"
_TRAILING = re.compile(
    rf"^(?P<name>.*?(?:[^\W\d_][\s\-]?|\w[\s\-]))(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>(?:{UNITS}){_PER}?)?"
    rf"(?:\s+(?:{_FORM}))*\.?\s*$",
    re.IGNORECASE,
)
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class NamedStrength:
    name: str  # as typed, without the strength: "HCTZ"
    amount: str  # "25", "2.5"
    unit: str  # "mg", "mg/5 ml"; "" when only a number was typed

    @property
    def has_unit(self) -> bool:
        return bool(self.unit)


def split_strength(text: str) -> NamedStrength | None:
    """The name and the strength after it; None when the text does not end in a strength after a name of at
    least two letters."""
    m = _TRAILING.match(" ".join((text or "").split()))
    if m is None:
        return None
    name = m.group("name").rstrip(" -")
    if len(_LETTER.findall(name)) < 2:
        return None
    unit = " ".join((m.group("unit") or "").lower().split())
    return NamedStrength(name=name, amount=m.group("amount"), unit=unit)
