"""Text folding shared by search, matching and de-duplication."""

from __future__ import annotations

import re
import unicodedata

# letters that Unicode does not decompose into base + accent
_EXTRA = str.maketrans({"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ł": "l", "Ł": "l",
                        "đ": "d", "Đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def fold(value: str) -> str:
    """Lower-case, accents removed, whitespace collapsed: 'Zoë  MÜLLER' -> 'zoe muller'."""
    if not value:
        return ""
    value = value.translate(_EXTRA)
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def words(value: str) -> list[str]:
    """Folded words; punctuation (hyphens, apostrophes) separates: "O'Brien-Smith" -> ['o', 'brien', 'smith']."""
    return _WORD.findall(fold(value))


def digits(value: str) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())
