"""The laboratory catalog (resources/kb/lab_tests.json) and lab alert rules (resources/kb/lab_alerts.json).

Loaded once; every entry is validated by a pydantic model of its shape; a missing or malformed file raises
KnowledgeBaseError naming the file and entry (the chart shows
it in red and the alert checks report "not checked", never a silent pass). No Qt, no database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, ValidationError, model_validator

from desktop.config import RESOURCES
from desktop.kb import lab_units
from desktop.kb.errors import KnowledgeBaseError
from desktop.kb.schema import Filled, Severity, Strict, entry_problem
from desktop.kb.text import fold, words

TESTS_PATH = RESOURCES / "kb" / "lab_tests.json"
ALERTS_PATH = RESOURCES / "kb" / "lab_alerts.json"
FLAGS = ("H", "L", "HH", "LL", "A", "N")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class RefRange:
    low: float | None
    high: float | None
    source: str
    below: bool = False  # the source says "less than high" (a desirable level): high itself is flagged H


@dataclass(frozen=True, slots=True)
class LabTest:
    key: str  # the LOINC code, or "name:<folded name>" for a test listed by name with an empty code
    loinc: str
    name: str
    short: str
    unit: str
    panel: str  # flowsheet group key
    decimals: int
    range: RefRange | None
    plausible_low: float
    plausible_high: float
    analyte: str
    key_result: bool
    aliases: tuple[str, ...]
    code_source: str

    def same_unit(self, unit: str | None) -> bool:
        u = lab_units.normalise(unit)
        return u == lab_units.normalise(self.unit) or u in {lab_units.normalise(a) for a in self.aliases}


@dataclass(frozen=True, slots=True)
class Panel:
    key: str
    title: str
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CriticalRule:
    id: str
    analyte: str
    label: str
    unit: str
    low: float | None
    high: float | None
    source: str


@dataclass(frozen=True, slots=True)
class DrugLabRule:
    id: str
    analyte: str
    unit: str
    at_or_above: float | None
    below: float | None
    ingredients: tuple[str, ...]
    severity: str
    message: str
    source: str


class LabCatalog:
    def __init__(self, tests: tuple[LabTest, ...], panels: tuple[Panel, ...]):
        self.tests = tests
        self.panels = panels
        self._by_key = {t.key: t for t in tests}
        self._by_loinc = {t.loinc: t for t in tests if t.loinc}
        self._panel_by_code = {c: p for p in panels for c in p.codes}
        self._panel_by_key = {p.key: p for p in panels}
        self._words = [set(words(t.name) + words(t.short) + ([t.loinc] if t.loinc else [])) for t in tests]

    def by_loinc(self, code: str | None) -> LabTest | None:
        return self._by_loinc.get(code or "")

    def by_key(self, key: str | None) -> LabTest | None:
        return self._by_key.get(key or "")

    def find(self, loinc: str | None, name: str = "") -> LabTest | None:
        """By code, else by exact folded name (a test listed without a code)."""
        found = self.by_loinc(loinc)
        if found is None and name:
            found = self._by_key.get("name:" + fold(name))
        return found

    def panel(self, key: str) -> Panel | None:
        return self._panel_by_key.get(key)

    def panel_for_code(self, code: str | None) -> Panel | None:
        return self._panel_by_code.get(code or "")

    def group_of(self, loinc: str | None, name: str = "") -> str:
        t = self.find(loinc, name)
        return t.panel if t else "other"

    def search(self, text: str, limit: int = 20) -> list[LabTest]:
        """Every typed word prefix-matches a word of the name or short name, or is the LOINC code."""
        tokens = words(text)
        if not tokens:
            return []
        hits = []
        for n, t in enumerate(self.tests):
            ws = self._words[n]
            if all(any(w.startswith(tok) for w in ws) for tok in tokens):
                exact = fold(text) in (fold(t.short), t.loinc)
                hits.append((0 if exact else 1 if t.key_result else 2, n, t))
        hits.sort(key=lambda h: (h[0], h[1]))
        return [h[2] for h in hits[:limit]]


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KnowledgeBaseError(f"the lab knowledge file {path.name} cannot be read: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise KnowledgeBaseError(f"the lab knowledge file {path.name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise KnowledgeBaseError(f"the lab knowledge file {path.name} is not a JSON object")
    return data


class _RangeEntry(Strict):
    low: float | None = None
    high: float | None = None
    source: str = ""
    below: bool = False  # "less than high", with no low: lipid desirable levels

    @model_validator(mode="after")
    def _sourced(self) -> _RangeEntry:
        if not self.source.strip():
            raise ValueError("a reference range without its source")
        if self.below and (self.low is not None or self.high is None):
            raise ValueError("a 'below' range has a high limit only")
        return self


class _Bounds(Strict):
    low: float
    high: float


class _TestEntry(Strict):
    """One test of lab_tests.json, exactly its entry shape (unknown fields refused)."""

    loinc: str = ""
    name: Filled
    short: str = ""
    unit: str = ""
    panel: Filled
    decimals: int = 1
    code_source: str = ""
    range: _RangeEntry | None = None
    plausible: _Bounds
    analyte: str = ""
    key_result: bool = False
    aliases: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _code_sourced(self) -> _TestEntry:
        if not self.code_source.strip():
            raise ValueError("no code source")
        return self


class _PanelEntry(Strict):
    key: Filled
    title: Filled
    codes: tuple[str, ...] = ()


class _CriticalEntry(Strict):
    id: Filled
    analyte: Filled
    label: Filled
    unit: Filled
    low: float | None = None
    high: float | None = None
    source: str = ""

    @model_validator(mode="after")
    def _sourced(self) -> _CriticalEntry:
        if not self.source.strip():
            raise ValueError("a threshold without its source")
        if lab_units.canonical_unit(self.analyte) is None:
            raise ValueError(f"no unit table for analyte {self.analyte!r}")
        return self


class _DrugLabEntry(Strict):
    id: Filled
    analyte: Filled
    unit: Filled
    at_or_above: float | None = None
    below: float | None = None
    ingredients: Annotated[tuple[Filled, ...], Field(min_length=1)]
    severity: Severity = "major"
    message: Filled
    source: str = ""

    @model_validator(mode="after")
    def _sourced(self) -> _DrugLabEntry:
        if not self.source.strip():
            raise ValueError("a rule without its source")
        return self


def _entry(model: type[M], entry: Any, where: str) -> M:
    if not isinstance(entry, dict):
        raise KnowledgeBaseError(f"{where}: an entry must be an object")
    try:
        return model.model_validate(entry)
    except ValidationError as exc:
        raise KnowledgeBaseError(entry_problem(exc, where)) from None


def parse_catalog(data: dict[str, Any], name: str = "lab_tests.json") -> LabCatalog:
    """Every test and panel validated by the pydantic models above; KnowledgeBaseError names the entry."""
    tests: list[LabTest] = []
    seen: set[str] = set()
    panels = tuple(Panel(p.key, p.title, p.codes) for p in
                   (_entry(_PanelEntry, e, f"{name} panel {i + 1}") for i, e in enumerate(data.get("panels") or ())))
    panel_keys = {p.key for p in panels}
    for i, raw in enumerate(data.get("tests") or ()):
        where = f"{name} test {i + 1} ({raw.get('name', '?') if isinstance(raw, dict) else '?'})"
        e = _entry(_TestEntry, raw, where)
        loinc = e.loinc.strip()
        key = loinc or "name:" + fold(e.name)
        if key in seen:
            raise KnowledgeBaseError(f"{where}: listed twice")
        seen.add(key)
        if e.panel not in panel_keys:
            raise KnowledgeBaseError(f"{where}: unknown panel {e.panel!r}")
        rng = RefRange(e.range.low, e.range.high, e.range.source, e.range.below) if e.range else None
        tests.append(LabTest(
            key=key, loinc=loinc, name=e.name, short=e.short or e.name, unit=e.unit, panel=e.panel,
            decimals=e.decimals, range=rng, plausible_low=e.plausible.low, plausible_high=e.plausible.high,
            analyte=e.analyte, key_result=e.key_result, aliases=e.aliases, code_source=e.code_source))
    if not tests:
        raise KnowledgeBaseError(f"{name} lists no tests")
    return LabCatalog(tuple(tests), panels)


def parse_rules(data: dict[str, Any], name: str = "lab_alerts.json") -> tuple[tuple[CriticalRule, ...], tuple[DrugLabRule, ...]]:
    if not isinstance(data.get("critical"), list) or not isinstance(data.get("drug_lab"), list):
        raise KnowledgeBaseError(f"{name} is malformed (needs the lists 'critical' and 'drug_lab')")
    crit = tuple(CriticalRule(e.id, e.analyte, e.label, e.unit, e.low, e.high, e.source) for e in
                 (_entry(_CriticalEntry, x, f"{name} critical {i + 1}") for i, x in enumerate(data["critical"])))
    drug = tuple(DrugLabRule(e.id, e.analyte, e.unit, e.at_or_above, e.below, tuple(fold(x) for x in e.ingredients),
                             e.severity, e.message, e.source) for e in
                 (_entry(_DrugLabEntry, x, f"{name} drug_lab {i + 1}") for i, x in enumerate(data["drug_lab"])))
    return crit, drug


@cache
def catalog() -> LabCatalog:
    return parse_catalog(_read(TESTS_PATH), TESTS_PATH.name)


@cache
def rules() -> tuple[tuple[CriticalRule, ...], tuple[DrugLabRule, ...]]:
    return parse_rules(_read(ALERTS_PATH), ALERTS_PATH.name)


# ------------------------------------------------------------------ flags


@dataclass(frozen=True, slots=True)
class Interpretation:
    flag: str  # H | L | HH | LL | A | N | "" (no range, not numeric)
    flag_source: str  # "lab" (as received) | "lab range" | "default range" | ""
    low: float | None  # the range shown beside the value
    high: float | None
    range_source: str  # "lab" | "default" | "" (no range)


def _flag_from_range(value: float, low: float | None, high: float | None, below: bool = False) -> str:
    if low is not None and value < low:
        return "L"
    if high is not None and (value >= high if below else value > high):
        return "H"
    return "N"


def interpret(test: LabTest | None, value: float | None, unit: str | None, *, ref_low: float | None = None,
              ref_high: float | None = None, received_flag: str = "") -> Interpretation:
    """A flag or range that arrives with the result wins; otherwise the catalog's default adult range (when the
    units agree); otherwise no flag and no range."""
    received_flag = (received_flag or "").strip().upper()
    has_lab_range = ref_low is not None or ref_high is not None
    if received_flag in FLAGS:
        return Interpretation(received_flag, "lab", ref_low, ref_high, "lab" if has_lab_range else "")
    if value is None:
        return Interpretation("", "", ref_low, ref_high, "lab" if has_lab_range else "")
    if has_lab_range:
        return Interpretation(_flag_from_range(value, ref_low, ref_high), "lab range", ref_low, ref_high, "lab")
    if test is not None and test.range is not None and test.same_unit(unit):
        r = test.range
        return Interpretation(_flag_from_range(value, r.low, r.high, r.below), "default range", r.low, r.high,
                              "default")
    return Interpretation("", "", None, None, "")
