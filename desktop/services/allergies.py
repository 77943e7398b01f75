"""Allergies and intolerances, with the explicit "No known drug allergies" entry.

One entry per substance per patient: `substance_key` is the drug class id for a class ("penicillin"), the
ingredient name for a formulary drug ("amoxicillin"), otherwise the folded text ("peanut"). Entering a
substance that is already listed updates that entry instead of adding a second one, however it is typed
("Penicillin", "penicillin ", "PENICILLIN", "Pénicillin", or the class picked from the list).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from functools import lru_cache

from sqlalchemy import case, select

from desktop.kb.errors import KnowledgeBaseError
from desktop.kb.rules import rule_files
from desktop.kb.text import fold, words
from desktop.models import Allergy

from .chart_rows import (
    Provenance,
    changed_fields,
    check_dates,
    check_lengths,
    flush,
    load_row,
    mark_in_error,
    refuse_before_birth,
    require_patient,
    strip_strings,
    user_name,
)
from .errors import ConflictError, ServiceError, ValidationError
from .permissions import Permission
from .uow import UnitOfWork

log = logging.getLogger(__name__)

CATEGORIES = ("medication", "food", "environment", "biologic")
KINDS = ("allergy", "intolerance")
SEVERITIES = ("", "mild", "moderate", "severe")
CRITICALITIES = ("", "low", "high", "unable-to-assess")
STATUSES = ("active", "inactive", "resolved")
NKDA_KEY = "nkda"
NKDA_TEXT = "No known drug allergies"

# Common non-drug allergens offered as completions (free text works too). Egg, gelatin and latex come from
# the knowledge base (they matter for vaccines and procedures) and are listed from there.
COMMON_NON_DRUG = (
    ("Peanut", "food"), ("Tree nuts", "food"), ("Shellfish", "food"), ("Fish", "food"), ("Milk", "food"),
    ("Soy", "food"), ("Wheat", "food"), ("Sesame", "food"), ("Bee venom", "environment"),
    ("Wasp venom", "environment"), ("Dust mites", "environment"), ("Pollen", "environment"),
    ("Cat dander", "environment"), ("Dog dander", "environment"), ("Mold", "environment"),
    ("Adhesive tape", "environment"),
)


@dataclass(frozen=True, slots=True)
class DrugClass:
    id: str
    label: str
    names: tuple[str, ...]
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NonDrugAllergen:
    id: str
    label: str
    category: str
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Catalog:
    classes: tuple[DrugClass, ...]
    allergens: tuple[NonDrugAllergen, ...]
    class_names: dict[str, str]  # normalised name -> class id
    allergen_names: dict[str, str]  # normalised name -> allergen id


def norm(text: str) -> str:
    """The matching key: folded words joined by one space (the alert engine's normalisation), so
    "Penicillin", "penicillin ", "PENICILLIN" and "Pénicillin." are the same."""
    return " ".join(words(text or ""))


@dataclass(frozen=True, slots=True)
class AllergyInput:
    substance: str = ""  # what the user typed or picked (display)
    category: str = "medication"
    class_id: str = ""  # picked a drug class
    ingredient: str = ""  # picked a formulary ingredient (lower-case generic name)
    kind: str = "allergy"
    reaction: str = ""
    severity: str = ""
    criticality: str = ""
    status: str = "active"
    onset_date: date | None = None
    note: str = ""
    # the code its source gave (a PHR file: rxnorm, snomed, unii...), kept when the substance is not a drug class
    code_system: str = ""
    code: str = ""


FIELD_LABELS = {
    "substance": "Substance", "category": "Category", "class_id": "Drug class", "ingredient": "Ingredient",
    "kind": "Type", "reaction": "Reaction", "severity": "Severity", "criticality": "Criticality",
    "status": "Status", "onset_date": "Onset", "note": "Note", "code_system": "Code system", "code": "Code",
}
INPUT_FIELDS = tuple(f.name for f in fields(AllergyInput))
_KEEP_WHEN_BLANK = ("reaction", "severity", "criticality", "onset_date", "note")
_STORED = ("substance", "category", "kind", "reaction", "severity", "criticality", "status", "onset_date", "note")


@dataclass(frozen=True, slots=True)
class AllergyRow:
    id: int
    version: int
    patient_id: int
    substance: str
    substance_key: str
    code_system: str  # "class" | "rxnorm" | "" (free text) | what a PHR import brought
    code: str
    category: str
    kind: str
    reaction: str
    severity: str
    criticality: str
    status: str
    onset_date: date | None
    no_known_allergies: bool
    note: str
    source: str
    entered_in_error: bool
    error_reason: str

    def as_input(self) -> AllergyInput:
        return AllergyInput(
            substance=self.substance, category=self.category,
            class_id=self.code if self.code_system == "class" else "",
            ingredient=self.substance_key if self.code_system == "rxnorm" else "",
            kind=self.kind, reaction=self.reaction, severity=self.severity, criticality=self.criticality,
            status=self.status, onset_date=self.onset_date, note=self.note,
            code_system=self.code_system if self.code_system not in ("class", "rxnorm") else "",
            code=self.code if self.code_system not in ("class", "rxnorm") else "",
        )


@dataclass(frozen=True, slots=True)
class AllergySaved:
    row: AllergyRow
    merged: bool  # the substance was already listed: that entry was updated
    nkda_inactivated: bool  # a real drug allergy replaced the "No known drug allergies" entry


def allergy_row(a: Allergy) -> AllergyRow:
    """The row as the views see it (the chart summary reads allergies with its own query)."""
    return AllergyRow(
        id=a.id, version=a.version, patient_id=a.patient_id, substance=a.substance, substance_key=a.substance_key,
        code_system=a.code_system or "", code=a.code or "", category=a.category, kind=a.kind,
        reaction=a.reaction or "", severity=a.severity or "", criticality=a.criticality or "", status=a.status,
        onset_date=a.onset_date, no_known_allergies=a.no_known_allergies, note=a.note or "",
        source=a.source_system or "", entered_in_error=a.entered_in_error, error_reason=a.error_reason or "",
    )


# ---------------------------------------------------------------- substances

@lru_cache(maxsize=1)
def catalog() -> _Catalog:
    """Drug allergy classes (with their synonyms and members) and the non-drug allergens of the shipped
    knowledge base, resources/kb/allergy_classes.json: the same ids the alert engine matches on."""
    data = rule_files()[0].allergy  # the one parse of allergy_classes.json (validated, cached)
    classes = tuple(DrugClass(cid, e.label, e.names, e.members) for cid, e in data.classes.items())
    allergens = tuple(NonDrugAllergen(aid, e.label, e.category, e.names) for aid, e in data.allergens.items())
    class_names = {norm(n): c.id for c in classes for n in (c.id.replace("_", " "), c.label, *c.names)}
    allergen_names = {norm(n): a.id for a in allergens for n in (a.id, a.label, *a.names)}
    return _Catalog(tuple(sorted(classes, key=lambda c: fold(c.label))), allergens, class_names, allergen_names)


def _catalog_or_empty() -> _Catalog:
    try:
        return catalog()
    except KnowledgeBaseError as exc:
        # free text still works (and "penicillin" typed still keys as the class id would); logged, not hidden
        log.warning("allergy classes unavailable: %s", exc)
        return _Catalog((), (), {}, {})


def drug_classes() -> tuple[DrugClass, ...]:
    return _catalog_or_empty().classes


def class_by_id(class_id: str) -> DrugClass | None:
    return next((c for c in drug_classes() if c.id == class_id), None)


def _class_by_text(text: str) -> DrugClass | None:
    """'penicillins', 'Penicillin', 'PCN', 'ACE inhibitors', 'NSAIDs' -> the class (names from the KB)."""
    cat = _catalog_or_empty()
    key = norm(text)
    for suffix in (" class", " drugs", " allergy"):
        if key.endswith(suffix) and len(key) > len(suffix) + 2:
            key = key[: -len(suffix)]
    cid = cat.class_names.get(key) or (cat.class_names.get(key[:-1]) if key.endswith("s") else None)
    return class_by_id(cid) if cid else None


def _allergen_by_text(text: str) -> NonDrugAllergen | None:
    cat = _catalog_or_empty()
    aid = cat.allergen_names.get(norm(text))
    return next((a for a in cat.allergens if a.id == aid), None) if aid else None


def _ingredient(name: str) -> tuple[str, str] | None:
    """(ingredient name, RXCUI) when the formulary knows this ingredient."""
    try:
        from desktop.kb.formulary import load_formulary

        ing = load_formulary().ingredient_by_name(name)
    except KnowledgeBaseError:
        return None
    return (ing.name, ing.rxcui) if ing else None


def _without_reaction_note(text: str) -> str:
    from desktop.alerts.free_text import without_reaction_note

    return without_reaction_note(text)


def _drug_behind(text: str) -> str | None:
    """The ingredient a brand or abbreviation stands for, read as the alert check reads it."""
    from desktop.alerts import KnowledgeBaseUnavailable, allergen_from_text

    try:
        from desktop.kb.formulary import load_formulary

        return allergen_from_text(text, load_formulary())
    except (KnowledgeBaseError, KnowledgeBaseUnavailable):
        return None


def unrecognised_note(inp: AllergyInput) -> str:
    """Why a drug allergy, as typed, can only be matched by its exact name ("" when the alert check knows what
    it names, and for food and other non-drug allergies), with the near known name for a slip ("amoxacillin",
    "penicilin"): shown in the form before saving, so a misspelling does not silently disarm the allergy check."""
    if inp.class_id or inp.ingredient or inp.category != "medication" or not inp.substance.strip():
        return ""
    from desktop.alerts import KnowledgeBaseUnavailable, allergy_note

    try:
        from desktop.kb.formulary import load_formulary

        return allergy_note(inp.substance, load_formulary())
    except (KnowledgeBaseError, KnowledgeBaseUnavailable) as exc:
        log.warning("allergy substance not checked against the knowledge base: %s", exc)
        return ""


@dataclass(frozen=True, slots=True)
class _Resolved:
    substance: str
    key: str
    code_system: str | None
    code: str | None
    category: str


def resolve_substance(inp: AllergyInput) -> _Resolved:
    """The one key a substance is stored under, however it was entered."""
    if inp.class_id:
        c = class_by_id(inp.class_id)
        if c is None:
            raise ValidationError({"substance": f"Unknown drug class {inp.class_id}"})
        return _Resolved(c.label, c.id, "class", c.id, "medication")
    if inp.ingredient:
        ing = _ingredient(inp.ingredient)
        if ing is None:
            raise ValidationError({"substance": f"{inp.ingredient} is not a formulary ingredient"})
        return _Resolved(inp.substance or ing[0].capitalize(), ing[0], "rxnorm" if ing[1] else None, ing[1] or None,
                         "medication")
    text = " ".join(inp.substance.split())
    c = _class_by_text(text)
    if c is not None:
        return _Resolved(c.label, c.id, "class", c.id, "medication")
    ing = _ingredient(text)
    if ing is not None:
        return _Resolved(text, ing[0], "rxnorm" if ing[1] else None, ing[1] or None, "medication")  # uncoded: by name
    allergen = _allergen_by_text(text)
    if allergen is not None:
        return _Resolved(text, allergen.id, None, None, allergen.category)  # "Latex" stays "Latex"
    ing = _ingredient(_drug_behind(text) or "")
    if ing is not None:  # "ASA", "Keflex", "Bactrim": kept as typed, checked (and merged) as the ingredient
        return _Resolved(text, ing[0], "rxnorm" if ing[1] else None, ing[1] or None, "medication")
    bare = _without_reaction_note(text)
    if bare and bare != text:  # "Penicillin (anaphylaxis)": kept as typed, coded as what it names
        found = resolve_substance(replace(inp, substance=bare))
        if found != _Resolved(bare, norm(bare)[:200] or fold(bare)[:200], None, None, inp.category):
            return replace(found, substance=text)
    return _Resolved(text, norm(text)[:200] or fold(text)[:200], None, None, inp.category)


@dataclass(frozen=True, slots=True)
class SubstanceOption:
    """A completion for the substance box."""

    label: str
    category: str
    class_id: str = ""
    ingredient: str = ""
    detail: str = ""


def substance_options(text: str, limit: int = 30) -> list[SubstanceOption]:
    """Drug classes, formulary ingredients and common non-drug allergens matching what was typed."""
    key = norm(text)
    if not key:
        return []
    cat = _catalog_or_empty()
    out: list[SubstanceOption] = []
    for c in cat.classes:
        if any(key in norm(n) for n in (c.label, c.id.replace("_", " "), *c.names)):
            out.append(SubstanceOption(c.label, "medication", class_id=c.id,
                                       detail="drug class: " + ", ".join(c.members[:5])
                                       + (" …" if len(c.members) > 5 else "")))
    nondrug = [(a.label, a.category) for a in cat.allergens] + list(COMMON_NON_DRUG)
    for label, category in nondrug:
        if key in norm(label):
            out.append(SubstanceOption(label, category, detail=category))
    try:
        from desktop.kb.formulary import load_formulary

        names = sorted(n for n in load_formulary().ingredient_names() if key in n)
    except KnowledgeBaseError:
        names = []
    names.sort(key=lambda n: (not n.startswith(key), n))
    out.extend(SubstanceOption(n.capitalize(), "medication", ingredient=n, detail="drug ingredient")
               for n in names)
    return out[:limit]


def all_substance_options() -> list[SubstanceOption]:
    """Every completion once (for a completer): drug classes, non-drug allergens, formulary ingredients."""
    cat = _catalog_or_empty()
    out = [SubstanceOption(c.label, "medication", class_id=c.id) for c in cat.classes]
    out += [SubstanceOption(a.label, a.category) for a in cat.allergens]
    out += [SubstanceOption(label, category) for label, category in COMMON_NON_DRUG]
    try:
        from desktop.kb.formulary import load_formulary

        names = sorted(load_formulary().ingredient_names())
    except KnowledgeBaseError:
        names = []
    out += [SubstanceOption(n.capitalize(), "medication", ingredient=n) for n in names]
    return out


# ---------------------------------------------------------------- queries

_STATUS_ORDER = case({"active": 0, "inactive": 1, "resolved": 2}, value=Allergy.status, else_=3)


def list_allergies(uow: UnitOfWork, patient_id: int, include_errors: bool = False) -> list[AllergyRow]:
    """Active first (real allergies before the NKDA entry), then inactive and resolved."""
    uow.require(Permission.VIEW_CHART)
    stmt = select(Allergy).where(Allergy.patient_id == patient_id)
    if not include_errors:
        stmt = stmt.where(Allergy.entered_in_error.is_(False))
    stmt = stmt.order_by(Allergy.entered_in_error, _STATUS_ORDER, Allergy.no_known_allergies, Allergy.substance,
                         Allergy.id)
    return [allergy_row(a) for a in uow.session.execute(stmt).scalars()]


def get_allergy(uow: UnitOfWork, allergy_id: int) -> AllergyRow:
    uow.require(Permission.VIEW_CHART)
    return allergy_row(load_row(uow, Allergy, allergy_id, "allergy"))


def _live(uow: UnitOfWork, patient_id: int) -> list[Allergy]:
    return list(uow.session.execute(select(Allergy).where(
        Allergy.patient_id == patient_id, Allergy.entered_in_error.is_(False))).scalars())


# ---------------------------------------------------------------- validation and writes

def clean(inp: AllergyInput) -> AllergyInput:
    inp = strip_strings(inp)
    return replace(inp, category=inp.category.lower() or "medication", kind=inp.kind.lower() or "allergy",
                   severity=inp.severity.lower(), criticality=inp.criticality.lower(),
                   status=inp.status.lower() or "active", ingredient=inp.ingredient.lower())


def validate(inp: AllergyInput, today: date | None = None) -> dict[str, str]:
    today = today or date.today()
    errors: dict[str, str] = {}
    if not (inp.substance or inp.class_id or inp.ingredient):
        errors["substance"] = "Name the substance (drug, drug class, food or environmental)"
    elif fold(inp.substance) in ("nkda", "nka", "no known drug allergies", "no known allergies"):
        errors["substance"] = "Use “No known drug allergies” to record NKDA"
    if inp.category not in CATEGORIES:
        errors["category"] = "Choose medication, food, environment or biologic"
    if inp.kind not in KINDS:
        errors["kind"] = "Choose allergy or intolerance"
    if inp.severity not in SEVERITIES:
        errors["severity"] = "Choose mild, moderate or severe"
    if inp.criticality not in CRITICALITIES:
        errors["criticality"] = "Choose low, high or unable to assess"
    if inp.status not in STATUSES:
        errors["status"] = "Choose active, inactive or resolved"
    check_lengths(errors, Allergy, {n: getattr(inp, n) for n in ("substance", "reaction", "note", "code_system",
                                                                  "code")})
    check_dates(errors, today, "onset_date", inp.onset_date, start_label="Onset")
    return errors


def _values(inp: AllergyInput, res: _Resolved) -> dict:
    code_system, code = res.code_system, res.code
    if res.code_system != "class" and inp.code:  # the source's own code, unless a drug class is the key
        code_system, code = inp.code_system or None, inp.code
    return {
        "substance": res.substance, "substance_key": res.key, "code_system": code_system, "code": code,
        "category": res.category, "kind": inp.kind, "reaction": inp.reaction, "severity": inp.severity,
        "criticality": inp.criticality, "status": inp.status, "onset_date": inp.onset_date, "note": inp.note,
    }


def _describe(a: Allergy) -> str:
    parts = [a.substance, a.kind]
    if a.reaction:
        parts.append(f"reaction {a.reaction}")
    if a.severity:
        parts.append(a.severity)
    return "; ".join(parts + [a.status])


def _inactivate_nkda(uow: UnitOfWork, rows: list[Allergy], keep: Allergy | None = None) -> bool:
    done = False
    for a in rows:
        if a.no_known_allergies and a.status == "active" and a is not keep:
            a.status = "inactive"
            a.updated_by_id = uow.user.id
            uow.audit("update", "allergy", a.id, a.patient_id, "No known drug allergies inactivated: a drug "
                      "allergy was recorded")
            done = True
    return done


def add_allergy(uow: UnitOfWork, patient_id: int, inp: AllergyInput, *,
                provenance: Provenance | None = None) -> AllergySaved:
    """Record an allergy; if the substance is already listed, that entry is updated instead (merged=True).
    A drug allergy makes the "No known drug allergies" entry inactive. `provenance`: from a PHR file."""
    uow.require(Permission.EDIT_CHART)
    require_patient(uow, patient_id)
    inp = clean(inp)
    errors = validate(inp)
    if errors:
        raise ValidationError(errors)
    refuse_before_birth(uow, patient_id, onset_date=(inp.onset_date, "Onset"))
    res = resolve_substance(inp)
    rows = _live(uow, patient_id)
    existing = next((a for a in rows if a.substance_key == res.key and not a.no_known_allergies), None)
    values = _values(inp, res)
    if existing is not None:
        before = {n: getattr(existing, n) for n in _STORED}
        for name, value in values.items():
            if name in _KEEP_WHEN_BLANK and value in ("", None):
                continue  # entering the substance again without, say, a reaction must not erase the known one
            setattr(existing, name, value)
        existing.updated_by_id = uow.user.id
        a, merged = existing, True
        if provenance is not None:
            provenance.stamp(a)
        flush(uow, "allergy", a.id)
        uow.audit("update", "allergy", a.id, patient_id,
                  f"{a.substance} entered again; changed: "
                  f"{changed_fields(before, {n: getattr(a, n) for n in _STORED}, FIELD_LABELS)}"
                  + (f"; {provenance.describe()}" if provenance else ""))
    else:
        a = Allergy(patient_id=patient_id, created_by_id=uow.user.id, updated_by_id=uow.user.id, **values)
        if provenance is not None:
            provenance.stamp(a)
        uow.session.add(a)
        uow.session.flush()
        merged = False
        uow.audit("create", "allergy", a.id, patient_id,
                  _describe(a) + (f"; {provenance.describe()}" if provenance else ""))
    inactivated = False
    if a.category == "medication" and a.status == "active":
        inactivated = _inactivate_nkda(uow, rows)
    return AllergySaved(allergy_row(a), merged, inactivated)


def record_nkda(uow: UnitOfWork, patient_id: int, *, provenance: Provenance | None = None) -> AllergySaved:
    """The explicit "No known drug allergies" entry; refused while an active drug allergy is listed."""
    uow.require(Permission.EDIT_CHART)
    require_patient(uow, patient_id)
    rows = _live(uow, patient_id)
    drug = [a.substance for a in rows if not a.no_known_allergies and a.status == "active"
            and a.category == "medication"]
    if drug:
        raise ValidationError({"substance": "NKDA cannot be recorded: the patient has active drug allergies ("
                                            + ", ".join(sorted(drug)) + ")"})
    existing = next((a for a in rows if a.no_known_allergies), None)
    if existing is not None:
        if existing.status != "active":
            existing.status = "active"
            existing.updated_by_id = uow.user.id
            flush(uow, "allergy", existing.id)
            uow.audit("update", "allergy", existing.id, patient_id, "No known drug allergies confirmed again")
        return AllergySaved(allergy_row(existing), True, False)
    a = Allergy(patient_id=patient_id, substance=NKDA_TEXT, substance_key=NKDA_KEY, category="medication",
                kind="allergy", status="active", no_known_allergies=True, created_by_id=uow.user.id,
                updated_by_id=uow.user.id)
    if provenance is not None:
        provenance.stamp(a)
    uow.session.add(a)
    uow.session.flush()
    uow.audit("create", "allergy", a.id, patient_id, NKDA_TEXT)
    return AllergySaved(allergy_row(a), False, False)


def update_allergy(uow: UnitOfWork, allergy_id: int, inp: AllergyInput, expected_version: int, *,
                   provenance: Provenance | None = None) -> AllergySaved:
    uow.require(Permission.EDIT_CHART)
    inp = clean(inp)
    a = load_row(uow, Allergy, allergy_id, "allergy")
    if a.entered_in_error:
        raise ServiceError("this allergy was marked entered in error and can no longer be edited")
    mine = asdict(inp)
    if a.version != expected_version:
        raise ConflictError(entity="allergy", entity_id=a.id, mine=mine, theirs=asdict(allergy_row(a).as_input()),
                            their_version=a.version, changed_by=user_name(uow, a.updated_by_id))
    if a.no_known_allergies:
        # only the status of the NKDA entry is editable
        if inp.status == "active":
            other = [x for x in _live(uow, a.patient_id) if not x.no_known_allergies and x.status == "active"
                     and x.category == "medication"]
            if other:
                raise ValidationError({"status": "The patient has active drug allergies"})
        if inp.status not in STATUSES:
            raise ValidationError({"status": "Choose active, inactive or resolved"})
        a.status = inp.status
        a.note = inp.note
        a.updated_by_id = uow.user.id
        if provenance is not None:
            provenance.stamp(a)
        flush(uow, "allergy", a.id, mine)
        uow.audit("update", "allergy", a.id, a.patient_id, f"{NKDA_TEXT}: {inp.status}")
        return AllergySaved(allergy_row(a), False, False)
    errors = validate(inp)
    if errors:
        raise ValidationError(errors)
    refuse_before_birth(uow, a.patient_id, onset_date=(inp.onset_date, "Onset"))
    res = resolve_substance(inp)
    rows = _live(uow, a.patient_id)
    clash = next((x for x in rows if x.substance_key == res.key and x.id != a.id and not x.no_known_allergies), None)
    if clash is not None:
        raise ValidationError({"substance": f"{clash.substance} is already listed; edit that entry instead"})
    before = {n: getattr(a, n) for n in _STORED}
    for name, value in _values(inp, res).items():
        setattr(a, name, value)
    a.updated_by_id = uow.user.id
    if provenance is not None:
        provenance.stamp(a)
    flush(uow, "allergy", a.id, mine)
    after = {n: getattr(a, n) for n in _STORED}
    uow.audit("update", "allergy", a.id, a.patient_id,
              f"{a.substance}; changed: {changed_fields(before, after, FIELD_LABELS)}")
    inactivated = _inactivate_nkda(uow, rows) if a.category == "medication" and a.status == "active" else False
    return AllergySaved(allergy_row(a), False, inactivated)


def mark_allergy_in_error(uow: UnitOfWork, allergy_id: int, reason: str, expected_version: int) -> AllergyRow:
    uow.require(Permission.EDIT_CHART)
    a = load_row(uow, Allergy, allergy_id, "allergy")
    mark_in_error(uow, a, reason, expected_version, "allergy", a.substance)
    return allergy_row(a)
