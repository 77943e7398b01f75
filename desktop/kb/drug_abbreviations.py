"""Drug-name abbreviations clinicians type ("HCTZ", "APAP", "KCl", "TMP-SMX") and the ingredients they mean:
resources/kb/drug_abbreviations.json, validated once (pydantic, strict, every entry sourced). No Qt, no database.

The drug search and the alert check expand an abbreviation to the full ingredient name; nothing prints the
abbreviation itself (the prescription carries the product's full name)."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from pydantic import Field

from desktop.config import RESOURCES

from .schema import Name, Names, SourcedTable, Strict, Text, read_model
from .text import words

PATH = RESOURCES / "kb" / "drug_abbreviations.json"
_LONGEST = 3  # words in the longest abbreviation ("pcn vk", "vit d3")


class AbbreviationEntry(Strict):
    terms: Annotated[tuple[Text, ...], Field(min_length=1)]
    ingredients: Names
    source: str
    # ingredients whose products are the same drug under another salt (valproate: divalproex sodium, whose
    # strengths are stated as valproic acid): a strength typed after the term may be one of theirs
    same_drug: tuple[Name, ...] = ()
    # a term naming a kind of product, not one drug ("OCP"): what it is checked as, said with every alert
    assumed: str = ""


class AbbreviationFile(SourcedTable):
    entries: tuple[AbbreviationEntry, ...]


class DrugAbbreviations:
    """Typed words -> ingredient names (folded, punctuation ignored: "TMP-SMX", "tmp/smx" and "tmp smx" agree)."""

    def __init__(self, doc: AbbreviationFile):
        self.entries = doc.entries
        self._by_term: dict[str, tuple[str, ...]] = {}
        self._same_drug: dict[str, tuple[str, ...]] = {}
        self._assumed: dict[str, str] = {}
        for e in doc.entries:
            for term in e.terms:
                key = " ".join(words(term))
                if key in self._by_term and self._by_term[key] != e.ingredients:
                    raise ValueError(f"drug_abbreviations.json: '{term}' means two different things")
                self._by_term[key] = e.ingredients
                if e.same_drug:
                    self._same_drug[key] = e.same_drug
                if e.assumed:
                    self._assumed[key] = e.assumed

    def ingredients_for(self, text: str) -> tuple[str, ...]:
        """The ingredients the whole text abbreviates; () when it is not an abbreviation."""
        return self._by_term.get(" ".join(words(text)), ())

    def same_drug_for(self, text: str) -> tuple[str, ...]:
        """Ingredients whose products are the abbreviated drug under another salt; () for most terms."""
        return self._same_drug.get(" ".join(words(text)), ())

    def same_drug_spellings(self, text: str) -> list[str]:
        """The text with a leading term's other salts written instead ("valproate 500" -> "divalproex sodium
        500"), for the type-ahead to offer those products too; [] for most text."""
        tokens = words(text)
        for n in range(min(_LONGEST, len(tokens)), 0, -1):
            others = self._same_drug.get(" ".join(tokens[:n]), ())
            if others:
                return [" ".join([other, *tokens[n:]]) for other in others]
        return []

    def assumed_for(self, text: str) -> str:
        """For a term naming a kind of product ("OCP"), what it is checked as; "" for a drug's abbreviation."""
        return self._assumed.get(" ".join(words(text)), "")

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
