"""Load and validate the alert knowledge base (resources/kb/*.json) into indexed, immutable rules.

Every file is checked in full: a missing file, bad JSON, an entry without a source, an unknown class or a
missing ONC pair raises KnowledgeBaseUnavailable. Nothing is skipped silently: a half-loaded knowledge base
would look like "no alerts" to the user, which is the failure this module exists to prevent.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.kb.text import words

from .errors import KnowledgeBaseUnavailable
from .model import SEVERITIES

FILES = {
    "interactions": "interactions.json",
    "allergy_classes": "allergy_classes.json",
    "therapeutic_classes": "therapeutic_classes.json",
    "vital_ranges": "vital_ranges.json",
}
ONC_PAIRS = range(1, 16)  # Phansalkar 2012: all 15 must be present
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_CLASS_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_OPS = {"<", "<=", ">", ">="}
CLASS_PREFIX = "class:"


def norm(name: str) -> str:
    """Matching key for ingredient and allergen names: folded words joined by one space.

    "St. John's Wort" -> "st john s wort"; "Penicillin G" -> "penicillin g".
    """
    return " ".join(words(name or ""))


def default_dir() -> Path:
    from desktop.config import RESOURCES

    return RESOURCES / "kb"


# ---------------------------------------------------------------- compiled rules


@dataclass(frozen=True, slots=True)
class InteractionRule:
    id: str
    severity: str
    summary: str
    mechanism: str
    management: str
    source: str
    a_ings: frozenset[str]  # explicit ingredients plus members of the referenced classes
    b_ings: frozenset[str]
    a_classes: frozenset[str]  # class ids referenced (matched against a drug's formulary classes too)
    b_classes: frozenset[str]
    a_spec: tuple[str, ...]
    b_spec: tuple[str, ...]
    topic: str
    onc: int | None = None


@dataclass(frozen=True, slots=True)
class DuplicateRule:
    id: str
    severity: str
    summary: str
    mechanism: str
    management: str
    source: str
    classes: tuple[str, ...] = ()
    same_ingredient: bool = False


@dataclass(frozen=True, slots=True)
class AllergyClass:
    id: str
    label: str
    names: tuple[str, ...]
    members: frozenset[str]
    note: str
    source: str


@dataclass(frozen=True, slots=True)
class CrossRule:
    id: str
    severity: str
    summary: str
    management: str
    source: str
    from_ings: frozenset[str]
    from_classes: frozenset[str]
    to_ings: frozenset[str]
    to_classes: frozenset[str]


@dataclass(frozen=True, slots=True)
class VaccineDef:
    id: str
    label: str
    match: tuple[tuple[str, ...], ...]  # word sequences; any one present in the drug's name/ingredients
    exclude: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class AllergenAlert:
    id: str
    vaccines: tuple[str, ...]
    severity: str
    summary: str
    management: str
    source: str


@dataclass(frozen=True, slots=True)
class Allergen:
    id: str
    label: str
    category: str
    names: tuple[str, ...]
    alerts: tuple[AllergenAlert, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class VitalRule:
    id: str
    loinc: str
    op: str
    value: float
    per_year: float
    min_age: float | None
    max_age: float | None
    severity: str
    summary: str
    management: str
    source: str

    def applies_to_age(self, age: float | None) -> bool:
        if age is None:
            # unknown age: adult thresholds and age-independent rules only (never a paediatric formula)
            return self.max_age is None and not self.per_year
        return (self.min_age is None or age >= self.min_age) and (self.max_age is None or age < self.max_age)

    def threshold(self, age: float | None) -> float:
        return self.value + (self.per_year * age if self.per_year and age is not None else 0.0)


@dataclass(slots=True)
class KnowledgeBase:
    directory: Path
    versions: dict[str, str]  # file name -> sha256 (provenance shown by the CLI and the audit)
    classes: dict[str, frozenset[str]]  # therapeutic classes and interaction groups -> member ingredients
    class_labels: dict[str, str]
    class_sources: dict[str, str]
    ingredient_classes: dict[str, frozenset[str]]
    interactions: tuple[InteractionRule, ...]
    duplicates: tuple[DuplicateRule, ...]
    allergy_classes: dict[str, AllergyClass]
    allergy_names: dict[str, str]  # normalised name -> allergy class id
    ingredient_allergy_classes: dict[str, frozenset[str]]
    cross_reactivity: tuple[CrossRule, ...]
    vaccines: dict[str, VaccineDef]
    allergens: dict[str, Allergen]
    allergen_names: dict[str, str]  # normalised name -> allergen id
    not_cross_reactive: tuple[dict, ...]
    vital_rules: dict[str, tuple[VitalRule, ...]]  # LOINC -> rules
    vital_labels: dict[str, tuple[str, str]]  # LOINC -> (label, unit)
    vital_aliases: dict[str, str]
    ingredient_rxcui: dict[str, str]
    rxcui_ingredient: dict[str, str]
    known_ingredients: frozenset[str]
    # rule indexes: ingredient / class id -> ((rule index, side 0=a 1=b), ...)
    ing_index: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    class_index: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    profile_cache: dict = field(default_factory=dict)  # engine's per-drug match profiles

    @property
    def version(self) -> str:
        digest = hashlib.sha256("".join(f"{k}:{v}" for k, v in sorted(self.versions.items())).encode())
        return digest.hexdigest()[:12]

    def counts(self) -> dict[str, int]:
        return {
            "interactions": len(self.interactions),
            "onc_pairs": len({r.onc for r in self.interactions if r.onc}),
            "therapeutic_classes": len(self.classes),
            "duplicate_rules": len(self.duplicates),
            "allergy_classes": len(self.allergy_classes),
            "cross_reactivity": len(self.cross_reactivity),
            "non_drug_allergens": len(self.allergens),
            "vital_rules": sum(len(v) for v in self.vital_rules.values()),
        }


# ---------------------------------------------------------------- loading

_cache: dict[tuple, KnowledgeBase] = {}
_lock = threading.Lock()


def load_kb(directory: str | Path | None = None) -> KnowledgeBase:
    """The validated knowledge base; cached until one of its files changes. Raises KnowledgeBaseUnavailable."""
    folder = Path(directory) if directory is not None else default_dir()
    stamp: list[tuple] = []
    for fname in FILES.values():
        path = folder / fname
        try:
            st = path.stat()
        except OSError as exc:
            raise KnowledgeBaseUnavailable(f"cannot read {fname}: {exc.strerror or exc}", str(path)) from exc
        stamp.append((fname, st.st_mtime_ns, st.st_size))
    key = (str(folder.resolve()), tuple(stamp))
    with _lock:
        kb = _cache.get(key)
        if kb is None:
            kb = _build(folder)
            _cache.clear()  # one knowledge base in memory at a time
            _cache[key] = kb
        return kb


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _read(folder: Path, fname: str, schema: str) -> tuple[dict, str]:
    path = folder / fname
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KnowledgeBaseUnavailable(f"cannot read {fname}: {exc.strerror or exc}", str(path)) from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseUnavailable(f"{fname} is not UTF-8 text", str(path)) from exc
    except json.JSONDecodeError as exc:
        raise KnowledgeBaseUnavailable(
            f"{fname} is corrupt (invalid JSON at line {exc.lineno}, column {exc.colno})", str(path)) from exc
    if not isinstance(data, dict) or data.get("schema") != schema:
        raise KnowledgeBaseUnavailable(f"{fname} is not a {schema!r} file", str(path))
    return data, hashlib.sha256(raw).hexdigest()


class _Problems:
    """Collects validation problems so the error names the first few, not just the first."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}")

    def raise_if_any(self, folder: Path) -> None:
        if self.items:
            more = f" (and {len(self.items) - 5} more)" if len(self.items) > 5 else ""
            raise KnowledgeBaseUnavailable("invalid knowledge base: " + "; ".join(self.items[:5]) + more, str(folder))


def _text(p: _Problems, where: str, entry: dict, key: str, required: bool = True) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        p.add(where, f"'{key}' must be a non-empty string")
        return ""
    return value.strip()


def _severity(p: _Problems, where: str, entry: dict) -> str:
    sev = entry.get("severity")
    if sev not in SEVERITIES:
        p.add(where, f"severity {sev!r} is not one of {', '.join(SEVERITIES)}")
        return "major"
    return sev


def _rules(p: _Problems, seen: set[str], entries: list, first: str,
           named: str) -> Iterator[tuple[str, str, dict]]:
    """Each object of a rule list with its id checked: (where, id, entry). `first` names the entry by position
    ("interactions[{n}]"), `named` by id once read ("interaction {id}"); ids are unique across all the files."""
    for n, entry in enumerate(entries):
        where = first.format(n=n)
        if not isinstance(entry, dict):
            p.add(where, "must be an object")
            continue
        rid = _text(p, where, entry, "id")
        where = named.format(id=rid or n)
        if rid in seen:
            p.add(where, "duplicate id")
        seen.add(rid)
        yield where, rid, entry


def _names(p: _Problems, where: str, value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not value:
        p.add(where, f"'{key}' must be a non-empty list")
        return []
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            p.add(where, f"'{key}' has an empty or non-text item")
            continue
        if item != item.lower() and not item.startswith(CLASS_PREFIX):
            p.add(where, f"{item!r} in '{key}' must be lower-case")
        out.append(item.strip())
    return out


def _keys(p: _Problems, where: str, entry: dict, allowed: set[str]) -> None:
    extra = set(entry) - allowed
    if extra:  # a typo such as "sevrity" must not silently drop a field
        p.add(where, f"unknown field(s) {', '.join(sorted(extra))}")


def _build(folder: Path) -> KnowledgeBase:
    p = _Problems()
    ther, v1 = _read(folder, FILES["therapeutic_classes"], "therapeutic_classes/1")
    inter, v2 = _read(folder, FILES["interactions"], "interactions/1")
    allg, v3 = _read(folder, FILES["allergy_classes"], "allergy_classes/1")
    vit, v4 = _read(folder, FILES["vital_ranges"], "vital_ranges/1")
    versions = {FILES["therapeutic_classes"]: v1, FILES["interactions"]: v2,
                FILES["allergy_classes"]: v3, FILES["vital_ranges"]: v4}

    # classes: therapeutic classes, then interaction groups (one namespace)
    classes: dict[str, frozenset[str]] = {}
    labels: dict[str, str] = {}
    sources: dict[str, str] = {}
    for fname, section in ((FILES["therapeutic_classes"], ther.get("classes")),
                           (FILES["interactions"], inter.get("groups"))):
        if not isinstance(section, dict) or not section:
            p.add(fname, "class/group table missing or empty")
            continue
        for cid, entry in section.items():
            where = f"{fname} class {cid}"
            if not _CLASS_ID.match(cid):
                p.add(where, "class ids are snake_case")
            if cid in classes:
                p.add(where, "defined twice (class ids share one namespace with interaction groups)")
            if not isinstance(entry, dict):
                p.add(where, "must be an object")
                continue
            _keys(p, where, entry, {"label", "members", "source", "note"})
            labels[cid] = _text(p, where, entry, "label")
            sources[cid] = _text(p, where, entry, "source")
            members = _names(p, where, entry.get("members"), "members")
            classes[cid] = frozenset(norm(m) for m in members)

    other = ther.get("other_ingredients")
    if not isinstance(other, dict):
        p.add(FILES["therapeutic_classes"], "'other_ingredients' must be an object with 'members'")
        other = {}
    vocabulary: set[str] = {norm(m) for m in _names(p, "other_ingredients", other.get("members"), "members")}
    for members in classes.values():
        vocabulary |= members
    for entry in (allg.get("classes") or {}).values():
        if isinstance(entry, dict) and isinstance(entry.get("members"), list):
            vocabulary |= {norm(m) for m in entry["members"] if isinstance(m, str)}

    def expand(where: str, spec: list[str], namespace: dict[str, frozenset[str]]) -> tuple[set[str], set[str]]:
        ings: set[str] = set()
        cls: set[str] = set()
        for item in spec:
            if item.startswith(CLASS_PREFIX):
                cid = item[len(CLASS_PREFIX):]
                if cid not in namespace:
                    p.add(where, f"unknown class {cid!r}")
                    continue
                cls.add(cid)
                ings |= namespace[cid]
            else:
                if norm(item) not in vocabulary:
                    p.add(where, f"ingredient {item!r} is not in the knowledge base's vocabulary "
                                 "(a class member or other_ingredients): misspelt?")
                ings.add(norm(item))
        return ings, cls

    # interactions
    rules: list[InteractionRule] = []
    seen: set[str] = set()
    raw_rules = inter.get("interactions")
    if not isinstance(raw_rules, list) or not raw_rules:
        p.add(FILES["interactions"], "'interactions' must be a non-empty list")
        raw_rules = []
    for where, rid, entry in _rules(p, seen, raw_rules, "interactions[{n}]", "interaction {id}"):
        if rid and not _ID.match(rid):
            p.add(where, "ids are lower-case letters, digits, '-', '_' or '.'")
        _keys(p, where, entry, {"id", "onc", "topic", "a", "b", "severity", "summary", "mechanism",
                                "management", "source"})
        onc = entry.get("onc")
        if onc is not None and (not isinstance(onc, int) or onc not in ONC_PAIRS):
            p.add(where, f"'onc' must be 1..15, not {onc!r}")
            onc = None
        a_spec = _names(p, where, entry.get("a"), "a")
        b_spec = _names(p, where, entry.get("b"), "b")
        a_ings, a_cls = expand(where, a_spec, classes)
        b_ings, b_cls = expand(where, b_spec, classes)
        topic = entry.get("topic")
        if topic is not None and (not isinstance(topic, str) or not topic.strip()):
            p.add(where, "'topic' must be a non-empty string when present")
            topic = None
        rules.append(InteractionRule(
            id=rid, severity=_severity(p, where, entry), summary=_text(p, where, entry, "summary"),
            mechanism=_text(p, where, entry, "mechanism"), management=_text(p, where, entry, "management"),
            source=_text(p, where, entry, "source"), a_ings=frozenset(a_ings), b_ings=frozenset(b_ings),
            a_classes=frozenset(a_cls), b_classes=frozenset(b_cls), a_spec=tuple(a_spec), b_spec=tuple(b_spec),
            topic=topic or f"rule:{rid}", onc=onc,
        ))
    missing_onc = sorted(set(ONC_PAIRS) - {r.onc for r in rules if r.onc})
    if missing_onc:
        p.add(FILES["interactions"], f"ONC high-priority pair(s) {missing_onc} missing")

    rxcui = inter.get("ingredient_rxcui", {})
    if not isinstance(rxcui, dict) or not all(isinstance(v, str) and v.isdigit() for v in rxcui.values()):
        p.add(FILES["interactions"], "'ingredient_rxcui' must map ingredient names to digit strings")
        rxcui = {}
    ingredient_rxcui = {norm(k): v for k, v in rxcui.items()}

    # duplicates
    dups: list[DuplicateRule] = []
    for where, rid, entry in _rules(p, seen, ther.get("duplicates") or [], "duplicates[{n}]", "duplicate {id}"):
        _keys(p, where, entry, {"id", "classes", "same_ingredient", "severity", "summary", "mechanism",
                                "management", "source"})
        same = entry.get("same_ingredient", False) is True
        cls: list[str] = []
        if not same:
            cls = _names(p, where, entry.get("classes"), "classes")
            if not 1 <= len(cls) <= 2:
                p.add(where, "'classes' names one class (two of it) or two classes (one of each)")
            for cid in cls:
                if cid not in classes:
                    p.add(where, f"unknown class {cid!r}")
        dups.append(DuplicateRule(
            id=rid, severity=_severity(p, where, entry), summary=_text(p, where, entry, "summary"),
            mechanism=_text(p, where, entry, "mechanism"), management=_text(p, where, entry, "management"),
            source=_text(p, where, entry, "source"), classes=tuple(cls), same_ingredient=same,
        ))
    if not dups:
        p.add(FILES["therapeutic_classes"], "'duplicates' must be a non-empty list")

    # allergy classes
    aclasses: dict[str, AllergyClass] = {}
    anames: dict[str, str] = {}
    section = allg.get("classes")
    if not isinstance(section, dict) or not section:
        p.add(FILES["allergy_classes"], "'classes' missing or empty")
        section = {}
    for cid, entry in section.items():
        where = f"allergy class {cid}"
        if not _CLASS_ID.match(cid):
            p.add(where, "class ids are snake_case")
        if not isinstance(entry, dict):
            p.add(where, "must be an object")
            continue
        _keys(p, where, entry, {"label", "names", "members", "note", "source"})
        names = _names(p, where, entry.get("names"), "names")
        members = _names(p, where, entry.get("members"), "members")
        ac = AllergyClass(id=cid, label=_text(p, where, entry, "label"), names=tuple(names),
                          members=frozenset(norm(m) for m in members), note=_text(p, where, entry, "note", False),
                          source=_text(p, where, entry, "source"))
        aclasses[cid] = ac
        for name in (cid.replace("_", " "), *names):
            key = norm(name)
            if anames.get(key, cid) != cid:
                p.add(where, f"name {name!r} also names allergy class {anames[key]}")
            anames[key] = cid
    ing_aclasses: dict[str, set[str]] = {}
    for ac in aclasses.values():
        for m in ac.members:
            ing_aclasses.setdefault(m, set()).add(ac.id)

    cross: list[CrossRule] = []
    for where, rid, entry in _rules(p, seen, allg.get("cross_reactivity") or [], "cross_reactivity[{n}]",
                                    "cross-reactivity {id}"):
        _keys(p, where, entry, {"id", "from", "to", "severity", "summary", "management", "source"})
        namespace = {k: v.members for k, v in aclasses.items()}
        f_ings, f_cls = expand(where, _names(p, where, entry.get("from"), "from"), namespace)
        t_ings, t_cls = expand(where, _names(p, where, entry.get("to"), "to"), namespace)
        explicit_from = f_ings - set().union(*(namespace[c] for c in f_cls)) if f_cls else f_ings
        cross.append(CrossRule(
            id=rid, severity=_severity(p, where, entry), summary=_text(p, where, entry, "summary"),
            management=_text(p, where, entry, "management"), source=_text(p, where, entry, "source"),
            from_ings=frozenset(explicit_from), from_classes=frozenset(f_cls),
            to_ings=frozenset(t_ings), to_classes=frozenset(t_cls),
        ))

    vaccines: dict[str, VaccineDef] = {}
    for vid, entry in (allg.get("vaccines") or {}).items():
        where = f"vaccine {vid}"
        if not isinstance(entry, dict):
            p.add(where, "must be an object")
            continue
        _keys(p, where, entry, {"label", "match", "exclude", "note"})
        match = tuple(tuple(words(m)) for m in _names(p, where, entry.get("match"), "match"))
        exclude = tuple(tuple(words(m)) for m in entry.get("exclude", []) if isinstance(m, str))
        vaccines[vid] = VaccineDef(id=vid, label=_text(p, where, entry, "label"), match=match, exclude=exclude)

    allergens: dict[str, Allergen] = {}
    allergen_names: dict[str, str] = {}
    for aid, entry in (allg.get("allergens") or {}).items():
        where = f"allergen {aid}"
        if not isinstance(entry, dict):
            p.add(where, "must be an object")
            continue
        _keys(p, where, entry, {"label", "category", "names", "alerts", "note"})
        alerts: list[AllergenAlert] = []
        for m, al in enumerate(entry.get("alerts") or []):
            w2 = f"{where} alerts[{m}]"
            if not isinstance(al, dict):
                p.add(w2, "must be an object")
                continue
            _keys(p, w2, al, {"id", "vaccines", "severity", "summary", "management", "source"})
            rid = _text(p, w2, al, "id")
            if rid in seen:
                p.add(w2, "duplicate id")
            seen.add(rid)
            vlist = _names(p, w2, al.get("vaccines"), "vaccines")
            for v in vlist:
                if v not in vaccines:
                    p.add(w2, f"unknown vaccine group {v!r}")
            alerts.append(AllergenAlert(id=rid, vaccines=tuple(vlist), severity=_severity(p, w2, al),
                                        summary=_text(p, w2, al, "summary"),
                                        management=_text(p, w2, al, "management"),
                                        source=_text(p, w2, al, "source")))
        names = _names(p, where, entry.get("names"), "names")
        allergens[aid] = Allergen(id=aid, label=_text(p, where, entry, "label"),
                                  category=_text(p, where, entry, "category"), names=tuple(names),
                                  alerts=tuple(alerts), note=_text(p, where, entry, "note", False))
        for name in (aid, *names):
            key = norm(name)
            if key in anames or allergen_names.get(key, aid) != aid:
                p.add(where, f"name {name!r} is already used by another allergy class or allergen")
            allergen_names[key] = aid

    not_cross = []
    for n, entry in enumerate(allg.get("not_cross_reactive") or []):
        where = f"not_cross_reactive[{n}]"
        if not isinstance(entry, dict):
            p.add(where, "must be an object")
            continue
        _keys(p, where, entry, {"allergy", "drugs", "note", "source"})
        _text(p, where, entry, "source")
        for side in ("allergy", "drugs"):
            for item in _names(p, where, entry.get(side), side):
                if item.startswith(CLASS_PREFIX):
                    if item[len(CLASS_PREFIX):] not in aclasses:
                        p.add(where, f"unknown allergy class {item!r}")
                elif side == "drugs" and norm(item) not in vocabulary:
                    p.add(where, f"ingredient {item!r} is not in the knowledge base's vocabulary")
        not_cross.append(entry)

    # vitals
    vlabels: dict[str, tuple[str, str]] = {}
    for code, entry in (vit.get("vitals") or {}).items():
        if not isinstance(entry, dict) or not entry.get("label") or "unit" not in entry:
            p.add(f"vital {code}", "needs 'label' and 'unit'")
            continue
        vlabels[code] = (entry["label"], entry["unit"])
    aliases = vit.get("aliases") or {}
    for alias, target in aliases.items():
        if target not in vlabels:
            p.add(f"vital alias {alias}", f"points to unknown code {target!r}")
    vrules: dict[str, list[VitalRule]] = {}
    raw_vitals = vit.get("rules")
    if not isinstance(raw_vitals, list) or not raw_vitals:
        p.add(FILES["vital_ranges"], "'rules' must be a non-empty list")
        raw_vitals = []
    for where, rid, entry in _rules(p, seen, raw_vitals, "vital rule {n}", "vital rule {id}"):
        _keys(p, where, entry, {"id", "loinc", "op", "value", "value_per_year", "min_age", "max_age",
                                "severity", "summary", "management", "source"})
        loinc = entry.get("loinc")
        if loinc not in vlabels:
            p.add(where, f"unknown LOINC code {loinc!r}")
        op = entry.get("op")
        if op not in _OPS:
            p.add(where, f"op must be one of {sorted(_OPS)}")
        nums = {}
        for k in ("value", "value_per_year", "min_age", "max_age"):
            v = entry.get(k)
            if k == "value" and not isinstance(v, (int, float)):
                p.add(where, "'value' must be a number")
            elif v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                p.add(where, f"'{k}' must be a number or null")
                v = None
            nums[k] = v
        if nums["min_age"] is not None and nums["max_age"] is not None and nums["min_age"] >= nums["max_age"]:
            p.add(where, "min_age must be below max_age")
        vrules.setdefault(str(loinc), []).append(VitalRule(
            id=rid, loinc=str(loinc), op=str(op), value=float(nums["value"] or 0),
            per_year=float(nums["value_per_year"] or 0), min_age=nums["min_age"], max_age=nums["max_age"],
            severity=_severity(p, where, entry), summary=_text(p, where, entry, "summary"),
            management=_text(p, where, entry, "management"), source=_text(p, where, entry, "source"),
        ))

    p.raise_if_any(folder)

    ingredient_classes: dict[str, set[str]] = {}
    for cid, members in classes.items():
        for m in members:
            ingredient_classes.setdefault(m, set()).add(cid)
    known: set[str] = set(ingredient_classes) | set(ing_aclasses) | set(ingredient_rxcui) | vocabulary
    for r in rules:
        known |= r.a_ings | r.b_ings
    for c in cross:
        known |= c.from_ings | c.to_ings

    ing_index: dict[str, list[tuple[int, int]]] = {}
    class_index: dict[str, list[tuple[int, int]]] = {}
    for i, r in enumerate(rules):
        for side, (ings, cls) in enumerate(((r.a_ings, r.a_classes), (r.b_ings, r.b_classes))):
            for ing in ings:
                ing_index.setdefault(ing, []).append((i, side))
            for cid in cls:
                class_index.setdefault(cid, []).append((i, side))

    return KnowledgeBase(
        directory=folder, versions=versions, classes=classes, class_labels=labels, class_sources=sources,
        ingredient_classes={k: frozenset(v) for k, v in ingredient_classes.items()},
        interactions=tuple(rules), duplicates=tuple(dups), allergy_classes=aclasses, allergy_names=anames,
        ingredient_allergy_classes={k: frozenset(v) for k, v in ing_aclasses.items()},
        cross_reactivity=tuple(cross), vaccines=vaccines, allergens=allergens, allergen_names=allergen_names,
        not_cross_reactive=tuple(not_cross),
        vital_rules={k: tuple(v) for k, v in vrules.items()}, vital_labels=vlabels,
        vital_aliases=dict(aliases), ingredient_rxcui=ingredient_rxcui,
        rxcui_ingredient={v: k for k, v in ingredient_rxcui.items()}, known_ingredients=frozenset(known),
        ing_index={k: tuple(v) for k, v in ing_index.items()},
        class_index={k: tuple(v) for k, v in class_index.items()},
    )
