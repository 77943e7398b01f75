"""One key per allergen, however it is coded or written: 'Penicillin', RxNorm 70618 or 7980, SNOMED 373270004,
'PENICILLINS' (NDF-RT) and 'Allergy to penicillin' all give 'penicillin'."""

from __future__ import annotations

import re

from desktop.kb.text import fold

from .drugs import KNOWN_INGREDIENTS, base_ingredient
from .records import Code

# codes whose allergen is known (RxNorm ingredient codes as used by C-CDA and FHIR allergy lists)
_CODE_KEYS: dict[tuple[str, str], str] = {
    ("rxnorm", "70618"): "penicillin",
    ("rxnorm", "7980"): "penicillin",  # penicillin G: recorded as "Penicillin" in charts
    ("snomed", "373270004"): "penicillin",  # substance with penicillin structure ...
    ("snomed", "764146007"): "penicillin",  # penicillin (substance)
    ("snomed", "91936005"): "penicillin",  # allergy to penicillin
    ("snomed", "300916003"): "latex",  # latex allergy
    ("snomed", "111088007"): "latex",  # latex (substance)
}
# "no known allergy" findings
NO_KNOWN_CODES = frozenset({"716186003", "409137002", "428607008", "429625007", "1003774007"})
_NO_KNOWN_TEXT = re.compile(r"^(nka|nkda|nkfa|no known (drug |food |environmental )?allerg(y|ies))$")
_TEXT_ALIASES = {
    "penicillin g": "penicillin", "penicillin v": "penicillin", "benzylpenicillin": "penicillin",
    "penicillin g benzathine": "penicillin", "phenoxymethylpenicillin": "penicillin",
    "acetylsalicylic acid": "aspirin", "asa": "aspirin", "peanut butter": "peanut", "hen egg": "egg",
    "egg protein": "egg", "cow milk": "milk", "cows milk": "milk",
}
_PREFIX = re.compile(
    r"^(allergy|allergic|intolerance|adverse reaction|hypersensitivity|sensitivity)( reaction)? (to|for) ")
_SUFFIX = re.compile(r" (allergy|allergies|intolerance|hypersensitivity|sensitivity|product|products|"
                     r"compounds|compound|containing products|derived products|related compounds|substance)$")
_STRUCTURE = re.compile(r"substance with (\w+) structure")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NON_WORD = re.compile(r"[^a-z0-9 ]+")


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "sis")):
        return word[:-1]
    return word


def text_key(text: str) -> str:
    t = fold(text)
    m = _STRUCTURE.search(t)
    if m:
        return _singular(m.group(1))
    t = _PARENS.sub(" ", t)
    t = _NON_WORD.sub(" ", t.replace("-", " "))
    t = " ".join(t.split())
    for _ in range(3):
        t2 = _SUFFIX.sub("", _PREFIX.sub("", t)).strip()
        if t2 == t:
            break
        t = t2
    words = [_singular(w) for w in t.split()]
    t = base_ingredient(" ".join(words)) or " ".join(words)
    return _TEXT_ALIASES.get(t, t)


def allergen_key(substance: str, codes: tuple[Code, ...] | list[Code] = ()) -> str:
    for c in codes:
        key = _CODE_KEYS.get((c.system, c.code))
        if key:
            return key
        if c.system == "rxnorm" and c.code in KNOWN_INGREDIENTS:
            return KNOWN_INGREDIENTS[c.code]
    if substance:
        return text_key(substance)
    for c in codes:
        if c.display:
            return text_key(c.display)
    return ""


def is_no_known_allergy(text: str, codes: tuple[Code, ...] | list[Code] = ()) -> bool:
    if any(c.system == "snomed" and c.code in NO_KNOWN_CODES for c in codes):
        return True
    return bool(_NO_KNOWN_TEXT.match(" ".join(_NON_WORD.sub(" ", fold(text)).split())))
