"""Drug-name abbreviations clinicians type ("HCTZ", "APAP", "KCl", "TMP-SMX") and the ingredients they mean:
resources/kb/drug_abbreviations.json, validated once (pydantic, strict, every entry sourced). No Qt, no database.

The drug search and the alert check expand an abbreviation to the full ingredient name; nothing prints the
abbreviation itself (the prescription carries the product's full name)."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from pydantic import Field

from desktop.config import RESOURCES

from .schema import Names, SourcedTable, Strict, Text, read_model
from .text import words

PATH = RESOURCES / "kb" / "drug_abbreviations.json"
_LONGEST = 3  # words in the longest abbreviation ("pcn vk", "vit d3")


class AbbreviationEntry(Strict):
    terms: Annotated[tuple[Text, ...], Field(min_length=1)]
    ingredients: Names
    source: str


class AbbreviationFile(SourcedTable):
    entries: tuple[AbbreviationEntry, ...]


class DrugAbbreviations:
    """Typed words -> ingredient names (folded, punctuation ignored: "TMP-SMX", "tmp/smx" and "tmp smx" agree)."""

    def __init__(self, doc: AbbreviationFile):
        self.entries = doc.entries
        self._by_term: dict[str, tuple[str, ...]] = {}
        for e in doc.entries:
            for term in e.terms:
                key = " ".join(words(term))
                if key in self._by_term and self._by_term[key] != e.ingredients:
                    raise ValueError(f"drug_abbreviations.json: '{term}' means two different things")
                self._by_term[key] = e.ingredients

    def ingredients_for(self, text: str) -> tuple[str, ...]:
        """The ingredients the whole text abbreviates; () when it is not an abbreviation."""
        return self._by_term.get(" ".join(words(text)), ())

    def expand(self, text: str) -> str | None:
        """The text with every abbreviation in it written out ("hctz 25" -> "hydrochlorothiazide 25",
        "lisinopril-hctz" -> "lisinopril hydrochlorothiazide", "hydrocodone/apap" -> "hydrocodone
        acetaminophen"); None when it has none."""
        tokens = words(text)
        out: list[str] = []
        found_any = False
        i = 0
        while i < len(tokens):
            for n in range(min(_LONGEST, len(tokens) - i), 0, -1):
                found = self._by_term.get(" ".join(tokens[i:i + n]))
                if found:
                    out += found
                    i += n
                    found_any = True
                    break
            else:
                out.append(tokens[i])
                i += 1
        return " ".join(out) if found_any else None


@cache
def drug_abbreviations() -> DrugAbbreviations:
    doc, _digest = read_model(PATH, AbbreviationFile)
    return DrugAbbreviations(doc)
