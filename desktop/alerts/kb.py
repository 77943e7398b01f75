"""The alert knowledge base as the engine uses it: the validated files of desktop/kb compiled into indexed,
immutable rules.

Validation is desktop.kb.rules' job (pydantic models: a missing file, bad JSON, an entry without a source, an
unknown class or a missing ONC pair raises KnowledgeBaseUnavailable). Nothing is skipped silently: a half-loaded
knowledge base would look like "no alerts" to the user, which is the failure this module exists to prevent.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from desktop.kb import rules as rules_module
from desktop.kb.errors import KnowledgeBaseUnavailable
from desktop.kb.rules import FILES, ONC_PAIRS, RuleFiles, norm
from desktop.kb.schema import CLASS_PREFIX
from desktop.kb.text import words
from desktop.kb.vitals import Band

__all__ = ["FILES", "ONC_PAIRS", "KnowledgeBase", "KnowledgeBaseUnavailable", "clear_cache", "default_dir", "load_kb",
           "norm"]


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
class PseudoAllergy:
    reactions: tuple[tuple[str, ...], ...]  # word sequences of reactions that are not immune-mediated
    severity: str
    summary: str
    source: str


@dataclass(frozen=True, slots=True)
class AllergyClass:
    id: str
    label: str
    names: tuple[str, ...]
    members: frozenset[str]
    note: str
    source: str
    formulary_classes: frozenset[str] = frozenset()  # formulary classes standing in for unknown ingredients
    from_ingredient: bool = True  # an allergy to a member implies this class
    pseudo_allergy: PseudoAllergy | None = None


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
    to_explicit: frozenset[str] = frozenset()  # ingredients the rule names itself (more specific than a class)


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
    normal: str | None = None  # "low" | "high": the threshold is that bound of the catalog's band for the age
    bands: tuple[Band, ...] = ()

    def applies_to_age(self, age: float | None) -> bool:
        if age is None:
            # unknown age: adult thresholds and age-independent rules only (never a paediatric formula)
            return self.max_age is None and not self.per_year and self.normal is None
        return (self.min_age is None or age >= self.min_age) and (self.max_age is None or age < self.max_age)

    def threshold(self, age: float | None) -> float:
        if self.normal is not None:
            band = next(b for b in self.bands if b.covers(30.0 if age is None else age))
            return band.low if self.normal == "low" else band.high
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


def default_dir() -> Path:
    return rules_module.default_dir()


def load_kb(directory: str | Path | None = None) -> KnowledgeBase:
    """The validated knowledge base; cached until one of its files changes. Raises KnowledgeBaseUnavailable."""
    folder = Path(directory) if directory is not None else default_dir()
    files, versions = rules_module.rule_files(folder)  # validated once (desktop.kb), cached by file stamps
    key = (str(folder.resolve()), tuple(sorted(versions.items())))
    with _lock:
        kb = _cache.get(key)
        if kb is None:
            kb = compile_rules(files, versions, folder)
            _cache.clear()  # one knowledge base in memory at a time
            _cache[key] = kb
        return kb


def clear_cache() -> None:
    rules_module.clear_cache()
    with _lock:
        _cache.clear()


def _expand(spec: tuple[str, ...], namespace: dict[str, frozenset[str]]) -> tuple[set[str], set[str], set[str]]:
    """(all ingredients, class ids, explicitly named ingredients) of a rule side."""
    ings: set[str] = set()
    cls: set[str] = set()
    explicit: set[str] = set()
    for item in spec:
        if item.startswith(CLASS_PREFIX):
            cid = item[len(CLASS_PREFIX):]
            cls.add(cid)
            ings |= namespace[cid]
        else:
            explicit.add(norm(item))
    return ings | explicit, cls, explicit


def compile_rules(files: RuleFiles, versions: dict[str, str], folder: Path) -> KnowledgeBase:
    classes = files.class_namespace()
    labels = {cid: c.label for cid, c in (*files.therapeutic.classes.items(), *files.interactions.groups.items())}
    sources = {cid: c.source for cid, c in (*files.therapeutic.classes.items(), *files.interactions.groups.items())}
    vocabulary = files.vocabulary()

    rules: list[InteractionRule] = []
    for r in files.interactions.interactions:
        a_ings, a_cls, _ = _expand(r.a, classes)
        b_ings, b_cls, _ = _expand(r.b, classes)
        rules.append(InteractionRule(
            id=r.id, severity=r.severity, summary=r.summary, mechanism=r.mechanism, management=r.management,
            source=r.source, a_ings=frozenset(a_ings), b_ings=frozenset(b_ings), a_classes=frozenset(a_cls),
            b_classes=frozenset(b_cls), a_spec=r.a, b_spec=r.b, topic=r.topic or f"rule:{r.id}", onc=r.onc,
        ))
    ingredient_rxcui = {norm(k): v for k, v in files.interactions.ingredient_rxcui.items()}
    dups = tuple(DuplicateRule(id=r.id, severity=r.severity, summary=r.summary, mechanism=r.mechanism,
                               management=r.management, source=r.source,
                               classes=() if r.same_ingredient else r.classes, same_ingredient=r.same_ingredient)
                 for r in files.therapeutic.duplicates)

    aclasses: dict[str, AllergyClass] = {}
    anames: dict[str, str] = {}
    for cid, c in files.allergy.classes.items():
        pseudo = None
        if c.pseudo_allergy is not None:
            pa = c.pseudo_allergy
            pseudo = PseudoAllergy(tuple(tuple(words(x)) for x in pa.reactions), pa.severity, pa.summary, pa.source)
        aclasses[cid] = AllergyClass(
            id=cid, label=c.label, names=c.names, members=frozenset(norm(m) for m in c.members), note=c.note,
            source=c.source, formulary_classes=frozenset(c.formulary_classes), from_ingredient=c.from_ingredient,
            pseudo_allergy=pseudo)
        for name in (cid.replace("_", " "), *c.names):
            anames[norm(name)] = cid
    ing_aclasses: dict[str, set[str]] = {}
    for ac in aclasses.values():
        if ac.from_ingredient:
            for m in ac.members:
                ing_aclasses.setdefault(m, set()).add(ac.id)
    anamespace = {k: v.members for k, v in aclasses.items()}
    cross: list[CrossRule] = []
    for r in files.allergy.cross_reactivity:
        _, f_cls, f_explicit = _expand(r.from_, anamespace)
        t_ings, t_cls, t_explicit = _expand(r.to, anamespace)
        cross.append(CrossRule(id=r.id, severity=r.severity, summary=r.summary, management=r.management,
                               source=r.source, from_ings=frozenset(f_explicit), from_classes=frozenset(f_cls),
                               to_ings=frozenset(t_ings), to_classes=frozenset(t_cls),
                               to_explicit=frozenset(t_explicit)))
    vaccines = {vid: VaccineDef(id=vid, label=v.label, match=tuple(tuple(words(m)) for m in v.match),
                                exclude=tuple(tuple(words(m)) for m in v.exclude))
                for vid, v in files.allergy.vaccines.items()}
    allergens: dict[str, Allergen] = {}
    allergen_names: dict[str, str] = {}
    for aid, a in files.allergy.allergens.items():
        alerts = tuple(AllergenAlert(id=al.id, vaccines=al.vaccines, severity=al.severity, summary=al.summary,
                                     management=al.management, source=al.source) for al in a.alerts)
        allergens[aid] = Allergen(id=aid, label=a.label, category=a.category, names=a.names, alerts=alerts,
                                  note=a.note)
        for name in (aid, *a.names):
            allergen_names[norm(name)] = aid

    catalog = files.catalog
    vitals_by = {v.loinc: v for v in catalog.vitals}
    vlabels = {v.loinc: (v.name, v.display_unit) for v in catalog.vitals if not v.ranges_as}
    aliases = {v.loinc: v.ranges_as for v in catalog.vitals if v.ranges_as}
    for a in catalog.aliases:
        target = vitals_by[a.same_as]
        aliases[a.loinc] = target.ranges_as or target.loinc
    vrules: dict[str, list[VitalRule]] = {}
    for r in files.vital_rules.rules:
        vrules.setdefault(r.loinc, []).append(VitalRule(
            id=r.id, loinc=r.loinc, op=r.op, value=float(r.value or 0), per_year=float(r.value_per_year or 0),
            min_age=r.min_age, max_age=r.max_age, severity=r.severity, summary=r.summary,
            management=r.management, source=r.source, normal=r.normal,
            bands=vitals_by[r.loinc].normal if r.normal else ()))

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
        interactions=tuple(rules), duplicates=dups, allergy_classes=aclasses, allergy_names=anames,
        ingredient_allergy_classes={k: frozenset(v) for k, v in ing_aclasses.items()},
        cross_reactivity=tuple(cross), vaccines=vaccines, allergens=allergens, allergen_names=allergen_names,
        not_cross_reactive=tuple(e.model_dump(by_alias=True) for e in files.allergy.not_cross_reactive),
        vital_rules={k: tuple(v) for k, v in vrules.items()}, vital_labels=vlabels,
        vital_aliases=aliases, ingredient_rxcui=ingredient_rxcui,
        rxcui_ingredient={v: k for k, v in ingredient_rxcui.items()}, known_ingredients=frozenset(known),
        ing_index={k: tuple(v) for k, v in ing_index.items()},
        class_index={k: tuple(v) for k, v in class_index.items()},
    )
