"""Dietary supplements people list among their medicines ("fish oil", "melatonin", "multivitamin") that the alert
knowledge base holds no interactions for, or whose content the name does not say: resources/kb/supplements.json,
validated once (pydantic, strict, every entry sourced). No Qt, no database.

A supplement the checks can read (calcium, iron, vitamin D3) is not listed here: it is a drug name like any other.
These stay "not checked"; the entry only says why, so the user knows it is a supplement and not a misspelling."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from pydantic import Field

from desktop.config import RESOURCES

from .schema import SourcedTable, Strict, Text, read_model
from .text import words

PATH = RESOURCES / "kb" / "supplements.json"


class SupplementEntry(Strict):
    terms: Annotated[tuple[Text, ...], Field(min_length=1)]
    why: Text  # why it is not checked, in the user's words
    source: str


class SupplementFile(SourcedTable):
    entries: tuple[SupplementEntry, ...]


class Supplements:
    """Typed words -> why the supplement is not checked (folded, punctuation ignored: "omega-3" = "omega 3")."""

    def __init__(self, doc: SupplementFile):
        self.entries = doc.entries
        self._why: dict[str, str] = {}
        for e in doc.entries:
            for term in e.terms:
                key = " ".join(words(term))
                if key in self._why:
                    raise ValueError(f"supplements.json: '{term}' is listed twice")
                self._why[key] = e.why

    def why_not_checked(self, text: str) -> str:
        """Why the supplement the whole text names is not checked; "" when it names none of them."""
        return self._why.get(" ".join(words(text)), "")


@cache
def supplements() -> Supplements:
    doc, _digest = read_model(PATH, SupplementFile)
    return Supplements(doc)
