"""The laboratory catalog (resources/kb/lab_tests.json) and lab alert rules (resources/kb/lab_alerts.json).

Loaded once; a missing or malformed file raises KnowledgeBaseError naming the file and entry (the chart shows
it in red and the alert checks report "not checked", never a silent pass). No Qt, no database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from desktop.config import RESOURCES
from desktop.kb import lab_units
from desktop.kb.errors import KnowledgeBaseError
from desktop.kb.text import fold, words

TESTS_PATH = RESOURCES / "kb" / "lab_tests.json"
ALERTS_PATH = RESOURCES / "kb" / "lab_alerts.json"
FLAGS = ("H", "L", "HH", "LL", "A", "N")


@dataclass(frozen=True, slots=True)
class RefRange:
    low: float | None
    high: float | None
    source: str


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


def _num(v: Any, where: str) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise KnowledgeBaseError(f"{where}: not a number ({v!r})")
    return float(v)


def parse_catalog(data: dict[str, Any], name: str = "lab_tests.json") -> LabCatalog:
    tests: list[LabTest] = []
    seen: set[str] = set()
    panels = tuple(Panel(p["key"], p["title"], tuple(p.get("codes") or ())) for p in data.get("panels") or ())
    panel_keys = {p.key for p in panels}
    for i, e in enumerate(data.get("tests") or ()):
        where = f"{name} test {i + 1} ({e.get('name', '?') if isinstance(e, dict) else '?'})"
        try:
            loinc = (e.get("loinc") or "").strip()
            key = loinc or "name:" + fold(e["name"])
            if key in seen:
                raise KnowledgeBaseError(f"{where}: listed twice")
            seen.add(key)
            if e["panel"] not in panel_keys:
                raise KnowledgeBaseError(f"{where}: unknown panel {e['panel']!r}")
            r = e.get("range")
            rng = None
            if r:
                if not r.get("source"):
                    raise KnowledgeBaseError(f"{where}: a reference range without its source")
                rng = RefRange(_num(r.get("low"), where), _num(r.get("high"), where), r["source"])
            if not e.get("code_source"):
                raise KnowledgeBaseError(f"{where}: no code source")
            tests.append(LabTest(
                key=key, loinc=loinc, name=e["name"], short=e.get("short") or e["name"], unit=e.get("unit") or "",
                panel=e["panel"], decimals=int(e.get("decimals", 1)), range=rng,
                plausible_low=_num(e["plausible"]["low"], where) or 0.0,
                plausible_high=_num(e["plausible"]["high"], where) or 0.0,
                analyte=e.get("analyte") or "", key_result=bool(e.get("key_result")),
                aliases=tuple(e.get("aliases") or ()), code_source=e["code_source"]))
        except KnowledgeBaseError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise KnowledgeBaseError(f"{where}: malformed ({exc})") from exc
    if not tests:
        raise KnowledgeBaseError(f"{name} lists no tests")
    return LabCatalog(tuple(tests), panels)


def parse_rules(data: dict[str, Any], name: str = "lab_alerts.json") -> tuple[tuple[CriticalRule, ...], tuple[DrugLabRule, ...]]:
    crit: list[CriticalRule] = []
    drug: list[DrugLabRule] = []
    try:
        for i, e in enumerate(data["critical"]):
            where = f"{name} critical {i + 1}"
            if not e.get("source"):
                raise KnowledgeBaseError(f"{where}: a threshold without its source")
            if lab_units.canonical_unit(e["analyte"]) is None:
                raise KnowledgeBaseError(f"{where}: no unit table for analyte {e['analyte']!r}")
            crit.append(CriticalRule(e["id"], e["analyte"], e["label"], e["unit"], _num(e.get("low"), where),
                                     _num(e.get("high"), where), e["source"]))
        for i, e in enumerate(data["drug_lab"]):
            where = f"{name} drug_lab {i + 1}"
            if not e.get("source"):
                raise KnowledgeBaseError(f"{where}: a rule without its source")
            drug.append(DrugLabRule(e["id"], e["analyte"], e["unit"], _num(e.get("at_or_above"), where),
                                    _num(e.get("below"), where), tuple(fold(x) for x in e["ingredients"]),
                                    e.get("severity", "major"), e["message"], e["source"]))
    except KnowledgeBaseError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise KnowledgeBaseError(f"{name} is malformed ({exc})") from exc
    return tuple(crit), tuple(drug)


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


def _flag_from_range(value: float, low: float | None, high: float | None) -> str:
    if low is not None and value < low:
        return "L"
    if high is not None and value > high:
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
        return Interpretation(_flag_from_range(value, r.low, r.high), "default range", r.low, r.high, "default")
    return Interpretation("", "", None, None, "")
