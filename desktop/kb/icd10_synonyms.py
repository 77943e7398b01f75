"""What clinicians type for common diagnoses ("htn", "ckd 3", "afib", "reflux") and the ICD-10-CM codes it means:
resources/kb/icd10_synonyms.json, validated once (pydantic, strict, every entry sourced). No Qt, no database."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from pydantic import Field, StringConstraints

from desktop.config import RESOURCES

from .schema import SourcedTable, Strict, Text, read_model
from .text import fold

PATH = RESOURCES / "kb" / "icd10_synonyms.json"
IcdCodeText = Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")]


class SynonymEntry(Strict):
    terms: Annotated[tuple[Text, ...], Field(min_length=1)]
    codes: Annotated[tuple[IcdCodeText, ...], Field(min_length=1)]  # most likely first
    name: Text
    source: str


class SynonymFile(SourcedTable):
    entries: tuple[SynonymEntry, ...]


class Synonyms:
    """Typed text (folded: case, accents, extra spaces) -> codes, in the table's order."""

    def __init__(self, doc: SynonymFile):
        self.entries = doc.entries
        self.by_term: dict[str, tuple[str, ...]] = {}
        self._spelled: dict[str, tuple[str, ...]] = {}  # typed term -> the entries' written-out terms
        for e in doc.entries:
            # written-out names: every word a real word (not "a fib", "a-fib", "ckd 3")
            longest = tuple(t for t in e.terms if all(len(w) >= 4 and w.replace("-", "").isalpha() for w in t.split()))
            for term in e.terms:
                key = fold(term)
                self.by_term[key] = tuple(dict.fromkeys(self.by_term.get(key, ()) + e.codes))
                self._spelled[key] = tuple(dict.fromkeys(
                    self._spelled.get(key, ()) + tuple(fold(t) for t in longest if fold(t) != key)))

    def codes_for(self, text: str) -> tuple[str, ...]:
        return self.by_term.get(fold(text), ())

    def spelled_out(self, text: str) -> tuple[str, ...]:
        """The written-out names of what an abbreviation means ("htn" -> "high blood pressure", "hypertension"),
        to search the code set with as well."""
        return tuple(sorted(self._spelled.get(fold(text), ()), key=len, reverse=True))


@cache
def synonyms() -> Synonyms:
    doc, _digest = read_model(PATH, SynonymFile)
    return Synonyms(doc)
