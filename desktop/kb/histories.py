"""Histories knowledge: common procedures (type-ahead) and the standard smoking-status answers.

resources/kb/procedures.json and resources/kb/social_history.json; every entry names its source and a code
is given only where a public source shows it (an unverified code stays empty). No Qt, no database.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from desktop.config import RESOURCES
from desktop.kb.errors import KnowledgeBaseError
from desktop.kb.formulary import read_json_document
from desktop.kb.text import fold, words

PROCEDURES_PATH = RESOURCES / "kb" / "procedures.json"
SOCIAL_PATH = RESOURCES / "kb" / "social_history.json"
SMOKING_GROUPS = ("current", "former", "never", "unknown")
_SNOMED = re.compile(r"^[0-9]{6,18}$")
_CPT = re.compile(r"^[0-9]{4}[0-9A-Z]$")


@dataclass(frozen=True, slots=True)
class CommonProcedure:
    id: str
    name: str
    category: str
    snomed: str  # "" when no public source showed one
    cpt: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SmokingAnswer:
    snomed: str
    name: str
    group: str  # current | former | never | unknown


@dataclass(frozen=True, slots=True)
class SocialQuestion:
    loinc: str
    kind: str
    name: str


class ProcedureCatalog:
    def __init__(self, items: tuple[CommonProcedure, ...]):
        self.items = items
        self._words = [set(words(p.name) + [w for a in p.aliases for w in words(a)]) for p in items]
        self._by_code = {p.snomed: p for p in items if p.snomed} | {p.cpt: p for p in items if p.cpt}

    def search(self, text: str, limit: int = 20) -> list[CommonProcedure]:
        """Every typed word prefixes a word of the name or an alias; a code typed in full finds its entry."""
        text = (text or "").strip()
        if text in self._by_code:
            return [self._by_code[text]]
        tokens = words(text)
        if not tokens:
            return []
        hits = [p for n, p in enumerate(self.items) if all(any(w.startswith(t) for w in self._words[n]) for t in tokens)]
        whole = fold(text)
        hits.sort(key=lambda p: (0 if fold(p.name).startswith(whole) else 1, p.name))
        return hits[:limit]

    def by_code(self, code: str) -> CommonProcedure | None:
        return self._by_code.get((code or "").strip())


def _text(e: dict, key: str, where: str, required: bool = True) -> str:
    value = e.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise KnowledgeBaseError(f"{where}: missing or empty field '{key}'")
    return value.strip()


def _parse_procedures(entries: list, path: Path) -> ProcedureCatalog:
    out, ids = [], set()
    for i, e in enumerate(entries):
        where = f"{path}: entry #{i + 1}"
        if not isinstance(e, dict):
            raise KnowledgeBaseError(f"{where}: an entry must be an object")
        pid, name = _text(e, "id", where), _text(e, "name", where)
        _text(e, "source", where)
        snomed, cpt = _text(e, "snomed", where, False), _text(e, "cpt", where, False)
        if snomed and not _SNOMED.match(snomed):
            raise KnowledgeBaseError(f"{where} ('{pid}'): SNOMED CT code must be 6-18 digits, got {snomed!r}")
        if cpt and not _CPT.match(cpt):
            raise KnowledgeBaseError(f"{where} ('{pid}'): CPT code must be 5 characters, got {cpt!r}")
        aliases = e.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
            raise KnowledgeBaseError(f"{where} ('{pid}'): aliases must be a list of strings")
        if pid in ids:
            raise KnowledgeBaseError(f"{where}: duplicate id '{pid}'")
        ids.add(pid)
        out.append(CommonProcedure(id=pid, name=name, category=_text(e, "category", where), snomed=snomed, cpt=cpt,
                                   aliases=tuple(aliases)))
    return ProcedureCatalog(tuple(out))


@lru_cache(maxsize=1)
def procedures() -> ProcedureCatalog:
    return _parse_procedures(read_json_document(PROCEDURES_PATH, "procedures"), PROCEDURES_PATH)


@dataclass(frozen=True, slots=True)
class SocialKnowledge:
    smoking_loinc: str
    answers: tuple[SmokingAnswer, ...]
    questions: tuple[SocialQuestion, ...]

    def answer(self, snomed: str) -> SmokingAnswer | None:
        return next((a for a in self.answers if a.snomed == (snomed or "").strip()), None)

    def question(self, loinc: str) -> SocialQuestion | None:
        return next((q for q in self.questions if q.loinc == (loinc or "").strip()), None)

    def standard_answers(self) -> tuple[SmokingAnswer, ...]:
        """The five a clinician picks from: every day, some days, former, never, unknown if ever smoked."""
        keep = ("449868002", "428041000124106", "8517006", "266919005", "266927001")
        return tuple(a for code in keep for a in self.answers if a.snomed == code)


def _parse_social(path: Path) -> SocialKnowledge:
    answers = read_json_document(path, "smoking_answers")
    questions = read_json_document(path, "questions")
    try:
        loinc = json.loads(path.read_text(encoding="utf-8")).get("smoking_status_loinc", "")
    except (OSError, ValueError, AttributeError) as exc:
        raise KnowledgeBaseError(f"{path}: {exc}") from exc
    out_a = []
    for i, e in enumerate(answers):
        where = f"{path}: smoking answer #{i + 1}"
        if not isinstance(e, dict):
            raise KnowledgeBaseError(f"{where}: an entry must be an object")
        code, group = _text(e, "snomed", where), _text(e, "group", where)
        _text(e, "source", where)
        if not _SNOMED.match(code):
            raise KnowledgeBaseError(f"{where}: SNOMED CT code must be 6-18 digits")
        if group not in SMOKING_GROUPS:
            raise KnowledgeBaseError(f"{where}: group must be one of {SMOKING_GROUPS}")
        out_a.append(SmokingAnswer(snomed=code, name=_text(e, "name", where), group=group))
    out_q = []
    for i, e in enumerate(questions):
        where = f"{path}: question #{i + 1}"
        if not isinstance(e, dict):
            raise KnowledgeBaseError(f"{where}: an entry must be an object")
        _text(e, "source", where)
        out_q.append(SocialQuestion(loinc=_text(e, "loinc", where), kind=_text(e, "kind", where),
                                    name=_text(e, "name", where)))
    if loinc != "72166-2":
        raise KnowledgeBaseError(f"{path}: smoking_status_loinc must be 72166-2")
    return SocialKnowledge(smoking_loinc=loinc, answers=tuple(out_a), questions=tuple(out_q))


@lru_cache(maxsize=1)
def social() -> SocialKnowledge:
    return _parse_social(SOCIAL_PATH)


SMOKING_CHC_PATH = RESOURCES / "kb" / "smoking_contraceptive_rule.json"


@dataclass(frozen=True, slots=True)
class SmokingContraceptiveRule:
    rule_id: str
    min_age_exclusive: float
    severity: str
    smoking_groups: tuple[str, ...]
    warning: str
    management: str
    source: str
    estrogens: tuple[str, ...]
    progestins: tuple[str, ...]


def _parse_chc(path: Path) -> SmokingContraceptiveRule:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeBaseError(f"knowledge file is missing: {path}") from None
    except (OSError, ValueError) as exc:
        raise KnowledgeBaseError(f"knowledge file cannot be read: {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise KnowledgeBaseError(f"{path}: expected an object")
    where = str(path)
    texts = {k: _text(data, k, where) for k in ("rule_id", "severity", "warning", "management", "source")}
    lists = {}
    for key in ("smoking_groups", "estrogens", "progestins"):
        value = data.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise KnowledgeBaseError(f"{path}: '{key}' must be a non-empty list of names")
        lists[key] = tuple(" ".join(v.lower().split()) for v in value)
    if not set(lists["smoking_groups"]) <= set(SMOKING_GROUPS):
        raise KnowledgeBaseError(f"{path}: smoking_groups must be among {SMOKING_GROUPS}")
    age = data.get("min_age_exclusive")
    if not isinstance(age, (int, float)) or not 0 < age < 120:
        raise KnowledgeBaseError(f"{path}: min_age_exclusive must be an age in years")
    return SmokingContraceptiveRule(min_age_exclusive=float(age), **texts, **lists)


@lru_cache(maxsize=1)
def smoking_contraceptive_rule() -> SmokingContraceptiveRule:
    return _parse_chc(SMOKING_CHC_PATH)
