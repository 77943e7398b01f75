"""Offline ICD-10-CM search by code or words, over the simple-icd-10-cm package.

The package answers single-code questions; searching needs an index, built once (lazily, ~1 s) and kept in
memory: every category/subcategory with its description and inclusion terms, an inverted word index and a
sorted vocabulary for prefix matching. After warm-up a query takes a few milliseconds.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import importlib.util
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.kb.icd10_synonyms import synonyms
from desktop.kb.text import fold, words

# Codes a primary-care clinic uses every day: ranked first when they match, so "hypertension" offers I10
# before renovascular or ocular hypertension. Checked against the package when the index is built.
COMMON_CODES = (
    "I10", "E11.9", "E11.65", "E78.5", "E78.00", "E66.9", "J45.909", "J44.9", "F41.1", "F32.9", "F32.A",
    "K21.9", "M54.50", "N39.0", "J06.9", "J02.9", "J01.90", "E03.9", "G43.909", "M17.9", "R51.9", "R05.9",
    "Z00.00", "Z00.01", "E55.9", "D64.9", "I48.91", "I25.10", "I50.9", "R73.03", "G47.33", "F17.210",
    "K58.9", "L30.9", "M81.0", "N40.0", "E28.2", "F90.9", "G47.00", "R10.9", "M79.7", "B34.9", "J20.9",
    "J30.9", "H10.9", "L70.0", "R42", "I73.9", "N18.9", "M10.9", "K59.00", "Z23", "U07.1", "J18.9",
    "M54.2", "R53.83",
)

# codes that fit only some patients (ICD-10-CM chapter 15 pregnancy, chapter 16 perinatal, sex-specific
# chapters of 14; the Z codes for pregnancy and for child/adult examinations)
_PREGNANCY = ("O", "Z3A", "Z33", "Z34", "Z36", "Z37", "Z39")
_MALE_ONLY = tuple(f"N{n}" for n in range(40, 54)) + ("C60", "C61", "C62", "C63", "Z12.5", "R97.2")
_FEMALE_ONLY = tuple(f"N{n}" for n in range(70, 99)) + tuple(f"C{n}" for n in range(51, 59)) + (
    "Z01.41", "Z12.4", "Z32")


def fits(code: str, age: float | None = None, sex: str | None = None) -> bool:
    """Whether a code can describe this patient: no newborn (P) codes after the first year, no pregnancy codes
    for men, children or after 60, no male/female-only codes for the other sex, child or adult check-ups by
    age. Unknown age or sex: everything fits."""
    if age is not None:
        if code.startswith("P") and age >= 1:
            return False
        if code.startswith(_PREGNANCY) and not 10 <= age <= 60:
            return False
        if code.startswith("Z00.12") and age >= 18:
            return False
        if code.startswith(("Z00.00", "Z00.01")) and age < 18:
            return False
    if sex == "male" and code.startswith(_PREGNANCY + _FEMALE_ONLY):
        return False
    if sex == "female" and code.startswith(_MALE_ONLY):
        return False
    return True


def _special(code: str) -> bool:
    """Newborn and pregnancy codes: after every other match when the patient is not known."""
    return code.startswith(("P",) + _PREGNANCY)


_CODE_QUERY = re.compile(r"^[a-z][0-9][0-9a-z]?(\.?[0-9a-z]{0,4})$")
_SCORED_MAX = 400  # candidates scored in Python; the rest are cut by baseline rank first (C-speed)
_ASCII_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    # ICD descriptions are ASCII: skip Unicode folding for them (it is 90 % of the index build time)
    return _ASCII_WORD.findall(text.lower()) if text.isascii() else words(text)


@dataclass(frozen=True, slots=True)
class IcdCode:
    code: str  # with the dot: "E11.9"
    description: str
    billable: bool  # a leaf code: valid on a claim or problem list entry
    matched_term: str = ""  # the inclusion term that matched, when it was not the description


@dataclass(slots=True)
class _Entry:
    code: str
    compact: str  # lower-case, no dot: "e119"
    description: str
    billable: bool
    terms: tuple[str, ...]  # inclusion terms (synonyms)
    words: frozenset[str]
    term_words: tuple[frozenset[str], ...]
    rank: int = 0  # baseline order: common, billable, short description first
    all_words: frozenset[str] = frozenset()  # description and inclusion-term words


class Icd10Index:
    def __init__(self) -> None:
        with warnings.catch_warnings():  # the package reads its data with deprecated importlib calls
            warnings.simplefilter("ignore", DeprecationWarning)
            import simple_icd_10_cm as cm

        entries: list[_Entry] = []
        for code in cm.get_all_codes(True):
            if not (cm.is_category_or_subcategory(code) or cm.is_extended_subcategory(code)):
                continue  # chapters and blocks are headings, not diagnoses
            desc = cm.get_description(code)
            terms = tuple(t for t in cm.get_inclusion_term(code) if t.lower() != desc.lower())
            if cm.is_leaf(code):
                # category-level "includes" ("high blood pressure" under I10) describe a leaf category too
                terms += tuple(t for t in cm.get_includes(code) if t not in terms)
            entries.append(_Entry(
                code=code, compact=code.replace(".", "").lower(), description=desc, billable=cm.is_leaf(code),
                terms=terms, words=frozenset(_words(desc)), term_words=tuple(frozenset(_words(t)) for t in terms),
            ))
        common = {c: i for i, c in enumerate(COMMON_CODES)}
        entries.sort(key=lambda e: (e.code not in common, common.get(e.code, 0), not e.billable,
                                    len(e.description), e.code))
        for i, e in enumerate(entries):
            e.rank = i
        self.entries = entries
        self.common = frozenset(c for c in common if any(e.code == c for e in entries[: len(common)]))
        self.by_code = {e.compact: e for e in entries}
        self._codes_sorted = sorted(entries, key=lambda e: e.compact)
        self._compact_keys = [e.compact for e in self._codes_sorted]
        postings: dict[str, set[int]] = {}
        for i, e in enumerate(entries):
            e.all_words = e.words.union(*e.term_words)
            for w in e.all_words:
                postings.setdefault(w, set()).add(i)
        self.vocab = sorted(postings)
        self.postings = [sorted(postings[w]) for w in self.vocab]
        # cumulative posting sizes: how many candidates a prefix would yield, in O(log n)
        self._cum = [0]
        for p in self.postings:
            self._cum.append(self._cum[-1] + len(p))
        self._prefix_cache: dict[str, list[int]] = {}

    # ---------------------------------------------------------------- lookups
    def get(self, code: str) -> IcdCode | None:
        e = self.by_code.get(code.replace(".", "").strip().lower())
        return None if e is None else IcdCode(e.code, e.description, e.billable)

    def search(self, text: str, limit: int = 50, age: float | None = None, sex: str | None = None) -> list[IcdCode]:
        """Codes for typed words, a code or an abbreviation; billable codes first, codes that cannot describe
        the patient (age, sex) left out."""
        text = fold(text or "")[:200]
        if not text:
            return []
        ok = (lambda code: fits(code, age, sex)) if (age is not None or sex) else (lambda _code: True)
        # what clinicians type ("htn", "ckd 3", "afib"): the table's codes first
        first = [IcdCode(e.code, e.description, e.billable, "" if text in e.description.lower() else text)
                 for c in synonyms().codes_for(text)
                 if (e := self.by_code.get(c.replace(".", "").lower())) is not None and ok(e.code)]
        seen = {c.code for c in first}
        rest: list[IcdCode] = []
        compact = text.replace(" ", "")
        if _CODE_QUERY.match(compact):
            rest = self._by_code_prefix(compact.replace(".", ""), limit, ok)
        if first:  # an abbreviation: next what its written-out names find ("afib" -> "atrial fibrillation")
            for spelled in synonyms().spelled_out(text)[:2]:
                rest += self._by_words(list(dict.fromkeys(words(spelled)))[:8], limit, ok)
        if len(rest) < limit:  # then the typed words themselves
            query = list(dict.fromkeys(words(text)))[:8]
            rest += self._by_words(query, limit, ok) if query else []
        out = list(first)
        for c in rest:
            if c.code not in seen:
                seen.add(c.code)
                out.append(c)
        return out[:limit]

    def _by_code_prefix(self, prefix: str, limit: int, ok=lambda _c: True) -> list[IcdCode]:
        lo = bisect.bisect_left(self._compact_keys, prefix)
        found: list[_Entry] = []
        for e in self._codes_sorted[lo:]:
            if not e.compact.startswith(prefix):
                break
            if ok(e.code):
                found.append(e)
        # the exact code first, then billable before headers, then in code order
        found.sort(key=lambda e: (e.compact != prefix, not e.billable, e.compact))
        return [IcdCode(e.code, e.description, e.billable) for e in found[:limit]]

    def _range(self, prefix: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self.vocab, prefix)
        hi = bisect.bisect_left(self.vocab, prefix + "\uffff", lo)
        return lo, hi

    def _by_words(self, query: list[str], limit: int, ok=lambda _c: True) -> list[IcdCode]:
        ids: set[int] | None = None
        ordered = sorted(query, key=self._size)  # most selective word first, so the sets stay small
        if len(ordered) == 1 and self._size(ordered[0]) > _SCORED_MAX:
            # one short prefix ("d", "di" while typing): its best-ranked entries, kept per prefix
            pool: Any = self._best_for_prefix(ordered[0])
        else:
            for w in ordered:
                if ids is not None and self._size(w) > 8 * len(ids):
                    # a short second word ("diabetes t"): check the few candidates instead of a huge union
                    ids = {i for i in ids if any(x.startswith(w) for x in self.entries[i].all_words)}
                    if not ids:
                        return []
                    continue
                lo, hi = self._range(w)
                if lo == hi:
                    return []
                found: set[int] = set().union(*self.postings[lo:hi])
                ids = found if ids is None else ids & found
                if not ids:
                    return []
            assert ids is not None
            # entry ids are baseline ranks: keep the best few hundred before scoring in Python
            pool = heapq.nsmallest(_SCORED_MAX, ids) if len(ids) > _SCORED_MAX else ids
        scored: list[tuple[tuple, _Entry, str]] = []
        for i in pool:
            e = self.entries[i]
            if not ok(e.code):
                continue
            term = self._match(e, query)
            if term is None:  # words split across description and a term: still a match, shown plainly
                term = ""
            exact = sum(1 for w in query if w in e.words)
            key = (e.code not in self.common, not e.billable, _special(e.code), -exact, term != "",
                   len(e.description), e.code)
            scored.append((key, e, term))
        scored.sort(key=lambda t: t[0])
        return [IcdCode(e.code, e.description, e.billable, term) for _k, e, term in scored[:limit]]

    def _best_for_prefix(self, prefix: str) -> list[int]:
        """The _SCORED_MAX best-ranked entries holding a word with this prefix (cached: a keystroke while typing
        the first letters must not union tens of thousands of postings each time)."""
        best = self._prefix_cache.get(prefix)
        if best is None:
            lo, hi = self._range(prefix)
            best = heapq.nsmallest(_SCORED_MAX, set().union(*self.postings[lo:hi]))
            if len(prefix) <= 3:
                self._prefix_cache[prefix] = best
        return best

    def _size(self, prefix: str) -> int:
        lo, hi = self._range(prefix)
        return self._cum[hi] - self._cum[lo]

    @staticmethod
    def _match(e: _Entry, query: list[str]) -> str | None:
        """'' when the description holds every query word (as a prefix), the inclusion term that does, or None."""

        def holds(ws: frozenset[str]) -> bool:
            return all(any(x.startswith(q) for x in ws) for q in query)

        if holds(e.words):
            return ""
        for term, ws in zip(e.terms, e.term_words):
            if holds(ws):
                return term
        return None


_index: Icd10Index | None = None
_lock = threading.Lock()


def index() -> Icd10Index:
    """The shared index, built on first use (thread-safe: the GUI warms it up in a worker)."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = Icd10Index()
    return _index


def warm_up() -> None:
    built = index()
    for letter in "abcdefghijklmnopqrstuvwxyz":  # the first keystroke of any search
        built._best_for_prefix(letter)


def ready() -> bool:
    """True once the index is built (searches are then a few milliseconds)."""
    return _index is not None


def search(text: str, limit: int = 50, age: float | None = None, sex: str | None = None) -> list[IcdCode]:
    """'diabetes type 2', 'E11.9', 'e119', 'E11', 'htn', 'ckd 3' or prefixes ('hypert'); billable codes first;
    with the patient's age and sex, codes that cannot describe them are left out."""
    return index().search(text, limit, age, sex)


def lookup(code: str) -> IcdCode | None:
    """The code's entry; before the search index is built, asked of the package alone (a problem saved by the
    command line or the demo builder need not pay the index's build)."""
    if not code:
        return None
    if _index is not None:
        return _index.get(code)
    return _lookup_one(normalise_code(code))


def is_code(code: str) -> bool:
    """Whether this is an ICD-10-CM code (a category or subcategory, not a chapter or block heading). Before the
    index is built, read from the package's code list alone: a fraction of a second instead of its whole load,
    so saving a coded problem outside the search dialog (command line, PHR merge, demo) stays quick."""
    if not code:
        return False
    if _index is not None:
        return _index.get(code) is not None
    listed = _code_list()
    if listed is None:
        return lookup(code) is not None
    compact = code.replace(".", "").strip().upper()
    return compact in listed and "-" not in compact and not compact.isdigit()


@functools.cache
def _code_list() -> frozenset[str] | None:
    """The package's list of every code (dots removed), read without importing the package (its import builds
    the whole classification tree); None when the file is not where this version keeps it."""
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        return None
    files = sorted(Path(next(iter(spec.submodule_search_locations)), "data").glob("code-list-*.txt"))
    if not files:
        return None
    return frozenset(line.strip() for line in files[-1].read_text(encoding="utf-8").splitlines() if line.strip())


def _lookup_one(code: str) -> IcdCode | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm

    if not cm.is_valid_item(code) or not (cm.is_category_or_subcategory(code) or cm.is_extended_subcategory(code)):
        return None  # chapters and blocks are headings, not diagnoses (as the index leaves them out)
    return IcdCode(code, cm.get_description(code), cm.is_leaf(code))


def normalise_code(code: str) -> str:
    """'e119' -> 'E11.9' (the package's own dotted form)."""
    compact = code.replace(".", "").strip().upper()
    return compact if len(compact) <= 3 else f"{compact[:3]}.{compact[3:]}"
