"""Pydantic models of the alert knowledge files and their cross-file checks.

Four rule files (therapeutic_classes.json, interactions.json, allergy_classes.json, vital_ranges.json) plus the
vitals catalog. Each object is strict (unknown fields are errors) and every rule carries its source. The checks
that span files live in `RuleFiles`: class references resolve, every ingredient a rule names is in the
vocabulary (a misspelling would otherwise never match), ids are unique across files, all 15 ONC high-priority
pairs are present, each vital rule's code is in the catalog. No Qt, no database.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from desktop.config import RESOURCES

from .errors import KnowledgeBaseUnavailable
from .schema import (
    CLASS_PREFIX,
    ClassId,
    Digits,
    Loinc,
    Name,
    Names,
    RuleId,
    Severity,
    Source,
    Sourced,
    Strict,
    Text,
    read_model,
)
from .text import words
from .vitals import CATALOG_FILE, Catalog, CatalogFile

FILES = {
    "interactions": "interactions.json",
    "allergy_classes": "allergy_classes.json",
    "therapeutic_classes": "therapeutic_classes.json",
    "vital_ranges": "vital_ranges.json",
    "vital_signs": CATALOG_FILE,
}
ONC_PAIRS = range(1, 16)  # Phansalkar 2012: all 15 must be present


def norm(name: str) -> str:
    """Matching key for ingredient and allergen names: folded words joined by one space.

    "St. John's Wort" -> "st john s wort"; "Penicillin G" -> "penicillin g".
    """
    return " ".join(words(name or ""))


class _Rule(Sourced):
    id: RuleId
    severity: Severity
    summary: Text
    management: Text


# ---------------------------------------------------------------- therapeutic_classes.json

class DrugClass(Sourced):
    label: Text
    members: Names
    note: str = ""


class OtherIngredients(Strict):
    note: str = ""
    members: Names


class DuplicateRule(_Rule):
    mechanism: Text
    classes: tuple[ClassId, ...] = ()
    same_ingredient: bool = False

    @model_validator(mode="after")
    def _classes(self) -> DuplicateRule:
        if not self.same_ingredient and not 1 <= len(self.classes) <= 2:
            raise ValueError("'classes' names one class (two of it) or two classes (one of each)")
        return self


class TherapeuticFile(Strict):
    schema_: Literal["therapeutic_classes/1"] = Field(alias="schema")
    description: Text
    classes: dict[ClassId, DrugClass] = Field(min_length=1)
    other_ingredients: OtherIngredients
    duplicates: tuple[DuplicateRule, ...] = Field(min_length=1)


# ---------------------------------------------------------------- interactions.json

class Interaction(_Rule):
    mechanism: Text
    a: Names
    b: Names
    onc: Annotated[int, Field(ge=1, le=15)] | None = None
    topic: Text | None = None


class InteractionsFile(Strict):
    schema_: Literal["interactions/1"] = Field(alias="schema")
    description: Text
    ingredient_rxcui: dict[Name, Digits] = {}
    groups: dict[ClassId, DrugClass] = Field(min_length=1)
    interactions: tuple[Interaction, ...] = Field(min_length=1)


# ---------------------------------------------------------------- allergy_classes.json

class PseudoAllergy(Sourced):
    """A class whose usual reactions are not immune (opioid itching, flushing): when the recorded reaction is one
    of these words, a same-class alert is reported at this severity with this explanation."""

    reactions: Names
    severity: Severity
    summary: Text


class AllergyClass(Sourced):
    label: Text
    names: Names
    members: Names
    note: str = ""
    # formulary class ids that place a drug in this allergy class when the knowledge base does not know its
    # ingredients (a new product); a separate namespace, never compared with this class's own id
    formulary_classes: tuple[ClassId, ...] = ()
    # False for an umbrella class (all opioids): an allergy to one member implies its structural class only
    from_ingredient: bool = True
    pseudo_allergy: PseudoAllergy | None = None


class CrossReactivity(_Rule):
    from_: Names = Field(alias="from")
    to: Names


class VaccineGroup(Strict):
    label: Text
    match: Names
    exclude: tuple[Text, ...] = ()
    note: str = ""


class AllergenAlert(_Rule):
    vaccines: Names


class Allergen(Strict):
    label: Text
    category: Text
    names: Names
    alerts: tuple[AllergenAlert, ...] = ()
    note: str = ""


class NotCrossReactive(Sourced):
    allergy: Names
    drugs: Names
    note: str = ""


class AllergyFile(Strict):
    schema_: Literal["allergy_classes/1"] = Field(alias="schema")
    description: Text
    classes: dict[ClassId, AllergyClass] = Field(min_length=1)
    cross_reactivity: tuple[CrossReactivity, ...] = ()
    vaccines: dict[ClassId, VaccineGroup] = {}
    allergens: dict[ClassId, Allergen] = {}
    not_cross_reactive: tuple[NotCrossReactive, ...] = ()


# ---------------------------------------------------------------- vital_ranges.json

class VitalRule(_Rule):
    """Fires when the latest value of `loinc` meets `op threshold`. The threshold is `value` (+ value_per_year x
    age), or with `normal` the low or high bound of the catalog's normal band for the patient's age."""

    loinc: Loinc
    op: Literal["<", "<=", ">", ">="]
    value: float | None = None
    normal: Literal["low", "high"] | None = None
    value_per_year: float | None = None
    min_age: float | None = Field(default=None, ge=0)
    max_age: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _threshold(self) -> VitalRule:
        if (self.value is None) == (self.normal is None):
            raise ValueError("give either 'value' or 'normal' (a bound of the catalog's normal band)")
        if self.normal is not None and self.value_per_year:
            raise ValueError("'value_per_year' goes with 'value'")
        if self.min_age is not None and self.max_age is not None and self.min_age >= self.max_age:
            raise ValueError("min_age must be below max_age")
        return self


class VitalRulesFile(Strict):
    schema_: Literal["vital_ranges/2"] = Field(alias="schema")
    description: Text
    rules: tuple[VitalRule, ...] = Field(min_length=1)


# ---------------------------------------------------------------- the files together

class RuleFiles(Strict):
    """The validated files; `problems()` lists what spans files (an empty list = consistent)."""

    therapeutic: TherapeuticFile
    interactions: InteractionsFile
    allergy: AllergyFile
    vital_rules: VitalRulesFile
    catalog: CatalogFile

    def class_namespace(self) -> dict[str, frozenset[str]]:
        """Therapeutic classes and interaction groups (one namespace) -> member ingredients."""
        out: dict[str, frozenset[str]] = {}
        for cid, c in (*self.therapeutic.classes.items(), *self.interactions.groups.items()):
            out.setdefault(cid, frozenset(norm(m) for m in c.members))
        return out

    def vocabulary(self) -> set[str]:
        vocab = {norm(m) for m in self.therapeutic.other_ingredients.members}
        for members in self.class_namespace().values():
            vocab |= members
        for c in self.allergy.classes.values():
            vocab |= {norm(m) for m in c.members}
        return vocab

    def problems(self) -> list[str]:
        out: list[str] = []
        ther, inter, allg = FILES["therapeutic_classes"], FILES["interactions"], FILES["allergy_classes"]
        for cid in self.therapeutic.classes.keys() & self.interactions.groups.keys():
            out.append(f"{inter} group {cid}: defined twice (class ids share one namespace with interaction groups)")
        classes = self.class_namespace()
        vocab = self.vocabulary()
        aclasses = {k: frozenset(norm(m) for m in v.members) for k, v in self.allergy.classes.items()}

        def refs(where: str, spec: tuple[str, ...], namespace: dict[str, frozenset[str]], kind: str) -> None:
            for item in spec:
                if item.startswith(CLASS_PREFIX):
                    if item[len(CLASS_PREFIX):] not in namespace:
                        out.append(f"{where}: unknown {kind} {item[len(CLASS_PREFIX):]!r}")
                elif norm(item) not in vocab:
                    out.append(f"{where}: ingredient {item!r} is not in the knowledge base's vocabulary "
                               "(a class member or other_ingredients): misspelt?")

        seen: set[str] = set()

        def unique(where: str, rid: str) -> None:
            if rid in seen:
                out.append(f"{where}: duplicate id")
            seen.add(rid)

        for r in self.interactions.interactions:
            where = f"{inter} interaction {r.id}"
            unique(where, r.id)
            refs(where, r.a, classes, "class")
            refs(where, r.b, classes, "class")
        missing = sorted(set(ONC_PAIRS) - {r.onc for r in self.interactions.interactions if r.onc})
        if missing:
            out.append(f"{inter}: ONC high-priority pair(s) {missing} missing")
        for r in self.therapeutic.duplicates:
            unique(f"{ther} duplicate {r.id}", r.id)
            out += [f"{ther} duplicate {r.id}: unknown class {c!r}" for c in r.classes if c not in classes]

        names: dict[str, str] = {}
        for cid, c in self.allergy.classes.items():
            for name in (cid.replace("_", " "), *c.names):
                other = names.setdefault(norm(name), cid)
                if other != cid:
                    out.append(f"{allg} class {cid}: name {name!r} also names allergy class {other}")
            out += [f"{allg} class {cid}: unknown formulary class {f!r}" for f in c.formulary_classes
                    if f not in classes]
        for r in self.allergy.cross_reactivity:
            where = f"{allg} cross-reactivity {r.id}"
            unique(where, r.id)
            refs(where, r.from_, aclasses, "allergy class")
            refs(where, r.to, aclasses, "allergy class")
        for aid, a in self.allergy.allergens.items():
            for name in (aid, *a.names):
                other = names.setdefault(norm(name), aid)
                if other != aid:
                    out.append(f"{allg} allergen {aid}: name {name!r} is already used by {other}")
            for al in a.alerts:
                unique(f"{allg} allergen {aid} alert {al.id}", al.id)
                out += [f"{allg} allergen {aid} alert {al.id}: unknown vaccine group {v!r}" for v in al.vaccines
                        if v not in self.allergy.vaccines]
        for n, e in enumerate(self.allergy.not_cross_reactive):
            for item in e.allergy:
                if item.startswith(CLASS_PREFIX) and item[len(CLASS_PREFIX):] not in aclasses:
                    out.append(f"{allg} not_cross_reactive[{n}]: unknown allergy class {item!r}")
            refs(f"{allg} not_cross_reactive[{n}]", e.drugs, aclasses, "allergy class")

        catalog = Catalog(self.catalog)
        for r in self.vital_rules.rules:
            where = f"{FILES['vital_ranges']} rule {r.id}"
            unique(where, r.id)
            if r.loinc not in catalog.vitals or catalog.vitals[r.loinc].ranges_as:
                out.append(f"{where}: unknown LOINC code {r.loinc!r} (not a ranged vital of {CATALOG_FILE})")
            elif r.normal is not None:
                # the rule's age window must lie inside one normal band, so its threshold is one number per age
                v = catalog.vitals[r.loinc]
                lo = r.min_age or 0.0
                band = v.band(lo)
                if band is None or (band.age_to is not None and (r.max_age is None or r.max_age > band.age_to)):
                    out.append(f"{where}: ages {r.min_age}-{r.max_age} are not inside one normal band of {r.loinc}")
        return out


def load_rule_files(folder: Path) -> tuple[RuleFiles, dict[str, str]]:
    """Read and validate the five files of `folder`; (files, {file name: sha256}). Raises KnowledgeBaseUnavailable."""
    models = {"therapeutic": ("therapeutic_classes", TherapeuticFile), "interactions": ("interactions", InteractionsFile),
              "allergy": ("allergy_classes", AllergyFile), "vital_rules": ("vital_ranges", VitalRulesFile),
              "catalog": ("vital_signs", CatalogFile)}
    parts, versions = {}, {}
    for field, (key, model) in models.items():
        parts[field], versions[FILES[key]] = read_model(folder / FILES[key], model)
    files = RuleFiles(**parts)
    problems = files.problems()
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise KnowledgeBaseUnavailable("invalid knowledge base: " + "; ".join(problems[:5]) + more, str(folder))
    return files, versions


_cache: dict[tuple, tuple[RuleFiles, dict[str, str]]] = {}
_lock = threading.Lock()


def default_dir() -> Path:
    return RESOURCES / "kb"


def stamp(folder: Path) -> tuple:
    """What identifies the files' current contents cheaply: (folder, (name, mtime, size) per file)."""
    parts = []
    for fname in FILES.values():
        path = folder / fname
        try:
            st = path.stat()
        except OSError as exc:
            raise KnowledgeBaseUnavailable(f"cannot read {fname}: {exc.strerror or exc}", str(path)) from exc
        parts.append((fname, st.st_mtime_ns, st.st_size))
    return (str(folder.resolve()), tuple(parts))


def rule_files(folder: Path | None = None) -> tuple[RuleFiles, dict[str, str]]:
    """The validated rule files, read once and again only when one of them changes on disk."""
    folder = Path(folder) if folder is not None else default_dir()
    key = stamp(folder)
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = load_rule_files(folder)
            _cache.clear()  # one knowledge base in memory at a time
            _cache[key] = found
        return found


def clear_cache() -> None:
    with _lock:
        _cache.clear()


__all__ = ["FILES", "ONC_PAIRS", "RuleFiles", "Source", "clear_cache", "default_dir", "load_rule_files", "norm",
           "rule_files"]
